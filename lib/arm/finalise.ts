/**
 * libxl's in-place finalisation of the guest DTB after memory layout
 * (`libxl__arch_domain_finalise_hw_description`, spec §4.4): initrd range in `/chosen`,
 * grant table + extended regions in `/hypervisor` reg, and the `memory@…` banks set or
 * nop'ed.
 *
 * @module
 */
import type { IomemRange } from "../config/mod.ts";
import { XliteError } from "../errors.ts";
import { MAX_NR_EXT_REGIONS } from "./guest_dt.ts";
import { type MemoryLayout, type RamBank, roundUp } from "./memory_layout.ts";
import { atLeast, type XenVersion } from "../xen_version/mod.ts";
import {
  GUEST_GNTTAB_BASE,
  GUEST_GNTTAB_SIZE,
  GUEST_RAM_BANK_SIZES,
  GUEST_ROOT_ADDRESS_CELLS,
  GUEST_ROOT_SIZE_CELLS,
} from "./xen_arch_arm.ts";

/** `EXT_REGION_MIN_SIZE`: 64 MiB. */
export const EXT_REGION_MIN_SIZE = 0x400_0000n;
/** What Xen reports as `gpaddr_bits` on the testbed (QEMU virt, 4.17) (spec §3.6). */
export const DEFAULT_GPADDR_BITS = 40;

/** In-place DTB edits, as libfdt's read-write API offers them. */
export interface DtbEditor {
  /** `fdt_setprop_inplace`: same length, no move. */
  setPropertyInPlace(path: string, name: string, value: Uint8Array): void;
  /** `fdt_setprop`: the property may shrink or grow; the blob's totalsize stays. */
  setProperty(path: string, name: string, value: Uint8Array): void;
  /** `fdt_nop_node`: the node and its subtree become FDT_NOP tags. */
  nopNode(path: string): void;
  /** The edited blob. */
  blob(): Uint8Array;
}

/** What Xen would report for the domain, and the config bits finalisation reads. */
export interface FinaliseOptions {
  /** The Xen release whose libxl is emulated. */
  xenVersion: XenVersion;
  /** `libxl_dominfo.gpaddr_bits`; 40 unless told otherwise. */
  gpaddrBits?: number;
  /** `iomem = [...]` ranges, carved out of extended regions from 4.21. */
  iomem?: readonly IomemRange[];
  /** Opens an editor over a copy of the blob. */
  openEditor: (blob: Uint8Array) => DtbEditor;
}

/** An extended region `[base, base + size)`. */
export interface ExtendedRegion {
  /** Guest-physical base. */
  base: bigint;
  /** Size in bytes. */
  size: bigint;
}

/** The finalised DTB and what went into it. */
export interface FinalisedDt {
  /** The finalised DTB (same totalsize as before). */
  blob: Uint8Array;
  /** `/hypervisor` reg: region 0 (grant table) then the extended regions. */
  hypervisorReg: ExtendedRegion[];
  /** libxl's warnings (e.g. no extended region). */
  warnings: string[];
}

/** A finalisation failure. */
export class FinaliseError extends XliteError {
  /** An error with `message` (libxl's or Xen's text). */
  constructor(message: string) {
    super(message);
    this.name = "FinaliseError";
  }
}

/**
 * Edits a built guest DTB as libxl does once memory is laid out.
 *
 * @example
 * ```ts
 * const { blob } = finaliseGuestDt(dt.blob, layout, { xenVersion, openEditor });
 * ```
 */
export function finaliseGuestDt(
  /** The finalised DTB (same totalsize as before). */
  blob: Uint8Array,
  layout: MemoryLayout,
  options: FinaliseOptions,
): FinalisedDt {
  const gpaddrBits = options.gpaddrBits ?? DEFAULT_GPADDR_BITS;
  if (!Number.isInteger(gpaddrBits) || gpaddrBits < 1 || gpaddrBits > 64) {
    throw new FinaliseError(`gpaddr_bits ${gpaddrBits}: must be 1–64 (libxl: ERROR_INVAL)`);
  }
  const editor = options.openEditor(blob);
  if (layout.ramdisk) {
    // both values in one array (each typed array is a separate allocation)
    const initrd = new Uint8Array(16);
    putU64(initrd, 0, layout.ramdisk.start);
    putU64(initrd, 8, layout.ramdisk.end);
    editor.setPropertyInPlace("/chosen", "linux,initrd-start", initrd.subarray(0, 8));
    editor.setPropertyInPlace("/chosen", "linux,initrd-end", initrd.subarray(8, 16));
  }
  const regions = extendedRegions(
    layout.banks,
    gpaddrBits,
    options.xenVersion,
    options.iomem ?? [],
  );
  const warnings = regions.length === 0
    ? ["The extended regions cannot be allocated, not enough space"]
    : [];
  const hypervisorReg = [{ base: GUEST_GNTTAB_BASE, size: GUEST_GNTTAB_SIZE }, ...regions];
  // the hypervisor reg, then each bank's reg, in one array
  const regs = rootRegValue([...hypervisorReg, ...layout.banks]);
  const rangeBytes = (GUEST_ROOT_ADDRESS_CELLS + GUEST_ROOT_SIZE_CELLS) * 4;
  let at = hypervisorReg.length * rangeBytes;
  editor.setProperty("/hypervisor", "reg", regs.subarray(0, at));
  for (const bank of layout.banks) {
    const path = `/memory@${bank.base.toString(16)}`;
    if (bank.size === 0n) editor.nopNode(path);
    else editor.setPropertyInPlace(path, "reg", regs.subarray(at, at + rangeBytes));
    at += rangeBytes;
  }
  return { blob: editor.blob(), hypervisorReg, warnings };
}

/** `u64Bytes(value)` written at `at`: 8 big-endian bytes (`cpu_to_fdt64`). */
function putU64(bytes: Uint8Array, at: number, value: bigint): void {
  if (value >= 0n && value <= MAX_EXACT) {
    // exact as a double: no BigInt arithmetic (each BigInt operation allocates)
    const n = Number(value);
    putCell(bytes, at, Math.floor(n / CELL));
    putCell(bytes, at + 4, n % CELL);
    return;
  }
  putCell(bytes, at, Number(BigInt.asUintN(64, value) >> 32n));
  putCell(bytes, at + 4, Number(BigInt.asUintN(32, value)));
}

/**
 * `cellBytes(ranges.flatMap((r) => rootReg(r.base, r.size)))` in one array: each range as
 * root-level (address, size) cells, big-endian.
 */
function rootRegValue(ranges: readonly { base: bigint; size: bigint }[]): Uint8Array {
  const cellsPerRange = GUEST_ROOT_ADDRESS_CELLS + GUEST_ROOT_SIZE_CELLS;
  const bytes = new Uint8Array(ranges.length * cellsPerRange * 4);
  for (let i = 0; i < ranges.length; i++) {
    const at = i * cellsPerRange * 4;
    putValueCells(bytes, at, ranges[i].base, GUEST_ROOT_ADDRESS_CELLS);
    putValueCells(bytes, at + GUEST_ROOT_ADDRESS_CELLS * 4, ranges[i].size, GUEST_ROOT_SIZE_CELLS);
  }
  return bytes;
}

/** `cellsOf(value, count)` as big-endian bytes at `at`: most significant cell first, truncated. */
function putValueCells(bytes: Uint8Array, at: number, value: bigint, count: number): void {
  if (count === 2 && value >= 0n && value <= MAX_EXACT) {
    const n = Number(value); // exact: no BigInt arithmetic
    putCell(bytes, at, Math.floor(n / CELL));
    putCell(bytes, at + 4, n % CELL);
    return;
  }
  for (let i = count - 1; i >= 0; i--) {
    putCell(bytes, at + i * 4, Number(value & 0xffff_ffffn));
    value >>= 32n;
  }
}

/** 2^32, one cell. */
const CELL = 0x1_0000_0000;
/** 2^53: up to here a u64 is exact as a double. */
const MAX_EXACT = 1n << 53n;

function putCell(bytes: Uint8Array, at: number, cell: number): void {
  bytes[at] = cell >>> 24;
  bytes[at + 1] = (cell >>> 16) & 0xff;
  bytes[at + 2] = (cell >>> 8) & 0xff;
  bytes[at + 3] = cell & 0xff;
}

/**
 * The unused, 2 MiB-aligned tails of the RAM banks, each at least 64 MiB, capped at
 * 2^gpaddrBits; from 4.21 with `iomem` ranges carved out, at most 256 (spec §4.4).
 */
export function extendedRegions(
  banks: readonly RamBank[],
  gpaddrBits: number,
  version: XenVersion,
  iomem: readonly IomemRange[],
): ExtendedRegion[] {
  const limit = (1n << BigInt(gpaddrBits)) - 1n;
  const regions: ExtendedRegion[] = [];
  const modern = atLeast(version, 4, 21);
  const sorted = [...iomem].sort((a, b) => (a.gfn < b.gfn ? -1 : a.gfn > b.gfn ? 1 : 0));
  for (let i = 0; i < banks.length && regions.length < MAX_NR_EXT_REGIONS; i++) {
    let start = banks[i].base + roundUp(banks[i].size, 2n << 20n);
    const bankLast = banks[i].base + GUEST_RAM_BANK_SIZES[i] - 1n;
    const end = limit < bankLast ? limit : bankLast; // inclusive
    if (!modern) {
      if (end > start && end - start + 1n >= EXT_REGION_MIN_SIZE) {
        regions.push({ base: start, size: end - start + 1n });
      }
      continue;
    }
    if (end < start || end - start + 1n < EXT_REGION_MIN_SIZE) continue;
    for (const range of sorted) {
      if (regions.length >= MAX_NR_EXT_REGIONS) break;
      const ioStart = range.gfn << 12n;
      const ioEnd = ((range.gfn + range.numberOfPages) << 12n) - 1n;
      if (ioEnd < start || ioStart > end) continue;
      if (ioStart > start && ioStart - start >= EXT_REGION_MIN_SIZE) {
        regions.push({ base: start, size: ioStart - start });
      }
      start = ioEnd + 1n;
      if (start > end) break;
    }
    if (
      end >= start && regions.length < MAX_NR_EXT_REGIONS && end - start + 1n >= EXT_REGION_MIN_SIZE
    ) {
      regions.push({ base: start, size: end - start + 1n });
    }
  }
  return regions;
}
