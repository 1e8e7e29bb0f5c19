/**
 * `xlite block-list DOM...`: the disks of each domain with their connection state, in
 * `xl block-list`'s columns (spec §5); `--json` prints libxl_diskinfo objects instead.
 *
 * @module
 */
import { type Command, parseCommandArgs, printOut } from "./command.ts";
import { UsageError } from "../errors.ts";

const USAGE = `usage: xlite block-list [options] DOM...

Lists the disks of each domain DOM (a name or a domid) as xl block-list does:
Vdev, BE (backend domid), handle (frontend domid), state, evt-ch, ring-ref, BE-path.

options:
  --json        print a JSON array of libxl_diskinfo objects (plus "vdev")
  -h, --help    this text`;

/** C `printf("%-<width>s")` / `%-<width>d`: left-aligned, never truncated. */
const col = (value: string | number, width: number) => String(value).padEnd(width);

/** One line in xl's `%-5s %-3s %-6s %-5s %-6s %-8s %-30s` layout. */
export function blockListLine(cells: (string | number)[]): string {
  const widths = [5, 3, 6, 5, 6, 8, 30];
  return cells.map((cell, i) => col(cell, widths[i])).join(" ");
}

/** xl block-list's header line. */
export const BLOCK_LIST_HEADER: string = blockListLine([
  "Vdev",
  "BE",
  "handle",
  "state",
  "evt-ch",
  "ring-ref",
  "BE-path",
]);

async function run(args: string[]): Promise<number> {
  const flags = parseCommandArgs("block-list", args, { boolean: ["json"] });
  if (flags._.length < 1) throw new UsageError("block-list: expected at least one DOM");
  const [devices, domainDisks, domains, xenstore] = await Promise.all([
    import("../devices/mod.ts"),
    import("../domain/disks.ts"), // single modules: start-up stays small
    import("../domain/resolve.ts"),
    import("../xenstore/mod.ts"),
  ]);
  const xs = await xenstore.openXenstore();
  // Like xl, the header and each domain's rows go out as soon as known (errors interleave on
  // stderr).
  if (!flags.json) printOut(BLOCK_LIST_HEADER);
  const json: Record<string, unknown>[] = [];
  try {
    for (const qualifier of flags._) {
      let rows;
      try {
        rows = await domainDisks.listDisks(xs, await domains.resolveDomain(xs, qualifier));
      } catch (error) {
        if (error instanceof domains.DomainQualifierError) {
          console.error(error.message); // xl reports it and goes on with the next domain
        } else if (error instanceof devices.DeviceError) {
          console.error(error.logLine); // libxl logs why; xl prints nothing for this domain
        } else throw error;
        continue;
      }
      for (const { disk, info } of rows) {
        const row = [info.devid, info.backendId, info.frontendId, info.state, info.evtch];
        if (!flags.json) printOut(blockListLine([...row, info.rref, info.backend]));
        json.push({
          backend: info.backend,
          backend_id: info.backendId,
          frontend: info.frontend ?? null,
          frontend_id: info.frontendId,
          devid: info.devid,
          state: info.state,
          evtch: info.evtch,
          rref: info.rref,
          vdev: disk.vdev ?? null,
        });
      }
    }
  } finally {
    xs.close();
  }
  if (flags.json) printOut(JSON.stringify(json, null, 2));
  return 0;
}

/** The `block-list` command. */
export const command: Command = {
  summary: "list the disks of domains (xl block-list)",
  usage: USAGE,
  run,
};
