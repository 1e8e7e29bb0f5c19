/**
 * virtio-blk requests (virtio 1.2 §5.2.6) against a real temp image file: data lands in and
 * comes from the file, FLUSH, GET_ID, DISCARD / WRITE_ZEROES (holes in the file), a read-only
 * image, indirect descriptors, and EVENT_IDX interrupt suppression.
 */
import { assert, assertEquals } from "../support/assert.ts";
import {
  VIRTIO_BLK_S,
  VIRTIO_BLK_T,
  VIRTIO_F,
  VIRTIO_MMIO,
} from "../../lib/virtio_backend/virtio_constants.ts";
import {
  createVirtioBlkDevice,
  type GuestMemory,
  memoryBlockImage,
  memoryGuestRam,
  openBlockImage,
} from "../../lib/virtio_backend/mod.ts";
import { bit, NO_EVENT_IDX, RAM_BASE, TestDriver } from "./test_driver.ts";
import { pattern, rig, tempImage } from "./helpers.ts";

const { OK, IOERR, UNSUPP } = VIRTIO_BLK_S;
const fileBytes = (file: string, at: number, n: number) =>
  Deno.readFileSync(file).slice(at, at + n);

Deno.test("IN reads the image file's bytes into the guest's buffers, in one or many pieces", () => {
  const r = rig({ fill: pattern(3) });
  try {
    r.driver.start();
    const one = r.driver.read(5, 4096);
    assertEquals(one.status, OK);
    assertEquals(one.data, fileBytes(r.file!, 5 * 512, 4096));
    assertEquals(one.used[0].len, 4097, "data plus the status byte");
    const many = r.driver.read(100, 8192, { pieces: 16 });
    assertEquals(many.status, OK);
    assertEquals(many.data, fileBytes(r.file!, 100 * 512, 8192));
    const last = r.driver.read(2047, 512);
    assertEquals(last.status, OK, "the last sector");
    assertEquals(last.data, fileBytes(r.file!, 2047 * 512, 512));
    assertEquals(r.logs, []);
  } finally {
    r.cleanup();
  }
});

Deno.test("OUT writes the guest's bytes into the image file; FLUSH succeeds", () => {
  const r = rig();
  try {
    r.driver.start();
    const data = Uint8Array.from({ length: 65536 }, (_, i) => (i * 13 + 1) & 0xff);
    assertEquals(r.driver.write(64, data, { pieces: 8 }).status, OK);
    assertEquals(r.driver.request(VIRTIO_BLK_T.FLUSH, 0, []).status, OK);
    assertEquals(fileBytes(r.file!, 64 * 512, 65536), data);
    assertEquals(r.driver.read(64, 65536).data, data, "and reads back");
    assertEquals(r.device.stats.requests, 3);
    assertEquals(r.device.stats.errors, 0);
  } finally {
    r.cleanup();
  }
});

Deno.test("GET_ID answers the serial, zero-padded to 20 bytes, cut at 20", () => {
  const r = rig({ memoryImage: true, serial: "xlite-disk-0" });
  const long = rig({ memoryImage: true, serial: "0123456789abcdefghijKLMN" });
  try {
    r.driver.start();
    const at = r.driver.alloc(20);
    r.ram.fill(0xaa, at, at + 20);
    const res = r.driver.request(VIRTIO_BLK_T.GET_ID, 0, [{ at, len: 20, write: true }]);
    assertEquals(res.status, OK);
    assertEquals(res.used[0].len, 21);
    const want = new Uint8Array(20);
    want.set(new TextEncoder().encode("xlite-disk-0"));
    assertEquals(r.ram.slice(at, at + 20), want);
    long.driver.start();
    const at2 = long.driver.alloc(20);
    assertEquals(
      long.driver.request(VIRTIO_BLK_T.GET_ID, 0, [{ at: at2, len: 20, write: true }]).status,
      OK,
    );
    assertEquals(new TextDecoder().decode(long.ram.slice(at2, at2 + 20)), "0123456789abcdefghij");
  } finally {
    r.cleanup();
    long.cleanup();
  }
});

Deno.test("DISCARD punches a hole and WRITE_ZEROES zeroes, in the image file", () => {
  const size = 4 << 20;
  const r = rig({ bytes: size, discard: true, fill: () => 0x5a });
  try {
    r.driver.start();
    const blocksBefore = Deno.statSync(r.file!).blocks!;
    const discard = r.driver.ranges(VIRTIO_BLK_T.DISCARD, [{ sector: 0, sectors: 2048 }]);
    assertEquals(discard.status, OK);
    assertEquals(fileBytes(r.file!, 0, 1 << 20), new Uint8Array(1 << 20));
    assert(Deno.statSync(r.file!).blocks! < blocksBefore, "the file lost blocks");
    const wz = r.driver.ranges(VIRTIO_BLK_T.WRITE_ZEROES, [
      { sector: 4096, sectors: 8 },
      { sector: 6000, sectors: 1, flags: 1 },
    ]);
    assertEquals(wz.status, OK);
    const file = Deno.readFileSync(r.file!);
    assertEquals(file.slice(4096 * 512, 4104 * 512), new Uint8Array(4096));
    assertEquals(file.slice(6000 * 512, 6001 * 512), new Uint8Array(512));
    assertEquals(file[4104 * 512], 0x5a, "nothing past the range");
    assertEquals(file[4096 * 512 - 1], 0x5a, "nothing before it");
    assertEquals(file.length, size, "size kept");
    // §5.2.6.2: UNMAP on a discard and unknown flags are UNSUPP; past the end is IOERR.
    assertEquals(
      r.driver.ranges(VIRTIO_BLK_T.DISCARD, [{ sector: 0, sectors: 1, flags: 1 }]).status,
      UNSUPP,
    );
    assertEquals(
      r.driver.ranges(VIRTIO_BLK_T.WRITE_ZEROES, [{ sector: 0, sectors: 1, flags: 2 }]).status,
      UNSUPP,
    );
    assertEquals(
      r.driver.ranges(VIRTIO_BLK_T.DISCARD, [{ sector: 8191, sectors: 2 }]).status,
      IOERR,
    );
    const tooMany = Array.from({ length: 33 }, (_, i) => ({ sector: i, sectors: 1 }));
    assertEquals(r.driver.ranges(VIRTIO_BLK_T.DISCARD, tooMany).status, UNSUPP);
  } finally {
    r.cleanup();
  }
});

Deno.test("without discard-enable, DISCARD and WRITE_ZEROES are UNSUPP", () => {
  const r = rig({ memoryImage: true, fill: () => 1 });
  try {
    r.driver.start();
    assertEquals(r.driver.ranges(VIRTIO_BLK_T.DISCARD, [{ sector: 0, sectors: 1 }]).status, UNSUPP);
    assertEquals(
      r.driver.ranges(VIRTIO_BLK_T.WRITE_ZEROES, [{ sector: 0, sectors: 1 }]).status,
      UNSUPP,
    );
    assertEquals(r.driver.read(0, 512).data[0], 1, "untouched");
  } finally {
    r.cleanup();
  }
});

Deno.test("a read-only image: reads work, OUT / DISCARD / WRITE_ZEROES get IOERR, file unchanged", () => {
  const r = rig({ readOnly: true, discard: true, fill: pattern(9) });
  try {
    const before = Deno.readFileSync(r.file!);
    r.driver.start();
    assertEquals(r.driver.read(0, 1024).data, before.slice(0, 1024));
    assertEquals(r.driver.write(0, new Uint8Array(512)).status, IOERR);
    assertEquals(r.driver.ranges(VIRTIO_BLK_T.DISCARD, [{ sector: 0, sectors: 1 }]).status, IOERR);
    assertEquals(
      r.driver.ranges(VIRTIO_BLK_T.WRITE_ZEROES, [{ sector: 0, sectors: 1 }]).status,
      IOERR,
    );
    assertEquals(r.driver.request(VIRTIO_BLK_T.FLUSH, 0, []).status, OK);
    assertEquals(Deno.readFileSync(r.file!), before);
    assertEquals(r.logs.length, 3);
  } finally {
    r.cleanup();
  }
});

Deno.test("unknown and unsupported request types get UNSUPP", () => {
  const r = rig({ memoryImage: true });
  try {
    r.driver.start();
    for (const type of [VIRTIO_BLK_T.GET_LIFETIME, VIRTIO_BLK_T.SECURE_ERASE, 2, 0xffffffff]) {
      const at = r.driver.alloc(16);
      assertEquals(r.driver.request(type, 0, [{ at, len: 16, write: true }]).status, UNSUPP);
    }
  } finally {
    r.cleanup();
  }
});

Deno.test("indirect descriptors: a request as one indirect table, read and write", () => {
  const r = rig({ fill: pattern(4) });
  try {
    r.driver.start();
    const data = new Uint8Array(4096).fill(0x33);
    assertEquals(r.driver.write(8, data, { indirect: true, pieces: 4 }).status, OK);
    assertEquals(fileBytes(r.file!, 8 * 512, 4096), data);
    const got = r.driver.read(0, 16384, { indirect: true, pieces: 32 });
    assertEquals(got.status, OK);
    assertEquals(got.data, fileBytes(r.file!, 0, 16384));
    // Without the feature negotiated, an indirect descriptor breaks the queue.
    r.driver.start((f) => f & ~bit(VIRTIO_F.RING_INDIRECT_DESC));
    r.driver.read(0, 512, { indirect: true });
    assert((r.driver.status() & 0x40) !== 0, "DEVICE_NEEDS_RESET");
  } finally {
    r.cleanup();
  }
});

Deno.test("EVENT_IDX: interrupts only when used_event is crossed; notify hint in avail_event", () => {
  const s = rig({ memoryImage: true });
  try {
    s.driver.start();
    const usedEventAt = 0x1000 + 4 + 2 * s.driver.num;
    const availEventAt = 0x2000 + 4 + 8 * s.driver.num;
    const before = s.raised.count;
    // Queue four requests, notify once; the driver wants an interrupt after the 3rd used entry.
    s.driver.view.setUint16(usedEventAt, 2, true);
    for (let i = 0; i < 4; i++) {
      const statusAt = s.driver.alloc(1, 1);
      const data = s.driver.alloc(512);
      s.driver.submit(
        [s.driver.header(VIRTIO_BLK_T.IN, i), { at: data, len: 512, write: true }, {
          at: statusAt,
          len: 1,
          write: true,
        }],
        { kick: false },
      );
    }
    s.driver.kick();
    assertEquals(s.driver.usedIdx(), 4);
    assertEquals(s.raised.count - before, 1, "one interrupt for the batch");
    assertEquals(
      s.driver.view.getUint16(availEventAt, true),
      4,
      "avail_event: notify from entry 4",
    );
    // used_event already passed: no interrupt for the next one.
    s.driver.view.setUint16(usedEventAt, 1, true);
    s.driver.read(0, 512);
    assertEquals(s.raised.count - before, 1);
  } finally {
    s.cleanup();
  }
  const t = rig({ memoryImage: true, eventIdx: false });
  try {
    t.driver.start();
    assertEquals(t.driver.features & bit(VIRTIO_F.RING_EVENT_IDX), 0n);
    t.driver.read(0, 512);
    t.driver.read(0, 512);
    assertEquals(t.raised.count, 2, "without EVENT_IDX: one interrupt per notify");
    t.driver.view.setUint16(0x1000, 1, true); // VRING_AVAIL_F_NO_INTERRUPT
    t.driver.read(0, 512);
    assertEquals(t.raised.count, 2, "NO_INTERRUPT respected");
  } finally {
    t.cleanup();
  }
  const u = rig({ memoryImage: true });
  try {
    u.driver.start(NO_EVENT_IDX);
    u.driver.read(0, 512);
    assertEquals(u.raised.count, 1, "offered but not negotiated: plain interrupts");
  } finally {
    u.cleanup();
  }
});

Deno.test("no buffer is consumed before DRIVER_OK; those made available earlier are served then", () => {
  const r = rig({ memoryImage: true, fill: pattern(5) });
  try {
    assert(r.driver.negotiate());
    r.driver.setupQueue();
    // setupQueue set DRIVER_OK; take it back to FEATURES_OK only, as a driver mid-probe.
    r.driver.w(VIRTIO_MMIO.STATUS, 0);
    assert(r.driver.negotiate());
    r.driver.w(VIRTIO_MMIO.QUEUE_SEL, 0);
    r.driver.w(VIRTIO_MMIO.QUEUE_NUM, 256);
    r.driver.w(VIRTIO_MMIO.QUEUE_DESC_LOW, 0x40000000);
    r.driver.w(VIRTIO_MMIO.QUEUE_AVAIL_LOW, 0x40001000);
    r.driver.w(VIRTIO_MMIO.QUEUE_USED_LOW, 0x40002000);
    r.driver.w(VIRTIO_MMIO.QUEUE_READY, 1);
    r.driver.availIdx = r.driver.usedSeen = r.driver.nextDesc = 0;
    const res = r.driver.read(1, 512);
    assertEquals(res.status, 0xee, "not served yet");
    assertEquals(r.driver.usedIdx(), 0);
    r.driver.w(VIRTIO_MMIO.STATUS, 0x0f); // ACKNOWLEDGE | DRIVER | FEATURES_OK | DRIVER_OK
    assertEquals(r.ram[res.statusAt], OK);
    assertEquals(r.driver.usedIdx(), 1);
  } finally {
    r.cleanup();
  }
});

Deno.test("a carrier whose mapping is not contiguous across pages: data goes through read()/write()", () => {
  const ram = new Uint8Array(1 << 20);
  const inner = memoryGuestRam(RAM_BASE, ram);
  let copies = 0;
  // A fake carrier shape: views only within one 4 KiB page (as separately mapped frames would be).
  const paged: GuestMemory = {
    view: (gpa, length) => (Number(gpa) & 4095) + length > 4096 ? null : inner.view(gpa, length),
    read: (gpa, into) => (copies++, inner.read(gpa, into)),
    write: (gpa, from) => (copies++, inner.write(gpa, from)),
  };
  const file = tempImage(1 << 20, pattern(8));
  const device = createVirtioBlkDevice({
    memory: paged,
    interrupt: { raise() {} },
    image: openBlockImage(file, { readOnly: false }),
    discard: false,
  });
  try {
    const d = new TestDriver(device, ram);
    d.start();
    d.alloc(100); // buffers now straddle page boundaries
    const got = d.read(3, 8192);
    assertEquals(got.status, OK);
    assertEquals(got.data, fileBytes(file, 3 * 512, 8192));
    const data = Uint8Array.from({ length: 8192 }, (_, i) => (i * 5) & 0xff);
    assertEquals(d.write(40, data).status, OK);
    assertEquals(fileBytes(file, 40 * 512, 8192), data);
    assert(copies >= 2, "went through the copying path");
  } finally {
    device.close();
    Deno.removeSync(file);
  }
});

Deno.test("EVENT_IDX: a request added by another vCPU while the device works needs no notify and is served", () => {
  const ram = new Uint8Array(1 << 20);
  const disk = new Uint8Array(1 << 20).map((_, i) => pattern(7)(i));
  const inner = memoryBlockImage(disk);
  let secondVcpu: (() => void) | null = null;
  // The image hook lets the test act as a second vCPU in the middle of a request.
  const image = {
    ...inner,
    read(into: Uint8Array, offset: number) {
      inner.read(into, offset);
      const act = secondVcpu;
      secondVcpu = null;
      act?.();
    },
  };
  let raised = 0;
  const device = createVirtioBlkDevice({
    memory: memoryGuestRam(RAM_BASE, ram),
    interrupt: { raise: () => raised++ },
    image,
    discard: false,
  });
  try {
    const d = new TestDriver(device, ram);
    d.start();
    const availEventAt = 0x2000 + 4 + 8 * d.num;
    const second = d.alloc(512);
    const secondStatus = d.alloc(1, 1);
    let notifyNeeded: boolean | null = null;
    secondVcpu = () => {
      const old = d.availIdx;
      d.submit([d.header(VIRTIO_BLK_T.IN, 9), { at: second, len: 512, write: true }, {
        at: secondStatus,
        len: 1,
        write: true,
      }], { kick: false });
      // Linux's virtqueue_kick_prepare: vring_need_event(avail_event, new, old).
      const event = d.view.getUint16(availEventAt, true);
      notifyNeeded = ((d.availIdx - event - 1) & 0xffff) < ((d.availIdx - old) & 0xffff);
    };
    const first = d.read(0, 512);
    assertEquals(first.status, OK);
    assertEquals(notifyNeeded, false, "the device was busy: no notify needed");
    assertEquals(ram[secondStatus], OK, "served in the same turn");
    assertEquals(ram.slice(second, second + 512), disk.slice(9 * 512, 10 * 512));
    assertEquals(d.usedIdx(), 2);
    assertEquals(d.view.getUint16(availEventAt, true), 2, "re-armed past both");
    assertEquals(device.stats.notifies, 1);
    assertEquals(raised, 1);
  } finally {
    device.close();
  }
});

Deno.test("a driver that keeps the ring full does not hold the thread: the rest is served from a timer", async () => {
  const ram = new Uint8Array(1 << 20);
  const inner = memoryBlockImage(new Uint8Array(1 << 20));
  let produce = 0;
  let d: TestDriver;
  // The image hook acts as another vCPU that adds a request whenever one is being served.
  const image = {
    ...inner,
    read(into: Uint8Array, offset: number) {
      inner.read(into, offset);
      if (produce > 0) {
        produce--;
        const data = d.alloc(512);
        const status = d.alloc(1, 1);
        d.submit([d.header(VIRTIO_BLK_T.IN, 0), { at: data, len: 512, write: true }, {
          at: status,
          len: 1,
          write: true,
        }], { kick: false });
      }
    },
  };
  const device = createVirtioBlkDevice({
    memory: memoryGuestRam(RAM_BASE, ram),
    interrupt: { raise() {} },
    image,
    discard: false,
    queueSize: 8,
  });
  try {
    d = new TestDriver(device, ram);
    d.start();
    produce = 100;
    d.read(0, 512);
    // 4 x the queue size per turn (32), then the notify returns.
    assertEquals(d.usedIdx(), 32);
    assert(produce > 0, "more was queued");
    for (let i = 0; i < 10 && d.usedIdx() < 101; i++) {
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    assertEquals(d.usedIdx(), 101, "all served, in turns");
  } finally {
    device.close();
  }
});
