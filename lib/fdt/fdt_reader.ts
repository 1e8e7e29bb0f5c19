/**
 * Reads a flattened device tree into plain data with libfdt (in WebAssembly): the header is
 * checked by `fdt_check_header`, the structure block is walked tag by tag with
 * `fdt_next_tag`, so NOP'ed nodes vanish and properties after a child are kept, as
 * `dtc -I dtb` does.
 *
 * @module
 */
import { FdtError } from "./fdt_error.ts";
import { FDT_BEGIN_NODE, FDT_END, FDT_END_NODE, FDT_NOP, FDT_PROP } from "./fdt_format.ts";
import { checkBlobHeader, type Libfdt, libfdt } from "./libfdt_wasm.ts";

/** One property: its name and raw value bytes. */
export interface FdtProperty {
  /** Property name. */
  name: string;
  /** Raw value bytes (big-endian cells, NUL-terminated strings, …). */
  value: Uint8Array;
}

/** One node, with properties and children in blob order. */
export interface FdtNode {
  /** Name with unit address (`memory@40000000`); `""` for the root. */
  name: string;
  /** Full path (`/`, `/cpus/cpu@0`). */
  path: string;
  /** Properties, in blob order. */
  properties: FdtProperty[];
  /** Child nodes, in blob order. */
  children: FdtNode[];
}

/** A `/memreserve/` entry. */
export interface FdtReservation {
  /** Start address. */
  address: bigint;
  /** Length in bytes. */
  size: bigint;
}

/** A device tree read from a blob. */
export interface FdtTree {
  /** Header `version` (17 for everything libfdt and dtc write). */
  version: number;
  /** Header `last_comp_version`. */
  lastCompatibleVersion: number;
  /** Header `boot_cpuid_phys`. */
  bootCpuidPhys: number;
  /** Header `totalsize`. */
  totalSize: number;
  /** The memory reservation map, without the terminating entry. */
  memoryReservations: FdtReservation[];
  /** The root node (name `""`, path `/`). */
  root: FdtNode;
  /** The node at `path` (libfdt's `fdt_path_offset` rules: `cpu` matches `cpu@0`). */
  node(path: string): FdtNode | undefined;
  /** The value of property `name` of the node at `path`. */
  getProperty(path: string, name: string): Uint8Array | undefined;
}

const decoder = new TextDecoder();

/**
 * Reads `blob`; a malformed blob is an `FdtError` naming libfdt's complaint.
 *
 * @example
 * ```ts
 * const tree = readFdt(blob);
 * const reg = tree.getProperty("/hypervisor", "reg");
 * ```
 */
export function readFdt(blob: Uint8Array): FdtTree {
  const lib = libfdt();
  if (blob.length < 40) {
    throw new FdtError("fdt_check_header", `blob is ${blob.length} bytes, shorter than a header`);
  }
  const fdt = lib.alloc(blob.length + 16, "readFdt");
  try {
    lib.u8.set(blob, fdt);
    const totalSize = checkBlobHeader(lib, fdt, blob.length);
    const header = new DataView(blob.buffer, blob.byteOffset, 40);
    const root = walk(lib, fdt);
    const tree: FdtTree = {
      version: header.getUint32(20),
      lastCompatibleVersion: header.getUint32(24),
      bootCpuidPhys: header.getUint32(28),
      totalSize,
      memoryReservations: reservations(lib, fdt),
      root,
      node: (path) => findNode(tree, path),
      getProperty: (path, name) =>
        findNode(tree, path)?.properties.find((p) => p.name === name)?.value,
    };
    return tree;
  } finally {
    lib.fn.free(fdt);
  }
}

function reservations(lib: Libfdt, fdt: number): FdtReservation[] {
  const count = lib.check("fdt_num_mem_rsv", lib.fn.fdt_num_mem_rsv(fdt));
  const out = lib.scratch(16);
  const entries: FdtReservation[] = [];
  for (let i = 0; i < count; i++) {
    lib.check("fdt_get_mem_rsv", lib.fn.fdt_get_mem_rsv(fdt, i, out, out + 8));
    entries.push({
      address: lib.view.getBigUint64(out, true),
      size: lib.view.getBigUint64(out + 8, true),
    });
  }
  return entries;
}

function walk(lib: Libfdt, fdt: number): FdtNode {
  const out = lib.scratch(16);
  const stack: FdtNode[] = [];
  let root: FdtNode | undefined;
  let offset = 0;
  for (;;) {
    const tag = lib.fn.fdt_next_tag(fdt, offset, out);
    const next = lib.view.getInt32(out, true);
    if (next < 0) lib.check("fdt_next_tag", next, `at structure offset ${offset}`);
    const parent = stack.at(-1);
    switch (tag) {
      case FDT_BEGIN_NODE: {
        const namePtr = lib.fn.fdt_get_name(fdt, offset, out);
        if (namePtr === 0) lib.check("fdt_get_name", lib.view.getInt32(out, true));
        const name = lib.cString(namePtr);
        if (!parent && root) malformed(`second root node "${name}" at offset ${offset}`);
        const path = !parent ? "/" : parent.path === "/" ? `/${name}` : `${parent.path}/${name}`;
        const node: FdtNode = { name, path, properties: [], children: [] };
        if (parent) parent.children.push(node);
        else root = node;
        stack.push(node);
        break;
      }
      case FDT_PROP: {
        if (!parent) malformed(`property outside any node at offset ${offset}`);
        const valuePtr = lib.fn.fdt_getprop_by_offset(fdt, offset, out, out + 4);
        const len = lib.view.getInt32(out + 4, true);
        if (valuePtr === 0) lib.check("fdt_getprop_by_offset", len, `at offset ${offset}`);
        const name = lib.cString(lib.view.getUint32(out, true));
        parent!.properties.push({ name, value: lib.u8.slice(valuePtr, valuePtr + len) });
        break;
      }
      case FDT_END_NODE:
        if (!stack.pop()) malformed(`unbalanced FDT_END_NODE at offset ${offset}`);
        break;
      case FDT_NOP:
        break;
      case FDT_END:
        if (parent) malformed(`FDT_END inside ${parent.path}`);
        if (!root) malformed("no root node");
        return root!;
      default:
        malformed(`invalid tag 0x${tag.toString(16)} at offset ${offset}`);
    }
    offset = next;
  }
}

function malformed(reason: string): never {
  throw new FdtError("readFdt", `malformed structure block: ${reason}`);
}

/** libfdt's `fdt_path_offset`: `//` collapses, a name without `@` matches `name@unit`. */
function findNode(tree: FdtTree, path: string): FdtNode | undefined {
  let node: FdtNode | undefined = tree.root;
  let rest = path;
  if (!path.startsWith("/")) {
    const slash = path.indexOf("/");
    const alias = slash < 0 ? path : path.slice(0, slash);
    const target = tree.getProperty("/aliases", alias);
    if (!target || target.length === 0 || target[target.length - 1] !== 0) return undefined;
    const aliasPath = decoder.decode(target.subarray(0, target.length - 1));
    if (!aliasPath.startsWith("/")) return undefined;
    node = findNode(tree, aliasPath);
    rest = slash < 0 ? "" : path.slice(slash);
  }
  for (const part of rest.split("/")) {
    if (part === "" || !node) continue;
    node = node.children.find((c) =>
      c.name === part || (!part.includes("@") && c.name.startsWith(part + "@"))
    );
  }
  return node;
}
