/**
 * The daemon's pid file, as `xl devd -p` writes it (xl_utils.c `do_daemonize`: the pid in
 * decimal and a newline, mode 0600).
 *
 * @module
 */
import { XliteError } from "../errors.ts";

/** Writes `pid` to `path`; a one-line `XliteError` when it cannot. */
export function writePidFile(path: string, pid: number = Deno.pid): void {
  try {
    Deno.writeTextFileSync(path, `${pid}\n`, { mode: 0o600 });
  } catch (error) {
    throw new XliteError(`devd: unable to write pid file ${path}: ${(error as Error).message}`);
  }
}

/** Removes `path` if it still names `pid` (another daemon may have taken it over). */
export function removePidFile(path: string, pid: number = Deno.pid): void {
  try {
    if (Deno.readTextFileSync(path).trim() === String(pid)) Deno.removeSync(path);
  } catch {
    // already gone
  }
}
