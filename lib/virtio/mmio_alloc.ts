/**
 * Virtio-mmio resource allocation for an Arm guest, as libxl's
 * `libxl__arch_domain_prepare_config` (libxl_arm.c) does it (spec §3.4): a 0x200 window
 * per device from `GUEST_VIRTIO_MMIO_BASE` and one SPI per device from
 * `GUEST_VIRTIO_MMIO_SPI_FIRST` (33) to `GUEST_VIRTIO_MMIO_SPI_LAST` (43). Disks with
 * `specification=virtio` come first, then generic `virtio=` devices with transport mmio,
 * each in config order. The IRQ range is the limit: 11 devices per guest.
 *
 * @module
 */
import { XliteError } from "../errors.ts";
import {
  GUEST_VIRTIO_MMIO_BASE,
  GUEST_VIRTIO_MMIO_SIZE,
  GUEST_VIRTIO_MMIO_SPI_FIRST,
  GUEST_VIRTIO_MMIO_SPI_LAST,
  VIRTIO_MMIO_DEV_SIZE,
} from "../arm/mod.ts";
import type { DomainConfig } from "../config/mod.ts";

/** One allocated device: a row of the table `xlite create --dry-run` prints. */
export interface MmioAllocation {
  /** `virtio_disk` (a disk with specification=virtio) or `virtio` (generic device). */
  kind: "virtio_disk" | "virtio";
  /** Index in `config.disks` or `config.virtios`. */
  index: number;
  /** Human label: the disk's vdev, or `virtio<devid>` with its type. */
  device: string;
  /** Base of the 0x200-byte register window. */
  base: bigint;
  /** GIC INTID (SPI number + 32). */
  irq: number;
}

/** Xen's allocation and nr_spis failures (libxl's texts, spec §3.4–§3.5). */
export class ArmConfigError extends XliteError {
  /** Makes the error; `message` is printed as is. */
  constructor(message: string) {
    super(message, { verbatim: true });
    this.name = "ArmConfigError";
  }
}

/** The cursors of one prepare_config call (nothing is freed or reused: no hotplug). */
export interface MmioCursor {
  /** The next window's base. */
  base: bigint;
  /** The next SPI (GIC INTID). */
  irq: number;
}

/** A fresh cursor at the start of the window and the SPI range. */
export function newMmioCursor(): MmioCursor {
  return { base: GUEST_VIRTIO_MMIO_BASE, irq: GUEST_VIRTIO_MMIO_SPI_FIRST };
}

/** `alloc_virtio_mmio_base`: the next window, or libxl's "Ran out" error. */
export function allocateMmioBase(cursor: MmioCursor): bigint {
  if (cursor.base + VIRTIO_MMIO_DEV_SIZE > GUEST_VIRTIO_MMIO_BASE + GUEST_VIRTIO_MMIO_SIZE) {
    throw new ArmConfigError(
      `Ran out of reserved range for Virtio MMIO BASE 0x${cursor.base.toString(16)}`,
    );
  }
  const base = cursor.base;
  cursor.base += VIRTIO_MMIO_DEV_SIZE;
  return base;
}

/** `alloc_virtio_mmio_irq`: the next SPI, or libxl's "Ran out" error. */
export function allocateMmioIrq(cursor: MmioCursor): number {
  if (cursor.irq > GUEST_VIRTIO_MMIO_SPI_LAST) {
    throw new ArmConfigError(`Ran out of reserved range for Virtio MMIO IRQ ${cursor.irq}`);
  }
  return cursor.irq++;
}

/**
 * Allocates base and IRQ for every virtio-mmio device of `config`, writing `base`/`irq`
 * into the disks and virtio devices, and returns the table in allocation order. Throws
 * {@linkcode ArmConfigError} on the 12th device (earlier assignments stay, as in libxl).
 *
 * @example
 * ```ts
 * const rows = allocateVirtioMmio(config);
 * rows[0]; // { kind: "virtio_disk", index: 0, device: "xvda", base: 0x2000000n, irq: 33 }
 * ```
 */
export function allocateVirtioMmio(
  config: Pick<DomainConfig, "disks" | "virtios">,
  cursor: MmioCursor = newMmioCursor(),
): MmioAllocation[] {
  const rows: MmioAllocation[] = [];
  config.disks.forEach((disk, index) => {
    // Tested before disk defaults run (spec §2.8): only an explicit specification=virtio.
    if (disk.specification !== "virtio") return;
    disk.base = allocateMmioBase(cursor);
    disk.irq = allocateMmioIrq(cursor);
    rows.push({
      kind: "virtio_disk",
      index,
      device: disk.vdev ?? `disk${index}`,
      base: disk.base,
      irq: disk.irq,
    });
  });
  config.virtios.forEach((virtio, index) => {
    if (virtio.transport !== "mmio") return;
    virtio.base = allocateMmioBase(cursor);
    virtio.irq = allocateMmioIrq(cursor);
    const label = `virtio${virtio.devid}${virtio.type ? ` (${virtio.type})` : ""}`;
    rows.push({ kind: "virtio", index, device: label, base: virtio.base, irq: virtio.irq });
  });
  return rows;
}

/** The allocation table as text: one aligned row per device, with a header. */
export function formatMmioTable(rows: MmioAllocation[]): string {
  const header = ["device", "kind", "base", "irq"];
  const body = rows.map((r) => [r.device, r.kind, `0x${r.base.toString(16)}`, String(r.irq)]);
  const widths = header.map((h, i) => Math.max(h.length, ...body.map((b) => b[i].length)));
  return [header, ...body]
    .map((cols) => cols.map((c, i) => (i === cols.length - 1 ? c : c.padEnd(widths[i]))).join("  "))
    .join("\n");
}
