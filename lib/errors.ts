/**
 * Errors the user sees. Each carries the bad input and the reason; the CLI prints
 * `xlite: <message>` on one line and exits with `exitCode`.
 *
 * @module
 */

/** An error meant for the user: one line, with an exit code. */
export class XliteError extends Error {
  /** Process exit code the CLI uses for this error. */
  readonly exitCode: number;
  /** When true, `message` is printed verbatim (no `xlite: ` prefix): xl's own texts. */
  readonly verbatim: boolean;
  /** `message` is the one line the user sees; exit code 1 unless given. */
  constructor(message: string, options: { exitCode?: number; verbatim?: boolean } = {}) {
    super(message);
    this.name = "XliteError";
    this.exitCode = options.exitCode ?? 1;
    this.verbatim = options.verbatim ?? false;
  }
}

/** Wrong command-line usage: exit code 2, as xl and most tools do. */
export class UsageError extends XliteError {
  /** `message` names the command and what is wrong with its arguments. */
  constructor(message: string) {
    super(message, { exitCode: 2 });
    this.name = "UsageError";
  }
}
