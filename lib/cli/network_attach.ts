/**
 * `xlite network-attach DOM [KEY=VALUE...]`: hot-plugs a network interface into a running
 * guest, as `xl network-attach` does (spec §5): each word one `parse_nic_config` setting
 * (`mac=`, `bridge=`, `ip=`, `script=`, `backend=`, `vifname=`, `mtu=`, `rate=`, ...), libxl's
 * defaults, the next free devid, one transaction, then the wait for the backend and the
 * hotplug script (`vif-bridge online type_if=vif`).
 *
 * @module
 */
import { attachToDomain, type Command, parseCommandArgs, timeoutOption } from "./command.ts";
import { UsageError } from "../errors.ts";

const USAGE = `usage: xlite network-attach [options] DOM [KEY=VALUE...]

Attaches a network interface to the running domain DOM (a name or a domid), as
xl network-attach does. Keys: mac, bridge, ip, script, type, backend, vifname, mtu, rate,
model, gatewaydev, devid, trusted/untrusted. Unset: a MAC 00:16:3e:xx:xx:xx, bridge xenbr0,
script vif-bridge, the next free devid.

options:
  -N, --dry-run       print the parsed nic as libxl JSON ("vif: {...}") and stop
  --xen-version V     the Xen release whose xenstore layout to write (default: the host's)
  --timeout SECONDS   how long the backend gets to reach state 2 (default 10, as libxl)
  -h, --help          this text`;

async function run(args: string[]): Promise<number> {
  const flags = parseCommandArgs("network-attach", args, {
    boolean: ["dry-run"],
    string: ["xen-version", "timeout"],
    alias: { N: "dry-run" },
  });
  if (flags._.length < 1) throw new UsageError("network-attach: expected DOM");
  const [qualifier, ...words] = flags._;
  const timeoutMs = timeoutOption("network-attach", flags.timeout);
  const [config, devices, network, versions] = await Promise.all([
    import("../config/vif_spec.ts"), // single modules: start-up stays small
    import("../devices/nic.ts"),
    import("../domain/network.ts"),
    import("../xen_version/mod.ts"),
  ]);
  const release = versions.xenVersionOption(flags["xen-version"]);
  return await attachToDomain(qualifier, flags["dry-run"] === true, {
    parse: () => config.parseVifWords(words, (line) => console.error(line)),
    dryRunLine: (nic) => `vif: ${devices.nicToLibxlJson(nic)}`,
    attach: (xs, domid, nic) => network.attachNic(xs, domid, nic, { release, timeoutMs }),
  });
}

/** The `network-attach` command. */
export const command: Command = {
  summary: "attach a network interface to a running domain (xl network-attach)",
  usage: USAGE,
  run,
};
