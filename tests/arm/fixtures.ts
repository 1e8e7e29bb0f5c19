// Shared by tests/arm: domain configs built by hand (no parser), the real libfdt-wasm
// writer/editor, and the native libfdt peer (bench/native/dtb, built by tests/setup.sh).
import type { DomainConfig, VirtioDevice } from "../../lib/config/types.ts";
import type { DiskSpec } from "../../lib/disk/types.ts";
import { createFdtWriter, editFdt } from "../../lib/fdt/mod.ts";
import { buildGuestDt, type GuestDtOptions } from "../../lib/arm/guest_dt.ts";
import { layoutMemory, type MemoryLayout } from "../../lib/arm/memory_layout.ts";
import { type FinalisedDt, finaliseGuestDt } from "../../lib/arm/finalise.ts";
import { probeKernel, syntheticArm64Image } from "../../lib/arm/kernel_image.ts";
import type { XenVersion } from "../../lib/xen_version/mod.ts";

export const ZERO_SEED = new Uint8Array(128);
export const PEER = new URL("../../.build/dtb-peer/dtb_peer", import.meta.url).pathname;

export function guestConfig(overrides: Partial<DomainConfig> = {}): DomainConfig {
  return {
    source: "test.cfg",
    name: "guest",
    type: "pvh",
    memory: 128,
    maxmem: 128,
    vcpus: 1,
    maxvcpus: 1,
    kernel: "Image",
    cmdline: "console=hvc0",
    disks: [],
    virtios: [],
    vifs: [],
    gicVersion: "default",
    tee: "none",
    dtdev: [],
    iomem: [],
    irqs: [],
    onPoweroff: "destroy",
    onReboot: "restart",
    onCrash: "destroy",
    warnings: [],
    ...overrides,
  };
}

/** A virtio disk already through allocation (k-th device: base 0x2000000 + 0x200k, irq 33 + k). */
export function virtioDisk(k: number, backendDomid = 0, grantUsage?: boolean): DiskSpec {
  return {
    backendDomid,
    pdevPath: `/img/d${k}`,
    vdev: `xvd${String.fromCharCode(97 + k)}`,
    backend: "standalone",
    format: "raw",
    removable: 0,
    readwrite: 1,
    isCdrom: 0,
    directIoSafe: false,
    specification: "virtio",
    transport: "mmio",
    irq: 33 + k,
    base: 0x2000000n + 0x200n * BigInt(k),
    coloPort: 0,
    grantUsage,
  };
}

export function genericVirtio(
  k: number,
  type: string,
  backendDomid = 1,
  grantUsage?: boolean,
): VirtioDevice {
  return {
    backendDomid,
    type,
    transport: "mmio",
    grantUsage,
    devid: k,
    irq: 33 + k,
    base: 0x2000000n + 0x200n * BigInt(k),
  };
}

export interface Built {
  attempts: number[];
  layout: MemoryLayout;
  finalised: FinalisedDt;
  unfinalised: Uint8Array;
}

/** Build + layout + finalise with the real libfdt-wasm, zero rng-seed. */
export async function buildAll(
  config: DomainConfig,
  xenVersion: XenVersion,
  extra: Partial<GuestDtOptions> & { ramdiskSize?: number; gpaddrBits?: number } = {},
): Promise<Built> {
  const hasRamdisk = extra.ramdiskSize !== undefined;
  const dt = buildGuestDt(config, {
    xenVersion,
    gicVersion: "v3",
    hasRamdisk,
    rngSeed: ZERO_SEED,
    newWriter: createFdtWriter,
    ...extra,
  });
  const kernel = await probeKernel(syntheticArm64Image(), "Image");
  const layout = layoutMemory({
    memoryMiB: config.maxmem,
    kernel,
    ramdiskSize: extra.ramdiskSize,
    dtbSize: dt.blob.length,
  });
  const finalised = finaliseGuestDt(dt.blob, layout, {
    xenVersion,
    gpaddrBits: extra.gpaddrBits,
    iomem: config.iomem,
    openEditor: editFdt,
  });
  return { attempts: dt.attempts, layout, finalised, unfinalised: dt.blob };
}

/** The native peer's arguments for the same guest. */
export function peerArgs(
  config: DomainConfig,
  v: XenVersion,
  built: Built,
  gic: "v2" | "v3" = "v3",
): string[] {
  const args = [
    "--xen",
    `${v.major}.${v.minor}`,
    "--vcpus",
    String(config.maxvcpus),
    "--gic",
    gic === "v2" ? "2" : "3",
  ];
  if (config.vuart) args.push("--vuart");
  if (config.tee === "optee") args.push("--optee");
  if (config.cmdline !== undefined) args.push("--cmdline", config.cmdline);
  const rd = built.layout.ramdisk;
  if (rd) args.push("--ramdisk", `0x${rd.start.toString(16)},0x${rd.end.toString(16)}`);
  const modern = v.minor >= 19;
  for (const d of config.disks.filter((d) => d.specification === "virtio")) {
    const grant = modern ? d.grantUsage ?? d.backendDomid !== 0 : d.backendDomid !== 0;
    args.push("--disk", `0x${d.base.toString(16)},${d.irq},${d.backendDomid},${grant ? 1 : 0}`);
  }
  if (v.minor >= 18) {
    for (const dev of config.virtios) {
      const grant = dev.grantUsage ?? dev.backendDomid !== 0;
      args.push(
        "--virtio",
        `0x${dev.base.toString(16)},${dev.irq},${dev.backendDomid},${grant ? 1 : 0},${dev.type}`,
      );
    }
  }
  for (const r of built.finalised.hypervisorReg) {
    args.push("--hyp-reg", `0x${r.base.toString(16)},0x${r.size.toString(16)}`);
  }
  for (const b of built.layout.banks) {
    args.push("--bank", `0x${b.base.toString(16)},0x${b.size.toString(16)}`);
  }
  return args;
}

/** Runs the native peer; returns its DTB. */
export async function peerDtb(args: string[]): Promise<Uint8Array> {
  const out = await new Deno.Command(PEER, { args, stdout: "piped", stderr: "piped" }).output();
  if (!out.success) throw new Error(`dtb_peer failed: ${new TextDecoder().decode(out.stderr)}`);
  return out.stdout;
}

/** `dtc -I dtb -O dts` of a blob: [stdout, stderr]. */
export async function dtc(
  blob: Uint8Array,
  ...flags: string[]
): Promise<[string, string, boolean]> {
  const child = new Deno.Command("dtc", {
    args: ["-I", "dtb", "-O", "dts", ...flags, "-"],
    stdin: "piped",
    stdout: "piped",
    stderr: "piped",
  }).spawn();
  const writer = child.stdin.getWriter();
  await writer.write(blob);
  await writer.close();
  const out = await child.output();
  const dec = new TextDecoder();
  return [dec.decode(out.stdout), dec.decode(out.stderr), out.success];
}

/** `fdtdump` of a blob (via a temp file it removes): [stdout, stderr, success]. */
export async function fdtdump(blob: Uint8Array): Promise<[string, string, boolean]> {
  const file = await Deno.makeTempFile({ prefix: "xlite-fdtdump-", suffix: ".dtb" });
  try {
    await Deno.writeFile(file, blob);
    const out = await new Deno.Command("fdtdump", {
      args: [file],
      stdout: "piped",
      stderr: "piped",
    })
      .output();
    const dec = new TextDecoder();
    return [dec.decode(out.stdout), dec.decode(out.stderr), out.success];
  } finally {
    await Deno.remove(file);
  }
}
