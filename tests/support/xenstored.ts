/**
 * Test harness: a private, real xenstored for one test. Debian's Xen 4.17 C `xenstored` or
 * OCaml `oxenstored` runs without a hypervisor (LD_PRELOAD shim from
 * `tests/native/xenstored-shim/`) and serves the wire protocol on a Unix socket in a temp dir.
 *
 * @example
 * ```ts
 * await using xsd = await startXenstored({ flavour: "ocaml" });
 * // XENSTORED_PATH=xsd.socketPath for Debian's xenstore-* tools; xsd.env has it.
 * ```
 *
 * @module
 */
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

/** Which daemon: Xen's C `xenstored` or the OCaml `oxenstored`. */
export type XenstoredFlavour = "c" | "ocaml";

/** Options for {@linkcode startXenstored}. */
export interface XenstoredOptions {
  /** The daemon to run (default `"c"`). */
  flavour?: XenstoredFlavour;
  /** Extra daemon arguments (e.g. `["-T", "trace"]` for the C daemon). */
  args?: string[];
  /** Domids that "exist" for the shim (`XSSHIM_DOMAINS_FILE` syntax, e.g. `"0 1 5-10"`). */
  domains?: string;
}

/** A running private daemon. */
export interface Xenstored {
  /** The daemon started. */
  readonly flavour: XenstoredFlavour;
  /** The daemon's run directory (temp dir, removed by `stop`). */
  readonly dir: string;
  /** The Unix socket clients connect to. */
  readonly socketPath: string;
  /** Environment for clients: `XENSTORED_PATH` pointing at `socketPath`. */
  readonly env: Record<string, string>;
  /** The daemon's current process id. */
  readonly pid: number;
  /** SIGTERM, wait for exit, remove the run directory. Safe to call twice. */
  stop(): Promise<void>;
  /** SIGKILL (a crash), wait for exit; the run directory stays for `restart`. */
  kill(): Promise<void>;
  /** Starts the daemon again on the same socket (after `kill`, or kills it first). */
  restart(): Promise<void>;
  /** `stop()`, for `await using`. */
  [Symbol.asyncDispose](): Promise<void>;
}

const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
const SHIM_DIR = join(ROOT, "tests", "native", "xenstored-shim");
/** Where `tests/native/xenstored-shim/build.sh` puts the shim. */
export const XSSHIM_PATH: string = join(ROOT, ".build", "xenstored-shim", "xsshim.so");
const BINARIES: Record<XenstoredFlavour, string> = {
  c: "/usr/lib/xen-4.17/bin/xenstored",
  ocaml: "/usr/lib/xen-4.17/bin/oxenstored",
};

/** Whether `path` exists (tests use it to say why they skip). */
export function pathExists(path: string): boolean {
  try {
    Deno.statSync(path);
    return true;
  } catch {
    return false;
  }
}

/** Why `flavour` cannot run here, or `undefined` when it can (tests: `ignore` + log this). */
export function xenstoredMissing(flavour: XenstoredFlavour = "c"): string | undefined {
  if (!pathExists(BINARIES[flavour])) return `${BINARIES[flavour]} not installed (xen-utils-4.17)`;
  if (!pathExists(XSSHIM_PATH)) {
    // not built yet (tests run without tests/setup.sh): build it once, here
    const build = new Deno.Command("bash", {
      args: [join(SHIM_DIR, "build.sh")],
      stdout: "null",
      stderr: "piped",
    }).outputSync();
    if (!build.success || !pathExists(XSSHIM_PATH)) {
      return `${XSSHIM_PATH} not built (tests/native/xenstored-shim/build.sh failed: ${
        new TextDecoder().decode(build.stderr).trim()
      })`;
    }
  }
  if (!pathExists("/usr/bin/xenstore-read")) return "xenstore-read not installed (xenstore-utils)";
  return undefined;
}

/** Answers a READ of "/" on the socket? (raw wire bytes: the harness does not use lib/.) */
async function answers(socketPath: string): Promise<boolean> {
  let conn: Deno.UnixConn | undefined;
  try {
    conn = await Deno.connect({ transport: "unix", path: socketPath });
    const msg = new Uint8Array(18);
    const view = new DataView(msg.buffer);
    view.setUint32(0, 2, true); // XS_READ
    view.setUint32(4, 1, true);
    view.setUint32(12, 2, true);
    msg[16] = 0x2f; // "/\0"
    await conn.write(msg);
    const reply = new Uint8Array(16);
    let got = 0;
    while (got < 16) {
      const n = await conn.read(reply.subarray(got));
      if (n === null) return false;
      got += n;
    }
    return new DataView(reply.buffer).getUint32(0, true) === 2;
  } catch {
    return false;
  } finally {
    conn?.close();
  }
}

interface Running {
  child: Deno.ChildProcess;
  exited: boolean;
  status: Promise<Deno.CommandStatus>;
}

async function launch(
  flavour: XenstoredFlavour,
  dir: string,
  opts: XenstoredOptions,
): Promise<Running> {
  const script = join(SHIM_DIR, flavour === "c" ? "start-xenstored.sh" : "start-oxenstored.sh");
  const args = [...(flavour === "ocaml" ? ["--no-access-log"] : []), ...(opts.args ?? [])];
  const env: Record<string, string> = { XSD_FOREGROUND: "1" };
  if (opts.domains !== undefined) {
    const file = join(dir, "domains");
    Deno.writeTextFileSync(file, opts.domains);
    env.XSSHIM_DOMAINS_FILE = file;
  }
  // The script execs the daemon, so the child is the daemon and this process reaps it.
  const child = new Deno.Command("sh", {
    args: [script, dir, ...args],
    env,
    stdin: "null",
    stdout: "null",
    stderr: "null",
  }).spawn();
  const running: Running = { child, exited: false, status: child.status };
  running.status.then(() => (running.exited = true));
  const socketPath = join(dir, "socket");
  const end = Date.now() + 10_000;
  while (!(await answers(socketPath))) {
    if (running.exited || Date.now() > end) {
      if (!running.exited) child.kill("SIGKILL");
      await running.status;
      const log = join(dir, flavour === "c" ? "xenstored.log" : "out.log");
      const text = await Deno.readTextFile(log).catch(() => "");
      throw new Error(`starting ${flavour} xenstored failed: ${text.trim() || "no answer"}`);
    }
    await new Promise((r) => setTimeout(r, 5));
  }
  return running;
}

async function halt(running: Running, sig: Deno.Signal): Promise<void> {
  if (running.exited) return;
  try {
    running.child.kill(sig);
  } catch {
    // exited meanwhile
  }
  const timer = new Promise<"late">((r) => {
    const id = setTimeout(() => r("late"), 3000);
    running.status.then(() => clearTimeout(id));
  });
  if ((await Promise.race([running.status, timer])) === "late") {
    running.child.kill("SIGKILL");
    await running.status;
  }
}

/** Starts a private real xenstored; always `stop()` it (or use `await using`). */
export async function startXenstored(opts: XenstoredOptions = {}): Promise<Xenstored> {
  const flavour = opts.flavour ?? "c";
  const missing = xenstoredMissing(flavour);
  if (missing) throw new Error(`cannot start ${flavour} xenstored: ${missing}`);
  const dir = await Deno.makeTempDir({ prefix: `xlite-xsd-${flavour}-` });
  let running: Running;
  try {
    running = await launch(flavour, dir, opts);
  } catch (error) {
    await Deno.remove(dir, { recursive: true }).catch(() => {});
    throw error;
  }
  const socketPath = join(dir, "socket");
  let stopped = false;
  const stop = async () => {
    if (stopped) return;
    stopped = true;
    await halt(running, "SIGTERM");
    await Deno.remove(dir, { recursive: true }).catch(() => {});
  };
  return {
    flavour,
    dir,
    socketPath,
    env: { XENSTORED_PATH: socketPath },
    get pid() {
      return running.child.pid;
    },
    stop,
    kill: () => halt(running, "SIGKILL"),
    async restart() {
      await halt(running, "SIGKILL");
      running = await launch(flavour, dir, opts);
    },
    [Symbol.asyncDispose]: stop,
  };
}

/** Runs one of Debian's `xenstore-*` tools against `xsd`; returns exit code and output. */
export async function xenstoreTool(
  xsd: Xenstored,
  tool: string,
  args: string[],
): Promise<{ code: number; stdout: string; stderr: string }> {
  const out = await new Deno.Command(`xenstore-${tool}`, {
    args,
    env: xsd.env,
    stdout: "piped",
    stderr: "piped",
  }).output();
  const dec = new TextDecoder();
  return { code: out.code, stdout: dec.decode(out.stdout), stderr: dec.decode(out.stderr) };
}
