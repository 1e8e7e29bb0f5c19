/**
 * `xlite shutdown [-a] [-w] [-F] [DOM]`: ask domains to power off (xl shutdown), through
 * their PV control node; `-w` waits until they have shut down.
 *
 * @module
 */
import { type Command, parseCommandArgs } from "./command.ts";
import { UsageError } from "../errors.ts";

const USAGE = `usage: xlite shutdown [options] <-a|DOM>

Asks domain DOM (a name or a domid), or with -a every domain but domain 0, to shut down
gracefully, as xl shutdown does: writes "poweroff" to control/shutdown and waits (60 s at
most) for the guest to acknowledge.

options:
  -a, --all     shut down all guest domains
  -w, --wait    wait until the domain(s) have shut down or are gone
  -F            accepted for xl compatibility (Arm guests always have PV control)
  -h, --help    this text`;

/**
 * xl's `main_shutdown_or_reboot`: `shutdown` writes "poweroff", `reboot` writes "reboot" to
 * each domain's control/shutdown, with the same -a, -w and -F.
 */
export async function shutdownOrReboot(reboot: boolean, args: string[]): Promise<number> {
  const what = reboot ? "reboot" : "shutdown";
  const flags = parseCommandArgs(what, args, {
    boolean: ["all", "wait", "F"],
    alias: { a: "all", w: "wait" },
  });
  if (!flags.all && flags._.length !== 1) {
    throw new UsageError("You must specify -a or a domain id.");
  }
  const [{ withXenSession }, { findDomain }, shutdown] = await Promise.all([
    import("../domain/xen_session.ts"),
    import("../domain/find_domain.ts"),
    import("../domain/shutdown.ts"),
  ]);
  await withXenSession(async ({ xc, xs }) => {
    const domids = flags.all
      ? xc.listDomains().filter((d) => d.domid !== 0 && !d.neverStop).map((d) => d.domid)
      : [await findDomain(xs, String(flags._[0]))];
    // The death watch runs from the start, so a domain that shuts down (and is reaped) while
    // the next one is asked is still reported as shut down; lines wait for "Waiting for".
    const early: string[] = [];
    let waiting = false;
    const stop = new AbortController();
    const deaths = flags.wait
      ? shutdown.waitForDomainDeaths(
        xc,
        domids,
        (fate) => {
          const line = shutdown.fateMessage(fate);
          if (waiting) console.error(line);
          else early.push(line);
        },
        xs,
        { signal: stop.signal },
      )
      : undefined;
    try {
      for (const domid of domids) {
        console.error(`${reboot ? "Rebooting" : "Shutting down"} domain ${domid}`);
        await shutdown.requestShutdown(xc, xs, domid, { command: reboot ? "reboot" : "poweroff" });
      }
    } catch (error) {
      stop.abort();
      await deaths;
      throw error;
    }
    if (deaths) {
      console.error(`Waiting for ${domids.length} domains`);
      waiting = true;
      for (const line of early) console.error(line);
      await deaths;
    }
  });
  return 0;
}

/** The `shutdown` command. */
export const command: Command = {
  summary: "shut a domain down gracefully (xl shutdown)",
  usage: USAGE,
  run: (args) => shutdownOrReboot(false, args),
};
