/**
 * The Arm guest device tree libxl builds (`libxl__prepare_dtb`, spec §4.1–§4.3): one small
 * function per node, in emission order, over the sequential `FdtWriter`. Placeholders
 * (`linux,initrd-*`, `memory@…` reg, `hypervisor` reg) are filled later by `finalise.ts`.
 *
 * @module
 */
import type { DomainConfig } from "../config/mod.ts";
import { buildFdt, FDT_MAX_SIZE, FdtNoSpaceError, type FdtWriter } from "../fdt/mod.ts";
import { XliteError } from "../errors.ts";
import { gicInterrupt, regCells } from "./dt_cells.ts";
import { copyPartialDt, type PartialDt } from "./partial_dt.ts";
import {
  VIRTIO_DEVICE_TYPE_GENERIC,
  VIRTIO_DEVICE_TYPE_GPIO,
  VIRTIO_DEVICE_TYPE_I2C,
} from "./virtio_device_types.ts";
import { atLeast, formatXenVersion, type XenVersion } from "../xen_version/mod.ts";
import {
  DT_IRQ_TYPE_EDGE_RISING,
  DT_IRQ_TYPE_LEVEL_HIGH,
  DT_IRQ_TYPE_LEVEL_LOW,
  GUEST_EVTCHN_PPI,
  GUEST_GICC_BASE,
  GUEST_GICC_SIZE,
  GUEST_GICD_BASE,
  GUEST_GICD_SIZE,
  GUEST_GICV3_GICD_BASE,
  GUEST_GICV3_GICD_SIZE,
  GUEST_GICV3_GICR0_BASE,
  GUEST_GICV3_GICR0_SIZE,
  GUEST_PHANDLE_GIC,
  GUEST_PHANDLE_IOMMU,
  GUEST_PL011_BASE,
  GUEST_PL011_SIZE,
  GUEST_RAM_BANK_BASES,
  GUEST_RAM_BANKS,
  GUEST_ROOT_ADDRESS_CELLS,
  GUEST_ROOT_SIZE_CELLS,
  GUEST_TIMER_PHYS_NS_PPI,
  GUEST_TIMER_PHYS_S_PPI,
  GUEST_TIMER_VIRT_PPI,
  GUEST_VPL011_SPI,
  PSCI_cpu_off,
  PSCI_cpu_on,
  VIRTIO_MMIO_DEV_SIZE,
} from "./xen_arch_arm.ts";

/** `MAX_NR_EXT_REGIONS` (Xen 4.21+). */
export const MAX_NR_EXT_REGIONS = 256;
/** Bytes of `/chosen/rng-seed` (1024 bits). */
export const RNG_SEED_SIZE = 128;

/** The guest's architecture, from its kernel image (`struct arch_info`, spec §4.1). */
export type GuestArch = "aarch64" | "armv7l";

/** What a guest device tree depends on besides the domain config. */
export interface GuestDtOptions {
  /** The Xen release whose libxl is emulated. */
  xenVersion: XenVersion;
  /** The GIC version the domain got (Xen resolves `default` to the host's). */
  gicVersion: "v2" | "v3";
  /** From the kernel image; aarch64 unless an arm32 zImage is booted. */
  arch?: GuestArch;
  /** Timer `clock-frequency` Xen reported; 0 or absent: no property. */
  clockFrequency?: number;
  /** Whether a ramdisk is loaded (adds the `linux,initrd-*` placeholders). */
  hasRamdisk: boolean;
  /** 128 bytes for `/chosen/rng-seed`; random when absent (one fresh seed per attempt). */
  rngSeed?: Uint8Array;
  /** The checked `device_tree = "…"` file, whose `/passthrough` and `/aliases` come last. */
  partialDt?: PartialDt;
  /** The writer over a buffer of `capacity` bytes; throws a no-space error when full. */
  newWriter: (capacity: number) => FdtWriter;
}

/** A built (not yet finalised) guest device tree. */
export interface GuestDt {
  /** The DTB bytes (`fdt_totalsize` long). */
  blob: Uint8Array;
  /** The buffer sizes tried, in order (4096, 8192, …), as libxl's resize loop would. */
  attempts: number[];
}

/** One virtio-mmio node, as the DT loop sees a virtio disk or generic virtio device. */
export interface VirtioMmioNode {
  /** A virtio disk or a generic `virtio = [...]` device. */
  kind: "disk" | "virtio";
  /** Base of its 0x200-byte MMIO window. */
  base: bigint;
  /** Its SPI as a GIC INTID (33–43). */
  irq: number;
  /** The domain serving it. */
  backendDomid: number;
  /** Whether the node gets `iommus` (grant DMA), by the version's rule (spec §4.3). */
  grantUsage: boolean;
  /** Generic devices only: the `type=` string. */
  type?: string;
}

/** A device-tree construction failure, with libxl's text. */
export class GuestDtError extends XliteError {
  /** An error with `message` (libxl's or Xen's text). */
  constructor(message: string) {
    super(message);
    this.name = "GuestDtError";
  }
}

const ARCH_INFO: Record<GuestArch, { timer: string; cpu: string }> = {
  armv7l: { timer: "arm,armv7-timer", cpu: "arm,cortex-a15" },
  aarch64: { timer: "arm,armv8-timer", cpu: "arm,armv8" },
};

/** Cells and names that are the same in every guest tree, made once on first use. */
interface FixedCells {
  memoryReg: readonly number[];
  gicV2Reg: readonly number[];
  gicV3Reg: readonly number[];
  gicV2Name: string;
  gicV3Name: string;
  timerInterrupts: readonly number[];
  evtchnInterrupts: readonly number[];
  pl011Reg: readonly number[];
  pl011Interrupts: readonly number[];
  /** The zeroed `/hypervisor` reg placeholder, by entry count. */
  hypervisorZeros: Map<number, readonly number[]>;
}

let fixedCells: FixedCells | undefined;

function fixed(): FixedCells {
  return fixedCells ??= {
    memoryReg: Object.freeze(regCells([[0n, 0n]])),
    gicV2Reg: Object.freeze(regCells([
      [GUEST_GICD_BASE, GUEST_GICD_SIZE],
      [GUEST_GICC_BASE, GUEST_GICC_SIZE],
    ])),
    gicV3Reg: Object.freeze(regCells([
      [GUEST_GICV3_GICD_BASE, GUEST_GICV3_GICD_SIZE],
      [GUEST_GICV3_GICR0_BASE, GUEST_GICV3_GICR0_SIZE],
    ])),
    gicV2Name: `interrupt-controller@${GUEST_GICD_BASE.toString(16)}`,
    gicV3Name: `interrupt-controller@${GUEST_GICV3_GICD_BASE.toString(16)}`,
    timerInterrupts: Object.freeze([
      ...gicInterrupt(GUEST_TIMER_PHYS_S_PPI, DT_IRQ_TYPE_LEVEL_LOW),
      ...gicInterrupt(GUEST_TIMER_PHYS_NS_PPI, DT_IRQ_TYPE_LEVEL_LOW),
      ...gicInterrupt(GUEST_TIMER_VIRT_PPI, DT_IRQ_TYPE_LEVEL_LOW),
    ]),
    evtchnInterrupts: Object.freeze(gicInterrupt(GUEST_EVTCHN_PPI, DT_IRQ_TYPE_LEVEL_LOW)),
    pl011Reg: Object.freeze(regCells([[GUEST_PL011_BASE, GUEST_PL011_SIZE]])),
    pl011Interrupts: Object.freeze(gicInterrupt(GUEST_VPL011_SPI, DT_IRQ_TYPE_LEVEL_HIGH)),
    hypervisorZeros: new Map(),
  };
}

/** `memory@<base>` names of the RAM banks. */
let memoryNodeNames: readonly string[] | undefined;

/**
 * Builds the guest DTB the way libxl does: from a 4 KiB buffer, doubling and restarting
 * from scratch whenever the writer runs out of space, up to 1 MiB (spec §4.1).
 *
 * @example
 * ```ts
 * const dt = buildGuestDt(config, { xenVersion, gicVersion: "v3", hasRamdisk: false, newWriter });
 * ```
 */
export function buildGuestDt(config: DomainConfig, options: GuestDtOptions): GuestDt {
  try {
    return buildFdt((w) => writeGuestDt(w, config, options), { newWriter: options.newWriter });
  } catch (error) {
    if (!(error instanceof FdtNoSpaceError)) throw error;
    throw new GuestDtError(
      `FDT: guest device tree does not fit in ${FDT_MAX_SIZE} bytes: -3 = FDT_ERR_NOSPACE`,
    );
  }
}

/** One attempt: every node in libxl's order, into one writer (the caller finishes it). */
export function writeGuestDt(w: FdtWriter, config: DomainConfig, options: GuestDtOptions): void {
  const arch = ARCH_INFO[options.arch ?? "aarch64"];
  w.beginNode("");
  rootProperties(w, options.xenVersion);
  chosenNode(w, config.cmdline, options.hasRamdisk, options.rngSeed);
  cpusNode(w, config.maxvcpus, arch.cpu);
  psciNode(w);
  memoryNodes(w);
  if (options.gicVersion === "v2") gicV2Node(w);
  else gicV3Node(w);
  timerNode(w, arch.timer, options.clockFrequency ?? 0);
  hypervisorNode(w, options.xenVersion);
  if (config.vuart === "sbsa_uart") vpl011Node(w);
  if (config.tee === "optee") opteeNode(w);
  virtioNodes(w, virtioMmioNodes(config, options.xenVersion), options.xenVersion);
  if (options.partialDt) copyPartialDt(w, options.partialDt);
  w.endNode();
}

/** Root properties: model, compatible, interrupt-parent, cells. */
export function rootProperties(w: FdtWriter, version: XenVersion): void {
  const v = formatXenVersion(version);
  w.propertyString("model", `XENVM-${v}`);
  w.propertyStrings("compatible", [`xen,xenvm-${v}`, "xen,xenvm"]);
  w.propertyU32("interrupt-parent", GUEST_PHANDLE_GIC);
  w.propertyU32("#address-cells", GUEST_ROOT_ADDRESS_CELLS);
  w.propertyU32("#size-cells", GUEST_ROOT_SIZE_CELLS);
}

/** `/chosen`: bootargs, initrd placeholders, rng-seed (no ACPI module: acpi is off on Arm). */
export function chosenNode(
  w: FdtWriter,
  cmdline: string | undefined,
  hasRamdisk: boolean,
  seed?: Uint8Array,
): void {
  w.beginNode("chosen");
  if (cmdline !== undefined) w.propertyString("bootargs", cmdline);
  if (hasRamdisk) {
    // 8 zero bytes each (a u64 0: the same bytes, without a typed array per value)
    w.propertyU64("linux,initrd-start", 0n);
    w.propertyU64("linux,initrd-end", 0n);
  }
  w.property("rng-seed", seed ?? crypto.getRandomValues(new Uint8Array(RNG_SEED_SIZE)));
  w.endNode();
}

/** MPIDR affinity of vCPU `i` as Xen lays vCPUs out: 16 per cluster (`libxl__compute_mpdir`). */
export function vcpuMpidr(i: number): number {
  return (i & 0xf) | (((i >> 4) & 0xff) << 8);
}

/** `/cpus` with one `cpu@<mpidr>` per possible vCPU (max_vcpus). */
export function cpusNode(w: FdtWriter, maxVcpus: number, compatible: string): void {
  w.beginNode("cpus");
  w.propertyU32("#address-cells", 1);
  w.propertyU32("#size-cells", 0);
  for (let i = 0; i < maxVcpus; i++) cpuNode(w, vcpuMpidr(i), compatible);
  w.endNode();
}

/** One `cpu@<mpidr hex>`. */
export function cpuNode(w: FdtWriter, mpidr: number, compatible: string): void {
  w.beginNode(`cpu@${mpidr.toString(16)}`);
  w.propertyString("device_type", "cpu");
  w.propertyStrings("compatible", [compatible]);
  w.propertyString("enable-method", "psci");
  w.propertyCells("reg", [mpidr]);
  w.endNode();
}

/** `/psci`: PSCI 1.0 over HVC, with the 0.1 function numbers. */
export function psciNode(w: FdtWriter): void {
  w.beginNode("psci");
  w.propertyStrings("compatible", ["arm,psci-1.0", "arm,psci-0.2", "arm,psci"]);
  w.propertyString("method", "hvc");
  w.propertyU32("cpu_off", PSCI_cpu_off);
  w.propertyU32("cpu_on", PSCI_cpu_on);
  w.endNode();
}

/** One `memory@<bank base>` placeholder per RAM bank, reg <0 0 0 0>. */
export function memoryNodes(w: FdtWriter): void {
  const names = memoryNodeNames ??= GUEST_RAM_BANK_BASES.slice(0, GUEST_RAM_BANKS).map((base) =>
    `memory@${base.toString(16)}`
  );
  const reg = fixed().memoryReg;
  for (let i = 0; i < GUEST_RAM_BANKS; i++) {
    w.beginNode(names[i]);
    w.propertyString("device_type", "memory");
    w.propertyCells("reg", reg);
    w.endNode();
  }
}

/** GICv2 distributor + CPU interface. */
export function gicV2Node(w: FdtWriter): void {
  gicNode(w, fixed().gicV2Name, GIC_V2_COMPATIBLE, fixed().gicV2Reg);
}

/** GICv3 distributor + redistributor region 0. */
export function gicV3Node(w: FdtWriter): void {
  gicNode(w, fixed().gicV3Name, GIC_V3_COMPATIBLE, fixed().gicV3Reg);
}

const GIC_V2_COMPATIBLE: readonly string[] = Object.freeze([
  "arm,cortex-a15-gic",
  "arm,cortex-a9-gic",
]);
const GIC_V3_COMPATIBLE: readonly string[] = Object.freeze(["arm,gic-v3"]);

/** The GIC node, named after its distributor (the first reg range). */
function gicNode(
  w: FdtWriter,
  name: string,
  compatible: readonly string[],
  reg: readonly number[],
): void {
  w.beginNode(name);
  w.propertyStrings("compatible", compatible);
  w.propertyU32("#interrupt-cells", 3);
  w.propertyU32("#address-cells", 0);
  w.propertyEmpty("interrupt-controller");
  w.propertyCells("reg", reg);
  w.propertyU32("linux,phandle", GUEST_PHANDLE_GIC);
  w.propertyU32("phandle", GUEST_PHANDLE_GIC);
  w.endNode();
}

/**
 * `interrupts` (3-cell specifiers, concatenated) then `interrupt-parent` (libxl's
 * `fdt_property_interrupts`).
 */
function interrupts(w: FdtWriter, cells: readonly number[]): void {
  w.propertyCells("interrupts", cells);
  w.propertyU32("interrupt-parent", GUEST_PHANDLE_GIC);
}

/** `/timer`: secure, non-secure and virtual timer PPIs, level-low. */
export function timerNode(w: FdtWriter, compatible: string, clockFrequency: number): void {
  w.beginNode("timer");
  w.propertyStrings("compatible", [compatible]);
  interrupts(w, fixed().timerInterrupts);
  if (clockFrequency) w.propertyU32("clock-frequency", clockFrequency);
  w.endNode();
}

/** Entries in the `/hypervisor` reg placeholder: banks + 1 before 4.21, 257 from 4.21. */
export function hypervisorRegEntries(version: XenVersion): number {
  return (atLeast(version, 4, 21) ? MAX_NR_EXT_REGIONS : GUEST_RAM_BANKS) + 1;
}

/** `/hypervisor`: version, zeroed reg placeholder (grant table + extended regions), evtchn PPI. */
export function hypervisorNode(w: FdtWriter, version: XenVersion): void {
  w.beginNode("hypervisor");
  w.propertyStrings("compatible", [`xen,xen-${formatXenVersion(version)}`, "xen,xen"]);
  const entries = hypervisorRegEntries(version);
  const zeros = fixed().hypervisorZeros;
  let reg = zeros.get(entries);
  if (reg === undefined) zeros.set(entries, reg = Object.freeze(new Array(entries * 4).fill(0)));
  w.propertyCells("reg", reg);
  interrupts(w, fixed().evtchnInterrupts);
  w.endNode();
}

/** `/sbsa-pl011`: the emulated SBSA UART (vuart = "sbsa_uart"). */
export function vpl011Node(w: FdtWriter): void {
  w.beginNode("sbsa-pl011");
  w.propertyStrings("compatible", ["arm,sbsa-uart"]);
  w.propertyCells("reg", fixed().pl011Reg);
  interrupts(w, fixed().pl011Interrupts);
  w.propertyU32("current-speed", 115200);
  w.endNode();
}

/** `/firmware/optee` (tee = "optee"). */
export function opteeNode(w: FdtWriter): void {
  w.beginNode("firmware");
  w.beginNode("optee");
  w.propertyStrings("compatible", ["linaro,optee-tz"]);
  w.propertyString("method", "hvc");
  w.endNode();
  w.endNode();
}

/**
 * The virtio-mmio nodes libxl emits, in order: disks with specification virtio, then (4.18+)
 * generic devices with transport mmio; `grantUsage` by the version's rule (spec §4.3).
 */
export function virtioMmioNodes(config: DomainConfig, version: XenVersion): VirtioMmioNode[] {
  const nodes: VirtioMmioNode[] = [];
  for (const disk of config.disks) {
    if (disk.specification !== "virtio") continue;
    const grantUsage = atLeast(version, 4, 19)
      ? disk.grantUsage ?? disk.backendDomid !== 0
      : disk.backendDomid !== 0;
    nodes.push({
      kind: "disk",
      base: disk.base,
      irq: disk.irq,
      backendDomid: disk.backendDomid,
      grantUsage,
    });
  }
  if (!atLeast(version, 4, 18)) return nodes;
  for (const dev of config.virtios) {
    if (dev.transport !== "mmio") continue;
    nodes.push({
      kind: "virtio",
      base: dev.base,
      irq: dev.irq,
      backendDomid: dev.backendDomid,
      grantUsage: dev.grantUsage ?? dev.backendDomid !== 0,
      type: dev.type,
    });
  }
  return nodes;
}

/** The virtio-mmio nodes and `/xen_iommu`, placed as the version places it (spec §4.6). */
export function virtioNodes(w: FdtWriter, nodes: VirtioMmioNode[], version: XenVersion): void {
  if (!atLeast(version, 4, 18)) {
    // 4.17: the IOMMU node goes right before the first disk node with a non-dom0 backend.
    let iommuCreated = false;
    for (const node of nodes) {
      if (node.grantUsage && !iommuCreated) {
        xenIommuNode(w);
        iommuCreated = true;
      }
      virtioMmioNode(w, node);
    }
    return;
  }
  for (const node of nodes) virtioMmioNode(w, node);
  if (nodes.some((node) => node.grantUsage)) xenIommuNode(w);
}

/** `virtio@<base>`: compatible, reg, edge-rising SPI, dma-coherent, iommus, type subnode. */
export function virtioMmioNode(w: FdtWriter, node: VirtioMmioNode): void {
  w.beginNode(`virtio@${node.base.toString(16)}`);
  w.propertyStrings("compatible", ["virtio,mmio"]);
  w.propertyCells("reg", rootReg(node.base, VIRTIO_MMIO_DEV_SIZE));
  interrupts(w, gicInterrupt(node.irq, DT_IRQ_TYPE_EDGE_RISING));
  w.propertyEmpty("dma-coherent");
  if (node.grantUsage) w.propertyCells("iommus", [GUEST_PHANDLE_IOMMU, node.backendDomid]);
  if (node.kind === "virtio") virtioTypeSubnode(w, node.type);
  w.endNode();
}

/** The subnode a generic device's type asks for: `i2c`, `gpio`, or none (spec §2.9). */
export function virtioTypeSubnode(w: FdtWriter, type: string | undefined): void {
  if (type === VIRTIO_DEVICE_TYPE_I2C) {
    w.beginNode("i2c");
    w.propertyStrings("compatible", [VIRTIO_DEVICE_TYPE_I2C]);
    w.endNode();
  } else if (type === VIRTIO_DEVICE_TYPE_GPIO) {
    w.beginNode("gpio");
    w.propertyStrings("compatible", [VIRTIO_DEVICE_TYPE_GPIO]);
    w.propertyEmpty("gpio-controller");
    w.propertyU32("#gpio-cells", 2);
    w.propertyEmpty("interrupt-controller");
    w.propertyU32("#interrupt-cells", 2);
    w.endNode();
  } else if (type === undefined || !type.startsWith(VIRTIO_DEVICE_TYPE_GENERIC)) {
    throw new GuestDtError(`Invalid type for virtio device: ${type ?? "(null)"}`);
  }
}

/** `/xen_iommu`: the grant-DMA IOMMU the `iommus` properties point at. */
export function xenIommuNode(w: FdtWriter): void {
  w.beginNode("xen_iommu");
  w.propertyStrings("compatible", ["xen,grant-dma"]);
  w.propertyU32("#iommu-cells", 1);
  w.propertyU32("phandle", GUEST_PHANDLE_IOMMU);
  w.endNode();
}

/** Cells of a (base, size) `reg` at root level, exported for the finalisation step. */
export function rootReg(base: bigint, size: bigint): number[] {
  const cells: number[] = new Array(GUEST_ROOT_ADDRESS_CELLS + GUEST_ROOT_SIZE_CELLS);
  putCells(cells, 0, base, GUEST_ROOT_ADDRESS_CELLS);
  putCells(cells, GUEST_ROOT_ADDRESS_CELLS, size, GUEST_ROOT_SIZE_CELLS);
  return cells;
}

/** 2^53: up to here a u64 is exact as a double. */
const MAX_EXACT = 1n << 53n;

/** `cellsOf(value, count)` written into `cells` from `at` (no intermediate arrays). */
function putCells(cells: number[], at: number, value: bigint, count: number): void {
  if (count === 2 && value >= 0n && value <= MAX_EXACT) {
    const n = Number(value); // exact as a double: no BigInt arithmetic (each one allocates)
    cells[at] = Math.floor(n / 0x1_0000_0000);
    cells[at + 1] = n % 0x1_0000_0000;
    return;
  }
  for (let i = count - 1; i >= 0; i--) {
    cells[at + i] = Number(value & 0xffff_ffffn);
    value >>= 32n;
  }
}
