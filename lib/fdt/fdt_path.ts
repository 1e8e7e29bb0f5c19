/**
 * libfdt's `fdt_path_offset` for the common case, walked in JavaScript over the blob in
 * libfdt.wasm's memory: an absolute ASCII path in a complete version-17 blob whose tags are
 * all well formed up to the node found. libfdt in WebAssembly re-reads the header for every
 * byte of every node name it skips, which made path lookups most of the finalisation time.
 *
 * The walk is libfdt's (`fdt_subnode_offset_namelen` over `fdt_next_node` and
 * `fdt_next_tag`, the same name rule: `cpu` matches `cpu@0`), with every check libfdt makes
 * on the way. It answers only when it finds the node; anything else (an alias, a name that is
 * not there, any malformed tag or header) is "no answer" and the caller asks libfdt, so
 * errors are always libfdt's own.
 *
 * @module
 */

import {
  FDT_BEGIN_NODE,
  FDT_END_NODE,
  FDT_LAST_SUPPORTED_VERSION,
  FDT_MAGIC,
  FDT_NOP,
  FDT_PROP,
  INT_MAX,
} from "./fdt_format.ts";
const SLASH = 0x2f;
const AT = 0x40;

/**
 * The end of the tag at struct offset `offset` (`fdt_next_tag`'s `*nextoffset`, aligned) for a
 * tag libfdt accepts without complaint, with its kind in `tagOut[0]`; -1 for anything else (a
 * tag or name running past the struct block, an unknown tag, `FDT_END`).
 */
function nextTag(
  u8: Uint8Array,
  view: DataView,
  base: number,
  size: number,
  offset: number,
  tagOut: Int32Array,
): number {
  if (offset + 4 > size) return -1;
  const tag = view.getUint32(base + offset);
  offset += 4;
  if (tag === FDT_BEGIN_NODE) {
    // the name, NUL included, must end inside the struct block
    while (offset < size && u8[base + offset] !== 0) offset++;
    if (offset >= size) return -1;
    offset++;
  } else if (tag === FDT_PROP) {
    if (offset + 4 > size) return -1;
    const len = view.getUint32(base + offset);
    if (len + offset >= INT_MAX) return -1;
    offset += 8 + len;
    if (offset > size) return -1;
  } else if (tag !== FDT_END_NODE && tag !== FDT_NOP) {
    return -1; // FDT_END or garbage: libfdt decides
  }
  tagOut[0] = tag;
  return (offset + 3) & ~3;
}

/** `fdt_nodename_eq_` for `path[from, to)` (ASCII) against the node at struct `offset`. */
function nameEquals(
  u8: Uint8Array,
  base: number,
  offset: number,
  path: string,
  from: number,
  to: number,
): boolean {
  const name = base + offset + 4;
  const len = to - from;
  // the name is NUL-terminated (nextTag checked): a NUL before `len` bytes is a short name
  for (let i = 0; i < len; i++) {
    if (u8[name + i] !== path.charCodeAt(from + i)) return false; // incl. NUL vs non-NUL
  }
  const after = u8[name + len];
  if (after === 0) return true;
  if (after !== AT) return false;
  for (let i = from; i < to; i++) if (path.charCodeAt(i) === AT) return false;
  return true;
}

const tag = new Int32Array(1);

/**
 * `fdt_subnode_offset_namelen(fdt, parent, path + from, to - from)`; -1 when not found or on
 * any anomaly. libfdt's loop (`fdt_next_node` from each node it returns, which re-checks that
 * node's BEGIN_NODE tag first) reads the same tags in the same order as this linear scan:
 * the parent's BEGIN_NODE tag, then every tag after it, depth counted, names compared at
 * depth 1, until the parent's END_NODE.
 */
function subnodeOffset(
  u8: Uint8Array,
  view: DataView,
  base: number,
  size: number,
  parent: number,
  path: string,
  from: number,
  to: number,
): number {
  // fdt_check_node_offset_(parent)
  if (parent < 0 || parent % 4 !== 0) return -1;
  let next = nextTag(u8, view, base, size, parent, tag);
  if (next < 0 || tag[0] !== FDT_BEGIN_NODE) return -1;
  let depth = 0;
  for (;;) {
    const offset = next;
    next = nextTag(u8, view, base, size, offset, tag);
    if (next < 0) return -1;
    const kind = tag[0];
    if (kind === FDT_BEGIN_NODE) {
      if (++depth === 1 && nameEquals(u8, base, offset, path, from, to)) return offset;
    } else if (kind === FDT_END_NODE && --depth < 0) {
      return -1; // no such subnode
    }
  }
}

/**
 * The offset `fdt_path_offset(fdt, path)` returns for the blob at `fdt` in `u8`'s memory when
 * it finds a node, found without calling libfdt; -1 when libfdt must be asked instead.
 */
export function fastPathOffset(u8: Uint8Array, dv: DataView, fdt: number, path: string): number {
  const end = path.length;
  if (end === 0 || path.charCodeAt(0) !== SLASH || fdt % 8 !== 0) return -1;
  for (let i = 0; i < end; i++) {
    const c = path.charCodeAt(i);
    if (c === 0 || c > 0x7f) return -1;
  }
  // fdt_ro_probe_ on a complete tree, and a struct block inside totalsize
  if (dv.getUint32(fdt) !== FDT_MAGIC) return -1;
  const totalSize = dv.getUint32(fdt + 4);
  const offStruct = dv.getUint32(fdt + 8);
  const version = dv.getUint32(fdt + 20);
  // only libfdt's own version is walked here (no v16 quirks)
  if (version < FDT_LAST_SUPPORTED_VERSION || dv.getUint32(fdt + 24) > FDT_LAST_SUPPORTED_VERSION) {
    return -1;
  }
  if (totalSize >= INT_MAX) return -1;
  const size = dv.getUint32(fdt + 36);
  if (offStruct + size > totalSize || fdt + totalSize > u8.length) return -1;
  const base = fdt + offStruct;
  let offset = 0;
  let p = 0;
  while (p < end) {
    while (path.charCodeAt(p) === SLASH) {
      p++;
      if (p === end) return offset;
    }
    let q = path.indexOf("/", p);
    if (q < 0) q = end;
    offset = subnodeOffset(u8, dv, base, size, offset, path, p, q);
    if (offset < 0) return -1;
    p = q;
  }
  return offset;
}
