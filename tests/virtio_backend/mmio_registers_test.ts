/**
 * The virtio-mmio registers (virtio 1.2 §4.2.2) as a driver sees them: identification, feature
 * negotiation in both halves, the status machine and reset, queue set-up, interrupt status and
 * acknowledge, the virtio-blk config space, and garbage accesses answered with 0 and a log line.
 */
import { assert, assertEquals } from "../support/assert.ts";
import { XLITE_VIRTIO_VENDOR_ID } from "../../lib/virtio_backend/mod.ts";
import {
  VIRTIO_BLK_CONFIG,
  VIRTIO_BLK_F,
  VIRTIO_CONFIG_S,
  VIRTIO_F,
  VIRTIO_MMIO,
  VIRTIO_MMIO_INT_VRING,
} from "../../lib/virtio_backend/virtio_constants.ts";
import { bit } from "./test_driver.ts";
import { rig } from "./helpers.ts";

const S = VIRTIO_CONFIG_S;

Deno.test("identification registers: magic 'virt', version 2, block device, XLIT vendor", () => {
  const r = rig({ memoryImage: true });
  try {
    assertEquals(r.device.read(VIRTIO_MMIO.MAGIC_VALUE, 4), 0x74726976n);
    assertEquals(r.device.read(VIRTIO_MMIO.VERSION, 4), 2n);
    assertEquals(r.device.read(VIRTIO_MMIO.DEVICE_ID, 4), 2n);
    assertEquals(r.device.read(VIRTIO_MMIO.VENDOR_ID, 4), BigInt(XLITE_VIRTIO_VENDOR_ID));
    assertEquals(r.device.read(VIRTIO_MMIO.QUEUE_NUM_MAX, 4), 256n);
    assertEquals(r.device.read(VIRTIO_MMIO.CONFIG_GENERATION, 4), 0n);
    assertEquals(r.device.read(VIRTIO_MMIO.SHM_LEN_LOW, 4), 0xffffffffn);
    assertEquals(r.logs, []);
  } finally {
    r.cleanup();
  }
});

Deno.test("device features in two halves: VERSION_1, rings, blk features; RO and DISCARD by image", () => {
  const rw = rig({ memoryImage: true, discard: true });
  const ro = rig({ memoryImage: true, readOnly: true, discard: true });
  try {
    const f = rw.driver.deviceFeatures();
    for (
      const b of [
        VIRTIO_F.VERSION_1,
        VIRTIO_F.RING_INDIRECT_DESC,
        VIRTIO_F.RING_EVENT_IDX,
        VIRTIO_BLK_F.SEG_MAX,
        VIRTIO_BLK_F.SIZE_MAX,
        VIRTIO_BLK_F.BLK_SIZE,
        VIRTIO_BLK_F.FLUSH,
        VIRTIO_BLK_F.DISCARD,
        VIRTIO_BLK_F.WRITE_ZEROES,
      ]
    ) assert((f & bit(b)) !== 0n, `feature ${b} offered`);
    assertEquals(f & bit(VIRTIO_BLK_F.RO), 0n);
    assertEquals(f & bit(VIRTIO_F.ACCESS_PLATFORM), 0n);
    const g = ro.driver.deviceFeatures();
    assert((g & bit(VIRTIO_BLK_F.RO)) !== 0n);
    assertEquals(g & (bit(VIRTIO_BLK_F.DISCARD) | bit(VIRTIO_BLK_F.WRITE_ZEROES)), 0n);
    // A selector past the two halves reads 0.
    rw.driver.w(VIRTIO_MMIO.DEVICE_FEATURES_SEL, 2);
    assertEquals(rw.driver.r(VIRTIO_MMIO.DEVICE_FEATURES), 0);
  } finally {
    rw.cleanup();
    ro.cleanup();
  }
});

Deno.test("negotiation: FEATURES_OK sticks for a subset with VERSION_1, not otherwise", () => {
  const r = rig({ memoryImage: true });
  try {
    assert(r.driver.negotiate());
    assert(!r.driver.negotiate((f) => f & ~bit(VIRTIO_F.VERSION_1)), "no VERSION_1");
    assertEquals(r.driver.status() & S.FEATURES_OK, 0);
    assert(!r.driver.negotiate((f) => f | bit(VIRTIO_F.RING_PACKED)), "not offered");
    assertEquals(r.logs.length, 2);
    // After FEATURES_OK, DriverFeatures is frozen.
    assert(r.driver.negotiate());
    r.driver.w(VIRTIO_MMIO.DRIVER_FEATURES_SEL, 0);
    r.driver.w(VIRTIO_MMIO.DRIVER_FEATURES, 0);
    assertEquals(r.logs.length, 3);
    assert((r.driver.status() & S.FEATURES_OK) !== 0);
  } finally {
    r.cleanup();
  }
});

Deno.test("queue registers: ready reads back, queue 1 does not exist, QueueReady needs FEATURES_OK", () => {
  const r = rig({ memoryImage: true });
  try {
    r.driver.w(VIRTIO_MMIO.QUEUE_SEL, 0);
    r.driver.w(VIRTIO_MMIO.QUEUE_READY, 1);
    assertEquals(r.driver.r(VIRTIO_MMIO.QUEUE_READY), 0, "not before FEATURES_OK");
    r.driver.start();
    assertEquals(r.driver.r(VIRTIO_MMIO.QUEUE_READY), 1);
    r.driver.w(VIRTIO_MMIO.QUEUE_SEL, 1);
    assertEquals(r.driver.r(VIRTIO_MMIO.QUEUE_NUM_MAX), 0);
    assertEquals(r.driver.r(VIRTIO_MMIO.QUEUE_READY), 0);
    r.driver.w(VIRTIO_MMIO.QUEUE_NUM, 8);
    r.driver.w(VIRTIO_MMIO.QUEUE_SEL, 0);
    // Linux's vm_del_vq: QueueReady=0 and read back 0.
    r.driver.w(VIRTIO_MMIO.QUEUE_READY, 0);
    assertEquals(r.driver.r(VIRTIO_MMIO.QUEUE_READY), 0);
    assertEquals(r.driver.status() & S.NEEDS_RESET, 0);
  } finally {
    r.cleanup();
  }
});

Deno.test("interrupt status is set by a used buffer and cleared by InterruptACK", () => {
  const r = rig({ memoryImage: true });
  try {
    r.driver.start();
    assertEquals(r.driver.read(0, 512).status, 0);
    assertEquals(r.driver.r(VIRTIO_MMIO.INTERRUPT_STATUS), VIRTIO_MMIO_INT_VRING);
    assertEquals(r.raised.count, 1);
    r.driver.w(VIRTIO_MMIO.INTERRUPT_ACK, VIRTIO_MMIO_INT_VRING);
    assertEquals(r.driver.r(VIRTIO_MMIO.INTERRUPT_STATUS), 0);
  } finally {
    r.cleanup();
  }
});

Deno.test("config space: capacity, size_max, seg_max, blk_size, discard and write-zeroes fields", () => {
  const r = rig({ memoryImage: true, bytes: 3 * 512 + 100, discard: true });
  const plain = rig({ memoryImage: true });
  try {
    const c = (o: number, size = 4) => r.device.read(VIRTIO_MMIO.CONFIG + o, size);
    const C = VIRTIO_BLK_CONFIG;
    assertEquals(c(C.CAPACITY, 8), 3n, "whole sectors only");
    assertEquals(c(C.CAPACITY), 3n);
    assertEquals(c(C.CAPACITY + 4), 0n);
    assertEquals(c(C.SIZE_MAX), 1n << 20n);
    assertEquals(c(C.SEG_MAX), 254n);
    assertEquals(c(C.BLK_SIZE), 512n);
    assertEquals(c(C.MAX_DISCARD_SECTORS), 0x3fffffn);
    assertEquals(c(C.MAX_DISCARD_SEG), 32n);
    assertEquals(c(C.DISCARD_SECTOR_ALIGNMENT), 8n);
    assertEquals(c(C.MAX_WRITE_ZEROES_SECTORS), 0x3fffffn);
    assertEquals(c(C.WRITE_ZEROES_MAY_UNMAP, 1), 1n);
    assertEquals(c(C.BLK_SIZE, 2), 512n, "16-bit access");
    assertEquals(c(C.BLK_SIZE + 1, 1), 2n, "byte access");
    assertEquals(c(0x80), 0n, "past the config structure");
    const p = (o: number) => plain.device.read(VIRTIO_MMIO.CONFIG + o, 4);
    assertEquals(p(C.CAPACITY), BigInt((1 << 20) / 512));
    assertEquals(p(C.MAX_DISCARD_SECTORS), 0n, "not offered");
    assertEquals(r.logs, []);
  } finally {
    r.cleanup();
    plain.cleanup();
  }
});

Deno.test("status machine: bits read back, 0 resets everything, reset() does the same", () => {
  const r = rig({ memoryImage: true });
  try {
    r.driver.start();
    assertEquals(r.driver.status(), S.ACKNOWLEDGE | S.DRIVER | S.FEATURES_OK | S.DRIVER_OK);
    r.driver.read(0, 512);
    r.driver.w(VIRTIO_MMIO.STATUS, 0);
    assertEquals(r.driver.status(), 0);
    assertEquals(r.driver.r(VIRTIO_MMIO.QUEUE_READY), 0);
    assertEquals(r.driver.r(VIRTIO_MMIO.INTERRUPT_STATUS), 0);
    // The driver can start again from scratch (as after a guest kexec).
    r.driver.start();
    assertEquals(r.driver.read(0, 512).status, 0);
    r.device.reset();
    assertEquals(r.driver.status(), 0);
    r.driver.start();
    assertEquals(r.driver.read(1, 512).status, 0);
  } finally {
    r.cleanup();
  }
});

Deno.test("garbage accesses read 0, are ignored, and log one line each", () => {
  const r = rig({ memoryImage: true });
  try {
    const d = r.device;
    assertEquals(d.read(VIRTIO_MMIO.MAGIC_VALUE, 2), 0n, "16-bit read of a register");
    assertEquals(d.read(VIRTIO_MMIO.MAGIC_VALUE + 1, 4), 0n, "unaligned");
    assertEquals(d.read(0x1fe, 4), 0n, "crosses the window's end");
    assertEquals(d.read(0x400, 4), 0n, "outside the window");
    assertEquals(d.read(-4, 4), 0n);
    assertEquals(d.read(0x104, 3), 0n, "3 bytes");
    assertEquals(d.read(VIRTIO_MMIO.QUEUE_NOTIFY, 4), 0n, "write-only register");
    assertEquals(d.read(0x0e0, 4), 0n, "hole");
    d.write(VIRTIO_MMIO.MAGIC_VALUE, 4, 1n);
    d.write(VIRTIO_MMIO.STATUS, 1, 1n);
    d.write(VIRTIO_MMIO.CONFIG, 4, 7n);
    d.write(0x0e0, 4, 0xffffffffffn);
    d.write(VIRTIO_MMIO.QUEUE_NOTIFY, 4, 5n);
    assertEquals(r.logs.length, 13);
    assert(r.logs.every((l) => !l.includes("\n")));
    assertEquals(d.read(VIRTIO_MMIO.MAGIC_VALUE, 4), 0x74726976n, "still serving");
    assertEquals(d.read(VIRTIO_MMIO.STATUS, 4), 0n);
    assertEquals(d.read(VIRTIO_MMIO.CONFIG, 4), BigInt((1 << 20) / 512), "config unchanged");
  } finally {
    r.cleanup();
  }
});

Deno.test("the log budget: a guest repeating mistakes gets a bounded number of lines", () => {
  const r = rig({ memoryImage: true });
  try {
    for (let i = 0; i < 1000; i++) r.device.read(3, 4);
    assertEquals(r.logs.length, 20);
    assert(r.logs[19].includes("not logged until reset"));
    assertEquals(r.device.stats.errors, 1000);
    r.device.write(VIRTIO_MMIO.STATUS, 4, 0n);
    r.device.read(3, 4);
    assertEquals(r.logs.length, 21, "a reset renews the budget");
  } finally {
    r.cleanup();
  }
});

Deno.test("close(): reads 0, writes ignored, the image released", () => {
  const r = rig();
  try {
    r.driver.start();
    r.device.close();
    assertEquals(r.device.read(VIRTIO_MMIO.MAGIC_VALUE, 4), 0n);
    r.device.write(VIRTIO_MMIO.STATUS, 4, 0n);
    let threw = false;
    try {
      r.image.read(new Uint8Array(512), 0);
    } catch {
      threw = true;
    }
    assert(threw, "image closed");
  } finally {
    r.cleanup();
  }
});
