/**
 * virtio-blk (virtio 1.2 §5.2) over a {@linkcode BlockImage}: IN, OUT, FLUSH, GET_ID, and
 * DISCARD / WRITE_ZEROES when discard is enabled; `VIRTIO_BLK_F_RO` for a read-only image.
 * Data moves between the image and views of the guest's buffers with no copy in between.
 * Every request is checked (framing, range, read-only, segment counts) before its data is
 * touched; a bad one gets `VIRTIO_BLK_S_IOERR` or `VIRTIO_BLK_S_UNSUPP` and one log line.
 *
 * @module
 */
import type { GuestMemory, InterruptLine } from "./interfaces.ts";
import type { BlockImage } from "./block_image.ts";
import type { DescriptorChain } from "./split_virtqueue.ts";
import { type GuestLog, guestLog } from "./guest_log.ts";
import {
  createVirtioMmioDevice,
  DEFAULT_QUEUE_SIZE,
  type VirtioDeviceModel,
  type VirtioMmioDevice,
} from "./virtio_mmio.ts";
import {
  VIRTIO_BLK_CONFIG,
  VIRTIO_BLK_F,
  VIRTIO_BLK_ID_BYTES,
  VIRTIO_BLK_S,
  VIRTIO_BLK_SECTOR_SIZE,
  VIRTIO_BLK_T,
  VIRTIO_BLK_WRITE_ZEROES_FLAG_UNMAP,
  VIRTIO_F,
  VIRTIO_ID_BLOCK,
} from "./virtio_constants.ts";

/** Options of {@linkcode createVirtioBlkDevice}. */
export interface VirtioBlkOptions {
  /** The frontend's RAM. */
  memory: GuestMemory;
  /** The device's SPI. */
  interrupt: InterruptLine;
  /** The disk image (the device closes it on `close()`). */
  image: BlockImage;
  /** `discard-enable=1`: offer VIRTIO_BLK_F_DISCARD and VIRTIO_BLK_F_WRITE_ZEROES. */
  discard: boolean;
  /** The GET_ID answer (UTF-8, cut to 20 bytes as QEMU does). */
  serial?: string;
  /** Where guest mistakes and image errors go, at most one line each (and a bounded number). */
  log?: (line: string) => void;
  /** Offer VIRTIO_RING_F_EVENT_IDX (default true; off only to measure what it brings). */
  eventIdx?: boolean;
  /** Offer VIRTIO_RING_F_INDIRECT_DESC (default true). */
  indirect?: boolean;
  /** `QueueNumMax` (default 256). */
  queueSize?: number;
}

/** Largest data segment announced (`size_max`): 1 MiB. */
export const BLK_SIZE_MAX = 1 << 20;
/** `max_discard_sectors` and `max_write_zeroes_sectors`: 2^22 - 1 as QEMU (just under 2 GiB). */
export const BLK_MAX_DISCARD_SECTORS = 0x3fffff;
/** `max_discard_seg` and `max_write_zeroes_seg`. */
export const BLK_MAX_DISCARD_SEG = 32;
/** `discard_sector_alignment`: 4 KiB, the page and file-system block where holes are made. */
export const BLK_DISCARD_ALIGNMENT = 8;

const SECTOR = VIRTIO_BLK_SECTOR_SIZE;
const HEADER = 16;
const TWO_32 = 2 ** 32;
const bit = (n: number) => 1n << BigInt(n);

/** A virtio-blk device on the virtio-mmio transport (virtio 1.x, register version 2). */
export function createVirtioBlkDevice(options: VirtioBlkOptions): VirtioMmioDevice {
  const log = guestLog(`virtio-blk ${options.image.path}`, options.log);
  const queueSize = options.queueSize ?? DEFAULT_QUEUE_SIZE;
  const model = blkModel(options, log, queueSize);
  return createVirtioMmioDevice({
    model,
    memory: options.memory,
    interrupt: options.interrupt,
    log,
    queueSize,
  });
}

function blkFeatures(options: VirtioBlkOptions): bigint {
  let f = bit(VIRTIO_F.VERSION_1) | bit(VIRTIO_BLK_F.SIZE_MAX) | bit(VIRTIO_BLK_F.SEG_MAX) |
    bit(VIRTIO_BLK_F.BLK_SIZE) | bit(VIRTIO_BLK_F.FLUSH);
  if (options.indirect ?? true) f |= bit(VIRTIO_F.RING_INDIRECT_DESC);
  if (options.eventIdx ?? true) f |= bit(VIRTIO_F.RING_EVENT_IDX);
  if (options.image.readOnly) f |= bit(VIRTIO_BLK_F.RO);
  else if (options.discard) f |= bit(VIRTIO_BLK_F.DISCARD) | bit(VIRTIO_BLK_F.WRITE_ZEROES);
  return f;
}

function blkConfig(capacity: number, features: bigint, queueSize: number): Uint8Array {
  const C = VIRTIO_BLK_CONFIG;
  const config = new Uint8Array(C.SIZE);
  const v = new DataView(config.buffer);
  v.setBigUint64(C.CAPACITY, BigInt(capacity), true);
  v.setUint32(C.SIZE_MAX, BLK_SIZE_MAX, true);
  // QEMU's rule: two descriptors of a request are its header and status.
  v.setUint32(C.SEG_MAX, queueSize - 2, true);
  v.setUint32(C.BLK_SIZE, SECTOR, true);
  if ((features & bit(VIRTIO_BLK_F.DISCARD)) !== 0n) {
    v.setUint32(C.MAX_DISCARD_SECTORS, BLK_MAX_DISCARD_SECTORS, true);
    v.setUint32(C.MAX_DISCARD_SEG, BLK_MAX_DISCARD_SEG, true);
    v.setUint32(C.DISCARD_SECTOR_ALIGNMENT, BLK_DISCARD_ALIGNMENT, true);
  }
  if ((features & bit(VIRTIO_BLK_F.WRITE_ZEROES)) !== 0n) {
    v.setUint32(C.MAX_WRITE_ZEROES_SECTORS, BLK_MAX_DISCARD_SECTORS, true);
    v.setUint32(C.MAX_WRITE_ZEROES_SEG, BLK_MAX_DISCARD_SEG, true);
    config[C.WRITE_ZEROES_MAY_UNMAP] = 1;
  }
  return config;
}

function blkModel(options: VirtioBlkOptions, log: GuestLog, queueSize: number): VirtioDeviceModel {
  const { memory, image } = options;
  const features = blkFeatures(options);
  const capacity = Number(image.sizeBytes / BigInt(SECTOR));
  const diskBytes = capacity * SECTOR;
  const config = blkConfig(capacity, features, queueSize);
  const serial = new Uint8Array(VIRTIO_BLK_ID_BYTES);
  serial.set(new TextEncoder().encode(options.serial ?? "").subarray(0, VIRTIO_BLK_ID_BYTES));

  let negotiated = 0n;
  let fault = "";
  let closed = false;
  const header = new Uint8Array(HEADER);
  const headerView = new DataView(header.buffer);
  const segments = new Uint8Array(BLK_MAX_DISCARD_SEG * 16);
  const segmentsView = new DataView(segments.buffer);
  // The pieces of a request's data: (guest address, length) runs cut out of its buffers.
  const pieceAddr = new Float64Array(2 * queueSize);
  const pieceLen = new Uint32Array(2 * queueSize);
  const pieceView: (Uint8Array | null)[] = new Array(2 * queueSize).fill(null);
  let bounce = new Uint8Array(0);

  /** Cuts `[skip, skip+length)` of buffers `[first, end)` into pieces; the piece count. */
  const cut = (c: DescriptorChain, first: number, end: number, skip: number, length: number) => {
    let pieces = 0;
    for (let i = first; i < end && length > 0; i++) {
      const len = c.len[i];
      if (skip >= len) {
        skip -= len;
        continue;
      }
      const n = Math.min(len - skip, length);
      pieceAddr[pieces] = c.addr[i] < 0 ? -1 : c.addr[i] + skip;
      pieceLen[pieces++] = n;
      length -= n;
      skip = 0;
    }
    return pieces;
  };

  /** Views of the pieces; false when one is not guest RAM (then nothing was touched). */
  const resolve = (pieces: number): boolean => {
    for (let i = 0; i < pieces; i++) {
      const at = pieceAddr[i];
      if (at < 0) return false;
      const view = memory.view(BigInt(at), pieceLen[i]);
      // Not contiguous in the host mapping: copied through `bounce` at I/O time.
      if (view === null && !readable(at, pieceLen[i])) return false;
      pieceView[i] = view;
    }
    return true;
  };

  const allViews = (pieces: number): boolean => {
    for (let i = 0; i < pieces; i++) if (pieceView[i] === null) return false;
    return true;
  };

  const readable = (at: number, length: number): boolean => {
    if (bounce.length < length) bounce = new Uint8Array(length);
    return memory.read(BigInt(at), bounce.subarray(0, length));
  };

  /** Copies `[skip, skip+into.length)` of buffers `[first, end)` into `into`. */
  const gather = (
    c: DescriptorChain,
    first: number,
    end: number,
    skip: number,
    into: Uint8Array,
  ) => {
    const pieces = cut(c, first, end, skip, into.length);
    let done = 0;
    for (let i = 0; i < pieces; i++) {
      const at = pieceAddr[i];
      const n = pieceLen[i];
      if (at < 0 || !memory.read(BigInt(at), into.subarray(done, done + n))) return false;
      done += n;
    }
    return done === into.length;
  };

  const inRange = (sector: number, bytes: number) =>
    sector <= capacity && sector * SECTOR + bytes <= diskBytes;

  const sectorAt = (view: DataView, at: number) => {
    const hi = view.getUint32(at + 4, true);
    // Sectors of 2^53/512 or more are past any disk: make them fail the range check.
    return hi >= 2 ** 21 ? Infinity : hi * TWO_32 + view.getUint32(at, true);
  };

  const ioError = (error: unknown): number => {
    log(error instanceof Error ? error.message : String(error));
    return VIRTIO_BLK_S.IOERR;
  };

  /** IN: image → the request's writable buffers. */
  const readData = (c: DescriptorChain, sector: number, bytes: number): number => {
    if (bytes % SECTOR !== 0) return bad(`read of ${bytes} bytes, not whole sectors`);
    if (!inRange(sector, bytes)) {
      return bad(`read of ${bytes} bytes at sector ${sector} past the end of the disk`);
    }
    const pieces = cut(c, c.readable, c.count, 0, bytes);
    if (!resolve(pieces)) return bad("read into a buffer outside guest RAM");
    let offset = sector * SECTOR;
    try {
      if (pieces > 1 && allViews(pieces)) {
        image.readv(pieceView as Uint8Array[], pieces, offset);
        return VIRTIO_BLK_S.OK;
      }
      for (let i = 0; i < pieces; i++) {
        const n = pieceLen[i];
        const view = pieceView[i];
        if (view !== null) image.read(view, offset);
        else {
          const tmp = bounce.length >= n ? bounce.subarray(0, n) : (bounce = new Uint8Array(n));
          image.read(tmp, offset);
          if (!memory.write(BigInt(pieceAddr[i]), tmp)) {
            return bad("read into a buffer outside guest RAM");
          }
        }
        offset += n;
      }
    } catch (error) {
      return ioError(error);
    }
    return VIRTIO_BLK_S.OK;
  };

  /** OUT: the request's readable buffers after the header → image. */
  const writeData = (c: DescriptorChain, sector: number, bytes: number): number => {
    if (image.readOnly) return bad("write to a read-only disk");
    if (bytes % SECTOR !== 0) return bad(`write of ${bytes} bytes, not whole sectors`);
    if (!inRange(sector, bytes)) {
      return bad(`write of ${bytes} bytes at sector ${sector} past the end of the disk`);
    }
    const pieces = cut(c, 0, c.readable, HEADER, bytes);
    if (!resolve(pieces)) return bad("write from a buffer outside guest RAM");
    let offset = sector * SECTOR;
    try {
      if (pieces > 1 && allViews(pieces)) {
        image.writev(pieceView as Uint8Array[], pieces, offset);
        return VIRTIO_BLK_S.OK;
      }
      for (let i = 0; i < pieces; i++) {
        const n = pieceLen[i];
        const view = pieceView[i];
        if (view !== null) image.write(view, offset);
        else {
          if (!readable(pieceAddr[i], n)) return bad("write from a buffer outside guest RAM");
          image.write(bounce.subarray(0, n), offset);
        }
        offset += n;
      }
    } catch (error) {
      return ioError(error);
    }
    return VIRTIO_BLK_S.OK;
  };

  /** DISCARD and WRITE_ZEROES: a table of (sector, num_sectors, flags) after the header. */
  const ranges = (c: DescriptorChain, type: number, bytes: number): number => {
    const zeroes = type === VIRTIO_BLK_T.WRITE_ZEROES;
    const name = zeroes ? "write-zeroes" : "discard";
    const feature = zeroes ? VIRTIO_BLK_F.WRITE_ZEROES : VIRTIO_BLK_F.DISCARD;
    if ((negotiated & bit(feature)) === 0n) {
      return image.readOnly
        ? bad(`${name} on a read-only disk`)
        : unsupported(`${name} not negotiated`);
    }
    const count = bytes / 16;
    if (bytes === 0 || bytes % 16 !== 0 || count > BLK_MAX_DISCARD_SEG) {
      return unsupported(`${name} with ${bytes} bytes of ranges`);
    }
    const table = segments.subarray(0, bytes);
    if (!gather(c, 0, c.readable, HEADER, table)) return bad(`${name} ranges outside guest RAM`);
    // §5.2.6.2: unknown flags, and UNMAP on a discard, are UNSUPP; checked for all first.
    for (let i = 0; i < count; i++) {
      const at = i * 16;
      const sector = sectorAt(segmentsView, at);
      const sectors = segmentsView.getUint32(at + 8, true);
      const flags = segmentsView.getUint32(at + 12, true);
      const allowed = zeroes ? VIRTIO_BLK_WRITE_ZEROES_FLAG_UNMAP : 0;
      if ((flags & ~allowed) !== 0) {
        return unsupported(`${name} with flags 0x${flags.toString(16)}`);
      }
      if (sectors > BLK_MAX_DISCARD_SECTORS || !inRange(sector, sectors * SECTOR)) {
        return bad(`${name} of ${sectors} sectors at ${sector} past the end or the maximum`);
      }
    }
    try {
      for (let i = 0; i < count; i++) {
        const at = i * 16;
        const offset = sectorAt(segmentsView, at) * SECTOR;
        const length = segmentsView.getUint32(at + 8, true) * SECTOR;
        if (length === 0) continue;
        if (zeroes) {
          image.writeZeroes(offset, length, (segmentsView.getUint32(at + 12, true) & 1) !== 0);
        } else image.discard(offset, length);
      }
    } catch (error) {
      return ioError(error);
    }
    return VIRTIO_BLK_S.OK;
  };

  const bad = (line: string) => {
    log(line);
    return VIRTIO_BLK_S.IOERR;
  };
  const unsupported = (line: string) => {
    log(line);
    return VIRTIO_BLK_S.UNSUPP;
  };

  return {
    deviceId: VIRTIO_ID_BLOCK,
    features,
    config,
    get fault() {
      return fault;
    },
    negotiated(accepted) {
      negotiated = accepted;
    },
    serve(c) {
      // The status byte is the last byte of the last buffer, which must be device-writable.
      const last = c.count - 1;
      const statusAt = c.addr[last] + c.len[last] - 1;
      const status = c.lastWritable && c.len[last] > 0 && c.addr[last] >= 0
        ? memory.view(BigInt(statusAt), 1)
        : null;
      if (status === null) {
        fault = `request ${c.head} has no status byte in guest RAM`;
        return -1;
      }
      let readBytes = 0;
      for (let i = 0; i < c.readable; i++) readBytes += c.len[i];
      let writeBytes = -1; // the status byte is not data
      for (let i = c.readable; i < c.count; i++) writeBytes += c.len[i];
      let result: number;
      let written = 1;
      if (closed) result = VIRTIO_BLK_S.IOERR;
      else if (c.misordered) {
        result = bad(`request ${c.head}: a readable buffer after a writable one`);
      } else if (readBytes < HEADER) {
        result = bad(`request ${c.head}: header of ${readBytes} bytes`);
      } else if (!gather(c, 0, c.readable, 0, header)) {
        result = bad("request header outside guest RAM");
      } else {
        const type = headerView.getUint32(0, true);
        const sector = sectorAt(headerView, 8);
        switch (type) {
          case VIRTIO_BLK_T.IN:
            result = readData(c, sector, writeBytes);
            if (result === VIRTIO_BLK_S.OK) written += writeBytes;
            break;
          case VIRTIO_BLK_T.OUT:
            result = writeData(c, sector, readBytes - HEADER);
            break;
          case VIRTIO_BLK_T.FLUSH:
            try {
              if (!image.readOnly) image.flush();
              result = VIRTIO_BLK_S.OK;
            } catch (error) {
              result = ioError(error);
            }
            break;
          case VIRTIO_BLK_T.GET_ID: {
            const n = Math.min(writeBytes, VIRTIO_BLK_ID_BYTES);
            const pieces = cut(c, c.readable, c.count, 0, n);
            result = VIRTIO_BLK_S.OK;
            if (!resolve(pieces)) result = bad("GET_ID into a buffer outside guest RAM");
            else {
              for (let i = 0, done = 0; i < pieces; done += pieceLen[i++]) {
                memory.write(BigInt(pieceAddr[i]), serial.subarray(done, done + pieceLen[i]));
              }
              written += n;
            }
            break;
          }
          case VIRTIO_BLK_T.DISCARD:
          case VIRTIO_BLK_T.WRITE_ZEROES:
            result = ranges(c, type, readBytes - HEADER);
            break;
          default:
            result = unsupported(`request type ${type}`);
        }
      }
      status[0] = result;
      return written;
    },
    close() {
      if (closed) return;
      closed = true;
      image.close();
    },
  };
}
