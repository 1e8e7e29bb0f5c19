/**
 * `xlite network-list DOM...`: the network interfaces of each domain with their connection
 * state, in `xl network-list`'s columns (spec §5); `--json` prints libxl_nicinfo objects.
 *
 * @module
 */
import type { Command } from "./command.ts";
import { runDeviceList } from "./device_list.ts";
import type { NicRow } from "../domain/network.ts";

const USAGE = `usage: xlite network-list [options] DOM...

Lists the network interfaces of each domain DOM (a name or a domid) as xl network-list
does: Idx, BE (backend domid), Mac Addr., handle, state, evt-ch, tx-/rx-ring-ref, BE-path.

options:
  --json        print a JSON array of libxl_nicinfo objects (plus "mac")
  -h, --help    this text`;

/** xl network-list's header: `%-3s %-2s %-17s %-6s %-5s %-6s %5s/%-5s %-30s`. */
export const NETWORK_LIST_HEADER: string = [
  "Idx".padEnd(3),
  "BE".padEnd(2),
  "Mac Addr.".padEnd(17),
  "handle".padEnd(6),
  "state".padEnd(5),
  "evt-ch".padEnd(6),
  `${"tx-".padStart(5)}/${"rx-ring-ref".padEnd(5)}`,
  "BE-path".padEnd(30),
].join(" ");

/** One row: `%-3d %-2d ` + the MAC + `%6d %5d %6d %5d/%-11d %-30s` (no space after the MAC). */
export function networkListLine(
  row: {
    devid: number;
    backendId: number;
    mac: string;
    state: number;
    evtch: number;
    rrefTx: number;
    rrefRx: number;
    backend: string;
  },
): string {
  const r = (v: number, w: number) => String(v).padStart(w);
  const l = (v: string | number, w: number) => String(v).padEnd(w);
  return `${l(row.devid, 3)} ${l(row.backendId, 2)} ${row.mac}${r(row.devid, 6)} ${
    r(row.state, 5)
  } ${r(row.evtch, 6)} ${r(row.rrefTx, 5)}/${l(row.rrefRx, 11)} ${l(row.backend, 30)}`;
}

async function run(args: string[]): Promise<number> {
  const [devices, network] = await Promise.all([
    import("../devices/mod.ts"),
    import("../domain/network.ts"), // single modules: start-up stays small
  ]);
  return await runDeviceList<NicRow>("network-list", args, {
    header: NETWORK_LIST_HEADER,
    rows: network.listNics,
    line: ({ device: nic, info }) => networkListLine({ ...info, mac: devices.formatMac(nic.mac) }),
    json: ({ device: nic, info }) => ({
      backend: info.backend,
      backend_id: info.backendId,
      frontend: info.frontend,
      frontend_id: info.frontendId,
      devid: info.devid,
      state: info.state,
      evtch: info.evtch,
      rref_tx: info.rrefTx,
      rref_rx: info.rrefRx,
      mac: devices.formatMac(nic.mac),
    }),
  });
}

/** The `network-list` command. */
export const command: Command = {
  summary: "list the network interfaces of domains (xl network-list)",
  usage: USAGE,
  run,
};
