/**
 * Reading devices back from xenstore, as libxl does (spec §2.7, §2.9): which directory a
 * guest's disks live under, one disk by vdev, one generic virtio device.
 *
 * @module
 */
import type { VirtioDevice } from "../config/mod.ts";
import { vdevToDevid } from "../disk/mod.ts";
import type { DiskSpec } from "../disk/mod.ts";
import type { XenstoreOps } from "../xenstore/mod.ts";
import { DISK_FRONTEND_KINDS } from "./device_kinds.ts";
import { diskFromEntries } from "./disk.ts";
import { DeviceError } from "./errors.ts";
import { libxlDomainPath } from "./paths.ts";
import { virtioFromEntries } from "./virtio.ts";

/**
 * Every key directly under `path` with its value (`{}` when `path` does not exist). Reads
 * are pipelined; a key removed meanwhile is left out.
 */
export async function readEntries(
  xs: XenstoreOps,
  path: string,
): Promise<Record<string, string>> {
  const names = await xs.tryDirectory(path);
  const values = await Promise.all(names.map((name) => xs.tryRead(`${path}/${name}`)));
  const entries: Record<string, string> = {};
  names.forEach((name, i) => {
    if (values[i] !== undefined) entries[name] = values[i]!;
  });
  return entries;
}

/**
 * `libxl__device_disk_get_path` (spec §2.7): `/libxl/<domid>/device/virtio_disk` if it
 * exists, else `.../vbd`; both at once is an error.
 */
export async function diskFamilyPath(xs: XenstoreOps, domid: number): Promise<string> {
  const base = `${libxlDomainPath(domid)}/device`;
  const xenPath = `${base}/${DISK_FRONTEND_KINDS.xen}`;
  const virtioPath = `${base}/${DISK_FRONTEND_KINDS.virtio}`;
  const [xen, virtio] = await Promise.all([xs.tryRead(xenPath), xs.tryRead(virtioPath)]);
  if (xen !== undefined && virtio !== undefined) {
    throw new DeviceError(
      "ERROR_INVAL",
      "Invalid configuration, both xen and virtio paths are present",
      { domid },
    );
  }
  return virtio !== undefined ? virtioPath : xenPath;
}

/** `libxl__disk_from_xenstore` over the device's libxl directory (spec §2.7). */
export async function readDisk(xs: XenstoreOps, libxlPath: string): Promise<DiskSpec> {
  return diskFromEntries(await readEntries(xs, libxlPath), libxlPath);
}

/**
 * `libxl_vdev_to_device_disk`: the disk `vdev` (a name or a number, spec §1.9) of `domid`.
 * Throws {@linkcode DeviceError}: `ERROR_INVAL` for a bad vdev or both disk families,
 * `ERROR_FAIL` when there is no such disk.
 */
export async function vdevToDeviceDisk(
  xs: XenstoreOps,
  domid: number,
  vdev: string,
): Promise<DiskSpec> {
  let devid: number;
  try {
    devid = vdevToDevid(vdev);
  } catch (error) {
    // libxl_vdev_to_device_disk returns ERROR_INVAL here without logging.
    throw new DeviceError("ERROR_INVAL", (error as Error).message, { domid, logged: false });
  }
  const family = await diskFamilyPath(xs, domid);
  return await readDisk(xs, `${family}/${devid}`);
}

/**
 * `libxl__virtio_from_xenstore` (spec §2.9): a generic virtio device, read from the
 * backend directory its libxl directory points at.
 */
export async function readVirtio(
  xs: XenstoreOps,
  libxlPath: string,
  devid: number,
): Promise<VirtioDevice> {
  const backendPath = await xs.tryRead(`${libxlPath}/backend`);
  const entries = backendPath === undefined ? {} : await readEntries(xs, backendPath);
  return virtioFromEntries(backendPath, entries, devid, libxlPath);
}
