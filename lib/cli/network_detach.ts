/**
 * `xlite network-detach DOM DEVID|MAC`: hot-unplugs a network interface, as
 * `xl network-detach` does (spec §5): the nic found by devid (or by MAC when the argument
 * has a `:`), backend `online=0`/`state=5`, the wait for `state=6` (forced after the
 * timeout, as `libxl_device_nic_remove`), then `vif-bridge offline type_if=vif`.
 *
 * @module
 */
import { type Command, parseCommandArgs, timeoutOption } from "./command.ts";
import { UsageError } from "../errors.ts";

const USAGE = `usage: xlite network-detach [options] DOM DEVID|MAC

Detaches the network interface DEVID (its devid) or MAC (xx:xx:xx:xx:xx:xx) from the
domain DOM (a name or a domid), as xl network-detach does.

options:
  --timeout SECONDS   how long the backend gets to reach state 6 (default 10, as libxl)
  -h, --help          this text`;

async function run(args: string[]): Promise<number> {
  const flags = parseCommandArgs("network-detach", args, { string: ["timeout"] });
  if (flags._.length !== 2) throw new UsageError("network-detach: expected DOM and DEVID|MAC");
  const [qualifier, which] = flags._;
  const timeoutMs = timeoutOption("network-detach", flags.timeout);
  const [network, xenstore] = await Promise.all([
    import("../domain/network.ts"), // a single module: start-up stays small
    import("../xenstore/mod.ts"),
  ]);
  const xs = await xenstore.openXenstore();
  try {
    await network.detachNic(xs, qualifier, which, { timeoutMs });
    return 0;
  } finally {
    xs.close();
  }
}

/** The `network-detach` command. */
export const command: Command = {
  summary: "detach a network interface from a domain (xl network-detach)",
  usage: USAGE,
  run,
};
