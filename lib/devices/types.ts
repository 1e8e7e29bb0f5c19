/**
 * The shapes the device layer works with: the operations libxl performs to add a device, and the identity of a device (spec §2.4–§2.5).
 *
 * @module
 */
import type { XsPermission } from "../xenstore/mod.ts";

/**
 * One xenstore operation, in the order libxl issues it inside the device transaction
 * (`libxl__device_generic_add`, spec §2.5).
 */
export type XenstoreOp =
  | { op: "rm"; path: string }
  | { op: "mkdir"; path: string }
  | { op: "setPerms"; path: string; perms: XsPermission[] }
  | { op: "write"; path: string; value: string };

/**
 * A node as it stands after the device transaction: its value and the permissions it ends up
 * with (set explicitly, or inherited from its parent as xenstored does for new nodes).
 */
export interface XenstoreWrite {
  /** Absolute path. */
  path: string;
  /** The value (`""` for a directory made with mkdir). */
  value: string;
  /** Effective permissions after the transaction. */
  perms: XsPermission[];
}

/** Which device, as libxl's `libxl__device` names it. */
export interface DeviceRef {
  /** The guest (frontend) domain. */
  domid: number;
  /** The device number (a disk's vdev number, a generic virtio device's index). */
  devid: number;
  /** The domain serving the device. */
  backendDomid: number;
  /** Frontend and libxl kind: `vbd`, `virtio_disk`, `virtio`. */
  kind: string;
  /** Backend kind: `vbd`, `vbd3`, `qdisk`, `virtio_disk`, `virtio`. */
  backendKind: string;
}

/** The three directories a device lives in. */
export interface DevicePaths {
  /** `/local/domain/<domid>/device/<kind>/<devid>` */
  frontend: string;
  /** `/local/domain/<backend>/backend/<backend kind>/<domid>/<devid>` */
  backend: string;
  /** `/libxl/<domid>/device/<kind>/<devid>` */
  libxl: string;
}

/** A key and its value, in the order libxl appends them to its flexarray. */
export type KeyValue = readonly [key: string, value: string];
