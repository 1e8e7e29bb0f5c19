/**
 * Edits a finished blob with libfdt's read-write API, as libxl's finalisation does after
 * memory is laid out (spec §4.4): `fdt_setprop` (the value may shrink or grow),
 * `fdt_setprop_inplace` (same length), `fdt_nop_node`.
 *
 * The blob keeps its `totalsize` like libxl's in-place edits; only when a value grows past
 * the free space is the blob re-opened (`fdt_open_into`) with just enough room.
 *
 * @module
 */
import { FDT_ERR_NOSPACE, FdtError } from "./fdt_error.ts";
import { type Libfdt, libfdt } from "./libfdt_wasm.ts";

/** An editor over a copy of one blob. */
export interface FdtEditor {
  /** `fdt_setprop`: sets (or adds) property `name` of the node at `path`; may move data. */
  setProperty(path: string, name: string, value: Uint8Array): void;
  /** `fdt_setprop_inplace`: overwrites an existing property with a value of the same length. */
  setPropertyInPlace(path: string, name: string, value: Uint8Array): void;
  /** `fdt_nop_node`: the node and its subtree become NOP tags (gone for every reader). */
  nopNode(path: string): void;
  /** `fdt_pack`: drops free space, so `totalsize` is what the tree needs. */
  pack(): void;
  /** A copy of the edited blob (`totalsize` bytes). */
  bytes(): Uint8Array;
  /** Same as `bytes()`. */
  blob(): Uint8Array;
}

const FDT_ERR_BADLAYOUT = 10;
const encoder = new TextEncoder();

/**
 * Opens an editor over a copy of `blob` (its header is checked first).
 *
 * @example
 * ```ts
 * const editor = editFdt(blob);
 * editor.setProperty("/hypervisor", "reg", reg); // shrinks the 257-entry placeholder
 * editor.nopNode("/memory@200000000");
 * const finished = editor.bytes();
 * ```
 */
export function editFdt(blob: Uint8Array): FdtEditor {
  const lib = libfdt();
  let current = withBlob(lib, blob, 0, (fdt) => {
    lib.check("fdt_check_header", lib.fn.fdt_check_header(fdt));
    const total = lib.fn.xlite_fdt_totalsize(fdt);
    if (total > blob.length) {
      throw new FdtError(
        "fdt_check_header",
        `header totalsize ${total} exceeds the ${blob.length}-byte blob`,
      );
    }
    return total;
  }).blob;

  /** Runs `edit` on the blob in wasm memory; the blob there has `extra` spare bytes. */
  const apply = (extra: number, edit: (fdt: number) => void) => {
    current = withBlob(lib, current, extra, edit).blob;
  };

  const setProperty = (call: "fdt_setprop" | "fdt_setprop_inplace") =>
  (
    path: string,
    name: string,
    value: Uint8Array,
  ): void => {
    const nameBytes = encoder.encode(name);
    const attempt = (extra: number) =>
      apply(extra, (fdt) => {
        const node = pathOffset(lib, fdt, path);
        const ptr = lib.scratch(nameBytes.length + 1 + value.length + 8);
        const valuePtr = ptr + lib.putCString(ptr, nameBytes);
        lib.u8.set(value, valuePtr);
        if (call === "fdt_setprop_inplace") {
          const lenPtr = (valuePtr + value.length + 3) & ~3;
          const old = lib.fn.fdt_getprop(fdt, node, ptr, lenPtr);
          const oldLen = lib.view.getInt32(lenPtr, true);
          if (old === 0) lib.check("fdt_getprop", oldLen, where);
          if (oldLen !== value.length) {
            throw new FdtError(
              call,
              `-${FDT_ERR_NOSPACE} = FDT_ERR_NOSPACE (${where} is ${oldLen} bytes, ` +
                `the new value ${value.length})`,
              -FDT_ERR_NOSPACE,
            );
          }
          const result = lib.fn.fdt_setprop_inplace(fdt, node, ptr, valuePtr, value.length);
          lib.check(call, result, where);
          return;
        }
        const result = lib.fn.fdt_setprop(fdt, node, ptr, valuePtr, value.length);
        if ((result === -FDT_ERR_NOSPACE || result === -FDT_ERR_BADLAYOUT) && extra === 0) {
          throw new Grow();
        }
        lib.check(call, result, where);
      });
    const where = `${path} ${name}`;
    try {
      attempt(0);
    } catch (error) {
      if (!(error instanceof Grow)) throw error;
      // a new property needs a 12-byte header, the value padded to 4 and maybe its name
      attempt(12 + value.length + 3 + nameBytes.length + 1);
    }
  };

  return {
    setProperty: setProperty("fdt_setprop"),
    setPropertyInPlace: setProperty("fdt_setprop_inplace"),
    nopNode(path: string): void {
      if (/^\/*$/.test(path)) throw new FdtError("fdt_nop_node", "cannot nop the root node");
      apply(0, (fdt) => {
        const node = pathOffset(lib, fdt, path);
        lib.check("fdt_nop_node", lib.fn.fdt_nop_node(fdt, node), path);
      });
    },
    pack(): void {
      apply(0, (fdt) => {
        lib.check("fdt_pack", lib.fn.fdt_pack(fdt));
      });
    },
    bytes: () => current.slice(),
    blob: () => current.slice(),
  };
}

/** Signals that `fdt_setprop` needs more room than the blob's free space. */
class Grow extends Error {}

function pathOffset(lib: Libfdt, fdt: number, path: string): number {
  const bytes = encoder.encode(path);
  const ptr = lib.scratch(bytes.length + 1);
  lib.putCString(ptr, bytes);
  return lib.check("fdt_path_offset", lib.fn.fdt_path_offset(fdt, ptr), path);
}

/**
 * Copies `blob` into wasm memory, runs `body`, and copies the (possibly moved or resized) tree
 * back out. With `extra` > 0 the tree is first re-opened into a buffer that much bigger.
 */
function withBlob<T>(
  lib: Libfdt,
  blob: Uint8Array,
  extra: number,
  body: (fdt: number) => T,
): { blob: Uint8Array; result: T } {
  const src = lib.alloc(blob.length, "editFdt");
  let dst = 0;
  try {
    lib.u8.set(blob, src);
    let fdt = src;
    if (extra > 0) {
      const size = lib.fn.xlite_fdt_totalsize(src) + extra;
      dst = lib.alloc(size, "fdt_open_into");
      lib.check("fdt_open_into", lib.fn.fdt_open_into(src, dst, size));
      fdt = dst;
    }
    const result = body(fdt);
    const total = lib.fn.xlite_fdt_totalsize(fdt);
    return { blob: lib.u8.slice(fdt, fdt + total), result };
  } finally {
    lib.fn.free(src);
    if (dst !== 0) lib.fn.free(dst);
  }
}
