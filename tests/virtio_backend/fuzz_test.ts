/**
 * Fuzzing the virtqueue and virtio-blk code (issue 10, "Done when"): a million malformed queues
 * and requests over a memory image. Per batch, a test driver writes up to 16 requests built
 * to be valid and then mutated (types, sectors, lengths, addresses outside RAM, flags, next
 * indexes, loops, indirect tables, ring indexes, register garbage), snapshots guest RAM and
 * notifies. After every batch: no exception escaped, guest RAM differs from the snapshot only
 * inside device-writable buffers of that batch and the used ring, and the guard bytes around
 * the disk image are intact.
 *
 *   XLITE_FUZZ_SEED=<n> XLITE_FUZZ_REQUESTS=<n> deno test -A tests/virtio_backend/fuzz_test.ts
 */
import { assert } from "../support/assert.ts";
import {
  createVirtioBlkDevice,
  memoryBlockImage,
  memoryGuestRam,
  type VirtioMmioDevice,
} from "../../lib/virtio_backend/mod.ts";
import {
  VIRTIO_BLK_T,
  VIRTIO_CONFIG_S,
  VIRTIO_F,
  VIRTIO_MMIO,
  VRING_DESC_F_INDIRECT,
  VRING_DESC_F_NEXT,
  VRING_DESC_F_WRITE,
} from "../../lib/virtio_backend/virtio_constants.ts";
import { bit, RAM_BASE, TestDriver } from "./test_driver.ts";

const REQUESTS = Number(Deno.env.get("XLITE_FUZZ_REQUESTS") ?? 1_000_000);
const SEED = Number(Deno.env.get("XLITE_FUZZ_SEED") ?? (Math.random() * 2 ** 32) >>> 0);

const RAM_BYTES = 64 << 10;
const NUM = 64;
const DESC = 0x0000;
const AVAIL = 0x400;
const USED = 0x800;
const USED_END = USED + 6 + 8 * NUM;
const HEAP = 0x1000;
const IMAGE_BYTES = 64 << 10;
const GUARD = 4096;
const GUARD_BYTE = 0xa5;
const PER_BATCH = 16;
const RAM_START = Number(RAM_BASE);

/** mulberry32: small, fast, and reproducible from the printed seed. */
function prng(seed: number) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

Deno.test(`fuzz: ${REQUESTS} malformed queues and requests touch nothing outside their buffers`, () => {
  console.log(`fuzz seed ${SEED} (XLITE_FUZZ_SEED=${SEED} to replay), ${REQUESTS} requests`);
  const random = prng(SEED);
  const rnd = (n: number) => Math.floor(random() * n);
  const chance = (p: number) => random() < p;

  const ram = new Uint8Array(RAM_BYTES);
  const ram32 = new Uint32Array(ram.buffer);
  const view = new DataView(ram.buffer);
  const snapshot = new Uint8Array(RAM_BYTES);
  const snap32 = new Uint32Array(snapshot.buffer);
  const mask = new Uint8Array(RAM_BYTES);
  const backing = new Uint8Array(GUARD + IMAGE_BYTES + GUARD).fill(GUARD_BYTE);
  const disk = backing.subarray(GUARD, GUARD + IMAGE_BYTES);
  for (let i = 0; i < IMAGE_BYTES; i++) disk[i] = i & 0xff;

  const counts = { resets: 0, registers: 0, submitted: 0 };
  const makeDevice = (readOnly: boolean): VirtioMmioDevice =>
    createVirtioBlkDevice({
      memory: memoryGuestRam(RAM_BASE, ram),
      interrupt: { raise() {} },
      image: memoryBlockImage(disk, { readOnly }),
      discard: true,
      serial: "fuzz",
      log: () => {},
    });
  const devices = [makeDevice(false), makeDevice(true)];
  let device = devices[0];
  let driver = new TestDriver(device, ram);
  let availIdx = 0;

  const restart = () => {
    const drop = chance(0.5) ? bit(VIRTIO_F.RING_EVENT_IDX) : 0n;
    const dropIndirect = chance(0.1) ? bit(VIRTIO_F.RING_INDIRECT_DESC) : 0n;
    driver.negotiate((f) => f & ~drop & ~dropIndirect);
    driver.setupQueue(NUM, { desc: DESC, avail: AVAIL, used: USED });
    availIdx = 0;
  };
  restart();

  let heap = HEAP;
  const alloc = (len: number): number => {
    const at = heap;
    if (at + len > RAM_BYTES) return -1;
    heap = (at + len + 7) & ~7;
    return at;
  };
  /** A guest address (as [low, high] words) outside RAM or straddling its ends. */
  const hostileAddress = (len: number): [number, number] => {
    switch (rnd(6)) {
      case 0:
        return [0, 0];
      case 1:
        return [RAM_START - 8, 0];
      case 2:
        return [RAM_START + RAM_BYTES - Math.max(1, len >>> 1), 0];
      case 3:
        return [0xfffffff0, 0xffffffff];
      case 4:
        return [rnd(2 ** 32), rnd(2 ** 32)];
      default:
        return [RAM_START + RAM_BYTES, 0];
    }
  };
  const markWritable = (lo: number, hi: number, len: number) => {
    if (hi !== 0) return;
    const start = Math.max(lo - RAM_START, 0);
    const end = Math.min(lo - RAM_START + len, RAM_BYTES);
    if (end > start) mask.fill(1, start, end);
  };
  const writeDesc = (
    table: number,
    i: number,
    lo: number,
    hi: number,
    len: number,
    flags: number,
    next: number,
  ) => {
    const o = table + 16 * i;
    view.setUint32(o, lo, true);
    view.setUint32(o + 4, hi, true);
    view.setUint32(o + 8, len, true);
    view.setUint16(o + 12, flags, true);
    view.setUint16(o + 14, next, true);
    if ((flags & VRING_DESC_F_WRITE) !== 0) markWritable(lo, hi, len);
  };

  const TYPES = [
    VIRTIO_BLK_T.IN,
    VIRTIO_BLK_T.IN,
    VIRTIO_BLK_T.OUT,
    VIRTIO_BLK_T.OUT,
    VIRTIO_BLK_T.FLUSH,
    VIRTIO_BLK_T.GET_ID,
    VIRTIO_BLK_T.DISCARD,
    VIRTIO_BLK_T.WRITE_ZEROES,
  ];
  type Buf = { lo: number; hi: number; len: number; flags: number };

  /** The buffers of one request: valid by construction, then mutated. */
  const buffers = (): Buf[] => {
    const out: Buf[] = [];
    const type = chance(0.05) ? rnd(2 ** 32) : TYPES[rnd(TYPES.length)];
    const sectors = IMAGE_BYTES / 512;
    const sector = chance(0.8)
      ? rnd(sectors)
      : [sectors - 1, sectors, rnd(2 ** 32), 2 ** 32 * rnd(2 ** 21)][rnd(4)];
    const header = alloc(16);
    if (header < 0) return out;
    view.setUint32(header, type, true);
    view.setUint32(header + 4, 0, true);
    view.setUint32(header + 8, sector % 2 ** 32, true);
    view.setUint32(header + 12, Math.floor(sector / 2 ** 32), true);
    if (chance(0.05)) {
      out.push({ lo: RAM_START + header, hi: 0, len: 7, flags: 0 });
      out.push({ lo: RAM_START + header + 7, hi: 0, len: 9, flags: 0 });
    } else out.push({ lo: RAM_START + header, hi: 0, len: chance(0.02) ? rnd(16) : 16, flags: 0 });
    const deviceWrites = type === VIRTIO_BLK_T.IN || type === VIRTIO_BLK_T.GET_ID;
    const pieces = rnd(4);
    for (let i = 0; i < pieces; i++) {
      let len = chance(0.8) ? 512 * (1 + rnd(8)) : [0, rnd(2000), 0xffffffff, 16 * rnd(40)][rnd(4)];
      if (type === VIRTIO_BLK_T.DISCARD || type === VIRTIO_BLK_T.WRITE_ZEROES) {
        len = chance(0.9) ? 16 * (1 + rnd(3)) : len;
      }
      const at = len <= 8192 ? alloc(len) : -1;
      let flags = deviceWrites ? VRING_DESC_F_WRITE : 0;
      if (chance(0.03)) flags ^= VRING_DESC_F_WRITE;
      if (at >= 0 && !chance(0.05)) {
        if (!deviceWrites) {
          // Ranges for discard / write-zeroes: mostly in range, flags mostly valid.
          for (let o = 0; o + 16 <= len; o += 16) {
            view.setUint32(at + o, chance(0.9) ? rnd(sectors) : rnd(2 ** 32), true);
            view.setUint32(at + o + 4, chance(0.95) ? 0 : rnd(2 ** 32), true);
            view.setUint32(at + o + 8, chance(0.9) ? rnd(16) : rnd(2 ** 32), true);
            view.setUint32(at + o + 12, chance(0.9) ? 0 : rnd(4), true);
          }
        }
        out.push({ lo: RAM_START + at, hi: 0, len, flags });
      } else {
        const [lo, hi] = hostileAddress(len);
        out.push({ lo, hi, len, flags });
      }
    }
    const status = alloc(1);
    if (status >= 0 && !chance(0.03)) {
      out.push({
        lo: RAM_START + status,
        hi: 0,
        len: 1,
        flags: chance(0.02) ? 0 : VRING_DESC_F_WRITE,
      });
    } else if (chance(0.5)) {
      const [lo, hi] = hostileAddress(1);
      out.push({ lo, hi, len: 1, flags: VRING_DESC_F_WRITE });
    }
    if (chance(0.02) && out.length > 0) {
      out[rnd(out.length)].flags = rnd(0x10000) & ~VRING_DESC_F_INDIRECT;
    }
    return out;
  };

  let nextDesc = 0;
  /** One chain into the main table (direct or one indirect table); its head, or -1. */
  const chain = (): number => {
    const bufs = buffers();
    if (bufs.length === 0) return -1;
    if (chance(0.3)) {
      // An indirect table, with room after it filled with guard bytes for over-long lengths.
      const slack = 4;
      const table = alloc(16 * (bufs.length + slack));
      if (table < 0 || nextDesc >= NUM) return -1;
      bufs.forEach((b, i) => {
        const last = i === bufs.length - 1;
        let next = last ? 0 : i + 1;
        let flags = b.flags | (last ? 0 : VRING_DESC_F_NEXT);
        if (chance(0.01)) next = rnd(bufs.length + 2);
        if (chance(0.005)) flags |= VRING_DESC_F_INDIRECT;
        writeDesc(table, i, b.lo, b.hi, b.len, flags, next);
      });
      let len = 16 * bufs.length;
      let lo = RAM_START + table;
      let hi = 0;
      let flags = VRING_DESC_F_INDIRECT;
      if (chance(0.02)) len = [0, len + 8, 16 * (bufs.length + slack), 16 * 1000][rnd(4)];
      if (chance(0.01)) [lo, hi] = hostileAddress(len);
      if (chance(0.01)) flags |= VRING_DESC_F_NEXT | (rnd(2) * VRING_DESC_F_WRITE);
      const head = nextDesc++;
      writeDesc(DESC, head, lo, hi, len, flags, chance(0.5) ? nextDesc : rnd(NUM));
      return head;
    }
    if (nextDesc + bufs.length > NUM) return -1;
    const head = nextDesc;
    bufs.forEach((b, i) => {
      const last = i === bufs.length - 1;
      let next = last ? 0 : nextDesc + 1;
      if (chance(0.01)) next = chance(0.5) ? head : rnd(NUM + 4);
      writeDesc(
        DESC,
        nextDesc++,
        b.lo,
        b.hi,
        b.len,
        b.flags | (last ? 0 : VRING_DESC_F_NEXT),
        next,
      );
    });
    return head;
  };

  const registerGarbage = () => {
    counts.registers++;
    const offset = chance(0.9)
      ? rnd(0x210) & ~(chance(0.8) ? 3 : 0)
      : [-4, 0x1000, 2 ** 31][rnd(3)];
    const size = [4, 4, 4, 1, 2, 8, 3, 0][rnd(8)];
    if (chance(0.5)) device.read(offset, size);
    else device.write(offset, size, BigInt(rnd(2 ** 32)) | (BigInt(rnd(2 ** 32)) << 32n));
  };

  const checkRam = (batch: number) => {
    for (let i = 0; i < ram32.length; i++) {
      if (ram32[i] === snap32[i]) continue;
      for (let b = 4 * i; b < 4 * i + 4; b++) {
        if (ram[b] !== snapshot[b] && mask[b] === 0 && !(b >= USED && b < USED_END)) {
          throw new Error(
            `seed ${SEED} batch ${batch}: guest RAM byte 0x${b.toString(16)} written`,
          );
        }
      }
    }
  };
  const checkImageGuards = (batch: number) => {
    for (let i = 0; i < GUARD; i++) {
      if (backing[i] !== GUARD_BYTE || backing[GUARD + IMAGE_BYTES + i] !== GUARD_BYTE) {
        throw new Error(`seed ${SEED} batch ${batch}: image guard bytes changed`);
      }
    }
  };

  const started = performance.now();
  let batch = 0;
  while (counts.submitted < REQUESTS) {
    batch++;
    if (chance(0.01)) {
      device = devices[rnd(2)];
      driver = new TestDriver(device, ram);
      restart();
    }
    // Fresh buffers every batch: stale descriptors and tables must not lead anywhere.
    ram.fill(0, DESC, DESC + 16 * NUM);
    ram.fill(GUARD_BYTE, HEAP);
    mask.fill(0);
    heap = HEAP;
    nextDesc = 0;
    let entries = 0;
    for (let i = 0; i < PER_BATCH; i++) {
      const head = chain();
      if (head < 0) break;
      const h = chance(0.01) ? rnd(0x10000) : head;
      view.setUint16(AVAIL + 4 + 2 * ((availIdx + entries) % NUM), h, true);
      entries++;
    }
    availIdx = (availIdx + entries) & 0xffff;
    view.setUint16(AVAIL + 2, chance(0.005) ? rnd(0x10000) : availIdx, true);
    view.setUint16(AVAIL, chance(0.1) ? 1 : 0, true); // NO_INTERRUPT
    view.setUint16(AVAIL + 4 + 2 * NUM, rnd(0x10000), true); // used_event
    counts.submitted += entries;
    snapshot.set(ram);
    if (chance(0.05)) registerGarbage();
    device.write(VIRTIO_MMIO.QUEUE_NOTIFY, 4, 0n);
    checkRam(batch);
    if ((batch & 63) === 0) checkImageGuards(batch);
    const status = Number(device.read(VIRTIO_MMIO.STATUS, 4));
    const healthy = VIRTIO_CONFIG_S.FEATURES_OK | VIRTIO_CONFIG_S.DRIVER_OK;
    if (
      (status & (healthy | VIRTIO_CONFIG_S.NEEDS_RESET)) !== healthy ||
      device.read(VIRTIO_MMIO.QUEUE_READY, 4) !== 1n
    ) {
      if ((status & VIRTIO_CONFIG_S.NEEDS_RESET) !== 0) counts.resets++;
      restart();
    }
  }
  checkImageGuards(batch);
  const seconds = (performance.now() - started) / 1000;
  const served = devices.reduce((n, d) => n + d.stats.requests, 0);
  const errors = devices.reduce((n, d) => n + d.stats.errors, 0);
  console.log(
    `fuzz: ${counts.submitted} requests in ${batch} batches, ${seconds.toFixed(1)} s; ` +
      `${served} answered, ${errors} guest errors, ${counts.resets} device resets, ` +
      `${counts.registers} register garbage accesses`,
  );
  assert(served > counts.submitted / 4, "a good share of requests was served");
  assert(counts.resets > 100, "malformed queues were met");
  assert(errors > served / 20, "malformed requests were met");
  for (const d of devices) d.close();
});
