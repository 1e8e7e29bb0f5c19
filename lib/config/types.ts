/**
 * The domain configuration xlite builds an Arm guest from: what `xl.cfg` says, typed
 * (spec §2.8–§2.9, §3.4–§3.5). Parsed by `lib/config/domain_config.ts`.
 *
 * @module
 */
import type { DiskSpec } from "../disk/types.ts";

/** `libxl_virtio_transport` (spec §2.1). */
export type VirtioTransport = "unknown" | "mmio";

/** One generic `virtio = [...]` device (spec §2.9). */
export interface VirtioDevice {
  backendDomid: number;
  backendDomname?: string;
  /** e.g. `virtio,device22`. */
  type?: string;
  transport: VirtioTransport;
  grantUsage?: boolean;
  /** xl assigns the index in the `virtio` list. */
  devid: number;
  irq: number;
  base: bigint;
}

/** A `vif = [...]` entry, carried as `key=value` pairs (not yet added to guests). */
export interface VifDevice {
  spec: string;
  settings: Record<string, string>;
}

/** An `iomem = [...]` entry: `IOMEM_START,NUM_PAGES[@GFN]` in pages. */
export interface IomemRange {
  start: bigint;
  numberOfPages: bigint;
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
  name: string;
  type: "pvh";
  uuid?: string;
  /** MiB. */
  memory: number;
  /** MiB; defaults to `memory`. */
  maxmem: number;
  vcpus: number;
  maxvcpus: number;
  kernel?: string;
  ramdisk?: string;
  /** The final command line (`cmdline`, or `root=` + `extra`, as xl builds it). */
  cmdline?: string;
  disks: DiskSpec[];
  virtios: VirtioDevice[];
  vifs: VifDevice[];
  gicVersion: "default" | "v2" | "v3";
  /** The user's `nr_spis`, if given (spec §3.5 step 4). */
  nrSpis?: number;
  tee: "none" | "optee" | "ffa";
  vuart?: "sbsa_uart";
  dtdev: string[];
  iomem: IomemRange[];
  /** Passthrough interrupts (`irqs = [...]`). */
  irqs: number[];
  onPoweroff: ShutdownAction;
  onReboot: ShutdownAction;
  onCrash: ShutdownAction;
  /** Warnings xl would print (unknown keys, pv converted to pvh). */
  warnings: string[];
}
