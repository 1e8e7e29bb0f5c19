/**
 * The libfdt WebAssembly module (`wasm/libfdt.wasm`, see `wasm/libfdt.recipe.ts`), loaded on
 * first use, once, synchronously, plus the small helpers the writer, reader and editor share:
 * a reusable scratch area for arguments, C-string access and libfdt error mapping.
 *
 * @module
 */
import { FDT_ERR_NOSPACE, FdtError, FdtNoSpaceError } from "./fdt_error.ts";
import { XliteError } from "../errors.ts";

/** libfdt's exports, as the recipe builds them (pointers and sizes are i32, u64 are BigInt). */
export interface LibfdtExports {
  /** The module's linear memory (a fixed 16 MiB). */
  memory: WebAssembly.Memory;
  /** WASI reactor start-up, when the module has one. */
  _initialize?: () => void;
  /** The module's `malloc`. */
  malloc(size: number): number;
  /** The module's `free`. */
  free(ptr: number): void;
  /** libfdt's `fdt_create`. */
  fdt_create(buf: number, size: number): number;
  /** libfdt's `fdt_add_reservemap_entry`. */
  fdt_add_reservemap_entry(fdt: number, address: bigint, size: bigint): number;
  /** libfdt's `fdt_finish_reservemap`. */
  fdt_finish_reservemap(fdt: number): number;
  /** libfdt's `fdt_begin_node`. */
  fdt_begin_node(fdt: number, name: number): number;
  /** libfdt's `fdt_property`. */
  fdt_property(fdt: number, name: number, value: number, len: number): number;
  /** libfdt's `fdt_end_node`. */
  fdt_end_node(fdt: number): number;
  /** libfdt's `fdt_finish`. */
  fdt_finish(fdt: number): number;
  /** libfdt's `fdt_check_header`. */
  fdt_check_header(fdt: number): number;
  /** libfdt's `fdt_next_tag`. */
  fdt_next_tag(fdt: number, offset: number, nextOffsetPtr: number): number;
  /** libfdt's `fdt_next_node`. */
  fdt_next_node(fdt: number, offset: number, depthPtr: number): number;
  /** libfdt's `fdt_first_property_offset`. */
  fdt_first_property_offset(fdt: number, nodeOffset: number): number;
  /** libfdt's `fdt_next_property_offset`. */
  fdt_next_property_offset(fdt: number, offset: number): number;
  /** libfdt's `fdt_getprop_by_offset`. */
  fdt_getprop_by_offset(fdt: number, offset: number, namePtrPtr: number, lenPtr: number): number;
  /** libfdt's `fdt_get_name`. */
  fdt_get_name(fdt: number, nodeOffset: number, lenPtr: number): number;
  /** libfdt's `fdt_path_offset`. */
  fdt_path_offset(fdt: number, path: number): number;
  /** libfdt's `fdt_getprop`. */
  fdt_getprop(fdt: number, nodeOffset: number, name: number, lenPtr: number): number;
  /** libfdt's `fdt_num_mem_rsv`. */
  fdt_num_mem_rsv(fdt: number): number;
  /** libfdt's `fdt_get_mem_rsv`. */
  fdt_get_mem_rsv(fdt: number, n: number, addressPtr: number, sizePtr: number): number;
  /** libfdt's `fdt_setprop`. */
  fdt_setprop(fdt: number, nodeOffset: number, name: number, value: number, len: number): number;
  /** libfdt's `fdt_setprop_inplace`. */
  fdt_setprop_inplace(
    fdt: number,
    nodeOffset: number,
    name: number,
    value: number,
    len: number,
  ): number;
  /** libfdt's `fdt_nop_node`. */
  fdt_nop_node(fdt: number, nodeOffset: number): number;
  /** libfdt's `fdt_open_into`. */
  fdt_open_into(fdt: number, buf: number, size: number): number;
  /** libfdt's `fdt_pack`. */
  fdt_pack(fdt: number): number;
  /** libfdt's `fdt_strerror`. */
  fdt_strerror(err: number): number;
  /** `fdt_totalsize(fdt)` (a macro in libfdt.h, exported by the recipe). */
  xlite_fdt_totalsize(fdt: number): number;
  /** The top of the malloc heap (for the no-leak tests). */
  xlite_heap_top(): number;
}

/** The loaded module with views over its (fixed-size) memory. */
export interface Libfdt {
  /** Raw exports. */
  fn: LibfdtExports;
  /** Byte view over the whole linear memory (valid forever: the memory never grows). */
  u8: Uint8Array;
  /** Little-endian view for pointer-sized results. */
  view: DataView;
  /** A scratch area of at least `size` bytes for call arguments; reused between calls. */
  scratch(size: number): number;
  /** `malloc`, throwing `FdtError` (naming `what`) when the fixed memory is exhausted. */
  alloc(size: number, what: string): number;
  /** Writes `text` NUL-terminated at `ptr`; returns the bytes written (including the NUL). */
  putCString(ptr: number, text: Uint8Array): number;
  /**
   * Writes `text` as UTF-8 (what `TextEncoder` makes), NUL-terminated, straight into memory at
   * `ptr`; `size` must be `utf8Size(text)`. Returns the bytes written (including the NUL).
   */
  putString(ptr: number, text: string, size: number): number;
  /**
   * A NUL-terminated UTF-8 copy of `text` kept in wasm memory for good (node and property
   * names repeat: `compatible`, `reg`, ...), or 0 when it is not kept (long names, or the
   * bounded name area is full): the caller then writes it itself.
   */
  name(text: string): number;
  /** Reads a NUL-terminated string at `ptr`. */
  cString(ptr: number): string;
  /** `fdt_strerror(code)`. */
  strerror(code: number): string;
  /** Throws the `FdtError` (or `FdtNoSpaceError`) for a negative libfdt result. */
  check(call: string, result: number, context?: string, size?: number): number;
}

const WASM_URL = new URL("../../wasm/libfdt.wasm", import.meta.url);
/** The interned-name area: allocated on first use, never grown (names past it are not kept). */
const NAME_AREA_BYTES = 16 * 1024;
/** Longer names are not interned. */
const NAME_MAX_INTERNED = 128;
const decoder = new TextDecoder();
const encoder = new TextEncoder();

/**
 * The UTF-8 length of `text` as `TextEncoder` encodes it (lone surrogates become U+FFFD),
 * without allocating for ASCII text.
 */
export function utf8Size(text: string): number {
  const n = text.length;
  for (let i = 0; i < n; i++) {
    if (text.charCodeAt(i) > 0x7f) return encoder.encode(text).length;
  }
  return n;
}

let loaded: Libfdt | undefined;

/** The libfdt module, loaded and instantiated on first call. */
export function libfdt(): Libfdt {
  return loaded ??= load();
}

function load(): Libfdt {
  let bytes: Uint8Array;
  try {
    bytes = Deno.readFileSync(WASM_URL);
  } catch (error) {
    throw new XliteError(
      `cannot load ${WASM_URL.pathname}: ${(error as Error).message} (run 'deno task build')`,
    );
  }
  const instance = new WebAssembly.Instance(new WebAssembly.Module(bytes as BufferSource), {});
  const fn = instance.exports as unknown as LibfdtExports;
  fn._initialize?.();
  const u8 = new Uint8Array(fn.memory.buffer);
  const view = new DataView(fn.memory.buffer);
  let scratchPtr = 0;
  let scratchSize = 0;
  const names = new Map<string, number>();
  let nameArea = 0;
  let nameAreaUsed = 0;

  const alloc = (size: number, what: string): number => {
    const ptr = fn.malloc(Math.max(size, 1));
    if (ptr === 0) {
      throw new FdtError(what, `out of memory allocating ${size} bytes in libfdt.wasm`);
    }
    return ptr;
  };
  const putString = (ptr: number, text: string, size: number): number => {
    const n = text.length;
    if (size === n) {
      for (let i = 0; i < n; i++) u8[ptr + i] = text.charCodeAt(i);
    } else {
      encoder.encodeInto(text, u8.subarray(ptr, ptr + size));
    }
    u8[ptr + size] = 0;
    return size + 1;
  };
  const strerror = (code: number): string => cString(fn.fdt_strerror(code));
  const cString = (ptr: number): string => {
    const end = u8.indexOf(0, ptr);
    return decoder.decode(u8.subarray(ptr, end < 0 ? ptr : end));
  };
  return {
    fn,
    u8,
    view,
    scratch(size: number): number {
      if (size > scratchSize) {
        if (scratchPtr !== 0) fn.free(scratchPtr);
        scratchPtr = 0;
        scratchSize = 0;
        const rounded = Math.max(256, 2 ** Math.ceil(Math.log2(size)));
        scratchPtr = alloc(rounded, "scratch");
        scratchSize = rounded;
      }
      return scratchPtr;
    },
    alloc,
    putCString(ptr: number, text: Uint8Array): number {
      u8.set(text, ptr);
      u8[ptr + text.length] = 0;
      return text.length + 1;
    },
    putString,
    name(text: string): number {
      const interned = names.get(text);
      if (interned !== undefined) return interned;
      const size = utf8Size(text);
      if (size > NAME_MAX_INTERNED || nameAreaUsed + size + 1 > NAME_AREA_BYTES) return 0;
      if (nameArea === 0) {
        nameArea = fn.malloc(NAME_AREA_BYTES);
        if (nameArea === 0) return 0; // no room: names are simply written each time
      }
      const ptr = nameArea + nameAreaUsed;
      nameAreaUsed += putString(ptr, text, size);
      names.set(text, ptr);
      return ptr;
    },
    cString,
    strerror,
    check(call: string, result: number, context?: string, size?: number): number {
      if (result >= 0) return result;
      const reason = `${result} = ${strerror(result)}${context ? ` (${context})` : ""}`;
      if (result === -FDT_ERR_NOSPACE && size !== undefined) {
        throw new FdtNoSpaceError(call, reason, size);
      }
      throw new FdtError(call, reason, result);
    },
  };
}

/**
 * `fdt_check_header` on a `blobLength`-byte blob copied to `fdt`, and its `totalsize` within
 * those bytes; returns `totalsize`. Throws `FdtError` otherwise.
 */
export function checkBlobHeader(lib: Libfdt, fdt: number, blobLength: number): number {
  lib.check("fdt_check_header", lib.fn.fdt_check_header(fdt));
  const total = lib.fn.xlite_fdt_totalsize(fdt);
  if (total > blobLength) {
    throw new FdtError(
      "fdt_check_header",
      `header totalsize ${total} exceeds the ${blobLength}-byte blob`,
    );
  }
  return total;
}

/** The top of libfdt.wasm's malloc heap: flat across repeated work when nothing leaks. */
export function libfdtHeapTop(): number {
  return libfdt().fn.xlite_heap_top();
}
