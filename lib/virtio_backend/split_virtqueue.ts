/**
 * One split virtqueue (virtio 1.2 §2.7) as a device sees it: the driver's descriptor table and
 * available ring are read, the used ring is written, all through views of guest memory taken
 * once when the queue becomes ready (no lookups per request). Whatever the guest puts in the
 * rings is untrusted: a descriptor chain is copied out once and checked (indexes, loops,
 * lengths, indirect tables) before any byte it points to is touched.
 *
 * @module
 */
import type { GuestMemory } from "./interfaces.ts";
import {
  VRING_AVAIL_F_NO_INTERRUPT,
  VRING_DESC_F_INDIRECT,
  VRING_DESC_F_NEXT,
  VRING_DESC_F_WRITE,
  VRING_DESC_SIZE,
} from "./virtio_constants.ts";

/**
 * One descriptor chain, copied out of the guest's rings: `count` buffers, the device-readable
 * ones first (`readable` of them), then the device-writable ones. Arrays are reused per chain.
 */
export interface DescriptorChain {
  /** The head's index (the id the used ring gets back). */
  head: number;
  /** Buffers in the chain. */
  count: number;
  /** How many of the first buffers are device-readable. */
  readable: number;
  /** A device-readable buffer came after a device-writable one (a driver error, §2.7.4.2). */
  misordered: boolean;
  /** The last buffer is device-writable (where a request's status byte goes). */
  lastWritable: boolean;
  /** Guest-physical address of each buffer; -1 when it is at or beyond 2^53 (never RAM). */
  readonly addr: Float64Array;
  /** Length of each buffer in bytes. */
  readonly len: Uint32Array;
}

/** What {@linkcode SplitVirtqueue.pop} found. */
export type PopResult = typeof POP_CHAIN | typeof POP_EMPTY | typeof POP_BROKEN;
/** A chain was copied into the chain argument. */
export const POP_CHAIN = 0;
/** Nothing new in the available ring. */
export const POP_EMPTY = 1;
/** The queue is broken (see `brokenReason`); the device needs a reset. */
export const POP_BROKEN = 2;

const TWO_32 = 2 ** 32;
const ADDR_HIGH_LIMIT = 2 ** 21; // high word at or above this: address >= 2^53

/** A split virtqueue's device side. */
export class SplitVirtqueue {
  /** Queue size the driver chose (`QueueNum`). */
  num = 0;
  /** Guest-physical addresses the driver wrote (`QueueDesc`, `QueueDriver`, `QueueDevice`). */
  descAddr = 0n;
  /** The available ring's address. */
  availAddr = 0n;
  /** The used ring's address. */
  usedAddr = 0n;
  /** The driver wrote 1 to `QueueReady` and the rings checked out. */
  ready = false;
  /** Why the queue stopped (null while it works). */
  brokenReason: string | null = null;

  #desc: DataView | null = null;
  #avail: DataView | null = null;
  #availU16: Uint16Array | null = null;
  #used: DataView | null = null;
  #usedU16: Uint16Array | null = null;
  #indirect = false;
  #eventIdx = false;
  #lastAvail = 0;
  #usedIdx = 0;
  #publishedUsed = 0;

  /** A queue of at most `maxSize` entries (`QueueNumMax`) over `memory`. */
  constructor(readonly memory: GuestMemory, readonly maxSize: number) {}

  /** A chain buffer big enough for any chain this queue accepts. */
  newChain(): DescriptorChain {
    const capacity = 2 * this.maxSize;
    return {
      head: 0,
      count: 0,
      readable: 0,
      misordered: false,
      lastWritable: false,
      addr: new Float64Array(capacity),
      len: new Uint32Array(capacity),
    };
  }

  /** Back to the state after creation (device reset, §2.1). */
  reset(): void {
    this.num = 0;
    this.descAddr = this.availAddr = this.usedAddr = 0n;
    this.ready = false;
    this.brokenReason = null;
    this.#desc = this.#avail = this.#used = null;
    this.#availU16 = this.#usedU16 = null;
    this.#lastAvail = this.#usedIdx = this.#publishedUsed = 0;
  }

  /**
   * The driver set `QueueReady`: checks the size and the three areas (in guest RAM, aligned as
   * §2.7 requires) and keeps views of them. Returns null, or why the queue cannot run.
   */
  activate(features: { indirect: boolean; eventIdx: boolean }): string | null {
    const n = this.num;
    if (n === 0 || n > this.maxSize || (n & (n - 1)) !== 0) {
      return `queue size ${n} is not a power of 2 up to ${this.maxSize}`;
    }
    if (
      (this.descAddr & 15n) !== 0n || (this.availAddr & 1n) !== 0n || (this.usedAddr & 3n) !== 0n
    ) {
      return "ring addresses not aligned (descriptors 16, driver area 2, device area 4)";
    }
    const desc = this.memory.view(this.descAddr, VRING_DESC_SIZE * n);
    const avail = this.memory.view(this.availAddr, 6 + 2 * n);
    const used = this.memory.view(this.usedAddr, 6 + 8 * n);
    if (desc === null || avail === null || used === null) {
      return "ring outside guest RAM";
    }
    // Index fields are read and written with Atomics (ordering against the guest's CPUs), which
    // needs 2-byte alignment in host memory too; a page-aligned mapping always gives it.
    if ((avail.byteOffset & 1) !== 0 || (used.byteOffset & 1) !== 0) {
      return "ring not 2-byte aligned in host memory";
    }
    this.#desc = new DataView(desc.buffer, desc.byteOffset, desc.byteLength);
    this.#avail = new DataView(avail.buffer, avail.byteOffset, avail.byteLength);
    this.#availU16 = new Uint16Array(avail.buffer, avail.byteOffset, avail.byteLength >> 1);
    this.#used = new DataView(used.buffer, used.byteOffset, used.byteLength);
    this.#usedU16 = new Uint16Array(used.buffer, used.byteOffset, used.byteLength >> 1);
    this.#indirect = features.indirect;
    this.#eventIdx = features.eventIdx;
    // §2.7.13: a fresh queue starts at index 0 on both sides; the used ring is the device's.
    this.#lastAvail = 0;
    this.#usedIdx = this.#publishedUsed = 0;
    this.ready = true;
    this.brokenReason = null;
    return null;
  }

  /** Marks the queue broken with `reason`; it serves nothing more until reset. */
  break(reason: string): void {
    this.brokenReason = reason;
  }

  /** Whether the available ring has entries the device has not taken. */
  hasAvailable(): boolean {
    return this.ready && this.brokenReason === null &&
      Atomics.load(this.#availU16!, 1) !== this.#lastAvail;
  }

  /**
   * Takes the next available chain into `chain`: {@linkcode POP_CHAIN}, `POP_EMPTY`, or
   * `POP_BROKEN` (the reason in `brokenReason`) for a ring or chain no driver may write.
   */
  pop(chain: DescriptorChain): PopResult {
    if (!this.ready || this.brokenReason !== null) return POP_EMPTY;
    const n = this.num;
    // Acquire: the ring entry and descriptors are read after the index that published them.
    const availIdx = Atomics.load(this.#availU16!, 1);
    const pending = (availIdx - this.#lastAvail) & 0xffff;
    if (pending === 0) return POP_EMPTY;
    if (pending > n) return this.#broken(`available index moved by ${pending} (queue size ${n})`);
    const head = this.#avail!.getUint16(4 + 2 * (this.#lastAvail & (n - 1)), true);
    if (head >= n) return this.#broken(`available ring names descriptor ${head} (queue size ${n})`);
    this.#lastAvail = (this.#lastAvail + 1) & 0xffff;
    chain.head = head;
    return this.#walk(head, chain);
  }

  #walk(head: number, chain: DescriptorChain): PopResult {
    let table = this.#desc!;
    let size = this.num;
    let index = head;
    let seen = 0;
    let indirect = false;
    let count = 0;
    let readable = 0;
    let misordered = false;
    let writable = false;
    const addr = chain.addr;
    const len = chain.len;
    for (;;) {
      if (index >= size) return this.#broken(`descriptor index ${index} past its table (${size})`);
      // A chain visits each descriptor of its table at most once; more means a loop.
      if (++seen > size) return this.#broken(`descriptor chain from ${head} loops or is too long`);
      const at = index * VRING_DESC_SIZE;
      const lo = table.getUint32(at, true);
      const hi = table.getUint32(at + 4, true);
      const length = table.getUint32(at + 8, true);
      const flags = table.getUint16(at + 12, true);
      const next = table.getUint16(at + 14, true);
      if ((flags & VRING_DESC_F_INDIRECT) !== 0) {
        // §2.7.5.3.1: only with the feature, only in the main table, never with NEXT.
        if (!this.#indirect) return this.#broken("indirect descriptor not negotiated");
        if (indirect) return this.#broken("indirect descriptor inside an indirect table");
        if ((flags & VRING_DESC_F_NEXT) !== 0) return this.#broken("indirect descriptor with NEXT");
        const entries = length / VRING_DESC_SIZE;
        if (length === 0 || length % VRING_DESC_SIZE !== 0 || entries > this.maxSize) {
          return this.#broken(`indirect table of ${length} bytes`);
        }
        const view = hi >= ADDR_HIGH_LIMIT
          ? null
          : this.memory.view(BigInt(hi * TWO_32 + lo), length);
        if (view === null) return this.#broken("indirect table outside guest RAM");
        table = new DataView(view.buffer, view.byteOffset, length);
        size = entries;
        index = 0;
        seen = 0;
        indirect = true;
        continue;
      }
      addr[count] = hi >= ADDR_HIGH_LIMIT ? -1 : hi * TWO_32 + lo;
      len[count] = length;
      writable = (flags & VRING_DESC_F_WRITE) !== 0;
      if (!writable) {
        if (readable !== count) misordered = true;
        else readable++;
      }
      count++;
      if ((flags & VRING_DESC_F_NEXT) === 0) break;
      index = next;
    }
    chain.count = count;
    chain.readable = readable;
    chain.misordered = misordered;
    chain.lastWritable = writable;
    return POP_CHAIN;
  }

  #broken(reason: string): PopResult {
    this.brokenReason = reason;
    return POP_BROKEN;
  }

  /** Returns chain `head` to the driver with `written` bytes written (not yet published). */
  push(head: number, written: number): void {
    const used = this.#used!;
    const at = 4 + 8 * (this.#usedIdx & (this.num - 1));
    used.setUint32(at, head, true);
    used.setUint32(at + 4, written, true);
    this.#usedIdx = (this.#usedIdx + 1) & 0xffff;
  }

  /**
   * Publishes the pushed entries (used index) and, with EVENT_IDX, asks to be notified of the
   * next available entry. True when the driver wants an interrupt for them (§2.7.7, §2.7.10).
   * Returns false and does nothing when there is nothing new.
   */
  publish(): boolean {
    if (!this.ready) return false;
    const old = this.#publishedUsed;
    const now = this.#usedIdx;
    if (old === now) return false;
    // Release: the used elements are visible before the index that publishes them.
    Atomics.store(this.#usedU16!, 1, now);
    this.#publishedUsed = now;
    if (this.#eventIdx) {
      const usedEvent = Atomics.load(this.#availU16!, 2 + this.num);
      return ((now - usedEvent - 1) & 0xffff) < ((now - old) & 0xffff);
    }
    return (Atomics.load(this.#availU16!, 0) & VRING_AVAIL_F_NO_INTERRUPT) === 0;
  }

  /**
   * With EVENT_IDX: tells the driver to notify on its next new entry (`avail_event`), then
   * says whether entries arrived meanwhile (the caller then keeps going instead of sleeping).
   */
  armNotify(): boolean {
    if (!this.#eventIdx || !this.ready || this.brokenReason !== null) return false;
    // Seq-cst store then load: the driver either sees this avail_event or we see its entry.
    Atomics.store(this.#usedU16!, 2 + 4 * this.num, this.#lastAvail);
    return Atomics.load(this.#availU16!, 1) !== this.#lastAvail;
  }
}
