/**
 * `xlite vdev`: virtual disk names to device numbers and back (spec §1.9).
 *
 * @module
 */
import { type Command, parseCommandArgs, printOut } from "./command.ts";
import { UsageError } from "../errors.ts";
import { devidToVdev, vdevToDevid } from "../disk/vdev.ts";

const USAGE = `usage: xlite vdev [--json] NAME|NUMBER...

Maps virtual disk names to libxl device numbers (xvda -> 51712, hdc -> 5632, d1p2 -> 51730)
and decimal device numbers back to names (51713 -> xvda1; libxl always gives xvd names).
One line per argument: the argument, a tab, its mapping.

  --json   print [{"input":…,"vdev":…,"devid":…}, …]`;

/** One mapping: a name and its number. */
export interface VdevMapping {
  /** The argument as given. */
  input: string;
  /** The name (the argument, or libxl's `xvd` name of the number). */
  vdev: string;
  /** The device number. */
  devid: number;
}

/** Maps one argument: all decimal digits → a number to name, anything else → a name to number. */
export function mapVdevArgument(arg: string): VdevMapping {
  if (/^[0-9]+$/.test(arg)) {
    const devid = Number(arg);
    return { input: arg, vdev: devidToVdev(devid), devid };
  }
  return { input: arg, vdev: arg, devid: vdevToDevid(arg) };
}

/** `xlite vdev`. */
export const command: Command = {
  summary: "map virtual disk names to device numbers and back",
  usage: USAGE,
  run(args: string[]): Promise<number> {
    const flags = parseCommandArgs("vdev", args, { boolean: ["json"] });
    const names = flags._.map(String);
    if (names.length === 0) throw new UsageError("vdev: no NAME or NUMBER given");
    const mappings = names.map(mapVdevArgument);
    printOut(
      flags.json
        ? JSON.stringify(mappings)
        : mappings.map((m) =>
          /^[0-9]+$/.test(m.input) ? `${m.input}\t${m.vdev}` : `${m.input}\t${m.devid}`
        ).join("\n"),
    );
    return Promise.resolve(0);
  },
};
