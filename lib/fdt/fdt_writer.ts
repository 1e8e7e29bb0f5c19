/**
 * The sequential device-tree writer over libfdt's "sw" API in WebAssembly, in the shape of
 * rust-vmm `vm-fdt`. Misuse is an `FdtError` at the call (nothing half-written is returned);
 * libfdt's `-FDT_ERR_NOSPACE` is an `FdtNoSpaceError` so the caller can restart with a
 * bigger buffer, as libxl does (spec §4.1).
 *
 * @module
 */
import type { FdtWriter } from "./types.ts";
import { FdtError } from "./fdt_error.ts";
import { libfdt, utf8Size } from "./libfdt_wasm.ts";
import { finishSequential } from "./fdt_finish.ts";

/** The largest buffer a writer accepts (the wasm memory is a fixed 16 MiB). */
export const FDT_WRITER_MAX_SIZE = 8 * 1024 * 1024;

/** An `FdtWriter` with the extra calls libfdt's sw API offers. */
export interface FdtSequentialWriter extends FdtWriter {
  /** `fdt_add_reservemap_entry`: a `/memreserve/` entry; only before the root node. */
  reserveMemory(address: bigint, size: bigint): void;
  /** Big-endian u64 values, two cells each. */
  propertyU64s(name: string, values: readonly bigint[]): void;
  /** The buffer size the writer was created with. */
  readonly size: number;
}

/** Options of `createFdtWriter`. */
export interface CreateFdtWriterOptions {
  /**
   * Let a property follow a child node, as libxl does for `/chosen` `rng-seed` after the ACPI
   * `module@…` node (spec §4.3). libfdt's sw API accepts it; dtc warns. Off by default.
   */
  allowPropertyAfterChild?: boolean;
}

interface OpenNode {
  /** The node's name (`""` for the root). */
  name: string;
  /** The enclosing node; undefined for the root. */
  parent: OpenNode | undefined;
  /** The full path, made on first use (only error texts need it). */
  fullPath: string | undefined;
  hasChild: boolean;
  /**
   * Where this node's property names start in the writer's `NameStack` of properties (they
   * run to its top while the node is the innermost open one); `propertySet` holds them too
   * once there are many.
   */
  propertyStart: number;
  propertySet: Set<string> | undefined;
  /** The same for the names of its children, in the writer's stack of child names. */
  childStart: number;
  childSet: Set<string> | undefined;
}

/**
 * Property names that passed `checkName`, with their interned copies in libfdt.wasm (only
 * interned names are kept, so this is as bounded as the name area).
 */
const validNames = new Map<string, number>();

/** Up to this many names a node's list is searched directly; past it, through a Set. */
const SMALL_LIST = 8;

/**
 * Names of the open nodes, innermost last: the innermost node's names are the top of the
 * stack, from its `start` to `top`. A node's names are dropped when it ends (`top` goes back),
 * which leaves its parent's on top again, so no node needs a list of its own.
 */
class NameStack {
  names: string[] = [];
  top = 0;

  /** Whether `name` is among `names[start..top)` (or in `set`, made once they were many). */
  has(start: number, set: Set<string> | undefined, name: string): boolean {
    if (set !== undefined) return set.has(name);
    const names = this.names;
    for (let i = start; i < this.top; i++) if (names[i] === name) return true;
    return false;
  }

  /** Pushes `name`; returns the Set to keep (made when the node's names grow many). */
  add(start: number, set: Set<string> | undefined, name: string): Set<string> | undefined {
    this.names[this.top++] = name;
    if (set !== undefined) return set.add(name);
    return this.top - start > SMALL_LIST ? new Set(this.names.slice(start, this.top)) : undefined;
  }
}

const U64_MAX = (1n << 64n) - 1n;
const U64_LOW = 0xffff_ffffn;
/** 2^53: up to here a u64 is exact as a double. */
const MAX_EXACT = 1n << 53n;
/** 2^32, one cell. */
const CELL = 0x1_0000_0000;

/** Frees the buffers of writers dropped without `finish()` or `abort()`. */
const abandoned = new FinalizationRegistry<number>((ptr) => libfdt().fn.free(ptr));

/** The full path of `node` (`/`, `/cpus/cpu@0`). */
function pathOf(node: OpenNode): string {
  if (node.fullPath === undefined) {
    const parent = node.parent;
    node.fullPath = parent === undefined
      ? "/"
      : parent.parent === undefined
      ? `/${node.name}`
      : `${pathOf(parent)}/${node.name}`;
  }
  return node.fullPath;
}

/**
 * Starts a device tree in a `size`-byte buffer (`fdt_create`); the memory reservation map is
 * closed (`fdt_finish_reservemap`) by the first `beginNode`.
 *
 * Values and names are written straight into libfdt.wasm's memory (no temporary arrays);
 * node paths are only spelt out when an error names them.
 *
 * @example
 * ```ts
 * let size = 4096;
 * for (;;) {
 *   try {
 *     const w = createFdtWriter(size);
 *     w.beginNode("");
 *     w.propertyStrings("compatible", ["xen,xenvm-4.19", "xen,xenvm"]);
 *     w.endNode();
 *     return w.finish();
 *   } catch (e) {
 *     if (!(e instanceof FdtNoSpaceError) || size >= 1 << 20) throw e;
 *     size *= 2; // libxl restarts from scratch with twice the size (spec §4.1)
 *   }
 * }
 * ```
 */
export function createFdtWriter(
  size: number,
  options: CreateFdtWriterOptions = {},
): FdtSequentialWriter {
  if (!Number.isInteger(size) || size <= 0 || size > FDT_WRITER_MAX_SIZE) {
    throw new FdtError(
      "fdt_create",
      `buffer size ${size} is not an integer in 1..${FDT_WRITER_MAX_SIZE}`,
    );
  }
  const s = openWriter(size, options.allowPropertyAfterChild === true);
  return {
    size,
    reserveMemory: (address, length) => reserveMemory(s, address, length),
    beginNode: (name) => beginNode(s, name),
    endNode: () => endNode(s),
    property: (name, value) => property(s, name, value),
    propertyEmpty: (name) => propertyEmpty(s, name),
    propertyU32: (name, value) => propertyU32(s, name, value),
    propertyCells: (name, cells) => propertyCells(s, name, cells),
    propertyU64: (name, value) => propertyU64(s, name, value),
    propertyU64s: (name, values) => propertyU64s(s, name, values),
    propertyString: (name, value) => propertyString(s, name, value),
    propertyStrings: (name, values) => propertyStrings(s, name, values),
    finish: () => finish(s),
    abort: () => release(s),
  };
}

/** One writer's state: its buffer in libfdt.wasm and what the misuse checks need. */
interface WriterState {
  readonly lib: ReturnType<typeof libfdt>;
  readonly size: number;
  readonly allowPropertyAfterChild: boolean;
  /** The buffer in wasm memory; 0 once finished, aborted or failed. */
  buf: number;
  /** Identifies the buffer to the finalisation registry. */
  readonly token: object;
  /** The message of the error that closed the writer, if one did. */
  failure: string | undefined;
  inReserveMap: boolean;
  rootDone: boolean;
  /** The innermost open node. */
  top: OpenNode | undefined;
  /** Property and child names of the open nodes, innermost last. */
  readonly propertyNames: NameStack;
  readonly childNames: NameStack;
  /** The interned copy of a name `propertyNode` found already checked, else 0. */
  knownPtr: number;
  /** Where the current property's NUL-terminated name is (set by `room`). */
  namePtr: number;
}

/** `fdt_create` into a fresh `size`-byte buffer. */
function openWriter(size: number, allowPropertyAfterChild: boolean): WriterState {
  const lib = libfdt();
  const s: WriterState = {
    lib,
    size,
    allowPropertyAfterChild,
    buf: lib.alloc(size, "fdt_create"),
    token: {},
    failure: undefined,
    inReserveMap: true,
    rootDone: false,
    top: undefined,
    propertyNames: new NameStack(),
    childNames: new NameStack(),
    knownPtr: 0,
    namePtr: 0,
  };
  abandoned.register(s.token, s.buf, s.token);
  try {
    check(s, "fdt_create", lib.fn.fdt_create(s.buf, size));
  } catch (error) {
    fail(s, error);
  }
  return s;
}

/** Frees the buffer (once); the writer is closed from then on. */
function release(s: WriterState): void {
  if (s.buf !== 0) {
    abandoned.unregister(s.token);
    s.lib.fn.free(s.buf);
    s.buf = 0;
  }
}

/** Throws unless the writer is still open (every call starts here). */
function enter(s: WriterState, call: string): void {
  if (s.buf === 0) {
    throw new FdtError(
      call,
      s.failure ? `writer failed earlier (${s.failure})` : "writer is closed",
    );
  }
}

/** Any error inside a call releases the buffer and poisons the writer. */
function fail(s: WriterState, error: unknown): never {
  s.failure = (error as Error).message;
  release(s);
  throw error;
}

/** libfdt's result, checked (`FdtNoSpaceError` names this writer's size). */
function check(s: WriterState, call: string, result: number, context?: string): number {
  return s.lib.check(call, result, context, s.size);
}

/** libfdt's result, checked; the context (node path) is only made for an error. */
function checkAt(
  s: WriterState,
  call: string,
  result: number,
  node: OpenNode,
  property?: string,
): void {
  if (result < 0) {
    check(s, call, result, property === undefined ? pathOf(node) : `${pathOf(node)} ${property}`);
  }
}

/** `fdt_finish_reservemap`, once, before the first node. */
function finishReserveMap(s: WriterState): void {
  if (!s.inReserveMap) return;
  check(s, "fdt_finish_reservemap", s.lib.fn.fdt_finish_reservemap(s.buf));
  s.inReserveMap = false;
}

/** `fdt_add_reservemap_entry`: a `/memreserve/` entry, only before the root node. */
function reserveMemory(s: WriterState, address: bigint, length: bigint): void {
  enter(s, "fdt_add_reservemap_entry");
  try {
    if (!s.inReserveMap) {
      throw new FdtError(
        "fdt_add_reservemap_entry",
        "memory reservations must come before the root node",
      );
    }
    checkU64("fdt_add_reservemap_entry", "address", address);
    checkU64("fdt_add_reservemap_entry", "size", length);
    check(s, "fdt_add_reservemap_entry", s.lib.fn.fdt_add_reservemap_entry(s.buf, address, length));
  } catch (error) {
    fail(s, error);
  }
}

/** `fdt_begin_node`: the root first (named ""), then children with unique names. */
function beginNode(s: WriterState, name: string): void {
  enter(s, "fdt_begin_node");
  try {
    const parent = s.top;
    if (!parent) {
      if (s.rootDone) throw new FdtError("fdt_begin_node", `second root node "${name}"`);
      if (name !== "") {
        throw new FdtError("fdt_begin_node", `root node must be named "", not "${name}"`);
      }
    } else {
      checkName("fdt_begin_node", "node", name);
      if (name.includes("/")) {
        throw new FdtError("fdt_begin_node", `node name "${name}" contains '/'`);
      }
      if (s.childNames.has(parent.childStart, parent.childSet, name)) {
        throw new FdtError("fdt_begin_node", `duplicate node "${name}" in ${pathOf(parent)}`);
      }
    }
    const node: OpenNode = {
      name,
      parent,
      fullPath: undefined,
      hasChild: false,
      propertyStart: 0,
      propertySet: undefined,
      childStart: 0,
      childSet: undefined,
    };
    finishReserveMap(s);
    const lib = s.lib;
    let ptr = name === "" ? 0 : lib.name(name);
    if (ptr === 0) {
      const nameSize = utf8Size(name);
      ptr = lib.scratch(nameSize + 1);
      lib.putString(ptr, name, nameSize);
    }
    const result = lib.fn.fdt_begin_node(s.buf, ptr);
    if (result < 0) checkAt(s, "fdt_begin_node", result, node);
    if (parent) {
      parent.hasChild = true;
      parent.childSet = s.childNames.add(parent.childStart, parent.childSet, name);
    }
    node.propertyStart = s.propertyNames.top;
    node.childStart = s.childNames.top;
    s.top = node;
  } catch (error) {
    fail(s, error);
  }
}

/** `fdt_end_node`: closes the innermost open node. */
function endNode(s: WriterState): void {
  enter(s, "fdt_end_node");
  try {
    const node = s.top;
    if (!node) throw new FdtError("fdt_end_node", "no open node (unbalanced endNode)");
    const result = s.lib.fn.fdt_end_node(s.buf);
    if (result < 0) checkAt(s, "fdt_end_node", result, node);
    // its names are done with: the parent's are on top of the stacks again
    s.propertyNames.top = node.propertyStart;
    s.childNames.top = node.childStart;
    s.top = node.parent;
    if (s.top === undefined) s.rootDone = true;
  } catch (error) {
    fail(s, error);
  }
}

/**
 * The checks every property passes once its value is valid, in the order the writer has
 * always made them; returns the open node.
 */
function propertyNode(s: WriterState, name: string): OpenNode {
  const node = s.top;
  if (!node) {
    throw new FdtError("fdt_property", `property "${name}" is outside any node`);
  }
  // a name seen before is valid (and interned): `room` uses it
  s.knownPtr = validNames.get(name) ?? 0;
  if (s.knownPtr === 0) checkName("fdt_property", "property", name);
  if (node.hasChild && !s.allowPropertyAfterChild) {
    throw new FdtError(
      "fdt_property",
      `property "${name}" of ${pathOf(node)} follows a child node (properties come first)`,
    );
  }
  if (s.propertyNames.has(node.propertyStart, node.propertySet, name)) {
    throw new FdtError("fdt_property", `duplicate property "${name}" in ${pathOf(node)}`);
  }
  return node;
}

/**
 * Room in wasm memory for a `valueSize`-byte value (returned) and the name: interned, or
 * written at the start of the scratch area, the value after it.
 */
function room(s: WriterState, name: string, valueSize: number): number {
  const lib = s.lib;
  s.namePtr = s.knownPtr;
  if (s.namePtr === 0) {
    s.namePtr = lib.name(name);
    if (s.namePtr !== 0) validNames.set(name, s.namePtr);
  }
  if (s.namePtr !== 0) return lib.scratch(valueSize === 0 ? 1 : valueSize);
  const nameSize = utf8Size(name);
  s.namePtr = lib.scratch(nameSize + 1 + valueSize);
  return s.namePtr + lib.putString(s.namePtr, name, nameSize);
}

/** `fdt_property` for a value already at `valuePtr`; records the name. */
function emit(s: WriterState, node: OpenNode, name: string, valuePtr: number, length: number) {
  const result = s.lib.fn.fdt_property(s.buf, s.namePtr, valuePtr, length);
  if (result < 0) checkAt(s, "fdt_property", result, node, name);
  node.propertySet = s.propertyNames.add(node.propertyStart, node.propertySet, name);
}

/** A raw property. */
function property(s: WriterState, name: string, value: Uint8Array): void {
  enter(s, "fdt_property");
  try {
    const node = propertyNode(s, name);
    const valuePtr = room(s, name, value.length);
    s.lib.u8.set(value, valuePtr);
    emit(s, node, name, valuePtr, value.length);
  } catch (error) {
    fail(s, error);
  }
}

/** An empty property. */
function propertyEmpty(s: WriterState, name: string): void {
  enter(s, "fdt_property");
  try {
    const node = propertyNode(s, name);
    emit(s, node, name, room(s, name, 0), 0);
  } catch (error) {
    fail(s, error);
  }
}

/** One big-endian u32 cell. */
function propertyU32(s: WriterState, name: string, value: number): void {
  enter(s, "fdt_property");
  try {
    checkCell(name, value);
    const node = propertyNode(s, name);
    const valuePtr = room(s, name, 4);
    s.lib.view.setUint32(valuePtr, value);
    emit(s, node, name, valuePtr, 4);
  } catch (error) {
    fail(s, error);
  }
}

/** Big-endian u32 cells. */
function propertyCells(s: WriterState, name: string, cells: readonly number[]): void {
  enter(s, "fdt_property");
  try {
    const count = cells.length;
    for (let i = 0; i < count; i++) checkCell(name, cells[i]);
    const node = propertyNode(s, name);
    const valuePtr = room(s, name, count * 4);
    const view = s.lib.view;
    for (let i = 0; i < count; i++) view.setUint32(valuePtr + i * 4, cells[i]);
    emit(s, node, name, valuePtr, count * 4);
  } catch (error) {
    fail(s, error);
  }
}

/** One big-endian u64 (two cells). */
function propertyU64(s: WriterState, name: string, value: bigint): void {
  enter(s, "fdt_property");
  try {
    checkU64Value(name, value);
    const node = propertyNode(s, name);
    const valuePtr = room(s, name, 8);
    putU64(s.lib.view, valuePtr, value);
    emit(s, node, name, valuePtr, 8);
  } catch (error) {
    fail(s, error);
  }
}

/** Big-endian u64 values, two cells each. */
function propertyU64s(s: WriterState, name: string, values: readonly bigint[]): void {
  enter(s, "fdt_property");
  try {
    const count = values.length;
    for (let i = 0; i < count; i++) checkU64Value(name, values[i]);
    const node = propertyNode(s, name);
    const valuePtr = room(s, name, count * 8);
    const view = s.lib.view;
    for (let i = 0; i < count; i++) putU64(view, valuePtr + i * 8, values[i]);
    emit(s, node, name, valuePtr, count * 8);
  } catch (error) {
    fail(s, error);
  }
}

/** One NUL-terminated string. */
function propertyString(s: WriterState, name: string, value: string): void {
  enter(s, "fdt_property");
  try {
    checkString(name, value);
    const size = utf8Size(value);
    const node = propertyNode(s, name);
    const valuePtr = room(s, name, size + 1);
    s.lib.putString(valuePtr, value, size);
    emit(s, node, name, valuePtr, size + 1);
  } catch (error) {
    fail(s, error);
  }
}

/** NUL-terminated strings, concatenated. */
function propertyStrings(s: WriterState, name: string, values: readonly string[]): void {
  enter(s, "fdt_property");
  try {
    const count = values.length;
    let total = 0;
    let chars = 0;
    for (let i = 0; i < count; i++) {
      const value = values[i];
      checkString(name, value);
      total += utf8Size(value) + 1;
      chars += value.length + 1;
    }
    const node = propertyNode(s, name);
    const valuePtr = room(s, name, total);
    const lib = s.lib;
    let at = valuePtr;
    for (let i = 0; i < count; i++) {
      const value = values[i];
      // all ASCII (bytes == UTF-16 units): each value's size is its length
      at += lib.putString(at, value, total === chars ? value.length : utf8Size(value));
    }
    emit(s, node, name, valuePtr, total);
  } catch (error) {
    fail(s, error);
  }
}

/** `fdt_finish`: every node closed; returns a copy of the blob and frees the buffer. */
function finish(s: WriterState): Uint8Array {
  enter(s, "fdt_finish");
  try {
    const top = s.top;
    if (top) {
      let depth = 0;
      for (let node: OpenNode | undefined = top; node; node = node.parent) depth++;
      throw new FdtError("fdt_finish", `node ${pathOf(top)} is still open (${depth} unclosed)`);
    }
    if (!s.rootDone) throw new FdtError("fdt_finish", "no root node");
    const { fn, u8, view } = s.lib;
    const buf = s.buf;
    // libfdt's fdt_finish, done in JS when the buffer is as the writer left it
    if (!finishSequential(u8, view, buf)) check(s, "fdt_finish", fn.fdt_finish(buf));
    const total = fn.xlite_fdt_totalsize(buf);
    const blob = new Uint8Array(total);
    blob.set(u8.subarray(buf, buf + total));
    s.failure = undefined;
    release(s);
    return blob;
  } catch (error) {
    return fail(s, error);
  }
}

/** A cell must be a u32. */
function checkCell(name: string, cell: number): void {
  if (!Number.isInteger(cell) || cell < 0 || cell > 0xffff_ffff) {
    throw new FdtError("fdt_property", `cell ${cell} of "${name}" is not a u32`);
  }
}

/** A u64 property value must be a bigint in range. */
function checkU64Value(name: string, value: bigint): void {
  if (typeof value !== "bigint" || value < 0n || value > U64_MAX) {
    throw new FdtError("fdt_property", `value ${value} of "${name}" is not a u64`);
  }
}

/** A string property value may not contain NUL (it would end the string early). */
function checkString(name: string, value: string): void {
  if (value.includes("\0")) {
    throw new FdtError("fdt_property", `string ${JSON.stringify(value)} of "${name}" has NUL`);
  }
}

/** Writes `value` big-endian at `ptr`. */
function putU64(view: DataView, ptr: number, value: bigint): void {
  if (value <= MAX_EXACT) {
    // exact as a double (checked >= 0): no BigInt arithmetic, which allocates
    const n = Number(value);
    view.setUint32(ptr, Math.floor(n / CELL));
    view.setUint32(ptr + 4, n % CELL);
    return;
  }
  view.setUint32(ptr, Number(value >> 32n));
  view.setUint32(ptr + 4, Number(value & U64_LOW));
}

/** Checks a node or property name (not empty, no NUL). */
function checkName(call: string, kind: string, name: string): void {
  if (name === "") throw new FdtError(call, `empty ${kind} name`);
  if (name.includes("\0")) throw new FdtError(call, `${kind} name "${name}" contains NUL`);
}

function checkU64(call: string, what: string, value: bigint): void {
  if (typeof value !== "bigint" || value < 0n || value > U64_MAX) {
    throw new FdtError(call, `${what} ${value} is not a u64`);
  }
}
