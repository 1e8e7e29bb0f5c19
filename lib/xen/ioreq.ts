/**
 * `struct ioreq` (Xen 4.17 public/hvm/ioreq.h) on the IOREQ server's shared page: one 32-byte
 * slot per vCPU, and the handshake a device model performs on a slot — READY → INPROCESS →
 * (handle) → IORESP_READY — with the barriers Xen's own device models use (QEMU's
 * `cpu_get_ioreq_from_shared_memory` / `cpu_handle_ioreq`: read barrier after seeing READY,
 * write barrier before publishing the response).
 *
 * @module
 */

/** Byte offsets of `struct ioreq`'s fields (public/hvm/ioreq.h, Xen 4.17; same on every arch). */
export const IOREQ = {
  addr: 0,
  data: 8,
  count: 16,
  size: 20,
  vp_eport: 24,
  /** The byte holding the bit fields `state:4, data_is_ptr:1, dir:1, df:1` (LSB first). */
  flags: 30,
  type: 31,
} as const;
/** `sizeof(struct ioreq)`. */
export const IOREQ_SIZE = 32;

/** `STATE_IOREQ_NONE`: the slot is free. */
export const STATE_IOREQ_NONE = 0;
/** `STATE_IOREQ_READY`: Xen posted a request. */
export const STATE_IOREQ_READY = 1;
/** `STATE_IOREQ_INPROCESS`: the device model took it. */
export const STATE_IOREQ_INPROCESS = 2;
/** `STATE_IORESP_READY`: the device model answered. */
export const STATE_IORESP_READY = 3;
/** `IOREQ_READ` (`dir`). */
export const IOREQ_READ = 1;
/** `IOREQ_WRITE` (`dir`). */
export const IOREQ_WRITE = 0;
/** `IOREQ_TYPE_PIO`. */
export const IOREQ_TYPE_PIO = 0;
/** `IOREQ_TYPE_COPY`: MMIO. */
export const IOREQ_TYPE_COPY = 1;
/** `IOREQ_TYPE_PCI_CONFIG`. */
export const IOREQ_TYPE_PCI_CONFIG = 2;
/** `IOREQ_TYPE_TIMEOFFSET`. */
export const IOREQ_TYPE_TIMEOFFSET = 7;
/** `IOREQ_TYPE_INVALIDATE`: drop any map cache (sent once the guest's p2m changed). */
export const IOREQ_TYPE_INVALIDATE = 8;

/** One request, decoded. */
export interface Ioreq {
  /** Guest-physical address. */
  addr: bigint;
  /** The value written, or (data_is_ptr) the guest address of the data. */
  data: bigint;
  /** Repetitions (1 on Arm). */
  count: number;
  /** Access size in bytes. */
  size: number;
  /** Xen's end of this vCPU's event channel. */
  vpEport: number;
  /** `STATE_*`. */
  state: number;
  /** `data` is a guest address (never on Arm). */
  dataIsPtr: boolean;
  /** `IOREQ_READ` or `IOREQ_WRITE`. */
  dir: number;
  /** Direction flag for repeated accesses. */
  df: boolean;
  /** `IOREQ_TYPE_*`. */
  type: number;
}

/** Decodes vCPU `vcpu`'s slot of an ioreq page (no handshake: a plain read). */
export function decodeIoreq(page: Uint8Array, vcpu: number): Ioreq {
  const at = vcpu * IOREQ_SIZE;
  const v = new DataView(page.buffer, page.byteOffset + at, IOREQ_SIZE);
  const flags = v.getUint8(IOREQ.flags);
  return {
    addr: v.getBigUint64(IOREQ.addr, true),
    data: v.getBigUint64(IOREQ.data, true),
    count: v.getUint32(IOREQ.count, true),
    size: v.getUint32(IOREQ.size, true),
    vpEport: v.getUint32(IOREQ.vp_eport, true),
    state: flags & 0xf,
    dataIsPtr: (flags & 0x10) !== 0,
    dir: (flags >> 5) & 1,
    df: (flags & 0x40) !== 0,
    type: v.getUint8(IOREQ.type),
  };
}

/** Encodes a request into vCPU `vcpu`'s slot (what Xen writes; for tests and tools). */
export function encodeIoreq(page: Uint8Array, vcpu: number, req: Ioreq): void {
  const at = vcpu * IOREQ_SIZE;
  const v = new DataView(page.buffer, page.byteOffset + at, IOREQ_SIZE);
  v.setBigUint64(IOREQ.addr, req.addr, true);
  v.setBigUint64(IOREQ.data, req.data, true);
  v.setUint32(IOREQ.count, req.count, true);
  v.setUint32(IOREQ.size, req.size, true);
  v.setUint32(IOREQ.vp_eport, req.vpEport, true);
  v.setUint16(28, 0, true);
  v.setUint8(IOREQ.type, req.type);
  const flags = (req.state & 0xf) | (req.dataIsPtr ? 0x10 : 0) | ((req.dir & 1) << 5) |
    (req.df ? 0x40 : 0) | (v.getUint8(IOREQ.flags) & 0x80);
  Atomics.store(page, at + IOREQ.flags, flags);
}

/** The `vp_eport` of vCPU `vcpu` (Xen fills it in when the server is enabled). */
export function ioreqEventPort(page: Uint8Array, vcpu: number): number {
  const at = page.byteOffset + vcpu * IOREQ_SIZE + IOREQ.vp_eport;
  return new DataView(page.buffer).getUint32(at, true);
}

/**
 * What a device model does with one request: the value of a read (ignored for writes and
 * INVALIDATE). Must not throw; see {@linkcode serveIoreq}.
 */
export type IoreqHandler = (req: Ioreq) => bigint;

/**
 * Serves vCPU `vcpu`'s slot when Xen posted a request there: takes it (INPROCESS), calls
 * `handle`, stores a read's value (masked to `size` bytes) and publishes IORESP_READY. Returns
 * true when it answered (the caller then notifies the vCPU's port), false for a slot that was
 * not READY (a spurious event). A handler that throws still gets the request answered (a read
 * returns all ones), so the vCPU is never left waiting.
 */
export function serveIoreq(page: Uint8Array, vcpu: number, handle: IoreqHandler): boolean {
  const flagsAt = vcpu * IOREQ_SIZE + IOREQ.flags;
  // Atomics on the shared byte: a load-acquire / store-release pair (QEMU's xen_rmb/xen_wmb).
  const flags = Atomics.load(page, flagsAt);
  if ((flags & 0xf) !== STATE_IOREQ_READY) return false;
  Atomics.store(page, flagsAt, (flags & 0xf0) | STATE_IOREQ_INPROCESS);
  const req = decodeIoreq(page, vcpu);
  let value = ~0n;
  try {
    value = handle(req);
  } catch {
    value = ~0n;
  }
  if (req.dir === IOREQ_READ && req.type !== IOREQ_TYPE_INVALIDATE) {
    const bits = BigInt(Math.min(Math.max(req.size, 1), 8) * 8);
    const v = new DataView(page.buffer, page.byteOffset + vcpu * IOREQ_SIZE, IOREQ_SIZE);
    v.setBigUint64(IOREQ.data, BigInt.asUintN(Number(bits), value), true);
  }
  Atomics.store(page, flagsAt, (Atomics.load(page, flagsAt) & 0xf0) | STATE_IORESP_READY);
  return true;
}
