/**
 * The domain configuration xlite builds an Arm guest from: what `xl.cfg` says, typed
 * (spec §2.8–§2.9, §3.4–§3.5). Parsed by `lib/config/domain_config.ts`.
 *
 * @module
 */
import type { DiskSpec } from "../disk/mod.ts";

/** `libxl_virtio_transport` (spec §2.1). */
export type VirtioTransport = "unknown" | "mmio";

/** One generic `virtio = [...]` device (spec §2.9). */
export interface VirtioDevice {
  /** Backend domain id (0 until a `backend=` name is resolved at create). */
  backendDomid: number;
  /** `backend=` as given: a domain name or an all-digit domid. */
  backendDomname?: string;
  /** e.g. `virtio,device22`. */
  type?: string;
  /** `transport=`; only `mmio` devices get a window, an IRQ and a DT node. */
  transport: VirtioTransport;
  /** `grant_usage=`; libxl's default is backend domid ≠ 0. */
  grantUsage?: boolean;
  /** xl assigns the index in the `virtio` list. */
  devid: number;
  /** GIC INTID, filled by the allocator (spec §3.4); 0 until then. */
  irq: number;
  /** Window base, filled by the allocator (spec §3.4); 0 until then. */
  base: bigint;
}

/** `libxl_nic_type`: a PV vif, or (HVM only) a PV vif with an emulated twin. */
export type NicType = "vif" | "vif_ioemu";

/** `rate=` as `xlu_vif_parse_rate` leaves it: bytes per replenishment interval. */
export interface VifRate {
  /** Bytes the guest may send per interval. */
  bytesPerInterval: bigint;
  /** The interval, in microseconds (default 50 ms). */
  intervalUsecs: number;
}

/**
 * A `vif = [...]` entry as xl's `parse_nic_config` leaves it (`libxl_device_nic`, spec §2.5):
 * unset fields are `undefined`; libxl's defaults (`lib/devices/nic.ts`) fill them.
 */
export interface VifDevice {
  /** The item as written. */
  spec: string;
  /** `devid=`, else the item's index in the list (xl's `ARRAY_EXTEND_INIT`); -1 = next free. */
  devid: number;
  /** `backend=`: the serving domain's name or domid, resolved to `backendDomid`. */
  backendDomname?: string;
  /** The serving domain (0 until `backend=` is resolved). */
  backendDomid: number;
  /** `mtu=` (0: libxl's 1500). */
  mtu: number;
  /** `model=` (HVM's emulated card; carried, unused on Arm). */
  model?: string;
  /** `mac=`: six bytes; all zero means "generate one" (`libxl__mac_is_default`). */
  mac: number[];
  /** `ip=` */
  ip?: string;
  /** `bridge=` */
  bridge?: string;
  /** `vifname=`: the backend interface's name (the hotplug script renames it). */
  ifname?: string;
  /** `script=`: the hotplug script, relative to `/etc/xen/scripts` unless absolute. */
  script?: string;
  /** `type=` (`vif` or `ioemu`); unset until libxl's defaults choose. */
  nictype?: NicType;
  /** `rate=` */
  rate?: VifRate;
  /** `gatewaydev=` (or the deprecated `netdev=`). */
  gatewaydev?: string;
  /** `trusted` / `untrusted` (default trusted). */
  trusted?: boolean;
}

/** An `iomem = [...]` entry: `IOMEM_START,NUM_PAGES[@GFN]` in pages. */
export interface IomemRange {
  /** First machine frame. */
  start: bigint;
  /** Number of 4 KiB pages. */
  numberOfPages: bigint;
  /** First guest frame (`@GFN`; libxl maps 1:1 when absent). */
  gfn: bigint;
}

/** What to do when the guest powers off, reboots or crashes. */
export type ShutdownAction =
  | "destroy"
  | "restart"
  | "rename-restart"
  | "preserve"
  | "coredump-destroy"
  | "coredump-restart"
  | "soft-reset";

/** A domain's configuration, as xl reads it for an Arm (PVH) guest. */
export interface DomainConfig {
  /** The file it came from (for messages). */
  source: string;
  /** `name` (mandatory in xl). */
  name: string;
  /** Always `pvh` on Arm (`pv` is converted, `hvm` refused). */
  type: "pvh";
  /** `uuid`, lower case; generated at create when absent. */
  uuid?: string;
  /** MiB. */
  memory: number;
  /** MiB; defaults to `memory`. */
  maxmem: number;
  /** vCPUs online at boot (default 1). */
  vcpus: number;
  /** vCPUs the guest may have (default `vcpus`). */
  maxvcpus: number;
  /**
   * `cpus`: each vCPU's hard affinity as a CPU list (`"0-3,^1"`, `"all"`), index = vCPU; a
   * single string applies to every vCPU, a list to the first vCPUs only (xl's
   * `parse_vcpu_affinity`). Absent when not set.
   */
  vcpuHardAffinity?: string[];
  /** `cpus_soft`: each vCPU's soft affinity, as `vcpuHardAffinity`. */
  vcpuSoftAffinity?: string[];
  /** Kernel image path (mandatory for a PVH guest). */
  kernel?: string;
  /** Initial ramdisk path. */
  ramdisk?: string;
  /** `device_tree`: the partial device tree whose `/passthrough` the guest gets (spec §4.3). */
  deviceTree?: string;
  /** The final command line (`cmdline`, or `root=` + `extra`, as xl builds it). */
  cmdline?: string;
  /** `disk = [...]`, as the disk-spec parser returns them (before libxl's defaults). */
  disks: DiskSpec[];
  /** `virtio = [...]` (Xen 4.18+), devid = list index. */
  virtios: VirtioDevice[];
  /** `vif = [...]`: network interfaces, added after the disks (spec §2.8). */
  vifs: VifDevice[];
  /** `gic_version`. */
  gicVersion: "default" | "v2" | "v3";
  /** The user's `nr_spis`, if given (spec §3.5 step 4). */
  nrSpis?: number;
  /** `tee` (`ffa` from Xen 4.18). */
  tee: "none" | "optee" | "ffa";
  /** `vuart = "sbsa_uart"` gives the guest a vpl011 on SPI 32. */
  vuart?: "sbsa_uart";
  /** `dtdev = [...]`: host DT paths to pass through. */
  dtdev: string[];
  /** `iomem = [...]`. */
  iomem: IomemRange[];
  /** Passthrough interrupts (`irqs = [...]`). */
  irqs: number[];
  /** `on_poweroff` (default destroy). */
  onPoweroff: ShutdownAction;
  /** `on_reboot` (default restart). */
  onReboot: ShutdownAction;
  /** `on_crash` (default destroy). */
  onCrash: ShutdownAction;
  /** `on_watchdog` (default destroy; absent means the default). */
  onWatchdog?: ShutdownAction;
  /** Warnings xl would print (unknown keys, pv converted to pvh). */
  warnings: string[];
}
