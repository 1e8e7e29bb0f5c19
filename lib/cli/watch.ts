/**
 * `xlite watch [-F]`: the one watcher of every guest `xlite create` started
 * (`lib/domain/watch.ts`; why one and not one per guest is said there). `xlite create` starts
 * it when it is not running; `-F` runs it in the foreground (what the started one runs).
 *
 * @module
 */
import { type Command, parseCommandArgs } from "./command.ts";
import { UsageError } from "../errors.ts";

const USAGE = `usage: xlite watch [-F]

Acts on the guests 'xlite create' started (without -e or -F) when they power off, reboot,
crash or their watchdog fires, as their on_poweroff, on_reboot, on_crash and on_watchdog say
(destroy, restart, rename-restart, preserve), as xl's per-guest child does. One watcher serves
every such guest; 'xlite create' starts it when none runs. It exits once it has no guest left.
Each guest's lines go to /var/log/xen/xlite-<name>.log (xl: xl-<name>.log), the watcher's own
to /var/log/xen/xlite-watch.log.

options:
  -F            run in the foreground (default: start it detached unless one runs)
  -h, --help    this text`;

/** The watcher's own log when detached. */
export const WATCH_LOG = "/var/log/xen/xlite-watch.log";

/** True when the pid file names a live process. */
async function watcherRunning(): Promise<boolean> {
  const { WATCH_PIDFILE } = await import("../domain/watch.ts");
  try {
    const pid = Number((await Deno.readTextFile(WATCH_PIDFILE)).trim());
    if (!(pid > 0)) return false;
    await Deno.stat(`/proc/${pid}`);
    return true;
  } catch {
    return false;
  }
}

/**
 * Starts the watcher detached unless one runs, as `xl devd` detaches (lib/devd/daemonise.ts),
 * without waiting for it: a second deno start-up costs 20-40 s under QEMU TCG, and the
 * watcher finds every recorded guest in the state Xen reports whenever it starts, so nothing
 * is missed meanwhile. Its output is appended to {@linkcode WATCH_LOG}.
 */
export async function ensureWatcher(): Promise<void> {
  if (await watcherRunning()) return;
  const { daemonise, selfCommand } = await import("../devd/daemonise.ts");
  await daemonise({
    command: [...selfCommand(), "watch", "-F"],
    logFile: WATCH_LOG,
    name: "watch",
    awaitReady: false,
  });
}

function stamp(line: string): string {
  return `${new Date().toISOString()} ${line}`;
}

async function runForeground(): Promise<number> {
  const [watch, { openXenSession }] = await Promise.all([
    import("../domain/watch.ts"),
    import("../domain/xen_session.ts"),
  ]);
  const session = await openXenSession(); // first: without Xen, nothing is written
  try {
    await Deno.mkdir(watch.WATCH_DIR, { recursive: true, mode: 0o700 });
    const lock = await Deno.open(watch.WATCH_LOCK, { read: true, write: true, create: true });
    try {
      await lock.lock(true); // a second watcher waits here until the first has gone
      console.error(stamp(`xlite watch: started [pid ${Deno.pid}]`));
      await watch.runWatcher({
        xc: session.xc,
        xs: session.xs,
        pid: Deno.pid,
        log: (guest, line) => appendLine(guest.logFile, line),
        recreate: (guest, reload) => watch.recreateGuest(session.xc, session.xs, guest, reload),
        say: (line) => console.error(stamp(line)),
      }, { say: (line) => console.error(stamp(line)) });
      console.error(stamp("xlite watch: no guest left; exiting"));
    } finally {
      lock.close();
    }
  } finally {
    session.close();
  }
  return 0;
}

/** Appends `line` to `path` (the guest's log; a failure is not the guest's problem). */
export function appendLine(path: string, line: string): void {
  try {
    Deno.writeTextFileSync(path, line + "\n", { append: true, create: true, mode: 0o644 });
  } catch {
    console.error(line);
  }
}

/** The `watch` command. */
export const command: Command = {
  summary: "watch the guests xlite created and act on their on_poweroff/on_reboot/on_crash",
  usage: USAGE,
  async run(argv: string[]): Promise<number> {
    const args = parseCommandArgs("watch", argv, { boolean: ["F"] });
    if (args._.length > 0) throw new UsageError(`watch: unexpected argument '${args._[0]}'`);
    if (args.F) return await runForeground();
    const { requirePrivcmd } = await import("../xen/mod.ts");
    requirePrivcmd(); // no Xen: say so here rather than in a detached watcher's log
    await ensureWatcher();
    return 0;
  },
};
