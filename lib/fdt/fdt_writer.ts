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
  const lib = libfdt();
  const fn = lib.fn;
  const u8 = lib.u8;
  const view = lib.view;
  const allowPropertyAfterChild = options.allowPropertyAfterChild === true;
  let buf = lib.alloc(size, "fdt_create");
  const token = {};
  abandoned.register(token, buf, token);
  const release = () => {
    if (buf !== 0) {
      abandoned.unregister(token);
      fn.free(buf);
      buf = 0;
    }
  };
  let failure: string | undefined;
  let inReserveMap = true;
  let rootDone = false;
  /** The innermost open node. */
  let top: OpenNode | undefined;
  /** Property and child names of the open nodes, innermost last. */
  const propertyNames = new NameStack();
  const childNames = new NameStack();

  /** Throws unless the writer is still open (every call starts here). */
  const enter = (name: string) => {
    if (buf === 0) {
      throw new FdtError(name, failure ? `writer failed earlier (${failure})` : "writer is closed");
    }
  };
  /** Any error inside a call releases the buffer and poisons the writer. */
  const fail = (error: unknown): never => {
    failure = (error as Error).message;
    release();
    throw error;
  };
  const check = (name: string, result: number, context?: string) =>
    lib.check(name, result, context, size);
  /** libfdt's result, checked; the context (node path) is only made for an error. */
  const checkAt = (name: string, result: number, node: OpenNode, property?: string) => {
    if (result < 0) {
      check(name, result, property === undefined ? pathOf(node) : `${pathOf(node)} ${property}`);
    }
  };
  try {
    check("fdt_create", fn.fdt_create(buf, size));
  } catch (error) {
    fail(error);
  }

  const finishReserveMap = () => {
    if (!inReserveMap) return;
    check("fdt_finish_reservemap", fn.fdt_finish_reservemap(buf));
    inReserveMap = false;
  };

  /**
   * The checks every property passes once its value is valid, in the order the writer has
   * always made them; returns the open node.
   */
  const propertyNode = (name: string): OpenNode => {
    const node = top;
    if (!node) {
      throw new FdtError("fdt_property", `property "${name}" is outside any node`);
    }
    // a name seen before is valid (and interned): `room` uses it
    knownPtr = validNames.get(name) ?? 0;
    if (knownPtr === 0) checkName("fdt_property", "property", name);
    if (node.hasChild && !allowPropertyAfterChild) {
      throw new FdtError(
        "fdt_property",
        `property "${name}" of ${pathOf(node)} follows a child node (properties come first)`,
      );
    }
    if (propertyNames.has(node.propertyStart, node.propertySet, name)) {
      throw new FdtError("fdt_property", `duplicate property "${name}" in ${pathOf(node)}`);
    }
    return node;
  };

  /** The interned copy of a name `propertyNode` found already checked, else 0. */
  let knownPtr = 0;
  /** Where the current property's NUL-terminated name is (set by `room`). */
  let namePtr = 0;
  /**
   * Room in wasm memory for a `valueSize`-byte value (returned) and the name: interned, or
   * written at the start of the scratch area, the value after it.
   */
  const room = (name: string, valueSize: number): number => {
    namePtr = knownPtr;
    if (namePtr === 0) {
      namePtr = lib.name(name);
      if (namePtr !== 0) validNames.set(name, namePtr);
    }
    if (namePtr !== 0) return lib.scratch(valueSize === 0 ? 1 : valueSize);
    const nameSize = utf8Size(name);
    namePtr = lib.scratch(nameSize + 1 + valueSize);
    return namePtr + lib.putString(namePtr, name, nameSize);
  };

  /** `fdt_property` for a value already at `valuePtr`; records the name. */
  const emit = (node: OpenNode, name: string, valuePtr: number, length: number) => {
    const result = fn.fdt_property(buf, namePtr, valuePtr, length);
    if (result < 0) checkAt("fdt_property", result, node, name);
    node.propertySet = propertyNames.add(node.propertyStart, node.propertySet, name);
  };

  const checkCell = (name: string, cell: number) => {
    if (!Number.isInteger(cell) || cell < 0 || cell > 0xffff_ffff) {
      throw new FdtError("fdt_property", `cell ${cell} of "${name}" is not a u32`);
    }
  };
  const checkU64Value = (name: string, value: bigint) => {
    if (typeof value !== "bigint" || value < 0n || value > U64_MAX) {
      throw new FdtError("fdt_property", `value ${value} of "${name}" is not a u64`);
    }
  };
  const checkString = (name: string, value: string) => {
    if (value.includes("\0")) {
      throw new FdtError("fdt_property", `string ${JSON.stringify(value)} of "${name}" has NUL`);
    }
  };
  const putU64 = (ptr: number, value: bigint) => {
    if (value <= MAX_EXACT) {
      // exact as a double (checked >= 0): no BigInt arithmetic, which allocates
      const n = Number(value);
      view.setUint32(ptr, Math.floor(n / CELL));
      view.setUint32(ptr + 4, n % CELL);
      return;
    }
    view.setUint32(ptr, Number(value >> 32n));
    view.setUint32(ptr + 4, Number(value & U64_LOW));
  };

  const property = (name: string, value: Uint8Array) => {
    enter("fdt_property");
    try {
      const node = propertyNode(name);
      const valuePtr = room(name, value.length);
      u8.set(value, valuePtr);
      emit(node, name, valuePtr, value.length);
    } catch (error) {
      fail(error);
    }
  };

  const propertyEmpty = (name: string) => {
    enter("fdt_property");
    try {
      const node = propertyNode(name);
      emit(node, name, room(name, 0), 0);
    } catch (error) {
      fail(error);
    }
  };

  const propertyU32 = (name: string, value: number) => {
    enter("fdt_property");
    try {
      checkCell(name, value);
      const node = propertyNode(name);
      const valuePtr = room(name, 4);
      view.setUint32(valuePtr, value);
      emit(node, name, valuePtr, 4);
    } catch (error) {
      fail(error);
    }
  };

  const propertyCells = (name: string, cells: readonly number[]) => {
    enter("fdt_property");
    try {
      const count = cells.length;
      for (let i = 0; i < count; i++) checkCell(name, cells[i]);
      const node = propertyNode(name);
      const valuePtr = room(name, count * 4);
      for (let i = 0; i < count; i++) view.setUint32(valuePtr + i * 4, cells[i]);
      emit(node, name, valuePtr, count * 4);
    } catch (error) {
      fail(error);
    }
  };

  const propertyU64 = (name: string, value: bigint) => {
    enter("fdt_property");
    try {
      checkU64Value(name, value);
      const node = propertyNode(name);
      const valuePtr = room(name, 8);
      putU64(valuePtr, value);
      emit(node, name, valuePtr, 8);
    } catch (error) {
      fail(error);
    }
  };

  const propertyU64s = (name: string, values: readonly bigint[]) => {
    enter("fdt_property");
    try {
      const count = values.length;
      for (let i = 0; i < count; i++) checkU64Value(name, values[i]);
      const node = propertyNode(name);
      const valuePtr = room(name, count * 8);
      for (let i = 0; i < count; i++) putU64(valuePtr + i * 8, values[i]);
      emit(node, name, valuePtr, count * 8);
    } catch (error) {
      fail(error);
    }
  };

  const propertyString = (name: string, value: string) => {
    enter("fdt_property");
    try {
      checkString(name, value);
      const size = utf8Size(value);
      const node = propertyNode(name);
      const valuePtr = room(name, size + 1);
      lib.putString(valuePtr, value, size);
      emit(node, name, valuePtr, size + 1);
    } catch (error) {
      fail(error);
    }
  };

  const propertyStrings = (name: string, values: readonly string[]) => {
    enter("fdt_property");
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
      const node = propertyNode(name);
      const valuePtr = room(name, total);
      let at = valuePtr;
      for (let i = 0; i < count; i++) {
        const value = values[i];
        // all ASCII (bytes == UTF-16 units): each value's size is its length
        at += lib.putString(at, value, total === chars ? value.length : utf8Size(value));
      }
      emit(node, name, valuePtr, total);
    } catch (error) {
      fail(error);
    }
  };

  return {
    size,
    reserveMemory(address: bigint, length: bigint): void {
      enter("fdt_add_reservemap_entry");
      try {
        if (!inReserveMap) {
          throw new FdtError(
            "fdt_add_reservemap_entry",
            "memory reservations must come before the root node",
          );
        }
        checkU64("fdt_add_reservemap_entry", "address", address);
        checkU64("fdt_add_reservemap_entry", "size", length);
        check(
          "fdt_add_reservemap_entry",
          fn.fdt_add_reservemap_entry(buf, address, length),
        );
      } catch (error) {
        fail(error);
      }
    },
    beginNode(name: string): void {
      enter("fdt_begin_node");
      try {
        const parent = top;
        if (!parent) {
          if (rootDone) throw new FdtError("fdt_begin_node", `second root node "${name}"`);
          if (name !== "") {
            throw new FdtError("fdt_begin_node", `root node must be named "", not "${name}"`);
          }
        } else {
          checkName("fdt_begin_node", "node", name);
          if (name.includes("/")) {
            throw new FdtError("fdt_begin_node", `node name "${name}" contains '/'`);
          }
          if (childNames.has(parent.childStart, parent.childSet, name)) {
            throw new FdtError(
              "fdt_begin_node",
              `duplicate node "${name}" in ${pathOf(parent)}`,
            );
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
        finishReserveMap();
        let ptr = name === "" ? 0 : lib.name(name);
        if (ptr === 0) {
          const nameSize = utf8Size(name);
          ptr = lib.scratch(nameSize + 1);
          lib.putString(ptr, name, nameSize);
        }
        const result = fn.fdt_begin_node(buf, ptr);
        if (result < 0) checkAt("fdt_begin_node", result, node);
        if (parent) {
          parent.hasChild = true;
          parent.childSet = childNames.add(parent.childStart, parent.childSet, name);
        }
        node.propertyStart = propertyNames.top;
        node.childStart = childNames.top;
        top = node;
      } catch (error) {
        fail(error);
      }
    },
    endNode(): void {
      enter("fdt_end_node");
      try {
        const node = top;
        if (!node) throw new FdtError("fdt_end_node", "no open node (unbalanced endNode)");
        const result = fn.fdt_end_node(buf);
        if (result < 0) checkAt("fdt_end_node", result, node);
        // its names are done with: the parent's are on top of the stacks again
        propertyNames.top = node.propertyStart;
        childNames.top = node.childStart;
        top = node.parent;
        if (top === undefined) rootDone = true;
      } catch (error) {
        fail(error);
      }
    },
    property,
    propertyEmpty,
    propertyU32,
    propertyCells,
    propertyU64,
    propertyU64s,
    propertyString,
    propertyStrings,
    finish(): Uint8Array {
      enter("fdt_finish");
      try {
        if (top) {
          let depth = 0;
          for (let node: OpenNode | undefined = top; node; node = node.parent) depth++;
          throw new FdtError(
            "fdt_finish",
            `node ${pathOf(top)} is still open (${depth} unclosed)`,
          );
        }
        if (!rootDone) throw new FdtError("fdt_finish", "no root node");
        // libfdt's fdt_finish, done in JS when the buffer is as the writer left it
        if (!finishSequential(u8, view, buf)) check("fdt_finish", fn.fdt_finish(buf));
        const total = fn.xlite_fdt_totalsize(buf);
        const blob = new Uint8Array(total);
        blob.set(u8.subarray(buf, buf + total));
        failure = undefined;
        release();
        return blob;
      } catch (error) {
        return fail(error);
      }
    },
    abort(): void {
      release();
    },
  };
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
