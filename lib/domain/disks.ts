/**
 * Disks of a running domain, as libxl handles them for `xl block-attach`, `block-detach` and
 * `block-list` (spec §5): domain lookup, backend resolution, hotplug defaults, the plan and
 * its transaction (`lib/devices`), and xl's error lines. The CLI only parses and prints.
 *
 * @module
 */
import {
  addDevice,
  asDeviceError,
  DeviceError,
  diskDeviceRef,
  type DiskInfo,
  diskInfo,
  listDisks as listDomainDisks,
  planDiskAdd,
  removeDevice,
  vdevToDeviceDisk,
  xlFailure,
} from "../devices/mod.ts";
import { type DiskSpec, setDiskDefaults } from "../disk/mod.ts";
import { XliteError } from "../errors.ts";
import type { XenstoreClient } from "../xenstore/mod.ts";
import { DEFAULT_XEN_VERSION, type XenVersion } from "../xen_version/mod.ts";
import { type DeviceRow, deviceRows } from "./device_rows.ts";
import { domainExists, DomainQualifierError, resolveDomain } from "./resolve.ts";

/** Options of {@linkcode attachDisk}. */
export interface AttachDiskOptions {
  /** The Xen release whose xenstore layout to write (default 4.17). */
  release?: XenVersion;
  /** How long the backend gets to reach state 2 (default libxl's 10 s). */
  timeoutMs?: number;
}

/**
 * `libxl_device_disk_add` for the running domain `domid`: backend resolved, hotplug
 * defaults set, written in one transaction, then the wait for the backend. Failures are
 * the lines xl prints (`libxl_device_disk_add failed.`).
 *
 * @example
 * ```ts
 * await attachDisk(xs, 3, parseDiskSpec(["/img,raw,xvdb,rw"]));
 * ```
 */
export async function attachDisk(
  xs: XenstoreClient,
  domid: number,
  disk: DiskSpec,
  options: AttachDiskOptions = {},
): Promise<void> {
  try {
    if (!(await domainExists(xs, domid))) {
      throw new DeviceError("ERROR_FAIL", `unable to get domain type for domid=${domid}`);
    }
    if (disk.backendDomname !== undefined) {
      try {
        disk.backendDomid = await resolveDomain(xs, disk.backendDomname);
      } catch (error) {
        if (!(error instanceof DomainQualifierError)) throw error;
        // libxl__resolve_domid fails silently; only the ao completion logs.
        throw new DeviceError("ERROR_INVAL", "unable to add device");
      }
    }
    let defaulted;
    try {
      defaulted = setDiskDefaults(disk, { hotplug: true });
    } catch (error) {
      throw asDeviceError(error, domid);
    }
    const plan = planDiskAdd(defaulted, domid, { release: options.release ?? DEFAULT_XEN_VERSION });
    await addDevice(xs, plan, { timeoutMs: options.timeoutMs });
  } catch (error) {
    throw xlFailure(error, "libxl_device_disk_add failed.");
  }
}

/** Options of {@linkcode detachDisk}. */
export interface DetachDiskOptions {
  /** Destroy (`-f`): clean xenstore even if the backend never closes. */
  force?: boolean;
  /** How long the backend gets to reach state 6 (default libxl's 10 s). */
  timeoutMs?: number;
}

/**
 * `xl block-detach DOM VDEV`: finds the domain and the disk, refuses virtio disks as libxl
 * does, then `libxl_device_disk_safe_remove` (or `_destroy` with `force`). Failures are
 * the lines xl prints.
 *
 * @example
 * ```ts
 * await detachDisk(xs, "guest1", "xvdb");
 * ```
 */
export async function detachDisk(
  xs: XenstoreClient,
  qualifier: string,
  vdev: string,
  options: DetachDiskOptions = {},
): Promise<void> {
  let domid: number;
  try {
    domid = await resolveDomain(xs, qualifier);
  } catch (error) {
    if (!(error instanceof DomainQualifierError)) throw error;
    // xl's find_domain() adds libxl's return code here.
    throw new XliteError(`${error.message} (rc=${error.rc})`, { verbatim: true });
  }
  let disk;
  try {
    disk = await vdevToDeviceDisk(xs, domid, vdev);
  } catch (error) {
    throw xlFailure(error, `Error: Device ${vdev} not connected.`);
  }
  if (disk.specification === "virtio") {
    throw new XliteError("Hotunplug isn't supported for specification virtio", {
      verbatim: true,
    });
  }
  const force = options.force === true;
  try {
    await removeDevice(xs, diskDeviceRef(disk, domid), {
      force: force ? "on" : "off",
      timeoutMs: options.timeoutMs,
    });
  } catch (error) {
    throw xlFailure(error, `libxl_device_disk_${force ? "destroy" : "safe_remove"} failed.`);
  }
}

/** One row of `xl block-list`: a disk and its connection state. */
export type DiskRow = DeviceRow<DiskSpec, DiskInfo>;

/**
 * The disks of the domain `domid` with their connection state, as `xl block-list` lists
 * them: a disk whose state cannot be read is left out silently, as xl does. Throws
 * `DeviceError` when the domain's disks cannot be listed (xl prints its log line).
 */
export async function listDisks(xs: XenstoreClient, domid: number): Promise<DiskRow[]> {
  return await deviceRows(await listDomainDisks(xs, domid), (disk) => diskInfo(xs, domid, disk));
}
