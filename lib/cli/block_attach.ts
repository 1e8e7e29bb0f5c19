/**
 * `xlite block-attach DOM SPEC...`: hot-plugs a disk into a running guest, as
 * `xl block-attach` does (spec §5): the SPEC words are one disk (spec §1.8), written to
 * xenstore in one transaction, then the backend must reach state 2 within the timeout.
 *
 * @module
 */
import { type Command, parseCommandArgs, printOut, timeoutOption } from "./command.ts";
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
  const [disks, domainDisks, domains, xenstore, versions] = await Promise.all([
    import("../disk/mod.ts"),
    import("../domain/disks.ts"), // single modules: start-up stays small
    import("../domain/resolve.ts"),
    import("../xenstore/mod.ts"),
    import("../xen_version/mod.ts"),
  ]);
  const release = flags["xen-version"] === undefined
    ? versions.defaultXenVersion()
    : versions.parseXenVersion(String(flags["xen-version"]));
  // A domid needs no xenstore, so a dry run works anywhere; a name is looked up.
  let xs: Awaited<ReturnType<typeof xenstore.openXenstore>> | undefined;
  try {
    let domid = domains.numericDomid(qualifier);
    if (domid === undefined) {
      xs = await xenstore.openXenstore();
      domid = await domains.resolveDomain(xs, qualifier);
    }
    const grammar = versions.atLeast(release, 4, 19) ? "4.19" : "4.17";
    const disk = disks.parseDiskSpec(words, { source: "command line", grammar });
    if (flags["dry-run"]) {
      // libxl's JSON ends in a newline and xl's printf adds another.
      printOut(`disk: ${disks.diskToLibxlJson(disk)}\n`);
      return 0;
    }
    xs ??= await xenstore.openXenstore();
    await domainDisks.attachDisk(xs, domid, disk, { release, timeoutMs });
    return 0;
  } finally {
    xs?.close();
  }
}

/** The `block-attach` command. */
export const command: Command = {
  summary: "attach a disk to a running domain (xl block-attach)",
  usage: USAGE,
  run,
};
