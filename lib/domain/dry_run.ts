/**
 * `xlite create --dry-run`: everything libxl would decide for a guest, without Xen — the
 * config (as `xl -N` prints it), the virtio-mmio allocation, the memory layout, the
 * finalised device tree, and (once wired) the xenstore writes. Steps in libxl's order
 * (spec §2.8): allocation → kernel probe → DT → meminit → finalisation.
 *
 * @module
 */
import type { DomainConfig } from "../config/types.ts";
import type { FdtWriter } from "../fdt/types.ts";
import { buildGuestDt, type GuestArch, virtioMmioNodes } from "../arm/guest_dt.ts";
import { probeKernel, syntheticArm64Image } from "../arm/kernel_image.ts";
import { layoutMemory, type MemoryLayout } from "../arm/memory_layout.ts";
import {
  DEFAULT_GPADDR_BITS,
  type DtbEditor,
  type ExtendedRegion,
  finaliseGuestDt,
} from "../arm/finalise.ts";
import { formatXenVersion, type XenVersion } from "../xen_version/mod.ts";
import { XliteError } from "../errors.ts";
import { GUEST_MAX_VCPUS } from "../arm/xen_arch_arm.ts";
import { domainConfigToXlJson, printYajl, toPlain, type XlObject } from "./xl_json.ts";

/** Plain JSON values (the `--json` plan). */
export type Json = string | number | boolean | null | Json[] | { [key: string]: Json };

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

/** Inputs of a dry run. */
export interface DryRunInput {
  /** The parsed config, with disks defaulted and virtio-mmio resources allocated. */
  config: DomainConfig;
  /** The config as parsed (before defaults): what `xl -N` prints. */
  parsed?: DomainConfig;
  /** `nr_spis` as prepare_config computed it. */
  nrSpis: number;
  /** The Xen release whose libxl is emulated. */
  xenVersion: XenVersion;
  /** Overrides of `DEFAULT_HOST`. */
  host?: Partial<HostAssumptions>;
  /** 128 bytes for rng-seed (tests use zeros); random when absent. */
  rngSeed?: Uint8Array;
  /** Reads a file; `undefined` when it does not exist. */
  readFile: (path: string) => Promise<Uint8Array | undefined>;
  /** Size of a file; `undefined` when it does not exist. */
  fileSize: (path: string) => Promise<number | undefined>;
  /** A sequential writer over `capacity` bytes (libfdt-wasm's `createFdtWriter`). */
  newWriter: (capacity: number) => FdtWriter;
  /** An editor over a blob (libfdt-wasm's `editFdt`). */
  openEditor: (blob: Uint8Array) => DtbEditor;
  /** The xenstore writes, when `lib/devices/plan.ts` provides them. */
  xenstoreWrites?: string[];
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

/** Everything a dry run decided. */
export interface DryRunPlan {
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
  /** The xenstore writes, formatted as `xenstore-ls -fp` lines. */
  xenstoreWrites?: string[];
  /** What the dry run assumed (missing files, host values). */
  notes: string[];
  /** libxl's warnings. */
  warnings: string[];
}

/**
 * Runs the plan.
 *
 * @example
 * ```ts
 * const plan = await dryRun({ config, nrSpis, xenVersion, readFile, fileSize, newWriter, openEditor });
 * ```
 */
export async function dryRun(input: DryRunInput): Promise<DryRunPlan> {
  const host = { ...DEFAULT_HOST, ...input.host };
  const { config } = input;
  const notes: string[] = [];
  const warnings = [...config.warnings];

  let kernelBytes = config.kernel === undefined ? undefined : await input.readFile(config.kernel);
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
    ramdiskSize = await input.fileSize(config.ramdisk);
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
    newWriter: input.newWriter,
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
    openEditor: input.openEditor,
  });
  warnings.push(...finalised.warnings);

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
    config: domainConfigToXlJson(input.parsed ?? config),
    virtio,
    nrSpis: input.nrSpis,
    gicVersion,
    arch: kernel.arch,
    layout,
    hypervisorReg: finalised.hypervisorReg,
    dtb: finalised.blob,
    dtbAttempts: dt.attempts,
    xenstoreWrites: input.xenstoreWrites,
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

const hex = (n: bigint | number) => `0x${n.toString(16)}`;

/** The plan as text: one section per step, the device tree as DTS (from `toDts`). */
export function formatPlan(plan: DryRunPlan, dts: string): string {
  const lines: string[] = [];
  const section = (title: string) => lines.push("", `## ${title}`);
  lines.push(`# xlite create --dry-run (emulating Xen ${formatXenVersion(plan.xenVersion)})`);
  for (const note of plan.notes) lines.push(`note: ${note}`);
  for (const warning of plan.warnings) lines.push(`warning: ${warning}`);
  section("domain config (xl -N)");
  lines.push(printYajl(plan.config));
  section("virtio-mmio allocation");
  if (plan.virtio.length === 0) lines.push("(no virtio-mmio devices)");
  else {
    lines.push("device                         base        irq  backend  grant_usage");
    for (const row of plan.virtio) {
      lines.push(
        `${row.device.padEnd(30)} ${hex(row.base).padEnd(11)} ${String(row.irq).padEnd(4)} ${
          String(row.backendDomid).padEnd(8)
        } ${row.grantUsage ? 1 : 0}`,
      );
    }
  }
  lines.push(`nr_spis: ${plan.nrSpis}`, `gic_version: ${plan.gicVersion}`);
  section("memory layout");
  const l = plan.layout;
  const seg = (name: string, s: { start: bigint; end: bigint }) =>
    lines.push(`${name.padEnd(10)} ${hex(s.start)}-${hex(s.end)} (${s.end - s.start} bytes)`);
  lines.push(`ram        ${l.ramBytes >> 20n} MiB (${plan.arch})`);
  l.banks.forEach((b, i) => lines.push(`bank ${i}     ${hex(b.base)} +${hex(b.size)}`));
  seg("kernel", l.kernel);
  if (l.ramdisk) seg("ramdisk", l.ramdisk);
  seg("dtb", l.dtb);
  plan.hypervisorReg.forEach((r, i) =>
    lines.push(
      `${i === 0 ? "grant tbl" : `ext reg ${i}`.padEnd(9)}  ${hex(r.base)} +${hex(r.size)}`,
    )
  );
  section(
    `device tree (${plan.dtb.length} bytes; buffer ${
      plan.dtbAttempts.at(-1)
    } after ${plan.dtbAttempts.length} attempt(s))`,
  );
  lines.push(dts.trimEnd());
  section("xenstore writes");
  // Filled by lib/devices/plan.ts once the lead wires it in.
  if (plan.xenstoreWrites) lines.push(...plan.xenstoreWrites);
  else lines.push("(not available yet: lib/devices/plan.ts is not wired in)");
  return lines.join("\n") + "\n";
}

/** The plan as JSON (bigints as numbers or hex strings where they exceed 2^53). */
export function planToJson(plan: DryRunPlan, dts: string): { [key: string]: Json } {
  const num = (n: bigint): Json => (n <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(n) : hex(n));
  const seg = (s?: { start: bigint; end: bigint }): Json =>
    s ? { start: num(s.start), end: num(s.end) } : null;
  return {
    xen_version: formatXenVersion(plan.xenVersion),
    config: toPlain(plan.config) as Json,
    virtio_mmio: plan.virtio.map((r) => ({
      device: r.device,
      base: num(r.base),
      irq: r.irq,
      backend_domid: r.backendDomid,
      grant_usage: r.grantUsage,
    })),
    nr_spis: plan.nrSpis,
    gic_version: plan.gicVersion,
    memory: {
      ram_bytes: num(plan.layout.ramBytes),
      arch: plan.arch,
      banks: plan.layout.banks.map((b) => ({ base: num(b.base), size: num(b.size) })),
      kernel: seg(plan.layout.kernel),
      ramdisk: seg(plan.layout.ramdisk),
      dtb: seg(plan.layout.dtb),
      hypervisor_reg: plan.hypervisorReg.map((r) => ({ base: num(r.base), size: num(r.size) })),
    },
    dtb: { size: plan.dtb.length, attempts: plan.dtbAttempts, dts },
    xenstore_writes: plan.xenstoreWrites ?? null,
    notes: plan.notes,
    warnings: plan.warnings,
  };
}
