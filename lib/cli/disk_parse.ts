/**
 * `xlite disk-parse`: parses disk specification words into one disk, as
 * `xl block-attach -N` does, and prints libxl's JSON or a readable listing.
 *
 * @module
 */
import { type Command, parseCommandArgs, printOut } from "./command.ts";
import { UsageError } from "../errors.ts";
import {
  type DiskGrammar,
  type DiskSpec,
  DiskSpecError,
  diskToLibxlJson,
  parseDiskSpec,
} from "../disk/mod.ts";

const USAGE = `usage: xlite disk-parse [--json] [--grammar 4.19|4.17] SPEC...

Parses the SPEC words into ONE disk, as 'xl block-attach' does with its disk words
(e.g. '/dev/vg/d1,raw,xvda,rw,specification=virtio').

  --json      print exactly the JSON libxl prints for the disk (libxl_device_disk_to_json)
  --grammar   follow Xen 4.19+ (default) or 4.17 (no trusted/untrusted/grant_usage)

A spec xl rejects: xl's own error text on stderr, exit 1.`;

/** The libxl field names and how to show each, in libxl's order. */
const FIELDS: [string, (d: DiskSpec) => unknown][] = [
  ["backend_domid", (d) => d.backendDomid],
  ["backend_domname", (d) => d.backendDomname],
  ["pdev_path", (d) => d.pdevPath],
  ["vdev", (d) => d.vdev],
  ["backend", (d) => d.backend],
  ["format", (d) => d.format],
  ["script", (d) => d.script],
  ["removable", (d) => d.removable],
  ["readwrite", (d) => d.readwrite],
  ["is_cdrom", (d) => d.isCdrom],
  ["direct_io_safe", (d) => d.directIoSafe],
  ["discard_enable", (d) => d.discardEnable],
  ["specification", (d) => d.specification],
  ["colo_enable", (d) => d.coloEnable],
  ["colo_host", (d) => d.coloHost],
  ["colo_port", (d) => d.coloPort],
  ["colo_export", (d) => d.coloExport],
  ["active_disk", (d) => d.activeDisk],
  ["hidden_disk", (d) => d.hiddenDisk],
  ["trusted", (d) => d.trusted],
  ["grant_usage", (d) => d.grantUsage],
];

/** The readable listing: one `key: value` line per field; unset fields show `(default)`. */
function formatDiskListing(disk: DiskSpec): string {
  return FIELDS.map(([key, get]) => {
    const v = get(disk);
    return `${key}: ${
      v === undefined ? "(default)" : typeof v === "string" ? JSON.stringify(v) : v
    }`;
  }).join("\n");
}

/** `xlite disk-parse`. */
export const command: Command = {
  summary: "parse an xl disk specification (libxl JSON with --json)",
  usage: USAGE,
  run(args: string[]): Promise<number> {
    const flags = parseCommandArgs("disk-parse", args, {
      boolean: ["json"],
      string: ["grammar"],
    });
    const grammar = (flags.grammar as string | undefined) ?? "4.19";
    if (grammar !== "4.19" && grammar !== "4.17") {
      throw new UsageError(`disk-parse: --grammar must be 4.19 or 4.17, not '${grammar}'`);
    }
    const specs = flags._.map(String);
    if (specs.length === 0) throw new UsageError("disk-parse: no disk specification given");
    let disk: DiskSpec;
    try {
      disk = parseDiskSpec(specs, { grammar: grammar as DiskGrammar });
    } catch (error) {
      if (!(error instanceof DiskSpecError)) throw error;
      // xl's exact bytes (a near text may cut a multi-byte character)
      const bytes = error.bytes;
      const line = new Uint8Array(bytes.length + 1);
      line.set(bytes);
      line[bytes.length] = 10;
      let written = 0;
      while (written < line.length) written += Deno.stderr.writeSync(line.subarray(written));
      return Promise.resolve(1);
    }
    printOut(flags.json ? diskToLibxlJson(disk) : formatDiskListing(disk));
    return Promise.resolve(0);
  },
};
