/**
 * Xen's Arm domain builder memory layout (`xg_dom_arm.c` `meminit`, spec §3.6): RAM banks
 * from the domain's memory, then the kernel, the ramdisk and the DTB placed as Xen places
 * them. Error texts are Xen's.
 *
 * @module
 */
import { XliteError } from "../errors.ts";
import type { KernelImage } from "./kernel_image.ts";
import {
  GUEST_RAM0_BASE,
  GUEST_RAM_BANK_BASES,
  GUEST_RAM_BANK_SIZES,
  GUEST_RAM_BANKS,
  GUEST_RAM_MAX,
} from "./xen_arch_arm.ts";

const PAGE = 4096n;
const MiB = 1n << 20n;

/** A half-open guest-physical range `[start, end)`. */
export interface Segment {
  /** First byte. */
  start: bigint;
  /** One past the last byte. */
  end: bigint;
}

/** One RAM bank and how much of it the guest got. */
export interface RamBank {
  /** The bank's guest-physical base. */
  base: bigint;
  /** Bytes allocated in this bank (0: the bank's memory node is nop'ed). */
  size: bigint;
}

/** Where everything goes. */
export interface MemoryLayout {
  /** Guest RAM in bytes (the domain's maximum memory). */
  ramBytes: bigint;
  /** Both RAM banks, in bank order. */
  banks: RamBank[];
  /** The kernel segment. */
  kernel: Segment;
  /** The boot modules' base (ramdisk, then DTB). */
  moduleBase: bigint;
  /** The ramdisk segment (page-rounded end), when there is a ramdisk. */
  ramdisk?: Segment;
  /** The DTB segment (page-rounded). */
  dtb: Segment;
}

/** What `meminit` is given. */
export interface MemoryLayoutInput {
  /** Guest RAM in MiB (`maxmem`, else `memory`). */
  memoryMiB: number;
  /** The kernel segment. */
  kernel: KernelImage;
  /** Ramdisk file length in bytes, or undefined without a ramdisk. */
  ramdiskSize?: number;
  /** The DTB's total size in bytes. */
  dtbSize: number;
}

/** A domain-builder failure (`meminit`), with Xen's text. */
export class MemoryLayoutError extends XliteError {
  /** An error with `message` (libxl's or Xen's text). */
  constructor(message: string) {
    super(message);
    this.name = "MemoryLayoutError";
  }
}

/** `x` rounded up to a multiple of `align` (a power of two). */
export function roundUp(x: bigint, align: bigint): bigint {
  return (x + align - 1n) & ~(align - 1n);
}

/** Splits `ramBytes` over the banks: bank 0 up to 3 GiB, the rest in bank 1. */
export function ramBanks(ramBytes: bigint): RamBank[] {
  let left = ramBytes;
  const banks: RamBank[] = [];
  for (let i = 0; i < GUEST_RAM_BANKS; i++) {
    const size = left > GUEST_RAM_BANK_SIZES[i] ? GUEST_RAM_BANK_SIZES[i] : left;
    left -= size;
    banks.push({ base: GUEST_RAM_BANK_BASES[i], size });
  }
  return banks;
}

/**
 * Lays out a guest's memory as `meminit` does.
 *
 * @example
 * ```ts
 * // 128 MiB and a 989,558-byte ramdisk: ramdisk 0x47f0d000–0x47fff000, DTB at 0x47fff000.
 * layoutMemory({ memoryMiB: 128, kernel, ramdiskSize: 989558, dtbSize: 2000 });
 * ```
 */
export function layoutMemory(input: MemoryLayoutInput): MemoryLayout {
  const ramBytes = BigInt(input.memoryMiB) * MiB;
  const kernbase = GUEST_RAM0_BASE + input.kernel.loadOffset;
  const kernel = { start: kernbase, end: kernbase + BigInt(input.kernel.size) };
  const kernend = roundUp(kernel.end, 2n * MiB);
  const kernsize = kernend - kernbase;
  const dtbSize = roundUp(BigInt(input.dtbSize), PAGE);
  const ramdiskSize = input.ramdiskSize === undefined
    ? 0n
    : roundUp(BigInt(input.ramdiskSize), PAGE);
  const modsize = dtbSize + ramdiskSize;
  const ram128mb = GUEST_RAM0_BASE + 128n * MiB;

  if (modsize + kernsize > GUEST_RAM_BANK_SIZES[0]) {
    throw new MemoryLayoutError("meminit: Not enough memory for the kernel+dtb+initrd");
  }
  if (ramBytes === 0n) throw new MemoryLayoutError("meminit: ram size is 0");
  if (ramBytes > GUEST_RAM_MAX) {
    throw new MemoryLayoutError(
      `meminit: ram size is too large for guest address space: ${ramBytes.toString(16)} > ${
        GUEST_RAM_MAX.toString(16)
      }`,
    );
  }
  const banks = ramBanks(ramBytes);
  const bank0end = GUEST_RAM0_BASE + banks[0].size;

  // Boot modules at 128 MiB, else at the top of bank 0, else just below the kernel.
  let moduleBase: bigint;
  if (bank0end >= ram128mb + modsize && kernend < ram128mb) moduleBase = ram128mb;
  else if (bank0end - modsize > kernend) moduleBase = bank0end - modsize;
  else if (kernbase - GUEST_RAM0_BASE > modsize) moduleBase = kernbase - modsize;
  else {
    throw new MemoryLayoutError(
      "xc_dom_boot_mem_init: can't allocate low memory for domain (no room for the boot modules)",
    );
  }

  let cursor = moduleBase;
  let ramdisk: Segment | undefined;
  if (input.ramdiskSize !== undefined) {
    ramdisk = { start: cursor, end: cursor + ramdiskSize };
    cursor += ramdiskSize;
  }
  const dtb = { start: cursor, end: cursor + dtbSize };
  return { ramBytes, banks, kernel, moduleBase, ramdisk, dtb };
}
