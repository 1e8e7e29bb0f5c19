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

const USAGE = `usage: xlite create [-p] [-c] [-q] [-v] CFG [KEY=VALUE...]
       xlite create --dry-run CFG [KEY=VALUE...] [options]

Creates a guest from an xl.cfg file on this Xen host and unpauses it. With --dry-run,
prints the plan instead: the domain config (as 'xl -N create' prints it), the virtio-mmio
allocation, the memory layout, the finalised device tree as DTS, and the xenstore writes.
KEY=VALUE lines override CFG, as xl's.

options:
  -p                   leave the guest paused
  -c                   attach to the guest's console afterwards (xlite console)
  -q                   quiet: no "Parsing config" line
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
      boolean: ["dry-run", "json", "p", "c", "q", "v"],
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
  const session = await openXenSession();
  let created;
  try {
    const builder = openDomainBuilder();
    try {
      created = await createDomain({ xc: session.xc, xs: session.xs, builder }, cfg, {
        overrides,
        paused: Boolean(args.p),
        log: args.v ? say : undefined,
      });
    } finally {
      builder.close();
    }
  } finally {
    session.close();
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
  if (args.c) {
    // xl create -c: attach to the new guest's primary console
    const { command: consoleCommand } = await import("./console.ts");
    return await consoleCommand.run([String(created.domid)]);
  }
  return 0;
}

async function exists(path: string): Promise<boolean> {
  try {
    await Deno.stat(path);
    return true;
  } catch {
    return false;
  }
}
