/**
 * `xlite dtb CFG -o FILE`: writes the finalised guest DTB libxl would hand the guest.
 * `xlite dtb --dump FILE`: prints a DTB as `dtc -I dtb -O dts` does.
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

const USAGE = `usage: xlite dtb CFG [KEY=VALUE...] -o FILE [options]
       xlite dtb --dump FILE

Writes the guest device tree for CFG (built, laid out and finalised as libxl does), or
prints an existing DTB as device-tree source, exactly as 'dtc -I dtb -O dts' does.

options:
  -o, --output FILE    where to write the DTB (required unless --dump)
  --dump FILE          print FILE as DTS
${GUEST_BUILD_USAGE}`;

/** The `dtb` subcommand. */
export const command: Command = {
  summary: "write a guest's finalised device tree, or print a DTB as DTS",
  usage: USAGE,
  async run(argv: string[]): Promise<number> {
    const args = parseCommandArgs("dtb", argv, {
      string: ["output", "dump", ...GUEST_BUILD_STRING_FLAGS],
      collect: GUEST_BUILD_COLLECT_FLAGS,
      alias: { o: "output" },
    });
    const { toDts } = await import("../fdt/mod.ts");
    if (args.dump !== undefined) {
      if (args._.length > 0 || args.output !== undefined) {
        throw new UsageError("dtb: --dump FILE takes no other arguments");
      }
      const file = args.dump as string;
      let blob: Uint8Array;
      try {
        blob = await Deno.readFile(file);
      } catch (error) {
        throw new XliteError(`${file}: cannot read: ${(error as Error).message}`);
      }
      try {
        printOut(toDts(blob));
      } catch (error) {
        throw new XliteError(`${file}: not a device tree blob: ${(error as Error).message}`);
      }
      return 0;
    }
    const [cfg, ...overrides] = args._;
    if (cfg === undefined) throw new UsageError("dtb: missing CFG (or --dump FILE)");
    if (args.output === undefined) throw new UsageError("dtb: missing -o FILE");
    const options = guestBuildOptions(args);
    const { planGuest } = await import("../domain/plan_guest.ts");
    const plan = await planGuest(cfg, overrides, options);
    await writeAtomically(args.output as string, plan.dtb);
    return 0;
  },
};
