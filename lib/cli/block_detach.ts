/**
 * `xlite block-detach [-f] DOM VDEV`: hot-unplugs a disk, as `xl block-detach` does
 * (spec §5): backend `online=0`/`state=5`, then the wait for `state=6`; `-f` destroys
 * (cleans xenstore even when the backend never answers).
 *
 * @module
 */
import { type Command, parseCommandArgs, timeoutOption } from "./command.ts";
import { UsageError } from "../errors.ts";

const USAGE = `usage: xlite block-detach [options] DOM VDEV

Detaches the disk VDEV (a name such as xvda, or its device number) from the domain DOM
(a name or a domid), as xl block-detach does.

options:
  -f, --force         destroy: clean xenstore even if the backend does not close
  --timeout SECONDS   how long the backend gets to reach state 6 (default 10, as libxl)
  -h, --help          this text`;

async function run(args: string[]): Promise<number> {
  const flags = parseCommandArgs("block-detach", args, {
    boolean: ["force"],
    string: ["timeout"],
    alias: { f: "force" },
  });
  if (flags._.length !== 2) throw new UsageError("block-detach: expected DOM and VDEV");
  const [qualifier, vdev] = flags._;
  const timeoutMs = timeoutOption("block-detach", flags.timeout);
  const [domainDisks, xenstore] = await Promise.all([
    import("../domain/disks.ts"), // a single module: start-up stays small
    import("../xenstore/mod.ts"),
  ]);
  const xs = await xenstore.openXenstore();
  try {
    await domainDisks.detachDisk(xs, qualifier, vdev, { force: flags.force === true, timeoutMs });
    return 0;
  } finally {
    xs.close();
  }
}

/** The `block-detach` command. */
export const command: Command = {
  summary: "detach a disk from a domain (xl block-detach)",
  usage: USAGE,
  run,
};
