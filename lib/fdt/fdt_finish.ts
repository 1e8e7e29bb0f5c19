/**
 * libfdt's `fdt_finish` for a tree the sequential writer built, done in JavaScript over the
 * buffer in libfdt.wasm's memory: append `FDT_END`, move the strings block up to the end of
 * the structure block, turn every property's name offset from "back from the end of the
 * buffer" into "from the start of the strings block", and write the final header. In
 * WebAssembly, libfdt's walk re-reads the header for every byte of every node name; this was
 * a tenth of a guest DTB's build time.
 *
 * It is a read-only check first, then the edit: anything libfdt would not walk through
 * cleanly (wrong state, no room for `FDT_END`, a malformed tag) leaves the buffer untouched
 * and returns false, and the caller runs libfdt's own `fdt_finish`, errors and all.
 *
 * @module
 */

import {
  FDT_BEGIN_NODE,
  FDT_END,
  FDT_END_NODE,
  FDT_LAST_COMPATIBLE_VERSION,
  FDT_MAGIC,
  FDT_NOP,
  FDT_PROP,
  FDT_SW_MAGIC,
  INT_MAX,
} from "./fdt_format.ts";

/** Struct-block offsets of the properties found by the last `walk` (reused). */
const properties: number[] = [];

/**
 * `fdt_next_tag` over the struct block at `base` (`size` bytes, `FDT_END` included) from
 * offset 0 to the first `FDT_END`, noting property offsets; false when libfdt would stop
 * with an error (a tag or name past the block, an unknown tag).
 */
function walk(u8: Uint8Array, view: DataView, base: number, size: number): boolean {
  properties.length = 0;
  let offset = 0;
  for (;;) {
    if (offset + 4 > size) return false;
    const tag = view.getUint32(base + offset);
    const start = offset;
    offset += 4;
    if (tag === FDT_END) return true;
    if (tag === FDT_BEGIN_NODE) {
      while (offset < size && u8[base + offset] !== 0) offset++;
      if (offset >= size) return false;
      offset++;
    } else if (tag === FDT_PROP) {
      if (offset + 4 > size) return false;
      const len = view.getUint32(base + offset);
      if (len + offset >= INT_MAX) return false;
      offset += 8 + len;
      properties.push(start);
    } else if (tag !== FDT_END_NODE && tag !== FDT_NOP) {
      return false;
    }
    if (offset > size) return false;
    offset = (offset + 3) & ~3;
  }
}

/**
 * Does `fdt_finish(fdt)` for a sequential-write buffer in `u8`'s memory and returns true, or
 * returns false with the buffer untouched when libfdt must do it (and report its error).
 */
export function finishSequential(u8: Uint8Array, view: DataView, fdt: number): boolean {
  if (fdt % 8 !== 0 || view.getUint32(fdt) !== FDT_SW_MAGIC) return false;
  const totalSize = view.getUint32(fdt + 4);
  const offStruct = view.getUint32(fdt + 8);
  const offStrings = view.getUint32(fdt + 12);
  const version = view.getUint32(fdt + 20);
  const sizeStrings = view.getUint32(fdt + 32);
  const sizeStruct = view.getUint32(fdt + 36);
  // FDT_SW_PROBE_STRUCT, and a layout fdt_grab_space_ keeps: struct, free space, strings
  if (offStrings !== totalSize || version < 0x11 || totalSize >= INT_MAX) return false;
  if (fdt + totalSize > u8.length || offStruct + sizeStruct + sizeStrings > totalSize) {
    return false;
  }
  // fdt_grab_space_ for the FDT_END tag
  const newSizeStruct = sizeStruct + 4;
  if (newSizeStruct > totalSize - offStruct - sizeStrings) return false;
  // the walk libfdt makes, on the struct with FDT_END in place (checked before writing it)
  const base = fdt + offStruct;
  const end = base + sizeStruct;
  const saved = view.getUint32(end);
  view.setUint32(end, FDT_END);
  if (!walk(u8, view, base, newSizeStruct)) {
    view.setUint32(end, saved);
    return false;
  }
  view.setUint32(fdt + 36, newSizeStruct);
  const oldStrings = fdt + totalSize - sizeStrings;
  const newStrings = offStruct + newSizeStruct;
  u8.copyWithin(fdt + newStrings, oldStrings, oldStrings + sizeStrings);
  view.setUint32(fdt + 12, newStrings);
  for (const offset of properties) {
    const at = base + offset + 8;
    view.setUint32(at, (view.getInt32(at) + sizeStrings) >>> 0);
  }
  view.setUint32(fdt + 4, newStrings + sizeStrings);
  view.setUint32(fdt + 24, FDT_LAST_COMPATIBLE_VERSION);
  view.setUint32(fdt, FDT_MAGIC);
  return true;
}
