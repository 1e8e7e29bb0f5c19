/**
 * A virtio driver for tests, acting as Linux's virtio_mmio + virtio_blk drivers do: it lays out
 * a split virtqueue in a guest-RAM image, negotiates through the registers, submits requests
 * and reads the used ring back. A test driver on the other side of the device, not a fake.
 */
import type { MmioHandler } from "../../lib/virtio_backend/interfaces.ts";
import {
  VIRTIO_BLK_T,
  VIRTIO_CONFIG_S,
  VIRTIO_F,
  VIRTIO_MMIO,
  VRING_DESC_F_INDIRECT,
  VRING_DESC_F_NEXT,
  VRING_DESC_F_WRITE,
} from "../../lib/virtio_backend/virtio_constants.ts";

/** Guest RAM base used by the tests (Arm's GUEST_RAM0_BASE). */
export const RAM_BASE = 0x40000000n;
/** Where the rings go, as offsets in the RAM image. */
export const DESC_AT = 0x0000;
/** The avail ring. */
export const AVAIL_AT = 0x1000;
/** The used ring. */
export const USED_AT = 0x2000;
/** Where buffers are allocated from. */
export const HEAP_AT = 0x4000;

/** One buffer of a chain: RAM offset (or absolute guest address), length, device-writable. */
export interface Buffer {
  at: number;
  len: number;
  write?: boolean;
  /** A raw guest-physical address instead of `at` (for hostile chains). */
  gpa?: bigint;
}

/** A feature bit as a bigint mask. */
export const bit = (n: number): bigint => 1n << BigInt(n);

/** The test driver. */
export class TestDriver {
  readonly view: DataView;
  num = 0;
  heap = HEAP_AT;
  availIdx = 0;
  usedSeen = 0;
  nextDesc = 0;
  features = 0n;

  constructor(readonly device: MmioHandler, readonly ram: Uint8Array) {
    this.view = new DataView(ram.buffer, ram.byteOffset, ram.byteLength);
  }

  r(offset: number): number {
    return Number(this.device.read(offset, 4));
  }
  w(offset: number, value: number): void {
    this.device.write(offset, 4, BigInt(value >>> 0));
  }
  status(): number {
    return this.r(VIRTIO_MMIO.STATUS);
  }

  deviceFeatures(): bigint {
    this.w(VIRTIO_MMIO.DEVICE_FEATURES_SEL, 0);
    const lo = this.r(VIRTIO_MMIO.DEVICE_FEATURES);
    this.w(VIRTIO_MMIO.DEVICE_FEATURES_SEL, 1);
    const hi = this.r(VIRTIO_MMIO.DEVICE_FEATURES);
    return (BigInt(hi) << 32n) | BigInt(lo);
  }

  /** Linux's probe order (§3.1.1); returns whether FEATURES_OK stuck. `accept` filters. */
  negotiate(accept: (offered: bigint) => bigint = (f) => f): boolean {
    const S = VIRTIO_CONFIG_S;
    this.w(VIRTIO_MMIO.STATUS, 0);
    this.w(VIRTIO_MMIO.STATUS, S.ACKNOWLEDGE);
    this.w(VIRTIO_MMIO.STATUS, S.ACKNOWLEDGE | S.DRIVER);
    this.features = accept(this.deviceFeatures());
    this.w(VIRTIO_MMIO.DRIVER_FEATURES_SEL, 0);
    this.w(VIRTIO_MMIO.DRIVER_FEATURES, Number(this.features & 0xffffffffn));
    this.w(VIRTIO_MMIO.DRIVER_FEATURES_SEL, 1);
    this.w(VIRTIO_MMIO.DRIVER_FEATURES, Number(this.features >> 32n));
    this.w(VIRTIO_MMIO.STATUS, S.ACKNOWLEDGE | S.DRIVER | S.FEATURES_OK);
    return (this.status() & S.FEATURES_OK) !== 0;
  }

  /** Sets queue 0 up with `num` entries (default QueueNumMax) and sets DRIVER_OK. */
  setupQueue(num?: number, addrs = { desc: DESC_AT, avail: AVAIL_AT, used: USED_AT }): void {
    this.w(VIRTIO_MMIO.QUEUE_SEL, 0);
    this.num = num ?? this.r(VIRTIO_MMIO.QUEUE_NUM_MAX);
    // Fresh rings are zeroed, as Linux's vring allocation gives them.
    const n = Math.min(this.num, 1024);
    this.ram.fill(0, addrs.desc, Math.min(addrs.desc + 16 * n, this.ram.length));
    this.ram.fill(0, addrs.avail, Math.min(addrs.avail + 6 + 2 * n, this.ram.length));
    this.ram.fill(0, addrs.used, Math.min(addrs.used + 6 + 8 * n, this.ram.length));
    this.w(VIRTIO_MMIO.QUEUE_NUM, this.num);
    const gpa = (at: number) => RAM_BASE + BigInt(at);
    const split = (o: number, v: bigint) => {
      this.w(o, Number(v & 0xffffffffn));
      this.w(o + 4, Number(v >> 32n));
    };
    split(VIRTIO_MMIO.QUEUE_DESC_LOW, gpa(addrs.desc));
    split(VIRTIO_MMIO.QUEUE_AVAIL_LOW, gpa(addrs.avail));
    split(VIRTIO_MMIO.QUEUE_USED_LOW, gpa(addrs.used));
    this.w(VIRTIO_MMIO.QUEUE_READY, 1);
    const S = VIRTIO_CONFIG_S;
    this.w(VIRTIO_MMIO.STATUS, S.ACKNOWLEDGE | S.DRIVER | S.FEATURES_OK | S.DRIVER_OK);
    this.availIdx = this.usedSeen = this.nextDesc = 0;
  }

  /** Negotiates everything offered and sets the queue up. */
  start(accept?: (offered: bigint) => bigint, num?: number): void {
    if (!this.negotiate(accept)) throw new Error("FEATURES_OK refused");
    this.setupQueue(num);
  }

  alloc(len: number, align = 16): number {
    this.heap = Math.ceil(this.heap / align) * align;
    const at = this.heap;
    this.heap += len;
    if (this.heap > this.ram.length) throw new Error("test driver: out of RAM");
    return at;
  }

  gpaOf(b: Buffer): bigint {
    return b.gpa ?? RAM_BASE + BigInt(b.at);
  }

  writeDesc(tableAt: number, i: number, addr: bigint, len: number, flags: number, next: number) {
    const o = tableAt + 16 * i;
    this.view.setBigUint64(o, addr, true);
    this.view.setUint32(o + 8, len, true);
    this.view.setUint16(o + 12, flags, true);
    this.view.setUint16(o + 14, next, true);
  }

  /** Puts `buffers` as a chain (or one indirect table) into the ring; returns the head. */
  submit(buffers: Buffer[], options: { indirect?: boolean; kick?: boolean } = {}): number {
    const n = this.num;
    const head = this.nextDesc % n;
    if (options.indirect) {
      const table = this.alloc(16 * buffers.length);
      buffers.forEach((b, i) => {
        const last = i === buffers.length - 1;
        this.writeDesc(
          table,
          i,
          this.gpaOf(b),
          b.len,
          (b.write ? VRING_DESC_F_WRITE : 0) | (last ? 0 : VRING_DESC_F_NEXT),
          last ? 0 : i + 1,
        );
      });
      this.writeDesc(
        DESC_AT,
        head,
        RAM_BASE + BigInt(table),
        16 * buffers.length,
        VRING_DESC_F_INDIRECT,
        0,
      );
      this.nextDesc++;
    } else {
      buffers.forEach((b, i) => {
        const idx = (this.nextDesc + i) % n;
        const last = i === buffers.length - 1;
        this.writeDesc(
          DESC_AT,
          idx,
          this.gpaOf(b),
          b.len,
          (b.write ? VRING_DESC_F_WRITE : 0) | (last ? 0 : VRING_DESC_F_NEXT),
          (idx + 1) % n,
        );
      });
      this.nextDesc += buffers.length;
    }
    this.publish(head);
    if (options.kick ?? true) this.kick();
    return head;
  }

  /** Adds `head` to the avail ring and bumps its index. */
  publish(head: number): void {
    this.view.setUint16(AVAIL_AT + 4 + 2 * (this.availIdx % this.num), head, true);
    this.availIdx = (this.availIdx + 1) & 0xffff;
    this.view.setUint16(AVAIL_AT + 2, this.availIdx, true);
  }

  kick(): void {
    this.w(VIRTIO_MMIO.QUEUE_NOTIFY, 0);
  }

  usedIdx(): number {
    return this.view.getUint16(USED_AT + 2, true);
  }

  /** Used entries since the last call. */
  takeUsed(): { id: number; len: number }[] {
    const out = [];
    const idx = this.usedIdx();
    while (this.usedSeen !== idx) {
      const o = USED_AT + 4 + 8 * (this.usedSeen % this.num);
      out.push({ id: this.view.getUint32(o, true), len: this.view.getUint32(o + 4, true) });
      this.usedSeen = (this.usedSeen + 1) & 0xffff;
    }
    // As Linux's virtqueue_enable_cb: interrupt me for the next used entry (used_event).
    if ((this.features & bit(VIRTIO_F.RING_EVENT_IDX)) !== 0n) {
      this.view.setUint16(AVAIL_AT + 4 + 2 * this.num, this.usedSeen, true);
    }
    return out;
  }

  /** A 16-byte virtio_blk_outhdr in a new buffer. */
  header(type: number, sector: bigint | number): Buffer {
    const at = this.alloc(16);
    this.view.setUint32(at, type, true);
    this.view.setUint32(at + 4, 0, true);
    this.view.setBigUint64(at + 8, BigInt(sector), true);
    return { at, len: 16 };
  }

  /** Submits a blk request: header, `data` buffers, a status byte; returns status and used. */
  request(
    type: number,
    sector: bigint | number,
    data: Buffer[],
    options: { indirect?: boolean } = {},
  ): { status: number; used: { id: number; len: number }[]; statusAt: number } {
    const statusAt = this.alloc(1, 1);
    this.ram[statusAt] = 0xee;
    this.submit(
      [this.header(type, sector), ...data, { at: statusAt, len: 1, write: true }],
      options,
    );
    return { status: this.ram[statusAt], used: this.takeUsed(), statusAt };
  }

  /** Reads `bytes` at `sector` into a fresh buffer; returns status and the data. */
  read(sector: number, bytes: number, options: { indirect?: boolean; pieces?: number } = {}) {
    const at = this.alloc(bytes);
    const pieces = options.pieces ?? 1;
    const step = bytes / pieces;
    const data = Array.from(
      { length: pieces },
      (_, i) => ({ at: at + i * step, len: step, write: true }),
    );
    const r = this.request(VIRTIO_BLK_T.IN, sector, data, options);
    return { ...r, data: this.ram.slice(at, at + bytes) };
  }

  /** Writes `bytes` at `sector`; returns the status. */
  write(sector: number, bytes: Uint8Array, options: { indirect?: boolean; pieces?: number } = {}) {
    const at = this.alloc(bytes.length);
    this.ram.set(bytes, at);
    const pieces = options.pieces ?? 1;
    const step = bytes.length / pieces;
    const data = Array.from({ length: pieces }, (_, i) => ({ at: at + i * step, len: step }));
    return this.request(VIRTIO_BLK_T.OUT, sector, data, options);
  }

  /** A DISCARD or WRITE_ZEROES request over `ranges`. */
  ranges(type: number, ranges: { sector: number; sectors: number; flags?: number }[]) {
    const at = this.alloc(16 * ranges.length);
    ranges.forEach((r, i) => {
      this.view.setBigUint64(at + 16 * i, BigInt(r.sector), true);
      this.view.setUint32(at + 16 * i + 8, r.sectors, true);
      this.view.setUint32(at + 16 * i + 12, r.flags ?? 0, true);
    });
    return this.request(type, 0, [{ at, len: 16 * ranges.length }]);
  }

  /** Resets the heap (buffers of earlier requests are dropped). */
  freeAll(): void {
    this.heap = HEAP_AT;
  }
}

/** Everything a Linux driver would accept from a block device with these features. */
export const ALL = (f: bigint): bigint => f;
/** The features without EVENT_IDX. */
export const NO_EVENT_IDX = (f: bigint): bigint => f & ~bit(VIRTIO_F.RING_EVENT_IDX);
