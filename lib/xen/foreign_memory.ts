/**
 * Deno FFI bindings to libxenforeignmemory (`libxenforeignmemory.so.1`): copy a range of a
 * domain's guest-physical memory (the golden-data tools read the DTB libxl placed in a paused
 * guest this way; `xl dump-core` writes no page contents on Arm in Xen 4.17).
 *
 * @module
 */
import { XC_PAGE_SIZE } from "./domctl.ts";
import { errnoName, XenCallError } from "./errors.ts";
import { lastErrno, openLibrary, requirePrivcmd } from "./library.ts";

/** Library names tried in order. */
export const FOREIGNMEMORY_SONAMES = ["libxenforeignmemory.so.1", "libxenforeignmemory.so"];

const PROT_READ = 1;

/** The libxenforeignmemory functions xlite calls (map, unmap, open, close). */
export const FOREIGNMEMORY_SYMBOLS = {
  xenforeignmemory_open: { parameters: ["pointer", "u32"], result: "pointer" },
  xenforeignmemory_close: { parameters: ["pointer"], result: "i32" },
  xenforeignmemory_map: {
    parameters: ["pointer", "u32", "i32", "usize", "buffer", "buffer"],
    result: "pointer",
  },
  xenforeignmemory_unmap: { parameters: ["pointer", "pointer", "usize"], result: "i32" },
} as const satisfies Deno.ForeignLibraryInterface;

/**
 * Copies `length` bytes of domain `domid`'s memory from guest-physical address `gpa`.
 * Throws `NoXenError` without Xen, `XenCallError` when a page cannot be mapped.
 */
export function readGuestMemory(domid: number, gpa: bigint, length: number): Uint8Array {
  requirePrivcmd();
  const lib = openLibrary(FOREIGNMEMORY_SONAMES, FOREIGNMEMORY_SYMBOLS);
  try {
    const fmem = lib.symbols.xenforeignmemory_open(null, 0);
    if (fmem === null) {
      throw new XenCallError(
        "xenforeignmemory_open",
        "opening foreign memory",
        errnoName(lastErrno()),
      );
    }
    try {
      const page = BigInt(XC_PAGE_SIZE);
      const first = gpa / page;
      const last = (gpa + BigInt(Math.max(length, 1)) - 1n) / page;
      const pages = Number(last - first + 1n);
      const pfns = new BigUint64Array(pages).map((_, i) => first + BigInt(i));
      const errs = new Int32Array(pages);
      const what = `mapping ${pages} page(s) of domain ${domid} at ${gpa.toString(16)}`;
      const at = lib.symbols.xenforeignmemory_map(
        fmem,
        domid,
        PROT_READ,
        BigInt(pages),
        pfns,
        errs,
      );
      if (at === null) throw new XenCallError("xenforeignmemory_map", what, errnoName(lastErrno()));
      try {
        const bad = errs.findIndex((e) => e !== 0);
        if (bad >= 0) {
          throw new XenCallError("xenforeignmemory_map", what, errnoName(Math.abs(errs[bad])));
        }
        const offset = Number(gpa % page);
        return new Uint8Array(
          new Deno.UnsafePointerView(at).getArrayBuffer(length, offset).slice(0),
        );
      } finally {
        lib.symbols.xenforeignmemory_unmap(fmem, at, BigInt(pages));
      }
    } finally {
      lib.symbols.xenforeignmemory_close(fmem);
    }
  } finally {
    lib.close();
  }
}
