/**
 * Listing a guest's devices and reporting their connection state, as libxl's
 * `libxl__device_list`, `libxl_device_disk_list`, `libxl_device_disk_getinfo` and
 * `libxl_device_nic_getinfo` do (spec §2.7, §5).
 *
 * @module
 */
import type { VifDevice, VirtioDevice } from "../config/mod.ts";
import { vdevToDevid } from "../disk/mod.ts";
import type { DiskSpec } from "../disk/mod.ts";
import type { XenstoreOps } from "../xenstore/mod.ts";
import { cAtoi, cStrtoul } from "./c_numbers.ts";
import { DISK_FRONTEND_KINDS } from "./device_kinds.ts";
import { DeviceError } from "./errors.ts";
import { backendPathDomid, domainPath, libxlDomainPath } from "./paths.ts";
import { nicFromEntries } from "./nic.ts";
import { diskFamilyPath, readDisk, readEntries, readVirtio } from "./read.ts";

/** What `xl block-list` shows for one disk (`libxl_diskinfo`). */
export interface DiskInfo {
  /** The vdev number. */
  devid: number;
  /** Backend domain. */
  backendId: number;
  /** Guest domain (xl prints it under "handle"). */
  frontendId: number;
  /** Frontend xenbus state, −1 when absent. */
  state: number;
  /** Frontend event channel, −1 when absent. */
  evtch: number;
  /** Frontend ring grant reference, −1 when absent. */
  rref: number;
  /** Backend path. */
  backend: string;
  /** Frontend path (from the libxl directory), if present. */
  frontend?: string;
}

/**
 * `libxl_device_disk_list`: every disk of `domid`, read back from the disk family directory
 * (spec §2.7). Like libxl, one unreadable disk fails the whole list.
 */
export async function listDisks(xs: XenstoreOps, domid: number): Promise<DiskSpec[]> {
  const family = await diskFamilyPath(xs, domid);
  const names = await xs.tryDirectory(family);
  return await Promise.all(names.map((name) => readDisk(xs, `${family}/${name}`)));
}

/** `libxl_device_disk_getinfo` (spec §2.7): the connection state of `disk` of `domid`. */
export async function diskInfo(
  xs: XenstoreOps,
  domid: number,
  disk: DiskSpec,
): Promise<DiskInfo> {
  let devid: number;
  try {
    devid = vdevToDevid(disk.vdev ?? "");
  } catch {
    devid = -1; // libxl carries on with −1; the backend read below then fails
  }
  const kind = disk.backend === "standalone" ? DISK_FRONTEND_KINDS.virtio : DISK_FRONTEND_KINDS.xen;
  const frontendPath = `${domainPath(domid)}/device/${kind}/${devid}`;
  const libxlPath = `${libxlDomainPath(domid)}/device/${kind}/${devid}`;
  const [backend, state, evtch, rref, frontend] = await Promise.all(
    [
      `${libxlPath}/backend`,
      `${frontendPath}/state`,
      `${frontendPath}/event-channel`,
      `${frontendPath}/ring-ref`,
      `${libxlPath}/frontend`,
    ].map((path) => xs.tryRead(path)),
  );
  if (backend === undefined) {
    throw new DeviceError("ERROR_FAIL", `${libxlPath}/backend: no such node`, { domid });
  }
  const backendId = backendPathDomid(backend);
  if (backendId === undefined) {
    throw new DeviceError("ERROR_FAIL", `internal error: backend path ${backend} unparseable!`);
  }
  // libxl stores strtoul() into ints and prints them with %d.
  const asInt = (value: string | undefined) => (value === undefined ? -1 : cStrtoul(value, 10) | 0);
  return {
    devid,
    backendId,
    frontendId: domid,
    state: asInt(state),
    evtch: asInt(evtch),
    rref: asInt(rref),
    backend,
    frontend,
  };
}

/** Generic virtio devices of `domid` (`libxl__device_list` over `/libxl/<domid>/device/virtio`). */
export async function listVirtios(xs: XenstoreOps, domid: number): Promise<VirtioDevice[]> {
  const base = `${libxlDomainPath(domid)}/device/virtio`;
  const names = await xs.tryDirectory(base);
  return await Promise.all(names.map((name) => readVirtio(xs, `${base}/${name}`, cAtoi(name))));
}

/**
 * `libxl_device_nic_list` (`libxl__device_list` over `/libxl/<domid>/device/vif`): every nic
 * of `domid` read back from its libxl directory. Like libxl, one unreadable nic fails the list.
 */
export async function listNics(xs: XenstoreOps, domid: number): Promise<VifDevice[]> {
  const base = `${libxlDomainPath(domid)}/device/vif`;
  const names = await xs.tryDirectory(base);
  return await Promise.all(
    names.map(async (name) =>
      nicFromEntries(await readEntries(xs, `${base}/${name}`), `${base}/${name}`)
    ),
  );
}

/** What `xl network-list` shows for one nic (`libxl_nicinfo`). */
export interface NicInfo {
  /** The nic's devid (its handle). */
  devid: number;
  /** Backend domain. */
  backendId: number;
  /** Guest domain. */
  frontendId: number;
  /** Frontend xenbus state, −1 when absent. */
  state: number;
  /** Frontend event channel, −1 when absent. */
  evtch: number;
  /** Frontend transmit ring grant reference, −1 when absent. */
  rrefTx: number;
  /** Frontend receive ring grant reference, −1 when absent. */
  rrefRx: number;
  /** Backend path (from the libxl directory). */
  backend: string;
  /** Frontend path. */
  frontend: string;
}

/**
 * `libxl_device_nic_getinfo`: the connection state of `nic` of `domid`; throws
 * {@linkcode DeviceError} (not logged, as libxl logs nothing) when its libxl directory has no
 * backend path.
 */
export async function nicInfo(xs: XenstoreOps, domid: number, nic: VifDevice): Promise<NicInfo> {
  const frontend = `${domainPath(domid)}/device/vif/${nic.devid}`;
  const libxlPath = `${libxlDomainPath(domid)}/device/vif/${nic.devid}`;
  const [backend, state, evtch, rrefTx, rrefRx] = await Promise.all(
    [
      `${libxlPath}/backend`,
      `${frontend}/state`,
      `${frontend}/event-channel`,
      `${frontend}/tx-ring-ref`,
      `${frontend}/rx-ring-ref`,
    ].map((path) => xs.tryRead(path)),
  );
  if (backend === undefined) {
    throw new DeviceError("ERROR_FAIL", `${libxlPath}/backend: no such node`, {
      domid,
      logged: false,
    });
  }
  const backendId = backendPathDomid(backend);
  if (backendId === undefined) {
    throw new DeviceError("ERROR_FAIL", `internal error: backend path ${backend} unparseable!`);
  }
  const asInt = (value: string | undefined) => (value === undefined ? -1 : cStrtoul(value, 10) | 0);
  return {
    devid: nic.devid,
    backendId,
    frontendId: domid,
    state: asInt(state),
    evtch: asInt(evtch),
    rrefTx: asInt(rrefTx),
    rrefRx: asInt(rrefRx),
    backend,
    frontend,
  };
}
