/**
 * A guest's RAM mapped into this process (foreign mappings of its frames), as the
 * `GuestMemory` a virtio device reads and writes. Every access is checked against the RAM
 * banks and the pages Xen actually mapped, so a guest-supplied address outside its RAM is
 * refused, never dereferenced. Arm guest RAM is bank 0 at 0x40000000 (up to 3 GiB) and bank 1
 * at 0x200000000 (spec §3.1).
 *
 * Mapped in 2 MiB chunks on first touch and kept until `close` (never a map/unmap per
 * request; remapped in place when Xen says the guest's physical map changed): mapping a whole 128 MiB guest up front took ~12 s in the TCG testbed, longer than
 * libxl waits for backend state 2 (10 s, spec §2.6), and each mapped page costs dom0 a
 * ballooned page, so only what the devices touch is mapped.
 *
 * @module
 */
import type { GuestMemory } from "../virtio_backend/mod.ts";
import { XC_PAGE_SIZE } from "./domctl.ts";
import { type ForeignMapping, type ForeignPages, openForeignMapping } from "./foreign_mapping.ts";

/** One guest RAM bank (guest-physical base and size in bytes, page aligned). */
export interface GuestRamBank {
  /** Guest-physical base address. */
  base: bigint;
  /** Size in bytes. */
  size: bigint;
}

/** The mapped RAM of one guest. */
export interface GuestRam extends GuestMemory {
  /** The domain whose RAM this is. */
  readonly domid: number;
  /** The banks accesses may fall in (empty ones left out). */
  readonly banks: readonly GuestRamBank[];
  /** Chunks mapped so far (each `GUEST_RAM_CHUNK` bytes). */
  readonly mappedChunks: number;
  /** How often `invalidate` ran. */
  readonly invalidations: number;
  /**
   * The guest's physical map changed (Xen's `IOREQ_TYPE_INVALIDATE`, sent after the guest gave
   * pages back, e.g. by ballooning): every mapped chunk is mapped again in place, so views
   * stay valid and see the pages the guest has now; pages it no longer has become holes. A
   * chunk that cannot be remapped is refused from then on (its views read zeros).
   */
  invalidate(): void;
  /** Unmaps everything; every view handed out dies with it. */
  close(): void;
}

/** Bytes mapped at a time (and the largest range `view` can return). */
export const GUEST_RAM_CHUNK = 2 * 1024 * 1024;

const PAGE = BigInt(XC_PAGE_SIZE);
const CHUNK = BigInt(GUEST_RAM_CHUNK);

/**
 * A chunk: its pages and how many Xen refused (`dead` after a failed remap: all refused), or
 * null when Xen refused the whole first mapping (never retried).
 */
type Chunk = { pages: ForeignPages; bad: number; dead: boolean } | null;

const badPages = (errors: Int32Array) => errors.reduce((n, e) => n + (e !== 0 ? 1 : 0), 0);

/**
 * The RAM of domain `domid` in `banks`, mapped read-write on demand. Pages Xen refuses (a bank
 * given larger than the guest's RAM) become holes that every access refuses. Throws
 * `NoXenError` without Xen.
 */
export function mapGuestRam(
  domid: number,
  banks: readonly GuestRamBank[],
  mapping: ForeignMapping = openForeignMapping(),
): GuestRam {
  const ram = banks.filter((b) => b.size > 0n);
  const chunks = new Map<bigint, Chunk>();
  let open = true;
  let invalidations = 0;

  /** The bank holding all of [gpa, end), if any. */
  const bankOf = (gpa: bigint, end: bigint) =>
    ram.find((b) => gpa >= b.base && end <= b.base + b.size);

  /** Chunk `index` (guest-physical `index * CHUNK`), mapped on first use. */
  const chunk = (index: bigint, bank: GuestRamBank): Chunk => {
    if (chunks.has(index)) return chunks.get(index)!;
    const base = index * CHUNK;
    const end = base + CHUNK < bank.base + bank.size ? base + CHUNK : bank.base + bank.size;
    let mapped: Chunk = null;
    try {
      const pages = mapping.mapPages(domid, base / PAGE, Number((end - base) / PAGE));
      mapped = { pages, bad: badPages(pages.errors), dead: false };
    } catch {
      mapped = null; // not the guest's RAM after all: refuse it from now on
    }
    chunks.set(index, mapped);
    return mapped;
  };

  /** The bytes of [gpa, gpa + length) when it lies in one chunk whose pages are all mapped. */
  const within = (gpa: bigint, length: number): Uint8Array | null => {
    if (!open || length < 0 || gpa < 0n) return null;
    const end = gpa + BigInt(length);
    const bank = bankOf(gpa, end);
    if (!bank) return null;
    const index = gpa / CHUNK;
    if (length > 0 && (end - 1n) / CHUNK !== index) return null;
    const c = chunk(index, bank);
    if (c === null || c.dead) return null;
    const offset = Number(gpa - index * CHUNK);
    if (offset + length > c.pages.bytes.length) return null;
    if (c.bad !== 0 && length > 0) {
      const last = (offset + length - 1) >> 12;
      for (let p = offset >> 12; p <= last; p++) if (c.pages.errors[p] !== 0) return null;
    }
    return c.pages.bytes.subarray(offset, offset + length);
  };

  /** [gpa, gpa + length) cut at chunk boundaries; null when any piece is not mapped RAM. */
  const pieces = (gpa: bigint, length: number): Uint8Array[] | null => {
    if (!open || length < 0 || gpa < 0n || !bankOf(gpa, gpa + BigInt(length))) return null;
    const out: Uint8Array[] = [];
    for (let done = 0; done < length;) {
      const at = gpa + BigInt(done);
      const n = Math.min(length - done, Number((at / CHUNK + 1n) * CHUNK - at));
      const piece = within(at, n);
      if (piece === null) return null;
      out.push(piece);
      done += n;
    }
    return out;
  };

  return {
    domid,
    banks: ram,
    get mappedChunks() {
      return [...chunks.values()].filter((c) => c !== null && !c.dead).length;
    },
    get invalidations() {
      return invalidations;
    },
    invalidate() {
      if (!open) return;
      invalidations++;
      for (const [index, c] of chunks) {
        if (c === null || c.dead) continue;
        const pages = c.pages.bytes.length / XC_PAGE_SIZE;
        try {
          const again = mapping.mapPages(domid, (index * CHUNK) / PAGE, pages, c.pages.bytes);
          // the new mapping replaced the old at the same address: keep the old `bytes` (every
          // view shares its buffer) with the new errors and unmap
          chunks.set(index, {
            pages: { bytes: c.pages.bytes, errors: again.errors, unmap: again.unmap },
            bad: badPages(again.errors),
            dead: false,
          });
        } catch {
          chunks.set(index, { pages: c.pages, bad: pages, dead: true });
        }
      }
    },
    view(gpa, length) {
      return within(gpa, length);
    },
    read(gpa, into) {
      const parts = pieces(gpa, into.length);
      if (parts === null) return false;
      let at = 0;
      for (const p of parts) {
        into.set(p, at);
        at += p.length;
      }
      return true;
    },
    write(gpa, from) {
      const parts = pieces(gpa, from.length);
      if (parts === null) return false;
      let at = 0;
      for (const p of parts) {
        p.set(from.subarray(at, at + p.length));
        at += p.length;
      }
      return true;
    },
    close() {
      if (!open) return;
      open = false;
      for (const c of chunks.values()) c?.pages.unmap();
      chunks.clear();
      mapping.close();
    },
  };
}
