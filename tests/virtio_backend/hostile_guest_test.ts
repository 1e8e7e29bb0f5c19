/**
 * An untrusted guest (issue 10, "what bad input gets"): buffers outside RAM, looping and
 * over-long chains, overflowing lengths and sectors, requests past the end of the disk, bad
 * framing, a queue changed while running, broken indirect tables, rings outside RAM. Each gets
 * VIRTIO_BLK_S_IOERR or DEVICE_NEEDS_RESET with a config interrupt, one log line, no exception,
 * and no byte of guest RAM changed outside the request's writable buffers and the used ring.
 */
import { assert, assertEquals } from "../support/assert.ts";
import {
  BlockImageError,
  createVirtioBlkDevice,
  memoryBlockImage,
  memoryGuestRam,
} from "../../lib/virtio_backend/mod.ts";
import {
  VIRTIO_BLK_S,
  VIRTIO_BLK_T,
  VIRTIO_CONFIG_S,
  VIRTIO_MMIO,
  VIRTIO_MMIO_INT_CONFIG,
  VRING_DESC_F_INDIRECT,
  VRING_DESC_F_NEXT,
  VRING_DESC_F_WRITE,
} from "../../lib/virtio_backend/virtio_constants.ts";
import { AVAIL_AT, DESC_AT, RAM_BASE, TestDriver, USED_AT } from "./test_driver.ts";
import { pattern, type Rig, rig } from "./helpers.ts";

const { OK, IOERR } = VIRTIO_BLK_S;
const RAM_END = RAM_BASE + BigInt(1 << 20);

/** Offsets where `after` differs from `before`, outside `allowed` [start, end) ranges. */
function strayWrites(before: Uint8Array, after: Uint8Array, allowed: [number, number][]): number[] {
  const stray = [];
  for (let i = 0; i < before.length; i++) {
    if (before[i] !== after[i] && !allowed.some(([a, b]) => i >= a && i < b)) stray.push(i);
  }
  return stray;
}

/** The used ring (entries, index, avail_event) may change; nothing else but `allowed`. */
function usedRing(r: Rig): [number, number] {
  return [USED_AT, USED_AT + 6 + 8 * r.driver.num];
}

function needsReset(r: Rig): boolean {
  return (r.driver.status() & VIRTIO_CONFIG_S.NEEDS_RESET) !== 0;
}

/** What a hostile case set up: the writable ranges the device may change, and what it expects. */
interface Setup {
  allowed?: [number, number][];
  expect: "ioerr" | "reset";
  /** Where the IOERR must land. */
  statusAt?: number;
  /** What makes the device act (default: a notify). */
  act?: () => void;
}

/**
 * Runs `prepare` on a fresh started rig (writing rings and buffers, no notify), snapshots RAM
 * and the image, lets the device act, and checks the answer and that nothing else changed.
 */
function hostile(name: string, prepare: (r: Rig) => Setup) {
  Deno.test(name, () => {
    const r = rig({ memoryImage: true, fill: pattern(2), bytes: 64 << 10 });
    try {
      r.driver.start();
      r.ram.fill(0xc5, 0x4000); // the heap: every buffer starts as a known pattern
      const setup = prepare(r);
      const imageBefore = new Uint8Array(64 << 10);
      r.image.read(imageBefore, 0);
      const before = r.ram.slice();
      const raisedBefore = r.raised.count;
      (setup.act ?? (() => r.driver.kick()))();
      const allowed = [...(setup.allowed ?? []), usedRing(r)];
      if (setup.statusAt !== undefined) {
        assertEquals(r.ram[setup.statusAt], IOERR, "status byte");
        allowed.push([setup.statusAt, setup.statusAt + 1]);
      }
      const stray = strayWrites(before, r.ram, allowed);
      assertEquals(stray.slice(0, 8), [], "bytes written outside the request's buffers");
      const imageAfter = new Uint8Array(64 << 10);
      r.image.read(imageAfter, 0);
      assertEquals(imageAfter, imageBefore, "image unchanged");
      assert(r.logs.length >= 1 && r.logs.length <= 2, `one log line: ${JSON.stringify(r.logs)}`);
      if (setup.expect === "reset") {
        assert(needsReset(r), "DEVICE_NEEDS_RESET");
        assert((r.driver.r(VIRTIO_MMIO.INTERRUPT_STATUS) & VIRTIO_MMIO_INT_CONFIG) !== 0);
        assert(r.raised.count > raisedBefore, "config-change interrupt raised");
        // The device stays dead until reset, then serves again.
        const used = r.driver.usedIdx();
        r.driver.kick();
        assertEquals(r.driver.usedIdx(), used, "nothing served while it needs a reset");
        r.driver.start();
        r.driver.freeAll();
        assertEquals(r.driver.read(1, 512).status, OK);
      } else {
        assert(!needsReset(r));
        assertEquals(r.driver.read(1, 512).status, OK, "the queue still works");
      }
    } finally {
      r.cleanup();
    }
  });
}

/** Puts header + `data` + status in the ring (no notify); where the status byte is. */
function requestWith(
  r: Rig,
  type: number,
  sector: bigint | number,
  data: { gpa?: bigint; at?: number; len: number; write?: boolean }[],
): number {
  const statusAt = r.driver.alloc(1, 1);
  r.driver.submit([
    r.driver.header(type, sector),
    ...data.map((d) => ({ at: d.at ?? 0, ...d })),
    { at: statusAt, len: 1, write: true },
  ], { kick: false });
  return statusAt;
}

hostile("IN into a buffer outside guest RAM: IOERR, nothing written", (r) => {
  const statusAt = requestWith(r, VIRTIO_BLK_T.IN, 0, [{ gpa: 0x1000n, len: 512, write: true }]);
  return { statusAt, expect: "ioerr" };
});

hostile("IN into a buffer that runs past the end of RAM: IOERR", (r) => {
  const ok = r.driver.alloc(512);
  const statusAt = requestWith(r, VIRTIO_BLK_T.IN, 0, [
    { at: ok, len: 512, write: true },
    { gpa: RAM_END - 256n, len: 512, write: true },
  ]);
  return { statusAt, expect: "ioerr" };
});

hostile("OUT from a buffer at 2^64 - 256 of length 4096 (address overflow): IOERR", (r) => {
  const statusAt = requestWith(r, VIRTIO_BLK_T.OUT, 0, [{ gpa: 0xffffffffffffff00n, len: 4096 }]);
  return { statusAt, expect: "ioerr" };
});

hostile("a 4 GiB - 1 length buffer: IOERR", (r) => {
  const at = r.driver.alloc(512);
  const statusAt = requestWith(r, VIRTIO_BLK_T.IN, 0, [{ at, len: 0xffffffff, write: true }]);
  return { statusAt, allowed: [[at, 1 << 20]], expect: "ioerr" };
});

hostile("a sector past the end of the disk: IOERR", (r) => {
  const at = r.driver.alloc(512);
  const statusAt = requestWith(r, VIRTIO_BLK_T.IN, 128, [{ at, len: 512, write: true }]);
  return { statusAt, expect: "ioerr" };
});

hostile("the last sector plus one more: IOERR", (r) => {
  const at = r.driver.alloc(1024);
  const statusAt = requestWith(r, VIRTIO_BLK_T.OUT, 127, [{ at, len: 1024 }]);
  return { statusAt, expect: "ioerr" };
});

hostile("sector 2^64 - 1 and 2^55 (offset overflow): IOERR", (r) => {
  const at = r.driver.alloc(512);
  const a = requestWith(r, VIRTIO_BLK_T.IN, 0xffffffffffffffffn, [{ at, len: 512, write: true }]);
  const b = requestWith(r, VIRTIO_BLK_T.OUT, 1n << 55n, [{ at, len: 512 }]);
  return {
    statusAt: b,
    allowed: [[a, a + 1]],
    expect: "ioerr",
    act: () => {
      r.driver.kick();
      assertEquals(r.ram[a], IOERR);
      r.logs.pop();
    },
  };
});

hostile("a read of 100 bytes (not whole sectors): IOERR", (r) => {
  const at = r.driver.alloc(100);
  const statusAt = requestWith(r, VIRTIO_BLK_T.IN, 0, [{ at, len: 100, write: true }]);
  return { statusAt, expect: "ioerr" };
});

hostile("a header of 8 bytes: IOERR", (r) => {
  const hdr = r.driver.alloc(8);
  const statusAt = r.driver.alloc(1, 1);
  r.driver.submit([{ at: hdr, len: 8 }, { at: statusAt, len: 1, write: true }], { kick: false });
  return { statusAt, expect: "ioerr" };
});

hostile("a readable buffer after a writable one: IOERR", (r) => {
  const a = r.driver.alloc(512);
  const b = r.driver.alloc(512);
  const statusAt = r.driver.alloc(1, 1);
  r.driver.submit([
    r.driver.header(VIRTIO_BLK_T.IN, 0),
    { at: a, len: 512, write: true },
    { at: b, len: 512 },
    { at: statusAt, len: 1, write: true },
  ], { kick: false });
  return { statusAt, expect: "ioerr" };
});

hostile("a write to a read-only request buffer is never made (OUT leaves RAM alone)", (r) => {
  const at = r.driver.alloc(512);
  const statusAt = requestWith(r, VIRTIO_BLK_T.OUT, 1000, [{ at, len: 512 }]);
  return { statusAt, expect: "ioerr" };
});

hostile("a request without a status byte: DEVICE_NEEDS_RESET", (r) => {
  const at = r.driver.alloc(512);
  r.driver.submit([r.driver.header(VIRTIO_BLK_T.IN, 0), { at, len: 512 }], { kick: false });
  return { expect: "reset" };
});

hostile("a status byte outside guest RAM: DEVICE_NEEDS_RESET", (r) => {
  r.driver.submit([r.driver.header(VIRTIO_BLK_T.FLUSH, 0), {
    at: 0,
    gpa: 0x10n,
    len: 1,
    write: true,
  }], { kick: false });
  return { expect: "reset" };
});

hostile("a descriptor chain that loops: DEVICE_NEEDS_RESET", (r) => {
  const hdr = r.driver.header(VIRTIO_BLK_T.IN, 0);
  r.driver.writeDesc(DESC_AT, 0, RAM_BASE + BigInt(hdr.at), 16, VRING_DESC_F_NEXT, 1);
  r.driver.writeDesc(DESC_AT, 1, RAM_BASE + 0x8000n, 1, VRING_DESC_F_NEXT | VRING_DESC_F_WRITE, 0);
  r.driver.publish(0);
  return { expect: "reset" };
});

hostile("a next index past the queue size: DEVICE_NEEDS_RESET", (r) => {
  const hdr = r.driver.header(VIRTIO_BLK_T.IN, 0);
  r.driver.writeDesc(DESC_AT, 0, RAM_BASE + BigInt(hdr.at), 16, VRING_DESC_F_NEXT, 4000);
  r.driver.publish(0);
  return { expect: "reset" };
});

hostile("an available ring naming descriptor 9999: DEVICE_NEEDS_RESET", (r) => {
  r.driver.publish(9999);
  return { expect: "reset" };
});

hostile("an available index jumping by more than the queue size: DEVICE_NEEDS_RESET", (r) => {
  r.driver.view.setUint16(AVAIL_AT + 2, 1000, true);
  return { expect: "reset" };
});

function indirectEntry(r: Rig, flags: number, len: number, gpa?: bigint) {
  const table = r.driver.alloc(16 * 4);
  const hdr = r.driver.header(VIRTIO_BLK_T.IN, 0);
  const statusAt = r.driver.alloc(1, 1);
  r.driver.writeDesc(table, 0, RAM_BASE + BigInt(hdr.at), 16, VRING_DESC_F_NEXT, 1);
  r.driver.writeDesc(table, 1, RAM_BASE + BigInt(statusAt), 1, VRING_DESC_F_WRITE, 0);
  r.driver.writeDesc(DESC_AT, 0, gpa ?? RAM_BASE + BigInt(table), len, flags, 0);
  r.driver.publish(0);
  return table;
}

hostile("an indirect table of 20 bytes: DEVICE_NEEDS_RESET", (r) => {
  indirectEntry(r, VRING_DESC_F_INDIRECT, 20);
  return { expect: "reset" };
});

hostile("an indirect table outside guest RAM: DEVICE_NEEDS_RESET", (r) => {
  indirectEntry(r, VRING_DESC_F_INDIRECT, 32, 0x2000n);
  return { expect: "reset" };
});

hostile("an indirect descriptor with NEXT: DEVICE_NEEDS_RESET", (r) => {
  indirectEntry(r, VRING_DESC_F_INDIRECT | VRING_DESC_F_NEXT, 32);
  return { expect: "reset" };
});

hostile("an indirect table of 2^20 entries: DEVICE_NEEDS_RESET", (r) => {
  indirectEntry(r, VRING_DESC_F_INDIRECT, 16 << 20);
  return { expect: "reset" };
});

hostile("an indirect table that loops or nests: DEVICE_NEEDS_RESET", (r) => {
  const table = r.driver.alloc(32);
  r.driver.writeDesc(table, 0, RAM_BASE + 0x9000n, 16, VRING_DESC_F_NEXT, 1);
  r.driver.writeDesc(table, 1, RAM_BASE + 0x9000n, 16, VRING_DESC_F_NEXT, 0);
  r.driver.writeDesc(DESC_AT, 0, RAM_BASE + BigInt(table), 32, VRING_DESC_F_INDIRECT, 0);
  r.driver.publish(0);
  return { expect: "reset" };
});

hostile("a queue address changed under a running queue: DEVICE_NEEDS_RESET", (r) => {
  return { expect: "reset", act: () => r.driver.w(VIRTIO_MMIO.QUEUE_DESC_LOW, 0x12340000) };
});

hostile("QueueNum changed under a running queue: DEVICE_NEEDS_RESET", (r) => {
  return { expect: "reset", act: () => r.driver.w(VIRTIO_MMIO.QUEUE_NUM, 2) };
});

Deno.test("rings outside RAM, misaligned, or of a bad size at QueueReady: DEVICE_NEEDS_RESET", () => {
  const cases: [string, (d: TestDriver) => void][] = [
    [
      "desc outside RAM",
      (d) => d.setupQueue(256, { desc: (1 << 20) - 16, avail: AVAIL_AT, used: USED_AT }),
    ],
    ["desc misaligned", (d) => d.setupQueue(256, { desc: 8, avail: AVAIL_AT, used: USED_AT })],
    [
      "used misaligned",
      (d) => d.setupQueue(256, { desc: DESC_AT, avail: AVAIL_AT, used: USED_AT + 2 }),
    ],
    ["size 3", (d) => d.setupQueue(3)],
    ["size 512", (d) => d.setupQueue(512)],
    ["size 0", (d) => d.setupQueue(0)],
  ];
  for (const [name, setup] of cases) {
    const r = rig({ memoryImage: true });
    try {
      assert(r.driver.negotiate());
      setup(r.driver);
      assert(needsReset(r), name);
      assertEquals(r.driver.r(VIRTIO_MMIO.QUEUE_READY), 0, name);
      assertEquals(r.logs.length, 1, name);
    } finally {
      r.cleanup();
    }
  }
});

Deno.test("no framing assumptions: a header split over three buffers, status inside the data buffer", () => {
  const r = rig({ memoryImage: true, fill: pattern(6) });
  try {
    r.driver.start();
    const hdr = r.driver.header(VIRTIO_BLK_T.IN, 3);
    const data = r.driver.alloc(513);
    r.driver.submit([
      { at: hdr.at, len: 5 },
      { at: hdr.at + 5, len: 7 },
      { at: hdr.at + 12, len: 4 },
      { at: data, len: 513, write: true },
    ]);
    assertEquals(r.ram[data + 512], OK);
    const want = new Uint8Array(512);
    r.image.read(want, 3 * 512);
    assertEquals(r.ram.slice(data, data + 512), want);
    assertEquals(r.logs, []);
  } finally {
    r.cleanup();
  }
});

Deno.test("an I/O error of the image answers IOERR with one log line (fake failing image)", () => {
  const ram = new Uint8Array(1 << 20);
  const inner = memoryBlockImage(new Uint8Array(1 << 16));
  // A fake: the disk's EIO cannot be produced on demand by a real file here.
  const failingImage = {
    ...inner,
    read() {
      throw new BlockImageError("(failing)", "read at 0: Input/output error");
    },
  };
  const logs: string[] = [];
  const device = createVirtioBlkDevice({
    memory: memoryGuestRam(RAM_BASE, ram),
    interrupt: { raise() {} },
    image: failingImage,
    discard: false,
    log: (l) => logs.push(l),
  });
  const d = new TestDriver(device, ram);
  d.start();
  assertEquals(d.read(0, 512).status, IOERR);
  assertEquals(logs.length, 1);
  assert(logs[0].includes("Input/output error"));
  assertEquals(d.write(0, new Uint8Array(512)).status, OK, "writes still work");
  device.close();
});

Deno.test("a failing interrupt line or a value of the wrong type never throws out of write()", () => {
  const ram = new Uint8Array(1 << 20);
  const logs: string[] = [];
  const device = createVirtioBlkDevice({
    memory: memoryGuestRam(RAM_BASE, ram),
    // A fake interrupt line that fails: a carrier bug must not take the caller down.
    interrupt: {
      raise() {
        throw new Error("set_irq_level failed");
      },
    },
    image: memoryBlockImage(new Uint8Array(1 << 16)),
    discard: false,
    log: (l) => logs.push(l),
  });
  const d = new TestDriver(device, ram);
  d.start();
  d.read(0, 512);
  assert(logs.some((l) => l.includes("set_irq_level failed")));
  device.write(VIRTIO_MMIO.QUEUE_NOTIFY, 4, "nonsense" as unknown as bigint);
  device.close();
});

Deno.test("a broken device does not affect another device of the same guest", () => {
  const ram = new Uint8Array(1 << 20);
  const memory = memoryGuestRam(RAM_BASE, ram);
  const make = () =>
    createVirtioBlkDevice({
      memory,
      interrupt: { raise() {} },
      image: memoryBlockImage(new Uint8Array(1 << 16).fill(0x3c)),
      discard: false,
      log: () => {},
    });
  const a = make();
  const b = make();
  try {
    // Two drivers, rings and buffers apart in the one RAM (b's at +0x80000).
    const da = new TestDriver(a, ram);
    da.start();
    const db = new TestDriver(b, ram);
    db.negotiate();
    db.setupQueue(256, { desc: 0x80000, avail: 0x81000, used: 0x82000 });
    const bRead = () => {
      const data = 0x90000;
      const hdr = 0x88000;
      const status = 0x88100;
      const view = new DataView(ram.buffer);
      view.setUint32(hdr, VIRTIO_BLK_T.IN, true);
      view.setBigUint64(hdr + 8, 0n, true);
      db.writeDesc(0x80000, 0, RAM_BASE + BigInt(hdr), 16, VRING_DESC_F_NEXT, 1);
      db.writeDesc(
        0x80000,
        1,
        RAM_BASE + BigInt(data),
        512,
        VRING_DESC_F_NEXT | VRING_DESC_F_WRITE,
        2,
      );
      db.writeDesc(0x80000, 2, RAM_BASE + BigInt(status), 1, VRING_DESC_F_WRITE, 0);
      const idx = view.getUint16(0x81000 + 2, true);
      view.setUint16(0x81000 + 4 + 2 * (idx % 256), 0, true);
      view.setUint16(0x81000 + 2, idx + 1, true);
      ram[status] = 0xee;
      db.kick();
      return ram[status];
    };
    assertEquals(bRead(), OK);
    // Device a is broken by its driver (a looping chain).
    da.writeDesc(DESC_AT, 0, RAM_BASE + 0x9000n, 16, VRING_DESC_F_NEXT, 0);
    da.publish(0);
    da.kick();
    assert(needsResetOf(da));
    assertEquals(bRead(), OK, "b still serves");
    assert(!needsResetOf(db));
  } finally {
    a.close();
    b.close();
  }
});

function needsResetOf(d: TestDriver): boolean {
  return (d.status() & VIRTIO_CONFIG_S.NEEDS_RESET) !== 0;
}

hostile(
  "an indirect table of 257 entries (one more than the queue size): DEVICE_NEEDS_RESET",
  (r) => {
    const table = r.driver.alloc(16 * 257);
    for (let i = 0; i < 257; i++) {
      r.driver.writeDesc(table, i, RAM_BASE + 0x9000n, 16, i < 256 ? VRING_DESC_F_NEXT : 0, i + 1);
    }
    r.driver.writeDesc(DESC_AT, 0, RAM_BASE + BigInt(table), 16 * 257, VRING_DESC_F_INDIRECT, 0);
    r.driver.publish(0);
    return { expect: "reset" };
  },
);

Deno.test("an indirect table of exactly 256 entries (seg_max + 2, as Linux sends) is served", () => {
  const r = rig({ memoryImage: true, fill: pattern(1), bytes: 1 << 20 });
  try {
    r.driver.start();
    const data = r.driver.alloc(254 * 512);
    const pieces = Array.from(
      { length: 254 },
      (_, i) => ({ at: data + 512 * i, len: 512, write: true }),
    );
    const res = r.driver.request(VIRTIO_BLK_T.IN, 0, pieces, { indirect: true });
    assertEquals(res.status, OK);
    const want = new Uint8Array(254 * 512);
    r.image.read(want, 0);
    assertEquals(r.ram.slice(data, data + 254 * 512), want);
  } finally {
    r.cleanup();
  }
});
