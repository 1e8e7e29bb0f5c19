/**
 * libxl's device kinds as data (spec §2.4–§2.9; STYLE.md §4). The generic add, remove, read
 * and list paths look everything that differs between kinds up here instead of branching.
 *
 * @module
 */
import type { DiskBackend } from "../disk/mod.ts";
import type { XenVersion } from "../xen_version/mod.ts";

/** How a disk's backend `params` key is written (spec §2.5). */
export type ParamsStyle =
  /** The target path as given (PHY, STANDALONE). */
  | "path"
  /** `<format>:<path>` with `aio` for raw/empty (QDISK, TAP). */
  | "format-prefixed";

/** One row of the device table. */
export interface DeviceKind {
  /** The row's name: the backend kind libxl writes under `backend/`. */
  name: string;
  /** Frontend and libxl kind (`device/<kind>/...`). */
  kind: string;
  /** Backend kind (`backend/<backendKind>/...`). */
  backendKind: string;
  /**
   * The family: disks share `device_disk_add`; generic virtio uses `libxl__device_add`;
   * nics `libxl__device_add_async` with `libxl__set_xenstore_nic`.
   */
  family: "disk" | "virtio" | "nic";
  /** The `libxl_disk_backend` this row serves (disks only). */
  diskBackend?: DiskBackend;
  /** The backend `type` key (disks only; `libxl__device_disk_string_of_backend`). */
  typeString?: string;
  /** How `params` is written (disks only). */
  params?: ParamsStyle;
  /** Script written when the disk names none, relative to `/etc/xen/scripts` (disks only). */
  defaultScript?: string;
  /** Writes `transport`, `base`, `irq` (and from 4.19 `grant_usage`) for virtio disks. */
  virtioKeys: boolean;
  /** Waits for backend `state` 2 after adding (spec §2.6; not QEMU backends, not virtio). */
  waitsForInitWait: boolean;
  /** Runs the backend's hotplug `script` when the toolstack domain serves it (spec §2.6). */
  runsHotplugScript: boolean;
  /**
   * The hotplug script's arguments after its path, per action (default: the action's name,
   * as for `block`; `libxl__hotplug_nic` passes `online`/`offline type_if=vif`).
   */
  hotplugArgs?: { add: readonly string[]; remove: readonly string[] };
  /** Checks `libxl__device_exists` inside the add transaction. */
  checksExists: boolean;
  /** May be added to or removed from a running domain (`xl block-attach`/`block-detach`). */
  hotplug: boolean;
  /** First Xen release that writes this row this way. */
  since: XenVersion;
  /** What libxl says when the release is older than `since`. */
  unsupportedBefore?: string;
}

/** The directory hotplug scripts live in (`libxl__xen_script_dir_path`). */
export const XEN_SCRIPT_DIR = "/etc/xen/scripts";

/** Every kind xlite writes, in `libxl__device_kind` order (spec §2.1). */
export const DEVICE_KINDS: readonly DeviceKind[] = [
  {
    name: "vbd",
    kind: "vbd",
    backendKind: "vbd",
    family: "disk",
    diskBackend: "phy",
    typeString: "phy",
    params: "path",
    defaultScript: "block",
    virtioKeys: false,
    waitsForInitWait: true,
    runsHotplugScript: true,
    checksExists: true,
    hotplug: true,
    since: { major: 4, minor: 17 },
  },
  {
    name: "qdisk",
    kind: "vbd",
    backendKind: "qdisk",
    family: "disk",
    diskBackend: "qdisk",
    typeString: "qdisk",
    params: "format-prefixed",
    virtioKeys: false,
    // QEMU_BACKEND(): QEMU jumps straight to 4, libxl does not wait for 2.
    waitsForInitWait: false,
    runsHotplugScript: false,
    checksExists: true,
    hotplug: true,
    since: { major: 4, minor: 17 },
  },
  {
    name: "virtio_disk",
    kind: "virtio_disk",
    backendKind: "virtio_disk",
    family: "disk",
    diskBackend: "standalone",
    typeString: "standalone",
    params: "path",
    virtioKeys: true,
    waitsForInitWait: true,
    runsHotplugScript: false,
    checksExists: true,
    hotplug: false,
    since: { major: 4, minor: 17 },
  },
  {
    name: "vif",
    kind: "vif",
    backendKind: "vif",
    family: "nic",
    virtioKeys: false,
    waitsForInitWait: true,
    runsHotplugScript: true,
    hotplugArgs: { add: ["online", "type_if=vif"], remove: ["offline", "type_if=vif"] },
    checksExists: true,
    hotplug: true,
    since: { major: 4, minor: 17 },
  },
  {
    name: "virtio",
    kind: "virtio",
    backendKind: "virtio",
    family: "virtio",
    virtioKeys: true,
    // Added with the synchronous libxl__device_add: no wait, no exists check (spec §2.6, §2.9).
    waitsForInitWait: false,
    runsHotplugScript: false,
    checksExists: false,
    hotplug: false,
    since: { major: 4, minor: 18 },
    unsupportedBefore: "generic virtio devices need Xen 4.18 or later",
  },
  {
    name: "vbd3",
    kind: "vbd",
    backendKind: "vbd3",
    family: "disk",
    diskBackend: "tap",
    typeString: "vbd3",
    params: "format-prefixed",
    defaultScript: "block-tap",
    virtioKeys: false,
    waitsForInitWait: true,
    runsHotplugScript: true,
    checksExists: true,
    hotplug: true,
    since: { major: 4, minor: 19 },
    unsupportedBefore: "blktap is not supported",
  },
];

/** The row serving a disk whose backend has been chosen (spec §2.4); `undefined` if none. */
export function diskKindFor(backend: DiskBackend): DeviceKind | undefined {
  return DEVICE_KINDS.find((row) => row.family === "disk" && row.diskBackend === backend);
}

/** The row named `name` (`vbd`, `qdisk`, `virtio_disk`, `vif`, `virtio`, `vbd3`). */
export function deviceKind(name: string): DeviceKind | undefined {
  return DEVICE_KINDS.find((row) => row.name === name);
}

/** The row for a backend kind found in a backend path. */
export function deviceKindByBackend(backendKind: string): DeviceKind | undefined {
  return DEVICE_KINDS.find((row) => row.backendKind === backendKind);
}

/** The frontend kinds a guest's disks can live under, in `get_path` order (spec §2.7). */
export const DISK_FRONTEND_KINDS = { xen: "vbd", virtio: "virtio_disk" } as const;
