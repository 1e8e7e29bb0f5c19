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

const FDT_MAGIC = 0xd00dfeed;
const FDT_BEGIN_NODE = 1;
const FDT_END_NODE = 2;
const FDT_PROP = 3;
const FDT_NOP = 4;
/** `FDT_LAST_SUPPORTED_VERSION`; also the lowest version walked here (no v16 quirks). */
const FDT_VERSION = 0x11;
const INT_MAX = 0x7fff_ffff;
const SLASH = 0x2f;
const AT = 0x40;

/** The blob being walked: struct block base (absolute) and size. */
let base = 0;
let structSize = 0;
let bytes: Uint8Array;
let view: DataView;
/** `fdt_next_tag`'s `*nextoffset` of the last `nextTag` call. */
let nextOffset = 0;

/**
 * `fdt_next_tag` for a tag libfdt accepts without complaint; -1 for anything else (a tag
 * or name running past the struct block, an unknown tag, `FDT_END`).
 */
function nextTag(offset: number): number {
  if (offset + 4 > structSize) return -1;
  const tag = view.getUint32(base + offset);
  const start = offset;
  offset += 4;
  switch (tag) {
    case FDT_BEGIN_NODE: {
      // the name, NUL included, must end inside the struct block
      while (offset < structSize && bytes[base + offset] !== 0) offset++;
      if (offset >= structSize) return -1;
      offset++;
      break;
    }
    case FDT_PROP: {
      if (offset + 4 > structSize) return -1;
      const len = view.getUint32(base + offset);
      const sum = len + offset;
      if (sum >= INT_MAX) return -1;
      offset += 8 + len;
      break;
    }
    case FDT_END_NODE:
    case FDT_NOP:
      break;
    default:
      return -1; // FDT_END or garbage: libfdt decides
  }
  if (offset > structSize || offset - start < 0) return -1;
  nextOffset = (offset + 3) & ~3;
  return tag;
}

/** `fdt_check_node_offset_`: the end of the BEGIN_NODE tag at `offset`, or -1. */
function checkNodeOffset(offset: number): number {
  if (offset < 0 || offset % 4 !== 0) return -1;
  return nextTag(offset) === FDT_BEGIN_NODE ? nextOffset : -1;
}

/**
 * The node `nextNode` found last and the end of its BEGIN_NODE tag: `fdt_next_node` checks
 * the node it starts from again (`fdt_check_node_offset_`), which gives this same answer.
 */
let foundNode = -1;
let foundNodeEnd = 0;

/** `fdt_next_node` with a depth; the next node's offset, or -1 (including "none left"). */
let depth = 0;
function nextNode(offset: number): number {
  let next = offset === foundNode ? foundNodeEnd : checkNodeOffset(offset);
  if (next < 0) return -1;
  for (;;) {
    offset = next;
    const tag = nextTag(offset);
    if (tag < 0) return -1;
    next = nextOffset;
    if (tag === FDT_BEGIN_NODE) {
      depth++;
      foundNode = offset;
      foundNodeEnd = next;
      return offset;
    }
    if (tag === FDT_END_NODE && --depth < 0) return -1; // no such subnode
  }
}

/** `fdt_nodename_eq_` for `path[from, to)` (ASCII) against the node at `offset`. */
function nameEquals(offset: number, path: string, from: number, to: number): boolean {
  const name = base + offset + 4;
  const len = to - from;
  // the name is NUL-terminated (nextTag checked): a NUL before `len` bytes is a short name
  for (let i = 0; i < len; i++) {
    if (bytes[name + i] !== path.charCodeAt(from + i)) return false; // incl. NUL vs non-NUL
  }
  const after = bytes[name + len];
  if (after === 0) return true;
  if (after !== AT) return false;
  for (let i = from; i < to; i++) if (path.charCodeAt(i) === AT) return false;
  return true;
}

/** `fdt_subnode_offset_namelen`; -1 when not found or on any anomaly. */
function subnodeOffset(offset: number, path: string, from: number, to: number): number {
  depth = 0;
  while (offset >= 0 && depth >= 0) {
    if (depth === 1 && nameEquals(offset, path, from, to)) return offset;
    offset = nextNode(offset);
  }
  return -1;
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
  if (version < FDT_VERSION || dv.getUint32(fdt + 24) > FDT_VERSION) return -1;
  if (totalSize >= INT_MAX) return -1;
  const size = dv.getUint32(fdt + 36);
  if (offStruct + size > totalSize || fdt + totalSize > u8.length) return -1;
  bytes = u8;
  view = dv;
  base = fdt + offStruct;
  structSize = size;
  foundNode = -1;
  let offset = 0;
  let p = 0;
  while (p < end) {
    while (path.charCodeAt(p) === SLASH) {
      p++;
      if (p === end) return offset;
    }
    let q = path.indexOf("/", p);
    if (q < 0) q = end;
    offset = subnodeOffset(offset, path, p, q);
    if (offset < 0) return -1;
    p = q;
  }
  return offset;
}
