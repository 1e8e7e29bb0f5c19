/**
 * `xlite create`: builds and starts a guest on real Xen (`lib/domain/create.ts`), or with
 * `--dry-run` prints what libxl would decide for it (config, virtio-mmio allocation, memory
 * layout, device tree, xenstore writes).
 *
 * @module
 */
import { type Command, parseCommandArgs, printOut, writeAtomically } from "./command.ts";
import { UsageError, XliteError } from "../errors.ts";
import {
  GUEST_BUILD_COLLECT_FLAGS,
  GUEST_BUILD_STRING_FLAGS,
  GUEST_BUILD_USAGE,
  guestBuildOptions,
} from "./guest_build_options.ts";
import type { Args } from "../std/cli.ts";

const USAGE = `usage: xlite create [-p] [-c] [-q] [-v] [-e|-F] CFG [KEY=VALUE...]
       xlite create --dry-run CFG [KEY=VALUE...] [options]

Creates a guest from an xl.cfg file on this Xen host and unpauses it. With --dry-run,
prints the plan instead: the domain config (as 'xl -N create' prints it), the virtio-mmio
allocation, the memory layout, the finalised device tree as DTS, and the xenstore writes.
KEY=VALUE lines override CFG, as xl's. Afterwards, as xl's child does, a watcher acts on the
guest's on_poweroff, on_reboot, on_watchdog and on_crash (xlite watch: one for all guests).

options:
  -p                   leave the guest paused
  -c                   attach to the guest's console afterwards (xlite console)
  -q                   quiet: no "Parsing config" line
  -e                   do not watch the guest (nothing acts on its on_* settings)
  -F                   stay in the foreground watching the guest until it is gone
  -v                   print each build step on stderr
  --json               print the new domain (domid, name, uuid, timings) as JSON;
                       with --dry-run the plan
  -n, --dry-run        plan only
  --dtb FILE           also write the finalised DTB to FILE
${GUEST_BUILD_USAGE}`;

/** The `create` subcommand. */
export const command: Command = {
  summary: "create and start a guest (--dry-run: print the plan: config, layout, device tree)",
  usage: USAGE,
  async run(argv: string[]): Promise<number> {
    const args = parseCommandArgs("create", argv, {
      boolean: ["dry-run", "json", "p", "c", "q", "v", "e", "F"],
      string: ["dtb", ...GUEST_BUILD_STRING_FLAGS],
      collect: GUEST_BUILD_COLLECT_FLAGS,
      alias: { n: "dry-run" },
    });
    const [cfg, ...overrides] = args._;
    if (cfg === undefined) throw new UsageError("create: missing CFG");
    if (!args["dry-run"]) return await createReal(cfg, overrides, args);
    const options = guestBuildOptions(args);
    const { planGuest } = await import("../domain/plan_guest.ts");
    const { formatPlan, planToJson } = await import("../domain/plan_format.ts");
    const { toDts } = await import("../fdt/mod.ts");
    const plan = await planGuest(cfg, overrides, options);
    const dts = toDts(plan.dtb);
    if (args.dtb !== undefined) await writeAtomically(args.dtb as string, plan.dtb);
    printOut(args.json ? JSON.stringify(planToJson(plan, dts), null, 2) : formatPlan(plan, dts));
    return 0;
  },
};

function say(line: string): void {
  Deno.stderr.writeSync(new TextEncoder().encode(line + "\n"));
}

async function createReal(cfg: string, overrides: string[], args: Args): Promise<number> {
  if (!(await exists("/dev/xen/privcmd"))) {
    throw new XliteError("create: no Xen hypervisor here; use --dry-run");
  }
  const { openXenSession } = await import("../domain/xen_session.ts");
  const { openDomainBuilder } = await import("../xen/domain_builder.ts");
  const { createDomain } = await import("../domain/create.ts");
  if (!args.q) say(`Parsing config from ${cfg}`); // xl's first line
  // The text the watcher re-creates the guest from (xl keeps its parsed d_config); when the
  // file cannot be read, createDomain says so.
  const configText = await Deno.readTextFile(cfg).catch(() => undefined);
  const session = await openXenSession();
  let created;
  try {
    const builder = openDomainBuilder();
    try {
      created = await createDomain({ xc: session.xc, xs: session.xs, builder }, cfg, {
        overrides,
        paused: Boolean(args.p),
        log: args.v ? say : undefined,
        configText,
      });
    } finally {
      builder.close();
    }
    if (args.json) {
      printOut(JSON.stringify(
        {
          domid: created.domid,
          name: created.name,
          uuid: created.uuid,
          paused: Boolean(args.p),
          timingsMs: created.timings,
        },
        null,
        2,
      ));
    }
    if (!args.e && configText !== undefined) {
      const watch = await import("../domain/watch.ts");
      const guest = {
        domid: created.domid,
        uuid: created.uuid,
        name: created.name,
        source: cfg,
        configText,
        overrides,
        actions: created.actions,
        logFile: watch.guestLogFile(created.name),
      };
      if (args.F) {
        // xl create -F: the child's loop in this process, its lines on stderr.
        const { waitingLine } = await import("../domain/lifecycle.ts");
        say(waitingLine(guest.name, guest.domid, Deno.pid));
        await watch.watchGuest({
          xc: session.xc,
          xs: session.xs,
          pid: Deno.pid,
          log: (_guest, line) => say(line),
          recreate: (g, reload) => watch.recreateGuest(session.xc, session.xs, g, reload),
          say,
        }, guest);
      } else {
        await startWatching(guest);
      }
    }
  } finally {
    session.close();
  }
  if (args.c) {
    // xl create -c: attach to the new guest's primary console
    const { command: consoleCommand } = await import("./console.ts");
    return await consoleCommand.run([String(created.domid)]);
  }
  return 0;
}

/** Records the guest for the watcher (its log started afresh, as xl's) and starts it. */
async function startWatching(guest: import("../domain/watch.ts").WatchedGuest): Promise<void> {
  const { registerGuest } = await import("../domain/watch.ts");
  const { ensureWatcher } = await import("./watch.ts");
  await Deno.mkdir("/var/log/xen", { recursive: true }).catch(() => {});
  await Deno.rename(guest.logFile, `${guest.logFile}.1`).catch(() => {});
  try {
    await registerGuest(guest);
    await ensureWatcher();
  } catch (error) {
    // As xl when its child cannot start: the domain stays, the create reports the failure.
    throw new XliteError(
      `create: domain ${guest.domid} (${guest.name}) runs but is not watched: ${
        (error as Error).message
      }`,
    );
  }
}

async function exists(path: string): Promise<boolean> {
  try {
    await Deno.stat(path);
    return true;
  } catch {
    return false;
  }
}
