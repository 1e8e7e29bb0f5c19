/**
 * The sequential device-tree writer over libfdt's "sw" API in WebAssembly, in the shape of
 * rust-vmm `vm-fdt`. Misuse is an `FdtError` at the call (nothing half-written is returned);
 * libfdt's `-FDT_ERR_NOSPACE` is an `FdtNoSpaceError` so the caller can restart with a
 * bigger buffer, as libxl does (spec §4.1).
 *
 * @module
 */
import type { FdtWriter } from "./types.ts";
import { FdtError, FdtNoSpaceError } from "./fdt_error.ts";
import { libfdt } from "./libfdt_wasm.ts";

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
  /** Releases the writer's buffer without finishing (also done by any error and `finish`). */
  abort(): void;
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
  path: string;
  hasChild: boolean;
  properties: Set<string>;
  children: Set<string>;
}

const encoder = new TextEncoder();
const U64_MAX = (1n << 64n) - 1n;

/** Frees the buffers of writers dropped without `finish()` or `abort()`. */
const abandoned = new FinalizationRegistry<number>((ptr) => libfdt().fn.free(ptr));

/**
 * Starts a device tree in a `size`-byte buffer (`fdt_create`); the memory reservation map is
 * closed (`fdt_finish_reservemap`) by the first `beginNode`.
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
  let buf = lib.alloc(size, "fdt_create");
  const token = {};
  abandoned.register(token, buf, token);
  const release = () => {
    if (buf !== 0) {
      abandoned.unregister(token);
      lib.fn.free(buf);
      buf = 0;
    }
  };
  let failure: string | undefined;
  let inReserveMap = true;
  let rootDone = false;
  const stack: OpenNode[] = [];

  /** Runs one writer call; any error releases the buffer and poisons the writer. */
  const call = <T>(name: string, body: () => T): T => {
    if (buf === 0) {
      throw new FdtError(name, failure ? `writer failed earlier (${failure})` : "writer is closed");
    }
    try {
      return body();
    } catch (error) {
      failure = (error as Error).message;
      release();
      throw error;
    }
  };
  const check = (name: string, result: number, context?: string) =>
    lib.check(name, result, context, size);
  call("fdt_create", () => check("fdt_create", lib.fn.fdt_create(buf, size)));

  const finishReserveMap = () => {
    if (!inReserveMap) return;
    check("fdt_finish_reservemap", lib.fn.fdt_finish_reservemap(buf));
    inReserveMap = false;
  };

  const writeProperty = (name: string, encode: () => Uint8Array) =>
    call("fdt_property", () => {
      const value = encode();
      const node = stack.at(-1);
      if (!node) {
        throw new FdtError("fdt_property", `property "${name}" is outside any node`);
      }
      const nameBytes = checkName("fdt_property", "property", name);
      if (node.hasChild && !options.allowPropertyAfterChild) {
        throw new FdtError(
          "fdt_property",
          `property "${name}" of ${node.path} follows a child node (properties come first)`,
        );
      }
      if (node.properties.has(name)) {
        throw new FdtError("fdt_property", `duplicate property "${name}" in ${node.path}`);
      }
      const ptr = lib.scratch(nameBytes.length + 1 + value.length);
      const valuePtr = ptr + lib.putCString(ptr, nameBytes);
      lib.u8.set(value, valuePtr);
      check(
        "fdt_property",
        lib.fn.fdt_property(buf, ptr, valuePtr, value.length),
        `${node.path} ${name}`,
      );
      node.properties.add(name);
    });

  return {
    size,
    reserveMemory(address: bigint, length: bigint): void {
      call("fdt_add_reservemap_entry", () => {
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
          lib.fn.fdt_add_reservemap_entry(buf, address, length),
        );
      });
    },
    beginNode(name: string): void {
      call("fdt_begin_node", () => {
        const parent = stack.at(-1);
        let path: string;
        if (!parent) {
          if (rootDone) throw new FdtError("fdt_begin_node", `second root node "${name}"`);
          if (name !== "") {
            throw new FdtError("fdt_begin_node", `root node must be named "", not "${name}"`);
          }
          path = "/";
        } else {
          checkName("fdt_begin_node", "node", name);
          if (name.includes("/")) {
            throw new FdtError("fdt_begin_node", `node name "${name}" contains '/'`);
          }
          if (parent.children.has(name)) {
            throw new FdtError("fdt_begin_node", `duplicate node "${name}" in ${parent.path}`);
          }
          path = parent.path === "/" ? `/${name}` : `${parent.path}/${name}`;
        }
        finishReserveMap();
        const ptr = lib.scratch(name.length * 3 + 1);
        lib.putCString(ptr, encoder.encode(name));
        check("fdt_begin_node", lib.fn.fdt_begin_node(buf, ptr), path);
        if (parent) {
          parent.hasChild = true;
          parent.children.add(name);
        }
        stack.push({ path, hasChild: false, properties: new Set(), children: new Set() });
      });
    },
    endNode(): void {
      call("fdt_end_node", () => {
        const node = stack.at(-1);
        if (!node) throw new FdtError("fdt_end_node", "no open node (unbalanced endNode)");
        check("fdt_end_node", lib.fn.fdt_end_node(buf), node.path);
        stack.pop();
        if (stack.length === 0) rootDone = true;
      });
    },
    property(name: string, value: Uint8Array): void {
      writeProperty(name, () => value);
    },
    propertyEmpty(name: string): void {
      writeProperty(name, () => new Uint8Array(0));
    },
    propertyU32(name: string, value: number): void {
      writeProperty(name, () => cellsBytes(name, [value]));
    },
    propertyCells(name: string, cells: readonly number[]): void {
      writeProperty(name, () => cellsBytes(name, cells));
    },
    propertyU64(name: string, value: bigint): void {
      writeProperty(name, () => u64sBytes(name, [value]));
    },
    propertyU64s(name: string, values: readonly bigint[]): void {
      writeProperty(name, () => u64sBytes(name, values));
    },
    propertyString(name: string, value: string): void {
      writeProperty(name, () => stringsBytes(name, [value]));
    },
    propertyStrings(name: string, values: readonly string[]): void {
      writeProperty(name, () => stringsBytes(name, values));
    },
    finish(): Uint8Array {
      return call("fdt_finish", () => {
        if (stack.length > 0) {
          throw new FdtError(
            "fdt_finish",
            `node ${stack.at(-1)!.path} is still open (${stack.length} unclosed)`,
          );
        }
        if (!rootDone) throw new FdtError("fdt_finish", "no root node");
        check("fdt_finish", lib.fn.fdt_finish(buf));
        const blob = lib.u8.slice(buf, buf + lib.fn.xlite_fdt_totalsize(buf));
        failure = undefined;
        release();
        return blob;
      });
    },
    abort(): void {
      release();
    },
  };
}

/** Checks a node or property name and returns its bytes. */
function checkName(call: string, kind: string, name: string): Uint8Array {
  if (name === "") throw new FdtError(call, `empty ${kind} name`);
  if (name.includes("\0")) throw new FdtError(call, `${kind} name "${name}" contains NUL`);
  return encoder.encode(name);
}

function checkU64(call: string, what: string, value: bigint): void {
  if (typeof value !== "bigint" || value < 0n || value > U64_MAX) {
    throw new FdtError(call, `${what} ${value} is not a u64`);
  }
}

function cellsBytes(name: string, cells: readonly number[]): Uint8Array {
  const bytes = new Uint8Array(cells.length * 4);
  const view = new DataView(bytes.buffer);
  cells.forEach((cell, i) => {
    if (!Number.isInteger(cell) || cell < 0 || cell > 0xffff_ffff) {
      throw new FdtError("fdt_property", `cell ${cell} of "${name}" is not a u32`);
    }
    view.setUint32(i * 4, cell);
  });
  return bytes;
}

function u64sBytes(name: string, values: readonly bigint[]): Uint8Array {
  const bytes = new Uint8Array(values.length * 8);
  const view = new DataView(bytes.buffer);
  values.forEach((value, i) => {
    if (typeof value !== "bigint" || value < 0n || value > U64_MAX) {
      throw new FdtError("fdt_property", `value ${value} of "${name}" is not a u64`);
    }
    view.setBigUint64(i * 8, value);
  });
  return bytes;
}

function stringsBytes(name: string, values: readonly string[]): Uint8Array {
  const parts = values.map((value) => {
    if (value.includes("\0")) {
      throw new FdtError("fdt_property", `string ${JSON.stringify(value)} of "${name}" has NUL`);
    }
    return encoder.encode(value + "\0");
  });
  const bytes = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let offset = 0;
  for (const part of parts) {
    bytes.set(part, offset);
    offset += part.length;
  }
  return bytes;
}

/** libxl's `FDT_MAX_SIZE`: the largest buffer `libxl__prepare_dtb` tries (1 MiB, spec §4.1). */
export const FDT_MAX_SIZE = 1 << 20;

/** Options of `buildFdt`. */
export interface BuildFdtOptions {
  /** First buffer size; libxl starts at 4 KiB. */
  initialSize?: number;
  /** No doubling past this size; libxl stops at `FDT_MAX_SIZE`. */
  maxSize?: number;
}

/** A finished blob and the buffer sizes tried to make it. */
export interface BuiltFdt {
  /** The finished blob (`fdt_totalsize` bytes). */
  blob: Uint8Array;
  /** Every buffer size attempted, in order (the last one succeeded). */
  attempts: number[];
}

/**
 * libxl's sequential-write loop (spec §4.1): runs `fill` on a fresh writer, and on
 * `FdtNoSpaceError` restarts from scratch with twice the buffer, up to 1 MiB.
 *
 * @example
 * ```ts
 * const { blob } = buildFdt((w) => {
 *   w.beginNode("");
 *   w.propertyString("model", "XENVM-4.19");
 *   w.endNode();
 * });
 * ```
 */
export function buildFdt(
  fill: (writer: FdtSequentialWriter) => void,
  options: BuildFdtOptions = {},
): BuiltFdt {
  const maxSize = options.maxSize ?? FDT_MAX_SIZE;
  const attempts: number[] = [];
  for (let size = options.initialSize ?? 4096;; size *= 2) {
    attempts.push(size);
    const writer = createFdtWriter(size);
    try {
      fill(writer);
      return { blob: writer.finish(), attempts };
    } catch (error) {
      writer.abort();
      if (!(error instanceof FdtNoSpaceError) || size >= maxSize) throw error;
    }
  }
}
