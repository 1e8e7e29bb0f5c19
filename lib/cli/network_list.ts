/**
 * `xlite network-list DOM...`: the network interfaces of each domain with their connection
 * state, in `xl network-list`'s columns (spec §5); `--json` prints libxl_nicinfo objects.
 *
 * @module
 */
import { type Command, parseCommandArgs, printOut } from "./command.ts";
import { UsageError } from "../errors.ts";

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
  const flags = parseCommandArgs("network-list", args, { boolean: ["json"] });
  if (flags._.length < 1) throw new UsageError("network-list: expected at least one DOM");
  const [devices, network, domains, xenstore] = await Promise.all([
    import("../devices/mod.ts"),
    import("../domain/network.ts"), // single modules: start-up stays small
    import("../domain/resolve.ts"),
    import("../xenstore/mod.ts"),
  ]);
  const xs = await xenstore.openXenstore();
  if (!flags.json) printOut(NETWORK_LIST_HEADER);
  const json: Record<string, unknown>[] = [];
  try {
    for (const qualifier of flags._) {
      let rows;
      try {
        rows = await network.listNics(xs, await domains.resolveDomain(xs, qualifier));
      } catch (error) {
        if (error instanceof domains.DomainQualifierError) {
          console.error(error.message); // xl reports it and goes on with the next domain
        } else if (error instanceof devices.DeviceError) {
          if (error.logged) console.error(error.logLine); // xl prints no row for this domain
        } else throw error;
        continue;
      }
      for (const { nic, info } of rows) {
        const mac = devices.formatMac(nic.mac);
        if (!flags.json) printOut(networkListLine({ ...info, mac }));
        json.push({
          backend: info.backend,
          backend_id: info.backendId,
          frontend: info.frontend,
          frontend_id: info.frontendId,
          devid: info.devid,
          state: info.state,
          evtch: info.evtch,
          rref_tx: info.rrefTx,
          rref_rx: info.rrefRx,
          mac,
        });
      }
    }
  } finally {
    xs.close();
  }
  if (flags.json) printOut(JSON.stringify(json, null, 2));
  return 0;
}

/** The `network-list` command. */
export const command: Command = {
  summary: "list the network interfaces of domains (xl network-list)",
  usage: USAGE,
  run,
};
