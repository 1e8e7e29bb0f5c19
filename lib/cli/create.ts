/**
 * `xlite create`: only `--dry-run` for now — prints what libxl would decide for a guest
 * (config, virtio-mmio allocation, memory layout, device tree, xenstore writes).
 *
 * @module
 */
import { type Command, parseCommandArgs, printOut } from "./command.ts";
import { UsageError, XliteError } from "../errors.ts";
import {
  GUEST_BUILD_COLLECT_FLAGS,
  GUEST_BUILD_STRING_FLAGS,
  GUEST_BUILD_USAGE,
  guestBuildOptions,
} from "./guest_build_options.ts";
import { writeAtomically } from "./dtb.ts";

const USAGE = `usage: xlite create --dry-run CFG [KEY=VALUE...] [options]

Creates a guest from an xl.cfg file. With --dry-run, prints the plan instead: the domain
config (as 'xl -N create' prints it), the virtio-mmio allocation, the memory layout, the
finalised device tree as DTS, and the xenstore writes. KEY=VALUE lines override CFG, as xl's.

options:
  -n, --dry-run        plan only (required: real creation is not implemented yet)
  --json               print the plan as JSON
  --dtb FILE           also write the finalised DTB to FILE
${GUEST_BUILD_USAGE}`;

/** The `create` subcommand. */
export const command: Command = {
  summary: "create a guest (--dry-run: print the plan: config, layout, device tree)",
  usage: USAGE,
  async run(argv: string[]): Promise<number> {
    const args = parseCommandArgs("create", argv, {
      boolean: ["dry-run", "json"],
      string: ["dtb", ...GUEST_BUILD_STRING_FLAGS],
      collect: GUEST_BUILD_COLLECT_FLAGS,
      alias: { n: "dry-run" },
    });
    const [cfg, ...overrides] = args._;
    if (!args["dry-run"]) {
      if (await exists("/dev/xen/privcmd")) {
        throw new XliteError("create: real domain creation is not implemented yet; use --dry-run");
      }
      throw new XliteError("create: no Xen hypervisor here; use --dry-run");
    }
    if (cfg === undefined) throw new UsageError("create: missing CFG");
    const options = guestBuildOptions(args);
    const { planGuest } = await import("../domain/plan_guest.ts");
    const { formatPlan, planToJson } = await import("../domain/dry_run.ts");
    const { toDts } = await import("../fdt/mod.ts");
    const plan = await planGuest(cfg, overrides, options);
    const dts = toDts(plan.dtb);
    if (args.dtb !== undefined) await writeAtomically(args.dtb as string, plan.dtb);
    printOut(args.json ? JSON.stringify(planToJson(plan, dts), null, 2) : formatPlan(plan, dts));
    return 0;
  },
};

async function exists(path: string): Promise<boolean> {
  try {
    await Deno.stat(path);
    return true;
  } catch {
    return false;
  }
}
