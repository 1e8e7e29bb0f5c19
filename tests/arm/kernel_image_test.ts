import { assertEquals, assertRejects } from "../support/assert.ts";
import { KernelImageError, probeKernel, syntheticArm64Image } from "../../lib/arm/kernel_image.ts";

async function gzip(bytes: Uint8Array): Promise<Uint8Array> {
  const stream = new Blob([bytes as Uint8Array<ArrayBuffer>]).stream().pipeThrough(
    new CompressionStream("gzip"),
  );
  return new Uint8Array(await new Response(stream).arrayBuffer());
}

Deno.test("arm64 Image: magic at 56, text_offset from the header, size is the file length", async () => {
  const image = syntheticArm64Image(12345, 0x80000n);
  assertEquals(await probeKernel(image, "Image"), {
    arch: "aarch64",
    loadOffset: 0x80000n,
    size: 12345,
    gzipped: false,
  });
});

Deno.test("gzip'ed Image is decompressed first; size is the gzip length + 16 (libxc, golden)", async () => {
  const image = syntheticArm64Image(200_000);
  const kernel = await probeKernel(await gzip(image), "vmlinuz");
  assertEquals(kernel.size, 200_016);
  assertEquals(kernel.gzipped, true);
});

Deno.test("old arm64 Image recognised by its first word 0x14000008", async () => {
  const image = new Uint8Array(64);
  new DataView(image.buffer).setUint32(0, 0x14000008, true);
  assertEquals((await probeKernel(image, "old")).arch, "aarch64");
});

Deno.test("arm32 zImage loads at RAM base + 0x8000; length from its header, plus an appended DTB", async () => {
  const image = new Uint8Array(0x400);
  const view = new DataView(image.buffer);
  view.setUint32(0x24, 0x016f2818, true);
  view.setUint32(0x2c, 0x200, true); // end of the zImage proper
  const plain = await probeKernel(image, "zImage");
  assertEquals([plain.arch, plain.loadOffset, plain.size], ["armv7l", 0x8000n, 0x200]);
  view.setUint32(0x200, 0xd00dfeed); // an appended DTB of 0x180 bytes (big-endian header)
  view.setUint32(0x204, 0x180);
  assertEquals((await probeKernel(image, "zImage+dtb")).size, 0x380);
});

Deno.test("anything else: one clear error naming the file", async () => {
  await assertRejects(
    () => probeKernel(new TextEncoder().encode("#!/bin/sh\necho not a kernel\n".repeat(4)), "k.sh"),
    KernelImageError,
    "kernel k.sh: not an arm64 Image or arm32 zImage",
  );
});

Deno.test("gzip'ed Image: only the head is decompressed to probe it; bad data further in waits for the load", async () => {
  const image = syntheticArm64Image(4 * 1024 * 1024);
  let x = 1;
  for (let i = 64; i < image.length; i++) image[i] = (x = (x * 1103515245 + 12345) >>> 0) >>> 28;
  const packed = await gzip(image); // about 2 MB: its tail is far past the probed 64 KiB

  const broken = packed.slice();
  broken.fill(0xff, broken.length - 4096, broken.length - 8); // the stream's tail, not its head
  assertEquals((await probeKernel(broken, "vmlinuz")).arch, "aarch64");
  const badHead = packed.slice();
  badHead.fill(0xff, 10, 30);
  await assertRejects(
    () => probeKernel(badHead, "vmlinuz"),
    KernelImageError,
    "kernel vmlinuz: bad gzip data",
  );
});

Deno.test("gzip'ed arm32 zImage with a DTB appended past the probed head: decompressed far enough to see it", async () => {
  const image = new Uint8Array(0x30000);
  for (let at = 0x100; at < 0x20000; at += 0x8000) {
    crypto.getRandomValues(image.subarray(at, Math.min(at + 0x8000, 0x20000))); // incompressible
  }
  const view = new DataView(image.buffer);
  view.setUint32(0x24, 0x016f2818, true);
  view.setUint32(0x2c, 0x20000, true); // 128 KiB of zImage, beyond the 64 KiB probe
  view.setUint32(0x20000, 0xd00dfeed);
  view.setUint32(0x20004, 0x1000);
  assertEquals((await probeKernel(await gzip(image), "zImage.gz")).size, 0x21000);
});
