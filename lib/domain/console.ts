/**
 * Attaching to a guest console, as `xl console` does: xl does not talk to the console
 * itself, it execs Xen's `xenconsole` with the domid, `--num` and `--type`
 * (`libxl_console_exec`); with no `-t` it first finds the domain's primary console
 * (`libxl__primary_console_find`: a stub domain's serial console, else console 0 of type `pv`
 * for PV/PVH guests and `serial` for HVM ones). xlite does the same, finding `xenconsole` at
 * run time; xenconsole then reads the pty path xenconsoled wrote (`console/tty`) and copies
 * bytes until the escape character (Ctrl-]).
 *
 * @module
 */
import type { XenstoreOps } from "../xenstore/mod.ts";
import { XliteError } from "../errors.ts";
import { DomainNotFoundError } from "./domain_errors.ts";

/** `libxl_console_type` names, as `xl console -t` and `xenconsole --type` spell them. */
export type ConsoleType = "pv" | "serial" | "vuart";

/** The types `-t` accepts, in xl's order. */
export const CONSOLE_TYPES: readonly ConsoleType[] = ["pv", "serial", "vuart"];

/** `STUBDOM_CONSOLE_SERIAL` (libxl_internal.h): a stub domain's console for the guest's serial. */
export const STUBDOM_CONSOLE_SERIAL = 3;

/** Where Xen installs its private binaries (`libxl__private_bindir_path`), newest first. */
export const XENCONSOLE_DIRS: readonly string[] = [
  "/usr/lib/xen-4.17/bin", // Debian bookworm (xen-utils-4.17)
  "/usr/libexec/xen/bin", // upstream's default LIBEXEC_BIN
  "/usr/lib/xen/bin", // older layouts and some distributions
];

/** A console to attach to: which domain serves it, its number and its type. */
export interface ConsoleTarget {
  /** The domain whose console it is (a stub domain's for an HVM guest with one). */
  domid: number;
  /** The console number (`--num`). */
  num: number;
  /** The console type (`--type`). */
  type: ConsoleType;
}

/** No `xenconsole` found: names where xlite looked. */
export class XenconsoleMissingError extends XliteError {
  /** The paths tried. */
  readonly tried: string[];
  /** `tried` are the paths looked at, in order. */
  constructor(tried: string[]) {
    super(
      `console: xenconsole not found (looked for ${
        tried.join(", ")
      }); install Xen's tools (Debian: xen-utils-4.17) or set XENCONSOLE`,
    );
    this.name = "XenconsoleMissingError";
    this.tried = tried;
  }
}

/** `-t TYPE` as xl reads it; anything else gets xl's line. */
export function parseConsoleType(text: string): ConsoleType {
  if ((CONSOLE_TYPES as readonly string[]).includes(text)) return text as ConsoleType;
  throw new XliteError("console type supported are: pv, serial, vuart", { verbatim: true });
}

function isExecutable(path: string): boolean {
  try {
    const info = Deno.statSync(path);
    return info.isFile && ((info.mode ?? 0o111) & 0o111) !== 0;
  } catch {
    return false;
  }
}

/** The `/usr/lib/xen-<version>/bin` directories present, newest version first. */
function versionedDirs(): string[] {
  const dirs: { dir: string; version: number[] }[] = [];
  try {
    for (const entry of Deno.readDirSync("/usr/lib")) {
      const m = /^xen-(\d+)\.(\d+)$/.exec(entry.name);
      if (m) dirs.push({ dir: `/usr/lib/${entry.name}/bin`, version: [+m[1], +m[2]] });
    }
  } catch {
    // no /usr/lib: nothing versioned
  }
  dirs.sort((a, b) => b.version[0] - a.version[0] || b.version[1] - a.version[1]);
  return dirs.map((d) => d.dir);
}

/**
 * The `xenconsole` to run: `$XENCONSOLE` when set (and nothing else then), else the first
 * executable one in {@linkcode XENCONSOLE_DIRS} or any `/usr/lib/xen-<version>/bin`. Throws
 * {@linkcode XenconsoleMissingError} when there is none.
 */
export function findXenconsole(env: { get(key: string): string | undefined } = Deno.env): string {
  const override = env.get("XENCONSOLE");
  const candidates = override !== undefined && override !== ""
    ? [override]
    : [...new Set([...XENCONSOLE_DIRS, ...versionedDirs()])].map((d) => `${d}/xenconsole`);
  const found = candidates.find(isExecutable);
  if (found === undefined) throw new XenconsoleMissingError(candidates);
  return found;
}

/**
 * `libxl__primary_console_find`: the console `xl console DOM` attaches to without `-t`.
 * A domain without `/local/domain/<domid>` does not exist ({@linkcode DomainNotFoundError});
 * the domain type comes from `/libxl/<domid>/type` (every Arm guest is an HVM container, so
 * a domain libxl did not build counts as HVM, as libxl reads it).
 */
export async function primaryConsole(xs: XenstoreOps, domid: number): Promise<ConsoleTarget> {
  const [exists, stubdom, type] = await Promise.all([
    xs.exists(`/local/domain/${domid}`),
    xs.tryRead(`/local/domain/${domid}/image/device-model-domid`),
    xs.tryRead(`/libxl/${domid}/type`),
  ]);
  if (!exists) throw new DomainNotFoundError(domid, "console");
  const stubdomid = stubdom === undefined ? 0 : Number.parseInt(stubdom, 10) || 0;
  if (stubdomid) return { domid: stubdomid, num: STUBDOM_CONSOLE_SERIAL, type: "pv" };
  if (type === "pv" || type === "pvh") return { domid, num: 0, type: "pv" };
  return { domid, num: 0, type: "serial" };
}

/** The arguments `libxl_console_exec` gives xenconsole (after its path). */
export function xenconsoleArgs(target: ConsoleTarget): string[] {
  return [String(target.domid), "--num", String(target.num), "--type", target.type];
}

/**
 * Runs xenconsole on the terminal (stdin, stdout and stderr inherited) and returns its exit
 * status. xl execs it, so xl's exit status is xenconsole's; xlite waits for it and exits
 * with the same status. SIGTERM/SIGINT sent to xlite are passed on.
 */
export async function attachConsole(xenconsole: string, target: ConsoleTarget): Promise<number> {
  const child = new Deno.Command(xenconsole, {
    args: xenconsoleArgs(target),
    stdin: "inherit",
    stdout: "inherit",
    stderr: "inherit",
  }).spawn();
  const forward = (signal: Deno.Signal) => () => {
    try {
      child.kill(signal);
    } catch {
      // already gone
    }
  };
  const handlers: [Deno.Signal, () => void][] = [
    ["SIGTERM", forward("SIGTERM")],
    ["SIGINT", forward("SIGINT")],
  ];
  for (const [signal, handler] of handlers) Deno.addSignalListener(signal, handler);
  try {
    return (await child.status).code; // 128 + N when a signal N ended it
  } finally {
    for (const [signal, handler] of handlers) Deno.removeSignalListener(signal, handler);
  }
}
