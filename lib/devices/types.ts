/**
 * The shapes the device layer works with: the identity of a device, its directories and
 * its keys (spec §2.4–§2.5).
 *
 * @module
 */
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
