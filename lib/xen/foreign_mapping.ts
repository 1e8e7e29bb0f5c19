/**
 * Long-lived foreign mappings through libxenforeignmemory: a domain's guest frames, or one of
 * its hypervisor resources (`XENMEM_acquire_resource`: an IOREQ server's pages), mapped into
 * this process and read and written in place until unmapped. (foreign_memory.ts copies a range
 * out and unmaps at once; a device model keeps its mappings.)
 *
 * In an Arm dom0 without `CONFIG_XEN_UNPOPULATED_ALLOC` (Debian's 6.1) every mapped page is
 * backed by a page ballooned out of dom0 for as long as the mapping lives.
 *
 * @module
 */
import { XC_PAGE_SIZE } from "./domctl.ts";
import { errnoName, XenCallError } from "./errors.ts";
import { FOREIGNMEMORY_SONAMES, FOREIGNMEMORY_SYMBOLS } from "./foreign_memory.ts";
import { lastErrno, openLibrary, requirePrivcmd } from "./library.ts";

/** `XENMEM_resource_ioreq_server` (public/memory.h): an IOREQ server's pages. */
export const XENMEM_resource_ioreq_server = 0;
/** `XENMEM_resource_ioreq_server_frame_bufioreq` (public/memory.h). */
export const XENMEM_resource_ioreq_server_frame_bufioreq = 0;
/** `XENMEM_resource_ioreq_server_frame_ioreq(n)` (public/memory.h): synchronous ioreq page n. */
export function XENMEM_resource_ioreq_server_frame_ioreq(n: number): number {
  return 1 + n;
}

/** `PROT_READ | PROT_WRITE`. */
const PROT_RW = 3;

/** `MAP_FIXED`: replace what is mapped at the address (a remap in place). */
const MAP_FIXED = 0x10;
const MAP_PRIVATE = 0x02;
const MAP_ANONYMOUS = 0x20;

const LIBC = {
  mmap: { parameters: ["pointer", "usize", "i32", "i32", "i32", "i64"], result: "pointer" },
  munmap: { parameters: ["pointer", "usize"], result: "i32" },
} as const satisfies Deno.ForeignLibraryInterface;

const SYMBOLS = {
  ...FOREIGNMEMORY_SYMBOLS,
  xenforeignmemory_map2: {
    parameters: ["pointer", "u32", "pointer", "i32", "i32", "usize", "buffer", "buffer"],
    result: "pointer",
  },
  xenforeignmemory_map_resource: {
    parameters: ["pointer", "u16", "u32", "u32", "u64", "u64", "buffer", "i32", "i32"],
    result: "pointer",
  },
  xenforeignmemory_unmap_resource: { parameters: ["pointer", "pointer"], result: "i32" },
} as const satisfies Deno.ForeignLibraryInterface;

/** Mapped foreign pages, live in this process until `unmap`. */
export interface ForeignPages {
  /** The mapping's bytes (page `i` at `i * 4096`); no access after `unmap`. */
  readonly bytes: Uint8Array;
  /**
   * Per page, 0 when mapped or the negative errno Xen gave for it (a page that is not the
   * guest's RAM): such a page must not be touched (the kernel has nothing behind it).
   */
  readonly errors: Int32Array;
  /** Releases the mapping (and the dom0 pages backing it). */
  unmap(): void;
}

/** An open libxenforeignmemory handle for long-lived mappings. */
export interface ForeignMapping {
  /**
   * Maps `pages` guest frames of `domid` from guest-physical page `firstPfn` read-write. Pages
   * Xen refuses are reported in `errors`; the call throws only when nothing could be mapped.
   * With `at` (the `bytes` of an earlier mapping of the same size) the frames are mapped again
   * at that address (MAP_FIXED, as QEMU's map cache remaps a bucket), so views of the old
   * mapping stay valid and see the guest's current pages; the old mapping is replaced, not
   * unmapped separately. When such a remap fails, the address holds anonymous zero pages
   * (never a hole that would fault) and the error is thrown.
   */
  mapPages(domid: number, firstPfn: bigint, pages: number, at?: Uint8Array): ForeignPages;
  /** Maps `frames` frames of a domain's resource (`XENMEM_acquire_resource`) read-write. */
  mapResource(
    domid: number,
    type: number,
    id: number,
    frame: number,
    frames: number,
  ): ForeignPages;
  /** Closes the handle; every mapping must be unmapped first. */
  close(): void;
}

/** Opens libxenforeignmemory; throws `NoXenError` when this host has no Xen. */
export function openForeignMapping(): ForeignMapping {
  requirePrivcmd();
  lastErrno(); // load libc's errno accessor now, so loading it never clobbers a call's errno
  const lib = openLibrary(FOREIGNMEMORY_SONAMES, SYMBOLS);
  const s = lib.symbols;
  const fmem = s.xenforeignmemory_open(null, 0);
  if (fmem === null) {
    const errno = errnoName(lastErrno());
    lib.close();
    throw new XenCallError("xenforeignmemory_open", "opening foreign memory", errno);
  }
  const live = (at: Deno.PointerObject, pages: number) =>
    new Uint8Array(new Deno.UnsafePointerView(at).getArrayBuffer(pages * XC_PAGE_SIZE));
  let libc: Deno.DynamicLibrary<typeof LIBC> | null = null;
  return {
    mapPages(domid, firstPfn, pages, place) {
      const pfns = new BigUint64Array(pages).map((_, i) => firstPfn + BigInt(i));
      const errors = new Int32Array(pages);
      const hint = place ? Deno.UnsafePointer.of(place) : null;
      const at = s.xenforeignmemory_map2(
        fmem,
        domid,
        hint,
        PROT_RW,
        hint ? MAP_FIXED : 0,
        BigInt(pages),
        pfns,
        errors,
      );
      if (at === null || (hint && !Deno.UnsafePointer.equals(at, hint))) {
        const errno = errnoName(lastErrno());
        if (hint) {
          // the old mapping may be gone: put zero pages there so no view ever faults
          libc ??= Deno.dlopen("libc.so.6", LIBC);
          const length = BigInt(pages * XC_PAGE_SIZE);
          libc.symbols.mmap(hint, length, PROT_RW, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0n);
        }
        throw new XenCallError(
          "xenforeignmemory_map2",
          `mapping ${pages} page(s) of domain ${domid} at pfn 0x${firstPfn.toString(16)}`,
          errno,
        );
      }
      let mapped = true;
      return {
        bytes: live(at, pages),
        errors,
        unmap() {
          if (mapped) s.xenforeignmemory_unmap(fmem, at, BigInt(pages));
          mapped = false;
        },
      };
    },
    mapResource(domid, type, id, frame, frames) {
      const address = new BigUint64Array(1); // void **paddr: NULL in, the mapping out
      const fres = s.xenforeignmemory_map_resource(
        fmem,
        domid,
        type,
        id,
        BigInt(frame),
        BigInt(frames),
        address,
        PROT_RW,
        0,
      );
      const at = Deno.UnsafePointer.create(address[0]);
      if (fres === null || at === null) {
        throw new XenCallError(
          "xenforeignmemory_map_resource",
          `mapping resource ${type}/${id} frame ${frame} of domain ${domid}`,
          errnoName(lastErrno()),
        );
      }
      let mapped = true;
      return {
        bytes: live(at, frames),
        errors: new Int32Array(frames),
        unmap() {
          if (mapped) s.xenforeignmemory_unmap_resource(fmem, fres);
          mapped = false;
        },
      };
    },
    close() {
      s.xenforeignmemory_close(fmem);
      lib.close();
      libc?.close();
    },
  };
}
