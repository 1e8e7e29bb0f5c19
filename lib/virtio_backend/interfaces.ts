/**
 * The seams between a virtio device model and what carries it: the guest's memory, the
 * device's interrupt line and its register window. On real Xen they are foreign mappings of
 * the guest's frames, a `set_irq_level` on the device's SPI and an IOREQ server; in tests and
 * benchmarks they are a memory image and a counter. The device code sees only these.
 *
 * @module
 */

/**
 * The guest's physical memory as the device may touch it. Every access names a guest-physical
 * range; a range that is not wholly guest RAM is refused (the methods return false or null)
 * and nothing is read or written, so a hostile guest cannot point the device outside its RAM.
 */
export interface GuestMemory {
  /**
   * A live view of `length` bytes at guest-physical `gpa` when the range is contiguous in the
   * host mapping (no copy), or null when it is not guest RAM or not mapped contiguously.
   * A view stays valid until the memory is released.
   */
  view(gpa: bigint, length: number): Uint8Array | null;
  /** Copies guest memory at `gpa` into `into`; false (nothing copied) outside guest RAM. */
  read(gpa: bigint, into: Uint8Array): boolean;
  /** Copies `from` into guest memory at `gpa`; false (nothing written) outside guest RAM. */
  write(gpa: bigint, from: Uint8Array): boolean;
}

/**
 * A device's interrupt line. virtio-mmio interrupts are edge-rising in the guest's device tree
 * (spec §4.3), so a carrier may turn `raise` into a pulse.
 */
export interface InterruptLine {
  /** The device has something for the driver (used buffer or configuration change). */
  raise(): void;
}

/**
 * A device's MMIO register window as an IOREQ server sees it: reads and writes of 1, 2, 4 or
 * 8 bytes at an offset inside the window (virtio-mmio: 0x200 bytes).
 */
export interface MmioHandler {
  /** A guest read of `size` bytes at `offset`; the value to return (unused high bits zero). */
  read(offset: number, size: number): bigint;
  /** A guest write of `size` bytes of `value` at `offset`. */
  write(offset: number, size: number, value: bigint): void;
}
