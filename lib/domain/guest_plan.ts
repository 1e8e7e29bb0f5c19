/**
 * The Arm build plan of a prepared guest, as libxl makes it before and after
 * `xc_domain_create` (spec §2.8): kernel probe → guest device tree → memory layout (meminit)
 * → DT finalisation, and the virtio-mmio table. The dry run shows it; the real create
 * follows it, with what Xen reported for the new domain.
 *
 * @module
 */
import { createFdtWriter, editFdt } from "../fdt/mod.ts";
import { buildGuestDt, type GuestArch, virtioMmioNodes } from "../arm/mod.ts";
import { probeKernel, syntheticArm64Image } from "../arm/mod.ts";
import { layoutMemory, type MemoryLayout } from "../arm/mod.ts";
import { DEFAULT_GPADDR_BITS, type ExtendedRegion, finaliseGuestDt } from "../arm/mod.ts";
import type { XenVersion } from "../xen_version/mod.ts";
import type { DomainConfig } from "../config/mod.ts";
import { XliteError } from "../errors.ts";
import {
  GUEST_GICV3_GICD_BASE,
  GUEST_GICV3_GICR0_BASE,
  GUEST_GICV3_GICR0_SIZE,
  GUEST_GNTTAB_BASE,
  GUEST_GNTTAB_SIZE,
  GUEST_MAGIC_BASE,
  GUEST_MAGIC_SIZE,
  GUEST_MAX_VCPUS,
  GUEST_PL011_BASE,
  GUEST_PL011_SIZE,
  GUEST_VIRTIO_MMIO_BASE,
  GUEST_VIRTIO_MMIO_SIZE,
} from "../arm/mod.ts";
import { checkPartialDt } from "../arm/mod.ts";
import type { PreparedGuest } from "./prepare_guest.ts";
import { domainConfigToXlJson, type XlObject } from "./xl_json.ts";

/** What Xen would report for a new domain, which a dry run has to assume (spec §3.6). */
export interface HostAssumptions {
  /** What `gic_version = "default"` becomes (the host's GIC); testbed: v3. */
  defaultGic: "v2" | "v3";
  /** `libxl_dominfo.gpaddr_bits`; testbed: 40. */
  gpaddrBits: number;
  /** Timer `clock-frequency` Xen reports; testbed: 0 (none). */
  clockFrequency: number;
}

/** The testbed's values (Xen 4.17 on QEMU virt, cortex-a57, GICv3). */
export const DEFAULT_HOST: HostAssumptions = {
  defaultGic: "v3",
  gpaddrBits: DEFAULT_GPADDR_BITS,
  clockFrequency: 0,
};

/** Inputs of {@linkcode planGuestBuild}. */
export interface GuestBuildInput {
  /** The prepared guest. */
  guest: PreparedGuest;
  /** The Xen release whose libxl is emulated. */
  xenVersion: XenVersion;
  /** Overrides of `DEFAULT_HOST`. */
  host?: Partial<HostAssumptions>;
  /** 128 bytes for rng-seed (tests use zeros); random when absent. */
  rngSeed?: Uint8Array;
  /** The kernel file's bytes; `undefined` (no file): a 4 KiB arm64 Image stand-in. */
  kernel: Uint8Array | undefined;
  /** The ramdisk's size; `undefined` with a `ramdisk=` (no file): laid out as empty. */
  ramdiskSize: number | undefined;
  /** The `device_tree = "…"` file's bytes (read by {@linkcode readPartialDtFile}). */
  partialDt?: Uint8Array;
}

/** One row of the virtio-mmio allocation table. */
export interface VirtioRow {
  /** What it is: `disk xvda`, `virtio virtio,device22`. */
  device: string;
  /** Base of its MMIO window. */
  base: bigint;
  /** Its SPI (GIC INTID). */
  irq: number;
  /** The domain serving it. */
  backendDomid: number;
  /** Whether its node gets `iommus` (grant DMA). */
  grantUsage: boolean;
}

/** Everything the plan decided. */
export interface GuestBuildPlan {
  /** The Xen release whose libxl is emulated. */
  xenVersion: XenVersion;
  /** The config as `xl -N` prints it (ordered). */
  config: XlObject;
  /** The virtio-mmio allocation table. */
  virtio: VirtioRow[];
  /** SPIs the domain gets. */
  nrSpis: number;
  /** The GIC version the DT describes. */
  gicVersion: "v2" | "v3";
  /** The guest architecture, from the kernel. */
  arch: GuestArch;
  /** Where kernel, ramdisk and DTB go. */
  layout: MemoryLayout;
  /** `/hypervisor` reg: grant table, then extended regions. */
  hypervisorReg: ExtendedRegion[];
  /** The finalised DTB. */
  dtb: Uint8Array;
  /** Buffer sizes tried (4096, 8192, …). */
  dtbAttempts: number[];
  /** What the plan assumed (missing files, host values). */
  notes: string[];
  /** libxl's warnings. */
  warnings: string[];
}

/**
 * Plans the Arm build of `input.guest`: no hypercall, no file read.
 *
 * @example
 * ```ts
 * const plan = await planGuestBuild({ guest, xenVersion, kernel, ramdiskSize: undefined });
 * ```
 */
export async function planGuestBuild(input: GuestBuildInput): Promise<GuestBuildPlan> {
  const host = { ...DEFAULT_HOST, ...input.host };
  const { config } = input.guest;
  const notes: string[] = [];
  const warnings = [...config.warnings];

  let kernelBytes = input.kernel;
  if (kernelBytes === undefined) {
    notes.push(
      config.kernel === undefined
        ? "no kernel= given: laid out as a 4 KiB arm64 Image stand-in"
        : `kernel ${config.kernel} not found: laid out as a 4 KiB arm64 Image stand-in`,
    );
    kernelBytes = syntheticArm64Image();
  }
  const kernel = await probeKernel(kernelBytes, config.kernel ?? "(stand-in)");

  let ramdiskSize: number | undefined;
  if (config.ramdisk !== undefined) {
    ramdiskSize = input.ramdiskSize;
    if (ramdiskSize === undefined) {
      notes.push(`ramdisk ${config.ramdisk} not found: laid out as an empty ramdisk`);
      ramdiskSize = 0;
    }
  }

  const gicVersion = config.gicVersion === "default" ? host.defaultGic : config.gicVersion;
  if (config.gicVersion === "default") {
    notes.push(`gic_version "default" taken as the host's: ${gicVersion} (--gic to change)`);
  }
  checkVcpus(config.maxvcpus, gicVersion);
  const partialDt = input.partialDt === undefined ? undefined : checkPartialDt(input.partialDt);
  if (config.maxmem > config.memory) {
    warnings.push(
      `maxmem (${config.maxmem} MiB) > memory (${config.memory} MiB): Xen caps an Arm guest at ` +
        "memory + 1 MiB, so the real create fails in the domain builder " +
        '("populate_guest_memory: Not enough RAM"; spec §3.6)',
    );
  }
  const dt = buildGuestDt(config, {
    xenVersion: input.xenVersion,
    gicVersion,
    arch: kernel.arch,
    clockFrequency: host.clockFrequency,
    hasRamdisk: ramdiskSize !== undefined,
    rngSeed: input.rngSeed,
    partialDt,
    newWriter: createFdtWriter,
  });
  const layout = layoutMemory({
    memoryMiB: config.maxmem,
    kernel,
    ramdiskSize,
    dtbSize: dt.blob.length,
  });
  const finalised = finaliseGuestDt(dt.blob, layout, {
    xenVersion: input.xenVersion,
    gpaddrBits: host.gpaddrBits,
    iomem: config.iomem,
    openEditor: editFdt,
  });
  warnings.push(...finalised.warnings);
  checkIomem(config, layout);

  const virtio = virtioMmioNodes(config, input.xenVersion).map((node, i) => ({
    device: node.kind === "disk"
      ? `disk ${config.disks.filter((d) => d.specification === "virtio")[i]?.vdev ?? "?"}`
      : `virtio ${node.type ?? "(no type)"}`,
    base: node.base,
    irq: node.irq,
    backendDomid: node.backendDomid,
    grantUsage: node.grantUsage,
  }));

  return {
    xenVersion: input.xenVersion,
    config: domainConfigToXlJson(input.guest.parsed),
    virtio,
    nrSpis: input.guest.nrSpis,
    gicVersion,
    arch: kernel.arch,
    layout,
    hypervisorReg: finalised.hypervisorReg,
    dtb: finalised.blob,
    dtbAttempts: dt.attempts,
    notes,
    warnings,
  };
}

/** Most vCPUs the virtual GIC takes: 8 for GICv2, `GUEST_MAX_VCPUS` (128) for GICv3. */
export const MAX_VCPUS_BY_GIC = { v2: 8, v3: GUEST_MAX_VCPUS } as const;

/** Refuses what Xen's domain creation would refuse for the vCPU count (spec §3.1). */
export function checkVcpus(maxVcpus: number, gic: "v2" | "v3"): void {
  if (maxVcpus > MAX_VCPUS_BY_GIC[gic]) {
    throw new XliteError(
      `maxvcpus ${maxVcpus}: a ${gic === "v2" ? "GICv2" : "GICv3"} guest has at most ${
        MAX_VCPUS_BY_GIC[gic]
      } vCPUs (Xen refuses to create the domain)`,
    );
  }
}

/**
 * Why an Arm guest with `maxmem` > `memory` cannot be built, or `undefined` when it can.
 * Found in Xen RELEASE-4.17.0: libxl__build_pre caps the domain at `memory` + 1 MiB
 * (`xc_domain_setmaxmem(target_memkb + LIBXL_MAXMEM_CONSTANT)`, libxl_dom.c / libxl_arm.c
 * `libxl__arch_extra_memory`), while libxl__build_hvm hands `xc_dom_mem_init` all of
 * `maxmem` (`max_memkb - video_memkb`) and xg_dom_arm.c's `meminit` populates every page of
 * it: Arm has no populate-on-demand (`target_pages` is unused there). Xen stops populating
 * at the cap, `populate_guest_memory` fails "Not enough RAM" (ENOMEM) and xl reports
 * "xc_dom_boot_mem_init: can't allocate low memory for domain: Out of memory".
 */
export function maxmemAboveMemory(config: DomainConfig): string | undefined {
  if (config.maxmem <= config.memory) return undefined;
  return `maxmem (${config.maxmem} MiB) > memory (${config.memory} MiB): Xen on Arm ` +
    "populates all of maxmem at build time but caps the guest at memory + 1 MiB, so the " +
    'build cannot succeed (xl: "can\'t allocate low memory for domain"); set maxmem = memory';
}

/** libxl's `libxl_read_file_contents` of `device_tree = "…"`, with its error text. */
export async function readPartialDtFile(path: string): Promise<Uint8Array> {
  try {
    return await Deno.readFile(path);
  } catch (error) {
    const reason = error instanceof Deno.errors.NotFound
      ? "No such file or directory"
      : (error as Error).message;
    throw new XliteError(`failed to read the partial device file ${path}: ${reason}`);
  }
}

/** A guest-physical region `iomem` may not be mapped over. */
interface GuestRegion {
  name: string;
  base: bigint;
  size: bigint;
}

/**
 * Refuses an `iomem` range whose guest frames overlap the guest's RAM, GIC, grant table,
 * magic pages, vpl011 or virtio-mmio window. libxl 4.17 and Xen do not check (Xen's P2M
 * replaces the guest's mapping, e.g. a RAM page, silently): this is xlite's own refusal,
 * made before any hypercall.
 */
export function checkIomem(config: DomainConfig, layout: MemoryLayout): void {
  const regions: GuestRegion[] = [
    ...layout.banks.map((b, i) => ({ name: `RAM bank ${i}`, base: b.base, size: b.size })),
    {
      name: "GIC",
      base: GUEST_GICV3_GICD_BASE,
      size: GUEST_GICV3_GICR0_BASE + GUEST_GICV3_GICR0_SIZE - GUEST_GICV3_GICD_BASE,
    },
    { name: "grant table", base: GUEST_GNTTAB_BASE, size: GUEST_GNTTAB_SIZE },
    { name: "magic pages", base: GUEST_MAGIC_BASE, size: GUEST_MAGIC_SIZE },
    { name: "vpl011", base: GUEST_PL011_BASE, size: GUEST_PL011_SIZE },
    { name: "virtio-mmio window", base: GUEST_VIRTIO_MMIO_BASE, size: GUEST_VIRTIO_MMIO_SIZE },
  ];
  const page = 4096n;
  for (const io of config.iomem) {
    const start = io.gfn * page;
    const end = (io.gfn + io.numberOfPages) * page;
    const hit = regions.find((r) => r.size > 0n && start < r.base + r.size && r.base < end);
    if (hit) {
      const hex = (n: bigint) => n.toString(16);
      throw new XliteError(
        `iomem ${hex(io.start)},${hex(io.numberOfPages)}@${hex(io.gfn)}: guest range ` +
          `0x${hex(start)}-0x${hex(end - 1n)} overlaps the guest's ${hit.name} ` +
          `(0x${hex(hit.base)}-0x${hex(hit.base + hit.size - 1n)}); choose another @GFN`,
      );
    }
  }
}
