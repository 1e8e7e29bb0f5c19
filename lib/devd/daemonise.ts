/**
 * Detaching `xlite devd` from the terminal, like `xl devd` (xl_utils.c `do_daemonize`:
 * stdin from /dev/null, stdout and stderr appended to a log file, `daemon(0, 1)`: new
 * session, working directory `/`). Deno cannot fork, so the daemon is the same program
 * started again with `-F`: through `sh`, which sets up the redirections, and `setsid(1)`
 * (util-linux) when installed, which gives it its own session so a closing terminal does not
 * reach it (without `setsid`, SIGHUP is ignored instead). The starting process waits until
 * the daemon says it is ready (its watches are set), then returns its pid; if the daemon
 * dies first, the start fails with the last line of its log.
 *
 * @module
 */
import { XliteError } from "../errors.ts";

/** The environment variable naming the file a daemon writes its pid to once ready. */
export const READY_FILE_ENV = "XLITE_DEVD_READY";

/** Where `xl devd` logs (`XEN_LOG_DIR/xldevd.log`); xlite's daemon logs beside it. */
export const DEFAULT_DEVD_LOG = "/var/log/xen/xlite-devd.log";

/** Options for {@linkcode daemonise}. */
export interface DaemoniseOptions {
  /** The daemon's command line (the program and its arguments, `-F` included). */
  command: string[];
  /** The file stdout and stderr are appended to. */
  logFile: string;
  /**
   * How long to wait for readiness (default 90 s: the daemon is a second deno start-up, plus
   * its xenstore connection and the Xen libraries; under QEMU TCG that alone takes 20-40 s).
   */
  readyTimeoutMs?: number;
  /** Extra environment for the daemon. */
  env?: Record<string, string>;
  /** The command named in errors (default `devd`). */
  name?: string;
  /**
   * Whether to wait for the daemon's readiness (default true). Without, the start returns as
   * soon as the daemon is started: for one that finds its work wherever it stands (`watch`).
   */
  awaitReady?: boolean;
}

/**
 * How to start this program again: the compiled binary itself, or `deno run -A` of the main
 * module with the `deno.json` beside it (the daemon runs in `/`, where deno would find no
 * config) and no lock file written (the tree may be read-only, as the testbed's is). The deno
 * binary may have any name (the testbed's is `deno-aarch64`), so a compiled binary is told
 * by `Deno.build.standalone`, not by its name.
 */
export function selfCommand(): string[] {
  const exec = Deno.execPath();
  if ((Deno.build as { standalone?: boolean }).standalone === true) return [exec];
  const main = new URL(Deno.mainModule);
  const config = new URL("deno.json", main);
  const args = [exec, "run", "-A", "--no-lock"];
  if (main.protocol === "file:" && isFile(config.pathname)) args.push("--config", config.pathname);
  return [...args, main.protocol === "file:" ? main.pathname : main.href];
}

function isFile(path: string): boolean {
  try {
    return Deno.statSync(path).isFile;
  } catch {
    return false;
  }
}

function findSetsid(): string | undefined {
  for (const dir of (Deno.env.get("PATH") ?? "/usr/bin:/bin").split(":")) {
    try {
      if (Deno.statSync(`${dir}/setsid`).isFile) return `${dir}/setsid`;
    } catch {
      // not here
    }
  }
  return undefined;
}

function lastLine(path: string): string {
  try {
    const lines = Deno.readTextFileSync(path).trimEnd().split("\n");
    return lines[lines.length - 1] ?? "";
  } catch {
    return "";
  }
}

/**
 * Starts `options.command` detached; returns its pid once it is ready (or, without
 * `awaitReady`, the pid of the shell that becomes it, once started).
 */
export async function daemonise(options: DaemoniseOptions): Promise<number> {
  const { logFile } = options;
  const name = options.name ?? "devd";
  try {
    const dir = logFile.slice(0, logFile.lastIndexOf("/"));
    if (dir !== "") Deno.mkdirSync(dir, { recursive: true });
    Deno.openSync(logFile, { append: true, create: true, mode: 0o644 }).close();
  } catch (error) {
    throw new XliteError(`${name}: failed to open logfile ${logFile}: ${(error as Error).message}`);
  }
  const readyDir = Deno.makeTempDirSync({ prefix: "xlite-devd-" });
  const readyFile = `${readyDir}/ready`;
  const setsid = findSetsid();
  // sh sets up stdio as do_daemonize does, then becomes (setsid then) the daemon.
  const script = `${setsid ? "" : "trap '' HUP; "}exec ${
    setsid ? '"$XLITE_DEVD_SETSID" ' : ""
  }"$@" </dev/null >>"$XLITE_DEVD_LOG" 2>&1`;
  const child = new Deno.Command("/bin/sh", {
    args: ["-c", script, "sh", ...options.command],
    cwd: "/",
    env: {
      ...options.env,
      [READY_FILE_ENV]: readyFile,
      XLITE_DEVD_LOG: logFile,
      ...(setsid ? { XLITE_DEVD_SETSID: setsid } : {}),
    },
    stdin: "null",
    stdout: "null",
    stderr: "null",
  }).spawn();
  if (options.awaitReady === false) {
    child.unref();
    Deno.removeSync(readyDir, { recursive: true });
    return child.pid;
  }
  let exited: Deno.CommandStatus | undefined;
  child.status.then((s) => (exited = s));
  const deadline = Date.now() + (options.readyTimeoutMs ?? 90_000);
  try {
    for (;;) {
      try {
        const pid = Number(Deno.readTextFileSync(readyFile).trim());
        if (pid > 0) {
          child.unref();
          return pid;
        }
      } catch {
        // not ready yet
      }
      // setsid(1) forks only when started as a group leader; then its own exit is no news.
      if (exited && (exited.code !== 0 || setsid === undefined)) {
        const last = lastLine(logFile);
        throw new XliteError(
          `${name}: the daemon exited during start-up (status ${exited.code})${
            last ? `: ${last}` : ""
          }; see ${logFile}`,
        );
      }
      if (Date.now() > deadline) {
        child.kill("SIGTERM");
        throw new XliteError(`${name}: the daemon did not become ready; see ${logFile}`);
      }
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  } finally {
    Deno.removeSync(readyDir, { recursive: true });
  }
}

/** In the daemon: tells the starting process it is ready (when it was started detached). */
export function signalReady(): void {
  const file = Deno.env.get(READY_FILE_ENV);
  if (file === undefined) return;
  Deno.env.delete(READY_FILE_ENV); // not for the hotplug scripts
  try {
    Deno.writeTextFileSync(`${file}.tmp`, `${Deno.pid}\n`);
    Deno.renameSync(`${file}.tmp`, file);
  } catch {
    // the starter gave up meanwhile
  }
}
