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
  /** Domain serving the disk (0: dom0); resolved from `backendDomname` by the caller. */
  backendDomid: number;
  /** `backend=`: the serving domain by name or number, as written. */
  backendDomname?: string;
  /** The target: a path, or anything the backend understands. */
  pdevPath?: string;
  /** The virtual device name the guest sees (spec §1.9). */
  vdev?: string;
  /** `backendtype=`, or the backend libxl chose (spec §2.3). */
  backend: DiskBackend;
  /** Image format (raw when not given). */
  format: DiskFormat;
  /** Hotplug script (`script=`, or `block-<name>` from a deprecated prefix). */
  script?: string;
  /** 1 for a CD-ROM. */
  removable: number;
  /** 1 read/write, 0 read-only. */
  readwrite: number;
  /** 1 for `cdrom` / `devtype=cdrom`. */
  isCdrom: number;
  /** `direct-io-safe`. */
  directIoSafe: boolean;
  /** `discard` / `no-discard` (default: readwrite). */
  discardEnable?: boolean;
  /** `specification=`: xen (PV block) or virtio. */
  specification: DiskSpecification;
  /** virtio transport; no grammar key, libxl sets mmio for virtio (spec §2.2). */
  transport: DiskTransport;
  /** GIC INTID of the virtio-mmio interrupt; filled by the Arm allocator (spec §3.4). */
  irq: number;
  /** Base of the virtio-mmio window; filled by the Arm allocator (spec §3.4). */
  base: bigint;
  /** `colo` / `no-colo`. */
  coloEnable?: boolean;
  /** COLO restore; no grammar key. */
  coloRestoreEnable?: boolean;
  /** `colo-host=`. */
  coloHost?: string;
  /** `colo-port=` (0: unset). */
  coloPort: number;
  /** `colo-export=`. */
  coloExport?: string;
  /** `active-disk=`. */
  activeDisk?: string;
  /** `hidden-disk=`. */
  hiddenDisk?: string;
  /** `trusted` / `untrusted` (default true). */
  trusted?: boolean;
  /** `grant_usage=0|1` (Xen 4.19+; virtio default: backend domid != 0). */
  grantUsage?: boolean;
}
