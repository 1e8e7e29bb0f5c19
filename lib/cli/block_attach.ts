/**
 * `xlite block-attach DOM SPEC...`: hot-plugs a disk into a running guest, as
 * `xl block-attach` does (spec §5): the SPEC words are one disk (spec §1.8), written to
 * xenstore in one transaction, then the backend must reach state 2 within the timeout.
 *
 * @module
 */
import { attachToDomain, type Command, parseCommandArgs, timeoutOption } from "./command.ts";
import { UsageError } from "../errors.ts";

const USAGE = `usage: xlite block-attach [options] DOM SPEC...

Attaches the disk described by the SPEC words (xl disk syntax; all words form one disk)
to the running domain DOM (a name or a domid), as xl block-attach does.

options:
  -N, --dry-run       print the parsed disk as libxl JSON ("disk: {...}") and stop
  --xen-version V     the Xen release whose xenstore layout to write (default: the host's)
  --timeout SECONDS   how long the backend gets to reach state 2 (default 10, as libxl)
  -h, --help          this text`;

async function run(args: string[]): Promise<number> {
  const flags = parseCommandArgs("block-attach", args, {
    boolean: ["dry-run"],
    string: ["xen-version", "timeout"],
    alias: { N: "dry-run" },
  });
  if (flags._.length < 2) throw new UsageError("block-attach: expected DOM and a disk SPEC");
  const [qualifier, ...words] = flags._;
  const timeoutMs = timeoutOption("block-attach", flags.timeout);
  const [disks, domainDisks, versions] = await Promise.all([
    import("../disk/mod.ts"),
    import("../domain/disks.ts"), // single modules: start-up stays small
    import("../xen_version/mod.ts"),
  ]);
  const release = versions.xenVersionOption(flags["xen-version"]);
  const grammar = versions.atLeast(release, 4, 19) ? "4.19" : "4.17";
  return await attachToDomain(qualifier, flags["dry-run"] === true, {
    parse: () => disks.parseDiskSpec(words, { source: "command line", grammar }),
    dryRunLine: (disk) => `disk: ${disks.diskToLibxlJson(disk)}`,
    attach: (xs, domid, disk) => domainDisks.attachDisk(xs, domid, disk, { release, timeoutMs }),
  });
}

/** The `block-attach` command. */
export const command: Command = {
  summary: "attach a disk to a running domain (xl block-attach)",
  usage: USAGE,
  run,
};
