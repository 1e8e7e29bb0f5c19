/**
 * The disk xlite works with: libxl's `libxl_device_disk`, field for field (spec §2.1).
 *
 * @module
 */

/** `libxl_disk_backend` (spec §2.1). */
export type DiskBackend = "unknown" | "phy" | "tap" | "qdisk" | "standalone";
/** `libxl_disk_format` (spec §2.1). */
export type DiskFormat = "unknown" | "qcow" | "qcow2" | "vhd" | "raw" | "empty" | "qed";
/** `libxl_disk_specification` (spec §2.1). */
export type DiskSpecification = "unknown" | "xen" | "virtio";
/** `libxl_disk_transport` (spec §2.1). */
export type DiskTransport = "unknown" | "mmio";

/**
 * One disk, as `libxl_device_disk` holds it. `undefined` means what libxl calls "default"
 * (an unset defbool, a NULL string). Field order is libxl's, which is also the JSON order.
 */
export interface DiskSpec {
  backendDomid: number;
  backendDomname?: string;
  pdevPath?: string;
  vdev?: string;
  backend: DiskBackend;
  format: DiskFormat;
  script?: string;
  removable: number;
  readwrite: number;
  isCdrom: number;
  directIoSafe: boolean;
  discardEnable?: boolean;
  specification: DiskSpecification;
  transport: DiskTransport;
  /** GIC INTID of the virtio-mmio interrupt; filled by the Arm allocator (spec §3.4). */
  irq: number;
  /** Base of the virtio-mmio window; filled by the Arm allocator (spec §3.4). */
  base: bigint;
  coloEnable?: boolean;
  coloRestoreEnable?: boolean;
  coloHost?: string;
  coloPort: number;
  coloExport?: string;
  activeDisk?: string;
  hiddenDisk?: string;
  trusted?: boolean;
  grantUsage?: boolean;
}
