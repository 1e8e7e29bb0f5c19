/**
 * Reading a virtio_disk backend directory (spec §2.5, allocator rules §3.4): the edges of the
 * window and SPI ranges, the keys libxl 4.17 writes, and the errno each failure reports.
 */
import { assertEquals, assertThrows } from "../support/assert.ts";
import {
  BackendConfigError,
  errnoOf,
  parseVirtioDisk,
  type VirtioDiskValues,
} from "../../lib/devd/virtio_disk_config.ts";

const PATH = "/local/domain/0/backend/virtio_disk/5/51712";
const GOOD: VirtioDiskValues = {
  type: "standalone",
  specification: "virtio",
  transport: "mmio",
  "frontend-id": "5",
  params: "/srv/d1.img",
  mode: "w",
  base: "33554432",
  irq: "33",
  "discard-enable": "1",
  dev: "xvda",
};

function fails(values: VirtioDiskValues, errno: number, text: string) {
  const error = assertThrows(
    () => parseVirtioDisk(PATH, 5, 51712, { ...GOOD, ...values }),
    BackendConfigError,
    text,
  ) as BackendConfigError;
  assertEquals(error.errno, errno);
}

Deno.test("virtio_disk config: what libxl 4.17 writes is read as is", () => {
  assertEquals(parseVirtioDisk(PATH, 5, 51712, GOOD), {
    backendPath: PATH,
    frontendDomid: 5,
    devid: 51712,
    vdev: "xvda",
    params: "/srv/d1.img",
    readOnly: false,
    base: 0x2000000n,
    irq: 33,
    discard: true,
  });
  const ro = parseVirtioDisk(PATH, 5, 51712, { ...GOOD, mode: "r", "discard-enable": undefined });
  assertEquals([ro.readOnly, ro.discard], [true, false]);
  // the last slot and the last SPI of the allocator
  const last = parseVirtioDisk(PATH, 5, 51712, { ...GOOD, base: String(0x20ffe00), irq: "43" });
  assertEquals([last.base, last.irq], [0x20ffe00n, 43]);
  // grant_usage=0 (4.19+, dom0 backend) is fine
  assertEquals(parseVirtioDisk(PATH, 5, 51712, { ...GOOD, grant_usage: "0" }).irq, 33);
});

Deno.test("virtio_disk config: each bad key fails with EINVAL and names the key", () => {
  fails({ base: String(0x2100000) }, 22, "base 0x2100000 is not a virtio-mmio slot");
  fails({ base: String(0x1fffe00) }, 22, "base 0x1fffe00 is not a virtio-mmio slot");
  fails(
    { base: String(0x2000010) },
    22,
    "not a virtio-mmio slot (0x2000000..0x20ffe00 in 0x200 steps)",
  );
  fails({ base: undefined }, 22, "base is missing");
  fails({ irq: "32" }, 22, "irq 32 is not a virtio-mmio SPI (33..43)");
  fails({ irq: "44" }, 22, "irq 44 is not a virtio-mmio SPI");
  fails({ irq: "-1" }, 22, "irq '-1' is not a decimal number");
  fails({ mode: "rw" }, 22, "mode is 'rw', not 'w' or 'r'");
  fails({ mode: undefined }, 22, "mode is missing");
  fails({ params: "" }, 22, "params (the image path) is missing");
  fails({ type: "phy" }, 22, "type is 'phy', not 'standalone'");
  fails({ specification: undefined }, 22, "specification is missing");
  fails({ "frontend-id": "6" }, 22, "frontend-id is '6', not 5 as the path says");
  fails({ grant_usage: "1" }, 95, "grant_usage=1 is not supported");
});

Deno.test("errnoOf: BackendConfigError, Deno's errors and codes, C's strerror text, else EIO", () => {
  assertEquals(errnoOf(new BackendConfigError(16, "busy")), 16);
  assertEquals(errnoOf(new Deno.errors.NotFound("x")), 2);
  assertEquals(errnoOf(new Deno.errors.PermissionDenied("x")), 13);
  assertEquals(errnoOf(new Error("wrapped", { cause: new Deno.errors.IsADirectory("x") })), 21);
  assertEquals(errnoOf(Object.assign(new Error("x"), { code: "EROFS" })), 30);
  // the device model's image errors carry the text only
  assertEquals(errnoOf(new Error("disk image /x: not found")), 2);
  assertEquals(errnoOf(new Error("disk image /x: Permission denied")), 13);
  assertEquals(errnoOf(new Error("disk image /x: not a regular file or a block device")), 22);
  assertEquals(errnoOf(new Error("something else")), 5);
});
