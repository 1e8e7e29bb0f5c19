/**
 * The pure plan of a device add: every xenstore operation libxl performs, in its order, and
 * the nodes (value + permissions) that result (spec §2.5, `libxl__device_generic_add`).
 * Nothing here talks to xenstore; `add.ts` executes a plan in one transaction.
 *
 * @module
 */
import type { DomainConfig, VifDevice, VirtioDevice } from "../config/mod.ts";
import type { DiskSpec } from "../disk/mod.ts";
import { vdevToDevid } from "../disk/mod.ts";
import {
  nodesAfter,
  sanitiseValue,
  type XenstoreOp,
  type XenstoreWrite,
  type XsPermission,
} from "../xenstore/mod.ts";
import { compareXenVersion, DEFAULT_XEN_VERSION, type XenVersion } from "../xen_version/mod.ts";
import { type DeviceKind, deviceKind, diskKindFor } from "./device_kinds.ts";
import { diskBackendEntries, diskFrontendEntries } from "./disk.ts";
import { DeviceError } from "./errors.ts";
import { nicBackendEntries, nicFrontendEntries, nicReadOnlyFrontendEntries } from "./nic.ts";
import { devicePaths } from "./paths.ts";
import type { DevicePaths, DeviceRef, KeyValue } from "./types.ts";
import { virtioBackendEntries, virtioFrontendEntries } from "./virtio.ts";

/** Everything needed to add one device, computed without touching xenstore. */
export interface DeviceAddPlan {
  /** The device's row in the device table. */
  kind: DeviceKind;
  /** Which device. */
  device: DeviceRef;
  /** Its frontend, backend and libxl directories. */
  paths: DevicePaths;
  /** Backend keys in libxl's order (also copied under the libxl directory). */
  backendEntries: KeyValue[];
  /** Frontend keys in libxl's order. */
  frontendEntries: KeyValue[];
  /** Frontend keys the backend owns and the guest may only read (a nic's `mtu`). */
  readOnlyFrontendEntries: KeyValue[];
  /** The operations of the add transaction, in libxl's order. */
  ops: XenstoreOp[];
}

/** Options shared by the planners. */
export interface PlanOptions {
  /** The Xen release whose layout to write (default 4.17, Debian bookworm's). */
  release?: XenVersion;
}

/**
 * The operations `libxl__device_generic_add` performs (spec §2.5): drop stale directories,
 * then libxl's copy of the paths, the frontend (owned by the guest, readable by the backend),
 * the backend (owned by the backend domain, readable by the guest) and the libxl copy of the
 * backend keys (inheriting `/libxl/<domid>`'s permissions). `readOnlyFrontendEntries` go in
 * the frontend directory with the backend's permissions (`ro_fents`).
 */
export function genericAddOps(
  device: DeviceRef,
  backendEntries: readonly KeyValue[],
  frontendEntries: readonly KeyValue[],
  readOnlyFrontendEntries: readonly KeyValue[] = [],
): XenstoreOp[] {
  const paths = devicePaths(device);
  const frontendPerms: XsPermission[] = [
    { domid: device.domid, access: "n" },
    { domid: device.backendDomid, access: "r" },
  ];
  const backendPerms: XsPermission[] = [
    { domid: device.backendDomid, access: "n" },
    { domid: device.domid, access: "r" },
  ];
  const ops: XenstoreOp[] = [
    { op: "rm", path: paths.libxl },
    { op: "write", path: `${paths.libxl}/frontend`, value: paths.frontend },
    { op: "write", path: `${paths.libxl}/backend`, value: paths.backend },
    { op: "rm", path: paths.frontend },
    { op: "mkdir", path: paths.frontend },
    { op: "setPerms", path: paths.frontend, perms: frontendPerms },
    { op: "write", path: `${paths.frontend}/backend`, value: paths.backend },
  ];
  // libxl__xs_writev_perms: each frontend key gets the frontend permissions explicitly.
  for (const [key, value] of frontendEntries) {
    const path = `${paths.frontend}/${key}`;
    ops.push({ op: "write", path, value }, { op: "setPerms", path, perms: frontendPerms });
  }
  for (const [key, value] of readOnlyFrontendEntries) {
    const path = `${paths.frontend}/${key}`;
    ops.push({ op: "write", path, value }, { op: "setPerms", path, perms: backendPerms });
  }
  ops.push(
    { op: "rm", path: paths.backend },
    { op: "mkdir", path: paths.backend },
    { op: "setPerms", path: paths.backend, perms: backendPerms },
    { op: "write", path: `${paths.backend}/frontend`, value: paths.frontend },
  );
  for (const [key, value] of backendEntries) {
    ops.push({ op: "write", path: `${paths.backend}/${key}`, value });
  }
  for (const [key, value] of backendEntries) {
    ops.push({ op: "write", path: `${paths.libxl}/${key}`, value });
  }
  return ops;
}

function checkRelease(kind: DeviceKind, release: XenVersion, domid: number): void {
  if (compareXenVersion(release, kind.since) < 0) {
    throw new DeviceError("ERROR_FAIL", kind.unsupportedBefore ?? `${kind.name} not supported`, {
      domid,
    });
  }
}

/** The plan of one device add: its paths and `genericAddOps` over its keys. */
function addPlan(
  kind: DeviceKind,
  device: DeviceRef,
  backendEntries: KeyValue[],
  frontendEntries: KeyValue[],
  readOnlyFrontendEntries: KeyValue[] = [],
): DeviceAddPlan {
  return {
    kind,
    device,
    paths: devicePaths(device),
    backendEntries,
    frontendEntries,
    readOnlyFrontendEntries,
    ops: genericAddOps(device, backendEntries, frontendEntries, readOnlyFrontendEntries),
  };
}

/**
 * `libxl__device_from_disk`: which device a disk is, from its vdev (spec §1.9) and its
 * chosen backend (spec §2.4). Throws {@linkcode DeviceError} `ERROR_INVAL` for a bad vdev or
 * a backend no kind serves.
 */
export function diskDeviceRef(disk: DiskSpec, domid: number): DeviceRef {
  let devid: number;
  try {
    devid = vdevToDevid(disk.vdev ?? "");
  } catch (error) {
    throw new DeviceError("ERROR_INVAL", (error as Error).message, { domid });
  }
  const kind = diskKindFor(disk.backend);
  if (!kind) {
    // libxl prints the enum's number (libxl_disk_backend, spec §2.1).
    const number = ["unknown", "phy", "tap", "qdisk", "standalone"].indexOf(disk.backend);
    throw new DeviceError("ERROR_INVAL", `Unrecognized disk backend type: ${number}`, { domid });
  }
  return {
    domid,
    devid,
    backendDomid: disk.backendDomid,
    kind: kind.kind,
    backendKind: kind.backendKind,
  };
}

/**
 * The plan for adding a disk whose defaults are already set (`setDiskDefaults`): its kind
 * comes from the chosen backend, its devid from the vdev (spec §1.9, §2.4).
 */
export function planDiskAdd(
  disk: DiskSpec,
  domid: number,
  options: PlanOptions = {},
): DeviceAddPlan {
  const release = options.release ?? DEFAULT_XEN_VERSION;
  const device = diskDeviceRef(disk, domid);
  const kind = diskKindFor(disk.backend)!;
  checkRelease(kind, release, domid);
  return addPlan(
    kind,
    device,
    diskBackendEntries(disk, kind, domid, release),
    diskFrontendEntries(disk, device.devid),
  );
}

/** The plan for adding a generic virtio device (backend domid resolved; spec §2.9). */
export function planVirtioAdd(
  virtio: VirtioDevice,
  domid: number,
  options: PlanOptions = {},
): DeviceAddPlan {
  const kind = deviceKind("virtio")!;
  checkRelease(kind, options.release ?? DEFAULT_XEN_VERSION, domid);
  const device: DeviceRef = {
    domid,
    devid: virtio.devid,
    backendDomid: virtio.backendDomid,
    kind: kind.kind,
    backendKind: kind.backendKind,
  };
  return addPlan(kind, device, virtioBackendEntries(virtio, domid), virtioFrontendEntries(virtio));
}

/** Which device a nic is (`libxl__device_from_nic`): kind `vif`, devid its handle. */
export function nicDeviceRef(nic: VifDevice, domid: number): DeviceRef {
  return {
    domid,
    devid: nic.devid,
    backendDomid: nic.backendDomid,
    kind: "vif",
    backendKind: "vif",
  };
}

/**
 * The plan for adding a nic whose defaults are set (`setNicDefaults`) and whose devid is
 * known (spec §2.5; `libxl__device_add_async` with `libxl__set_xenstore_nic`).
 */
export function planNicAdd(
  nic: VifDevice,
  domid: number,
  options: PlanOptions = {},
): DeviceAddPlan {
  const kind = deviceKind("vif")!;
  checkRelease(kind, options.release ?? DEFAULT_XEN_VERSION, domid);
  return addPlan(
    kind,
    nicDeviceRef(nic, domid),
    nicBackendEntries(nic, domid),
    nicFrontendEntries(nic),
    nicReadOnlyFrontendEntries(nic),
  );
}

/** Options for {@linkcode planDomainDeviceWrites}. */
export interface DomainPlanOptions extends PlanOptions {
  /**
   * The guest's domid. In a dry run there is no domain yet: the default placeholder is 1,
   * the domid Xen gives the first guest after boot.
   */
  domid?: number;
}

/**
 * Every device add `xl create` performs for a prepared config (backends resolved, disk and
 * nic defaults set: `lib/domain`'s `prepareGuest`), its disks, then its nics, then its
 * generic virtio devices (spec §2.8 steps 5–6; libxl_create.c's device table order), as plans. Generic virtio devices are skipped before Xen
 * 4.18, whose xl ignores `virtio=`.
 */
export function planDomainDevices(
  config: DomainConfig,
  options: DomainPlanOptions = {},
): DeviceAddPlan[] {
  const domid = options.domid ?? 1;
  const release = options.release ?? DEFAULT_XEN_VERSION;
  const plans = config.disks.map((disk) => planDiskAdd(disk, domid, { release }));
  for (const nic of config.vifs) plans.push(planNicAdd(nic, domid, { release }));
  if (compareXenVersion(release, deviceKind("virtio")!.since) >= 0) {
    for (const virtio of config.virtios) plans.push(planVirtioAdd(virtio, domid, { release }));
  }
  return plans;
}

/**
 * The exact xenstore nodes `xl create` writes for `config`'s disks, nics and generic virtio devices,
 * in order, with their permissions (see {@linkcode planDomainDevices} for the options; the
 * guest domid defaults to the placeholder 1).
 *
 * @example
 * ```ts
 * for (const w of planDomainDeviceWrites(config)) console.log(w.path, w.value);
 * ```
 */
export function planDomainDeviceWrites(
  config: DomainConfig,
  options: DomainPlanOptions = {},
): XenstoreWrite[] {
  return planDomainDevices(config, options).flatMap((plan) => nodesAfter(plan.ops));
}

/**
 * Formats nodes as `xenstore-ls -fp` prints them when piped: `/path = "value"   (n0,r5)`,
 * values quoted the way Xen's tools quote them (`sanitise_value`).
 */
export function formatWrites(writes: readonly XenstoreWrite[]): string {
  const encoder = new TextEncoder();
  return writes.map((w) =>
    `${w.path} = "${sanitiseValue(encoder.encode(w.value))}"   (${
      w.perms.map((p) => `${p.access}${p.domid}`).join(",")
    })`
  ).join("\n");
}
