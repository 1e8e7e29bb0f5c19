/**
 * The virtqueue + virtio-blk path on the host (no Xen): a lean driver keeps `--depth`
 * requests in flight on one split virtqueue over a memory guest RAM, notifies once per batch
 * (as Linux's blk-mq does with a plugged batch) or per request (`depth 1`, as one IOREQ per
 * request), and reaps the used ring. Images: a memory image (the device's own cost) and a
 * temp file (page cache; pread/pwrite through FFI into guest-memory views).
 *
 * The native peer is NOT a C program: it is the same reads/writes done by a plain `pread` /
 * `pwrite` loop through the same FFI in the same process, into the same buffers, which is the
 * floor any backend has to pay for the syscalls; the ratio says how much of it is left for the
 * device. Two more rows back the device's choices: `Deno.FsFile` seek+read against FFI `pread`
 * (close for 4 KiB; the device needs libc anyway for `fallocate` and one call per request
 * without a file position), and FFI `pread` on Deno's thread pool (`nonblocking`) against the
 * blocking call (why requests are served synchronously in the notify).
 *
 *   deno run -A bench/virtio_blk.ts [--seconds 1.5] [--file-mib 128] [--json]
 *
 * @module
 */
import { parseArgs } from "../lib/std/cli.ts";
import {
  type BlockImage,
  createVirtioBlkDevice,
  memoryBlockImage,
  memoryGuestRam,
  openBlockImage,
  type VirtioMmioDevice,
} from "../lib/virtio_backend/mod.ts";
import { libc } from "../lib/virtio_backend/libc.ts";
import {
  VIRTIO_BLK_T,
  VIRTIO_CONFIG_S,
  VIRTIO_F,
  VIRTIO_MMIO,
  VRING_DESC_F_INDIRECT,
  VRING_DESC_F_NEXT,
  VRING_DESC_F_WRITE,
} from "../lib/virtio_backend/virtio_constants.ts";

const flags = parseArgs(Deno.args, { string: ["seconds", "file-mib"], boolean: ["json"] });
const SECONDS = Number(flags.seconds ?? 1.5);
const FILE_BYTES = Number(flags["file-mib"] ?? 128) * 2 ** 20;
const RAM_BASE = 0x40000000n;
const NUM = 256;
const KiB = 1024;
const MiB = 1024 * 1024;

/** A driver that keeps `depth` fixed requests (header, one data buffer, status) in flight. */
class LeanDriver {
  readonly ram: Uint8Array;
  readonly view: DataView;
  readonly device: VirtioMmioDevice;
  readonly interrupts = { count: 0 };
  avail = 0;
  dataAt: number[] = [];
  headerAt: number[] = [];
  statusAt: number[] = [];
  readonly tableBase: number;

  constructor(
    image: BlockImage,
    readonly depth: number,
    readonly bytes: number,
    eventIdx = true,
    readonly pieces = 1,
  ) {
    const dataBase = 0x10000;
    this.tableBase = dataBase + depth * (bytes + 64);
    this.ram = new Uint8Array(this.tableBase + depth * 16 * (pieces + 2));
    this.view = new DataView(this.ram.buffer);
    this.device = createVirtioBlkDevice({
      memory: memoryGuestRam(RAM_BASE, this.ram),
      interrupt: { raise: () => this.interrupts.count++ },
      image,
      discard: false,
      eventIdx,
      log: (line) => console.error(line),
    });
    const w = (o: number, v: number) => this.device.write(o, 4, BigInt(v));
    const S = VIRTIO_CONFIG_S;
    w(VIRTIO_MMIO.STATUS, S.ACKNOWLEDGE | S.DRIVER);
    w(VIRTIO_MMIO.DRIVER_FEATURES_SEL, 0);
    w(VIRTIO_MMIO.DEVICE_FEATURES_SEL, 0);
    w(VIRTIO_MMIO.DRIVER_FEATURES, Number(this.device.read(VIRTIO_MMIO.DEVICE_FEATURES, 4)));
    w(VIRTIO_MMIO.DRIVER_FEATURES_SEL, 1);
    w(VIRTIO_MMIO.DRIVER_FEATURES, 1 << (VIRTIO_F.VERSION_1 - 32));
    w(VIRTIO_MMIO.STATUS, S.ACKNOWLEDGE | S.DRIVER | S.FEATURES_OK);
    w(VIRTIO_MMIO.QUEUE_NUM, NUM);
    w(VIRTIO_MMIO.QUEUE_DESC_LOW, 0x40000000);
    w(VIRTIO_MMIO.QUEUE_AVAIL_LOW, 0x40000000 + 0x1000);
    w(VIRTIO_MMIO.QUEUE_USED_LOW, 0x40000000 + 0x2000);
    w(VIRTIO_MMIO.QUEUE_READY, 1);
    w(VIRTIO_MMIO.STATUS, S.ACKNOWLEDGE | S.DRIVER | S.FEATURES_OK | S.DRIVER_OK);
    for (let i = 0; i < depth; i++) {
      const h = 0x4000 + 32 * i;
      const st = 0x8000 + i;
      const d = dataBase + i * (bytes + 64);
      this.headerAt.push(h);
      this.statusAt.push(st);
      this.dataAt.push(d);
      if (pieces === 1) {
        this.desc(3 * i, h, 16, VRING_DESC_F_NEXT, 3 * i + 1);
        this.desc(3 * i + 1, d, bytes, VRING_DESC_F_NEXT, 3 * i + 2);
        this.desc(3 * i + 2, st, 1, VRING_DESC_F_WRITE, 0);
        continue;
      }
      // As Linux sends a request whose pages are not contiguous in guest memory: one indirect
      // table of header, `pieces` data buffers and status.
      const table = this.tableBase + 16 * (pieces + 2) * i;
      this.desc(i, table, 16 * (pieces + 2), VRING_DESC_F_INDIRECT, 0);
      this.desc(0, h, 16, VRING_DESC_F_NEXT, 1, table);
      const step = bytes / pieces;
      for (let p = 0; p < pieces; p++) {
        this.desc(1 + p, d + p * step, step, VRING_DESC_F_NEXT, 2 + p, table);
      }
      this.desc(pieces + 1, st, 1, VRING_DESC_F_WRITE, 0, table);
    }
  }

  desc(i: number, at: number, len: number, flags: number, next: number, table = 0) {
    const o = table + 16 * i;
    this.view.setUint32(o, 0x40000000 + at, true);
    this.view.setUint32(o + 4, 0, true);
    this.view.setUint32(o + 8, len, true);
    this.view.setUint16(o + 12, flags, true);
    this.view.setUint16(o + 14, next, true);
  }

  /** One batch: `depth` requests of `type` at `sectors[i]`, one notify, all answers checked. */
  batch(type: number, sectorOf: (i: number) => number): void {
    const write = type === VIRTIO_BLK_T.OUT;
    for (let i = 0; i < this.depth; i++) {
      this.view.setUint32(this.headerAt[i], type, true);
      const sector = sectorOf(i);
      this.view.setUint32(this.headerAt[i] + 8, sector % 2 ** 32, true);
      this.view.setUint32(this.headerAt[i] + 12, Math.floor(sector / 2 ** 32), true);
      const dataFlags = write ? VRING_DESC_F_NEXT : VRING_DESC_F_NEXT | VRING_DESC_F_WRITE;
      if (this.pieces === 1) this.view.setUint16(16 * (3 * i + 1) + 12, dataFlags, true);
      else {
        const table = this.tableBase + 16 * (this.pieces + 2) * i;
        for (let p = 1; p <= this.pieces; p++) {
          this.view.setUint16(table + 16 * p + 12, dataFlags, true);
        }
      }
      this.ram[this.statusAt[i]] = 0xff;
      const head = this.pieces === 1 ? 3 * i : i;
      this.view.setUint16(0x1000 + 4 + 2 * ((this.avail + i) % NUM), head, true);
    }
    this.avail = (this.avail + this.depth) & 0xffff;
    this.view.setUint16(0x1000 + 2, this.avail, true);
    // used_event: interrupt when the whole batch is back (Linux's virtqueue_enable_cb_delayed).
    this.view.setUint16(0x1000 + 4 + 2 * NUM, (this.avail - 1) & 0xffff, true);
    this.device.write(VIRTIO_MMIO.QUEUE_NOTIFY, 4, 0n);
    if (this.view.getUint16(0x2000 + 2, true) !== this.avail) {
      throw new Error("requests not answered");
    }
    for (let i = 0; i < this.depth; i++) {
      if (this.ram[this.statusAt[i]] !== 0) {
        throw new Error(`request failed (status ${this.ram[this.statusAt[i]]})`);
      }
    }
  }
}

const ROUNDS = 5;

/** Operations per second of `step` (which does `per` operations) over `ms` milliseconds. */
function slice(step: () => void, per: number, ms: number): number {
  let n = 0;
  const start = performance.now();
  while (performance.now() - start < ms) {
    for (let i = 0; i < 8; i++) step();
    n += 8 * per;
  }
  return n / ((performance.now() - start) / 1000);
}

const median = (xs: number[]) => xs.sort((a, b) => a - b)[xs.length >> 1];

/**
 * Rates of `a` and `b` (null when absent), measured in ROUNDS alternating slices after a
 * warm-up, median of each: the two cores here are shared, so back-to-back runs drift.
 */
function rates(
  a: [() => void, number],
  b: [() => void, number] | null,
): [number, number | null] {
  const ms = (SECONDS * 1000) / ROUNDS;
  slice(a[0], a[1], ms / 2);
  if (b) slice(b[0], b[1], ms / 2);
  const ra: number[] = [];
  const rb: number[] = [];
  for (let i = 0; i < ROUNDS; i++) {
    ra.push(slice(a[0], a[1], ms));
    if (b) rb.push(slice(b[0], b[1], ms));
  }
  return [median(ra), b ? median(rb) : null];
}

let seed = 12345;
const random = () => {
  seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
  return seed;
};

interface Row {
  case: string;
  xlite: number;
  native: number | null;
  unit: string;
  note: string;
}

async function main(): Promise<void> {
  const rows: Row[] = [];
  const file = Deno.makeTempFileSync({ prefix: "xlite-vblk-bench-", suffix: ".img" });
  try {
    // A file image with data in every block, in the page cache (the guest's usual case after
    // the first touch; a cold disk would measure the disk).
    const chunk = new Uint8Array(MiB);
    for (let i = 0; i < chunk.length; i++) chunk[i] = (i * 7) & 0xff;
    const f = Deno.openSync(file, { write: true });
    for (let o = 0; o < FILE_BYTES; o += MiB) f.writeSync(chunk);
    f.close();
    const fileSectors = FILE_BYTES / 512;
    // Each device closes its image: every case gets its own.
    const memoryImage = () => memoryBlockImage(new Uint8Array(64 * MiB));
    const memSectors = (64 * MiB) / 512;
    const fd = Deno.openSync(file, { read: true, write: true });
    const c = libc();
    const rawFd = c.open(new TextEncoder().encode(file + "\0"), 2, 0);

    const cases: [string, BlockImage, number, number, number, number, number?][] = [
      // name, image, sectors, depth, bytes, type, data pieces
      [
        "4 KiB random read, memory image, depth 1",
        memoryImage(),
        memSectors,
        1,
        4 * KiB,
        VIRTIO_BLK_T.IN,
      ],
      [
        "4 KiB random read, memory image, depth 32",
        memoryImage(),
        memSectors,
        32,
        4 * KiB,
        VIRTIO_BLK_T.IN,
      ],
      [
        "4 KiB random read, file image, depth 1",
        openBlockImage(file, { readOnly: false }),
        fileSectors,
        1,
        4 * KiB,
        VIRTIO_BLK_T.IN,
      ],
      [
        "4 KiB random read, file image, depth 32",
        openBlockImage(file, { readOnly: false }),
        fileSectors,
        32,
        4 * KiB,
        VIRTIO_BLK_T.IN,
      ],
      [
        "1 MiB sequential read, file image, depth 4",
        openBlockImage(file, { readOnly: false }),
        fileSectors,
        4,
        MiB,
        VIRTIO_BLK_T.IN,
      ],
      [
        "1 MiB sequential write, file image, depth 4",
        openBlockImage(file, { readOnly: false }),
        fileSectors,
        4,
        MiB,
        VIRTIO_BLK_T.OUT,
      ],
      [
        "1 MiB sequential read in 128 pieces (indirect), file image, depth 4",
        openBlockImage(file, { readOnly: false }),
        fileSectors,
        4,
        MiB,
        VIRTIO_BLK_T.IN,
        128,
      ],
      [
        "1 MiB sequential write in 128 pieces (indirect), file image, depth 4",
        openBlockImage(file, { readOnly: false }),
        fileSectors,
        4,
        MiB,
        VIRTIO_BLK_T.OUT,
        128,
      ],
    ];
    for (const [name, image, sectors, depth, bytes, type, pieces] of cases) {
      const d = new LeanDriver(image, depth, bytes, true, pieces ?? 1);
      const blocks = Math.floor(sectors / (bytes / 512));
      let next = 0;
      const sequential = bytes === MiB;
      const sectorOf = sequential
        ? (_i: number) => ((next++ % blocks) * bytes) / 512
        : (_i: number) => (random() % blocks) * (bytes / 512);
      // The peer: the same transfers with one pread/pwrite each, into the same `depth` buffers
      // in turn (one buffer over and over is not the same work: it was slower for 1 MiB here).
      const bufs = d.dataAt.map((at) => d.ram.subarray(at, at + bytes));
      let turn = 0;
      const peer = (): void => {
        const buf = bufs[turn++ % depth];
        const off = sectorOf(0) * 512;
        const n = type === VIRTIO_BLK_T.OUT
          ? c.pwrite(rawFd, buf, bytes, off)
          : c.pread(rawFd, buf, bytes, off);
        if (n !== bytes) throw new Error("short transfer");
      };
      const [xlite, native] = rates(
        [() => d.batch(type, sectorOf), depth],
        image.path === "(memory)" ? null : [peer, 1],
      );
      const perIrq = d.device.stats.requests / Math.max(1, d.interrupts.count);
      rows.push({
        case: name,
        xlite,
        native,
        unit: "req/s",
        note: `${bytes >= MiB ? `${((xlite * bytes) / MiB).toFixed(0)} MiB/s, ` : ""}${
          perIrq.toFixed(1)
        } req/interrupt`,
      });
      d.device.close();
    }

    // EVENT_IDX off at depth 32: interrupts per batch are the same on the host (one per
    // notify, as used_event asks); what it changes is notifies, which cost an IOREQ on Xen.
    for (const eventIdx of [true, false]) {
      const d = new LeanDriver(memoryImage(), 32, 4 * KiB, eventIdx);
      const [xlite] = rates(
        [() => d.batch(VIRTIO_BLK_T.IN, () => (random() % 16384) * 8), 32],
        null,
      );
      rows.push({
        case: `4 KiB random read, memory image, depth 32, EVENT_IDX ${eventIdx ? "on" : "off"}`,
        xlite,
        native: null,
        unit: "req/s",
        note: `${
          (d.device.stats.requests / Math.max(1, d.interrupts.count)).toFixed(1)
        } req/interrupt`,
      });
      d.device.close();
    }

    // Why libc and not Deno.FsFile: a seek + read pair per request, and a copy-free view too.
    {
      const buf = new Uint8Array(4 * KiB);
      const blocks = fileSectors / 8;
      const [fsRate, ffiRate] = rates([() => {
        fd.seekSync((random() % blocks) * 4096, Deno.SeekMode.Start);
        fd.readSync(buf);
      }, 1], [() => {
        c.pread(rawFd, buf, 4096, (random() % blocks) * 4096);
      }, 1]);
      rows.push({
        case: "4 KiB random read: Deno.FsFile seek+read vs FFI pread",
        xlite: fsRate,
        native: ffiRate!,
        unit: "reads/s",
        note: "the device uses FFI pread",
      });
      // Why requests are served synchronously in the notify: the asynchronous alternative
      // (pread on Deno's FFI thread pool, 32 in flight) against the blocking call.
      const nb = Deno.dlopen("libc.so.6", {
        pread: {
          parameters: ["i32", "buffer", "usize", "i64"],
          result: "i32",
          nonblocking: true,
        },
      });
      const pool = Array.from({ length: 32 }, () => new Uint8Array(4096));
      const asyncRate = await (async () => {
        const start = performance.now();
        let n = 0;
        while (performance.now() - start < SECONDS * 1000) {
          await Promise.all(
            pool.map((b) => nb.symbols.pread(rawFd, b, 4096n, BigInt((random() % blocks) * 4096))),
          );
          n += pool.length;
        }
        return n / ((performance.now() - start) / 1000);
      })();
      nb.close();
      rows.push({
        case: "4 KiB random read: FFI pread nonblocking (32 in flight) vs blocking",
        xlite: asyncRate,
        native: ffiRate!,
        unit: "reads/s",
        note: "the device blocks in the notify",
      });
    }
    fd.close();
    c.close(rawFd);
  } finally {
    Deno.removeSync(file);
  }

  if (flags.json) {
    console.log(JSON.stringify(rows, null, 2));
    return;
  }
  const fmt = (n: number | null) =>
    (n === null ? "—" : Math.round(n).toLocaleString("en-US")).padStart(11);
  console.log(
    `virtio-blk host path (no Xen), ${SECONDS} s per row; native peer = a pread/pwrite loop in this process`,
  );
  console.log(`${"case".padEnd(66)} ${"xlite".padStart(11)} ${"native".padStart(11)}  ratio  note`);
  for (const r of rows) {
    const ratio = r.native === null ? "   —  " : (r.xlite / r.native).toFixed(2).padStart(6);
    console.log(
      `${r.case.padEnd(66)} ${fmt(r.xlite)} ${fmt(r.native)} ${ratio}  ${r.unit}; ${r.note}`,
    );
  }
}

await main();
