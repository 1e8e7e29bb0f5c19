/**
 * libxl's device-tree cell encodings (spec §4.2): 64-bit values split into big-endian
 * cells, `reg` ranges, GIC interrupt specifiers.
 *
 * @module
 */
import { GUEST_ROOT_ADDRESS_CELLS, GUEST_ROOT_SIZE_CELLS } from "./xen_arch_arm.ts";

/** `value` as `count` u32 cells, most significant first, truncated to the cell count. */
export function cellsOf(value: bigint, count: number): number[] {
  const cells: number[] = new Array(count);
  for (let i = count - 1; i >= 0; i--) {
    cells[i] = Number(value & 0xffff_ffffn);
    value >>= 32n;
  }
  return cells;
}

/** One (address, size) pair per range, in root cells (2 + 2) unless told otherwise. */
export function regCells(
  ranges: readonly (readonly [bigint, bigint])[],
  addressCells = GUEST_ROOT_ADDRESS_CELLS,
  sizeCells = GUEST_ROOT_SIZE_CELLS,
): number[] {
  return ranges.flatMap(([base, size]) => [
    ...cellsOf(base, addressCells),
    ...cellsOf(size, sizeCells),
  ]);
}

/**
 * A 3-cell GIC interrupt specifier for INTID `irq` with cpumask 0xf (spec §4.2): PPIs
 * (16–31) as `<1 irq-16 flags>`, SPIs as `<0 irq-32 flags>`. SGIs are never described.
 *
 * @example
 * ```ts
 * gicInterrupt(33, DT_IRQ_TYPE_EDGE_RISING); // [0, 1, 0xf01]
 * ```
 */
export function gicInterrupt(irq: number, type: number): [number, number, number] {
  if (irq < 16) throw new RangeError(`SGI ${irq} cannot be described in a device tree`);
  const ppi = irq < 32;
  return [ppi ? 1 : 0, irq - (ppi ? 16 : 32), (0xf << 8) | type];
}

/** `value` as 8 big-endian bytes (`cpu_to_fdt64`). */
export function u64Bytes(value: bigint): Uint8Array {
  const bytes = new Uint8Array(8);
  new DataView(bytes.buffer).setBigUint64(0, value);
  return bytes;
}

/** Big-endian bytes of u32 cells. */
export function cellBytes(cells: readonly number[]): Uint8Array {
  const bytes = new Uint8Array(cells.length * 4);
  const view = new DataView(bytes.buffer);
  cells.forEach((cell, i) => view.setUint32(i * 4, cell >>> 0));
  return bytes;
}
