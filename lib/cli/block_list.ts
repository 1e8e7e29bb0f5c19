/**
 * `xlite block-list DOM...`: the disks of each domain with their connection state, in
 * `xl block-list`'s columns (spec §5); `--json` prints libxl_diskinfo objects instead.
 *
 * @module
 */
import type { Command } from "./command.ts";
import { runDeviceList } from "./device_list.ts";
import type { DiskRow } from "../domain/disks.ts";

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
  const domainDisks = await import("../domain/disks.ts"); // single modules: start-up stays small
  return await runDeviceList<DiskRow>("block-list", args, {
    header: BLOCK_LIST_HEADER,
    rows: domainDisks.listDisks,
    line: ({ info }) =>
      blockListLine([
        info.devid,
        info.backendId,
        info.frontendId,
        info.state,
        info.evtch,
        info.rref,
        info.backend,
      ]),
    json: ({ device: disk, info }) => ({
      backend: info.backend,
      backend_id: info.backendId,
      frontend: info.frontend ?? null,
      frontend_id: info.frontendId,
      devid: info.devid,
      state: info.state,
      evtch: info.evtch,
      rref: info.rref,
      vdev: disk.vdev ?? null,
    }),
  });
}

/** The `block-list` command. */
export const command: Command = {
  summary: "list the disks of domains (xl block-list)",
  usage: USAGE,
  run,
};
