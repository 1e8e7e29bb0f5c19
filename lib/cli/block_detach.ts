/**
 * `xlite block-detach [-f] DOM VDEV`: hot-unplugs a disk, as `xl block-detach` does
 * (spec §5): backend `online=0`/`state=5`, then the wait for `state=6`; `-f` destroys
 * (cleans xenstore even when the backend never answers).
 *
 * @module
 */
import { timeoutOption } from "./block_attach.ts";
import { type Command, parseCommandArgs } from "./command.ts";
import { UsageError, XliteError } from "../errors.ts";

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
  const force = flags.force === true;
  const [devices, domains, xenstore] = await Promise.all([
    import("../devices/mod.ts"),
    import("../domain/resolve.ts"),
    import("../xenstore/mod.ts"),
  ]);
  const xs = await xenstore.openXenstore();
  try {
    let domid: number;
    try {
      domid = await domains.resolveDomain(xs, qualifier);
    } catch (error) {
      if (!(error instanceof domains.DomainQualifierError)) throw error;
      // xl's find_domain() adds libxl's return code here.
      throw new XliteError(`${error.message} (rc=${error.rc})`, { verbatim: true });
    }
    let disk;
    try {
      disk = await devices.vdevToDeviceDisk(xs, domid, vdev);
    } catch (error) {
      throw devices.xlFailure(error, `Error: Device ${vdev} not connected.`);
    }
    if (disk.specification === "virtio") {
      throw new XliteError("Hotunplug isn't supported for specification virtio", {
        verbatim: true,
      });
    }
    try {
      await devices.removeDevice(xs, devices.diskDeviceRef(disk, domid), {
        force: force ? "on" : "off",
        timeoutMs,
      });
    } catch (error) {
      throw devices.xlFailure(
        error,
        `libxl_device_disk_${force ? "destroy" : "safe_remove"} failed.`,
      );
    }
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
