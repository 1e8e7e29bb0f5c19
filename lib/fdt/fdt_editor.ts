/**
 * Edits a finished blob with libfdt's read-write API, as libxl's finalisation does after
 * memory is laid out (spec §4.4): `fdt_setprop` (the value may shrink or grow),
 * `fdt_setprop_inplace` (same length), `fdt_nop_node`.
 *
 * The blob keeps its `totalsize` like libxl's in-place edits; only when a value grows past
 * the free space is the blob re-opened (`fdt_open_into`) with just enough room.
 * Between edits the blob stays in libfdt.wasm's memory: a run of edits (libxl's finalisation)
 * copies it in once and out once.
 *
 * @module
 */
import { FDT_ERR_NOSPACE, FdtError } from "./fdt_error.ts";
import { checkBlobHeader, type Libfdt, libfdt, utf8Size } from "./libfdt_wasm.ts";
import { fastPathOffset } from "./fdt_path.ts";

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

/**
 * One editor's blob. While its editor owns the shared slot, the slot holds the latest bytes
 * and `current` is undefined once an edit made it stale; otherwise `current` has them.
 */
interface EditedBlob {
  current: Uint8Array | undefined;
  /** The blob's `totalsize`. */
  total: number;
}

/**
 * Blobs up to this size stay in libfdt.wasm between edits (and the shared slot keeps its
 * memory); bigger ones are copied out after every edit and the slot freed, so a big blob
 * never pins wasm memory.
 */
const RESIDENT_LIMIT = 64 * 1024;

/**
 * The shared slot in libfdt.wasm memory: `capacity` bytes of working blob at `ptr`, then a
 * `capacity`-byte backup of the blob as it was before the current edit (a failed edit puts it
 * back, so an error leaves the blob unchanged). One editor at a time owns it; another
 * editor's edit writes the owner's blob back out first.
 */
const slot = { ptr: 0, capacity: 0, owner: undefined as EditedBlob | undefined };

function copyOut(lib: Libfdt, ptr: number, length: number): Uint8Array {
  const bytes = new Uint8Array(length);
  bytes.set(lib.u8.subarray(ptr, ptr + length));
  return bytes;
}

/** The owner's blob back into its `current`; the slot has no owner afterwards. */
function writeBack(lib: Libfdt): void {
  const owner = slot.owner;
  if (owner !== undefined && owner.current === undefined) {
    owner.current = copyOut(lib, slot.ptr, owner.total);
  }
  slot.owner = undefined;
}

/** A slot with at least `need` bytes of working room (and as much backup). */
function ensureSlot(lib: Libfdt, need: number, what: string): void {
  if (need <= slot.capacity) return;
  writeBack(lib);
  if (slot.ptr !== 0) lib.fn.free(slot.ptr);
  slot.ptr = 0;
  slot.capacity = 0;
  // the backup half must be 8-byte aligned like the blob (libfdt's FDT_ERR_ALIGNMENT)
  const capacity = need <= RESIDENT_LIMIT
    ? Math.max(4096, 2 ** Math.ceil(Math.log2(need)))
    : (need + 7) & ~7;
  slot.ptr = lib.alloc(2 * capacity, what);
  slot.capacity = capacity;
}

/** Frees a slot grown past `RESIDENT_LIMIT` (after writing its blob back). */
function trimSlot(lib: Libfdt): void {
  if (slot.capacity <= RESIDENT_LIMIT) return;
  writeBack(lib);
  lib.fn.free(slot.ptr);
  slot.ptr = 0;
  slot.capacity = 0;
}

/** Puts `edited` in the slot (with `extra` spare bytes) unless it is already there. */
function load(lib: Libfdt, edited: EditedBlob, extra: number): void {
  ensureSlot(lib, edited.total + extra, extra > 0 ? "fdt_open_into" : "editFdt");
  if (slot.owner === edited) return;
  writeBack(lib);
  lib.u8.set(edited.current!, slot.ptr);
  slot.owner = edited;
}

/**
 * Runs `body` on `edited`'s blob in wasm memory; with `extra` > 0 the tree is first re-opened
 * (`fdt_open_into`) into a buffer that much bigger. On any error the blob is as before: a
 * backup is taken first unless `atomic` says `body` writes nothing when it fails.
 */
function editInSlot(
  lib: Libfdt,
  edited: EditedBlob,
  extra: number,
  atomic: boolean,
  body: (fdt: number) => void,
): void {
  try {
    load(lib, edited, extra);
    const fdt = slot.ptr;
    if (atomic && extra === 0) {
      body(fdt);
      edited.current = undefined;
      return;
    }
    const backup = fdt + slot.capacity;
    const total = edited.total;
    lib.u8.copyWithin(backup, fdt, fdt + total);
    try {
      if (extra > 0) {
        // libfdt leaves the new free space (and so a grown value's padding) as it finds it:
        // zeros, not stale bytes
        lib.u8.fill(0, fdt, fdt + total + extra);
        lib.check("fdt_open_into", lib.fn.fdt_open_into(backup, fdt, total + extra));
      }
      body(fdt);
    } catch (error) {
      lib.u8.copyWithin(fdt, backup, backup + total);
      throw error;
    }
    edited.total = lib.fn.xlite_fdt_totalsize(fdt);
    edited.current = undefined;
  } finally {
    trimSlot(lib);
  }
}

/**
 * Opens an editor over a copy of `blob` (its header is checked first).
 *
 * The copy stays in libfdt.wasm's memory between edits (one shared slot; another editor's
 * edit moves it back out), so a run of edits copies the blob in once and out once.
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
  const edited: EditedBlob = { current: undefined, total: 0 };
  try {
    ensureSlot(lib, blob.length, "editFdt");
    writeBack(lib);
    const fdt = slot.ptr;
    lib.u8.set(blob, fdt);
    edited.total = checkBlobHeader(lib, fdt, blob.length);
    slot.owner = edited;
  } finally {
    trimSlot(lib);
  }

  /**
   * Runs `edit` on the blob in wasm memory; the blob there has `extra` spare bytes. `atomic`:
   * `edit` changes nothing when it fails (no backup needed).
   */
  const apply = (extra: number, atomic: boolean, edit: (fdt: number) => void) =>
    editInSlot(lib, edited, extra, atomic, edit);

  const setProperty = (call: "fdt_setprop" | "fdt_setprop_inplace") =>
  (
    path: string,
    name: string,
    value: Uint8Array,
  ): void => {
    const nameSize = utf8Size(name);
    /** Names the property in errors. */
    const where = () => `${path} ${name}`;
    const inPlace = call === "fdt_setprop_inplace";
    const attempt = (extra: number) =>
      // an in-place set writes only once every check passed
      apply(extra, inPlace, (fdt) => {
        const node = pathOffset(lib, fdt, path);
        // the name: interned, or at the start of the scratch area with the value after it
        let namePtr = lib.name(name);
        let valuePtr: number;
        if (namePtr !== 0) {
          valuePtr = lib.scratch(value.length + 8);
        } else {
          namePtr = lib.scratch(nameSize + 1 + value.length + 8);
          valuePtr = namePtr + lib.putString(namePtr, name, nameSize);
        }
        if (inPlace) {
          // fdt_setprop_inplace: fdt_getprop, the same length, then the value copied over the
          // old one (libfdt finds the same property again to do it)
          const lenPtr = (valuePtr + 3) & ~3;
          const old = lib.fn.fdt_getprop(fdt, node, namePtr, lenPtr);
          const oldLen = lib.view.getInt32(lenPtr, true);
          if (old === 0) lib.check("fdt_getprop", oldLen, where());
          if (oldLen !== value.length) {
            throw new FdtError(
              call,
              `-${FDT_ERR_NOSPACE} = FDT_ERR_NOSPACE (${where()} is ${oldLen} bytes, ` +
                `the new value ${value.length})`,
              -FDT_ERR_NOSPACE,
            );
          }
          lib.u8.set(value, old);
          return;
        }
        lib.u8.set(value, valuePtr);
        const result = lib.fn.fdt_setprop(fdt, node, namePtr, valuePtr, value.length);
        if ((result === -FDT_ERR_NOSPACE || result === -FDT_ERR_BADLAYOUT) && extra === 0) {
          throw new Grow();
        }
        if (result < 0) lib.check(call, result, where());
      });
    try {
      attempt(0);
    } catch (error) {
      if (!(error instanceof Grow)) throw error;
      // a new property needs a 12-byte header, the value padded to 4 and maybe its name
      attempt(12 + value.length + 3 + nameSize + 1);
    }
  };

  /** A copy of the edited blob. */
  const bytes = (): Uint8Array =>
    slot.owner === edited && edited.current === undefined
      ? copyOut(lib, slot.ptr, edited.total)
      : edited.current!.slice();

  return {
    setProperty: setProperty("fdt_setprop"),
    setPropertyInPlace: setProperty("fdt_setprop_inplace"),
    nopNode(path: string): void {
      if (/^\/*$/.test(path)) throw new FdtError("fdt_nop_node", "cannot nop the root node");
      // fdt_nop_node finds the node's end before writing anything
      apply(0, true, (fdt) => {
        const node = pathOffset(lib, fdt, path);
        lib.check("fdt_nop_node", lib.fn.fdt_nop_node(fdt, node), path);
      });
    },
    pack(): void {
      apply(0, false, (fdt) => {
        lib.check("fdt_pack", lib.fn.fdt_pack(fdt));
      });
    },
    bytes,
    blob: bytes,
  };
}

/** Signals that `fdt_setprop` needs more room than the blob's free space. */
class Grow extends Error {}

/** `fdt_path_offset`: found in JS when it is plain (see `fdt_path.ts`), else by libfdt. */
function pathOffset(lib: Libfdt, fdt: number, path: string): number {
  const found = fastPathOffset(lib.u8, lib.view, fdt, path);
  if (found >= 0) return found;
  let ptr = lib.name(path);
  if (ptr === 0) {
    const size = utf8Size(path);
    ptr = lib.scratch(size + 1);
    lib.putString(ptr, path, size);
  }
  const offset = lib.fn.fdt_path_offset(fdt, ptr);
  return offset < 0 ? lib.check("fdt_path_offset", offset, path) : offset;
}
