/**
 * Runs xlite as a user does (`deno run -A main.ts ARGS...`, from the tree's root) for the CLI
 * tests, and says whether this host has Xen (the "no Xen here" tests only mean something
 * where there is none).
 *
 * @module
 */

/** The tree's root: xlite runs from there, as the README's commands do. */
const ROOT = new URL("../..", import.meta.url).pathname;

/** What one xlite run printed, and its exit code. */
export interface XliteRun {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs `xlite ARGS...` with `env` added (e.g. a test xenstored's `XENSTORED_PATH`). */
export async function runXlite(
  args: readonly string[],
  env: Record<string, string> = {},
): Promise<XliteRun> {
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", `${ROOT}main.ts`, ...args],
    cwd: ROOT,
    env: { NO_COLOR: "1", ...env },
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  }).output();
  const text = new TextDecoder();
  return { code: out.code, stdout: text.decode(out.stdout), stderr: text.decode(out.stderr) };
}

/** Whether this host runs on Xen with a privileged interface (`/dev/xen/privcmd`). */
export const hostHasXen: boolean = (() => {
  try {
    Deno.statSync("/dev/xen/privcmd");
    return true;
  } catch {
    return false;
  }
})();
