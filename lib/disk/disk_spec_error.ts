/**
 * `DiskSpecError`: a disk specification xl would reject, carrying xl's exact text
 * (spec §1.7).
 *
 * @module
 */
import { XliteError } from "../errors.ts";

/** One line xl prints for a bad disk spec, before it is formatted. */
export interface DiskSpecProblem {
  /** xl's reason, e.g. `unknown parameter`. */
  reason: string;
  /** The offending text (xl's "near"), absent for the post-scan checks. */
  near?: string;
  /** The spec string the line quotes (for several strings, the one being scanned). */
  spec: string;
}

const encoder = new TextEncoder();

/**
 * A disk specification xl rejects. `message` is exactly what xl prints (one line per
 * error, joined with `\n`):
 * `<source>: config parsing error in disk specification: <reason>[: near `<text>'] in `<spec>'`.
 *
 * @example
 * ```ts
 * try { parseDiskSpec("foo=bar"); } catch (e) { if (e instanceof DiskSpecError) console.error(e.message); }
 * ```
 */
export class DiskSpecError extends XliteError {
  /** Where the spec came from: `command line` or a config file name. */
  readonly source: string;
  /** The lines, in xl's order. */
  readonly problems: DiskSpecProblem[];
  /** Raw bytes per problem for the near text when it is not whole UTF-8 (see `bytes`). */
  readonly rawNear: (Uint8Array | undefined)[] | undefined;
  /** Builds the error from its lines (formatted as xl does). */
  constructor(
    source: string,
    problems: DiskSpecProblem[],
    rawNear?: (Uint8Array | undefined)[],
  ) {
    super(formatProblems(source, problems), { verbatim: true });
    this.name = "DiskSpecError";
    this.source = source;
    this.problems = problems;
    this.rawNear = rawNear;
  }

  /**
   * Builds the error without capturing a stack trace: what the parser returns, since a
   * stack is no use for a bad spec and costs more than the whole parse (batch API).
   */
  static withoutStack(
    source: string,
    problems: DiskSpecProblem[],
    rawNear?: (Uint8Array | undefined)[],
  ): DiskSpecError {
    const e = Object.create(DiskSpecError.prototype);
    e.name = "DiskSpecError";
    e.message = formatProblems(source, problems);
    e.exitCode = 1;
    e.verbatim = true;
    e.source = source;
    e.problems = problems;
    e.rawNear = rawNear;
    return e as DiskSpecError;
  }

  /**
   * The message as the bytes xl writes. It differs from `message` (UTF-8 encoded) only
   * when a near text cuts a multi-byte character, which `message` shows as U+FFFD.
   */
  get bytes(): Uint8Array {
    if (!this.rawNear?.some((b) => b !== undefined) || this.message.length > MAX_MESSAGE) {
      return encoder.encode(this.message);
    }
    const parts: Uint8Array[] = [];
    this.problems.forEach((p, i) => {
      if (i > 0) parts.push(encoder.encode("\n"));
      const raw = this.rawNear![i];
      if (raw === undefined) {
        parts.push(encoder.encode(formatProblem(this.source, p)));
      } else {
        parts.push(encoder.encode(`${this.source}${PREFIX}${p.reason}: near \``));
        parts.push(raw);
        parts.push(encoder.encode(`' in \`${p.spec}'`));
      }
    });
    const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
    let o = 0;
    for (const part of parts) {
      out.set(part, o);
      o += part.length;
    }
    return out;
  }
}

const PREFIX = ": config parsing error in disk specification: ";

/** Beyond this many characters of error text, further lines are summarised in one line. */
export const MAX_MESSAGE = 1 << 20;

/**
 * All lines, as xl prints them, joined with `\n`. Pathological specs (hundreds of KiB,
 * thousands of errors, each line quoting the whole spec) would give gigabytes: after
 * `MAX_MESSAGE` characters the remaining lines are counted in one final line instead.
 */
export function formatProblems(source: string, problems: DiskSpecProblem[]): string {
  const lines: string[] = [];
  let size = 0;
  for (let i = 0; i < problems.length; i++) {
    const line = formatProblem(source, problems[i]);
    if (size + line.length > MAX_MESSAGE && i > 0) {
      lines.push(`${source}${PREFIX}${problems.length - i} more errors in this specification`);
      break;
    }
    lines.push(line);
    size += line.length + 1;
  }
  return lines.join("\n");
}

/** Formats one problem as xl's `xlu__disk_err` does (spec §1.7). */
export function formatProblem(source: string, problem: DiskSpecProblem): string {
  const near = problem.near === undefined ? "" : `: near \`${problem.near}'`;
  return `${source}${PREFIX}${problem.reason}${near} in \`${problem.spec}'`;
}
