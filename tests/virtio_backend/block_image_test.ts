/**
 * Opening disk images as a backend does (raw file, O_RDONLY for `mode=r`, O_RDWR otherwise):
 * the size, clear errors naming the path, offsets past 4 GiB through pread/pwrite, flush, and
 * write-zeroes / discard on the file.
 */
import { assert, assertEquals, assertThrows } from "../support/assert.ts";
import { BlockImageError, openBlockImage } from "../../lib/virtio_backend/mod.ts";
import { tempImage } from "./helpers.ts";

Deno.test("openBlockImage: size, read-only flag, read and write at offsets", () => {
  const file = tempImage(3 * 512 + 7, (i) => i & 0xff);
  try {
    const image = openBlockImage(file, { readOnly: false });
    assertEquals(image.sizeBytes, 1543n);
    assertEquals(image.readOnly, false);
    assertEquals(image.path, file);
    const got = new Uint8Array(4);
    image.read(got, 1000);
    assertEquals(got, Uint8Array.of(1000 & 0xff, 1001 & 0xff, 1002 & 0xff, 1003 & 0xff));
    image.write(Uint8Array.of(1, 2, 3), 10);
    image.flush();
    image.close();
    image.close(); // twice is harmless
    assertEquals(Deno.readFileSync(file).slice(10, 13), Uint8Array.of(1, 2, 3));
    assertThrows(() => image.read(got, 0), BlockImageError, "closed");
  } finally {
    Deno.removeSync(file);
  }
});

Deno.test("openBlockImage: offsets past 4 GiB in a sparse 8 GiB file", () => {
  const file = Deno.makeTempFileSync({ suffix: ".img" });
  try {
    Deno.truncateSync(file, 8 * 2 ** 30);
    const image = openBlockImage(file, { readOnly: false });
    assertEquals(image.sizeBytes, 8n * 2n ** 30n);
    const at = 6 * 2 ** 30 + 4096;
    image.write(new Uint8Array(512).fill(0x42), at);
    const back = new Uint8Array(512);
    image.read(back, at);
    assertEquals(back, new Uint8Array(512).fill(0x42));
    image.close();
    const f = Deno.openSync(file);
    f.seekSync(at, Deno.SeekMode.Start);
    const raw = new Uint8Array(512);
    f.readSync(raw);
    f.close();
    assertEquals(raw[0], 0x42, "landed at the right offset");
  } finally {
    Deno.removeSync(file);
  }
});

Deno.test("openBlockImage read-only: opened O_RDONLY, a write fails at the kernel", () => {
  const file = tempImage(4096);
  try {
    const image = openBlockImage(file, { readOnly: true });
    assertEquals(image.readOnly, true);
    assertThrows(() => image.write(new Uint8Array(512), 0), BlockImageError, "Bad file descriptor");
    image.close();
  } finally {
    Deno.removeSync(file);
  }
});

Deno.test("openBlockImage errors name the path and the reason", () => {
  const dir = Deno.makeTempDirSync();
  try {
    const missing = `${dir}/nope.img`;
    const e = assertThrows(() => openBlockImage(missing, { readOnly: true }), BlockImageError);
    assertEquals(e.message, `disk image ${missing}: No such file or directory`);
    assertEquals(e.code, "ENOENT");
    const under = assertThrows(
      () => openBlockImage(`${missing}/x`, { readOnly: true }),
      BlockImageError,
    );
    assertEquals(under.message, `disk image ${missing}/x: No such file or directory`);
    assertThrows(
      () => openBlockImage(dir, { readOnly: true }),
      BlockImageError,
      "not a regular file or a block device",
    );
    const locked = `${dir}/locked.img`;
    Deno.writeFileSync(locked, new Uint8Array(512));
    Deno.chmodSync(locked, 0o444);
    if (Deno.uid() === 0) {
      console.log("skipped the permission case: root opens a 0444 file read-write");
    } else {
      assertThrows(
        () => openBlockImage(locked, { readOnly: false }),
        BlockImageError,
        "Permission denied",
      );
    }
    openBlockImage(locked, { readOnly: true }).close();
  } finally {
    Deno.removeSync(dir, { recursive: true });
  }
});

Deno.test("writeZeroes and discard on a file: zeros read back, size kept", () => {
  const file = tempImage(1 << 20, () => 0x77);
  try {
    const image = openBlockImage(file, { readOnly: false });
    image.writeZeroes(4096, 8192, false);
    image.writeZeroes(65536, 4096, true);
    image.discard(131072, 65536);
    image.close();
    const data = Deno.readFileSync(file);
    assertEquals(data.length, 1 << 20);
    assert(data.slice(4096, 12288).every((b) => b === 0));
    assert(data.slice(65536, 69632).every((b) => b === 0));
    assert(data.slice(131072, 196608).every((b) => b === 0));
    assertEquals(data[4095], 0x77);
    assertEquals(data[12288], 0x77);
    assertEquals(data[196608], 0x77);
  } finally {
    Deno.removeSync(file);
  }
});

Deno.test("a block device (loop device over a temp file): size from lseek, data lands in the file", async () => {
  const file = tempImage(1 << 20, () => 0x11);
  let loop = "";
  try {
    const out = await new Deno.Command("losetup", { args: ["-f", "--show", file] }).output()
      .catch((error) => ({
        code: -1,
        stdout: new Uint8Array(),
        stderr: new TextEncoder().encode(String(error)),
      }));
    loop = new TextDecoder().decode(out.stdout).trim();
    if (out.code !== 0 || !loop) {
      console.log(`skipped: losetup failed (${new TextDecoder().decode(out.stderr).trim()})`);
      loop = "";
      return;
    }
    assert(Deno.statSync(loop).isBlockDevice);
    const image = openBlockImage(loop, { readOnly: false });
    assertEquals(image.sizeBytes, BigInt(1 << 20), "a block device's size (st_size is 0)");
    image.write(new Uint8Array(4096).fill(0x99), 8192);
    image.flush();
    image.writeZeroes(65536, 4096, false);
    image.discard(131072, 4096);
    image.close();
    const data = Deno.readFileSync(file);
    assertEquals(data[8192], 0x99);
    assertEquals(data[65536], 0);
    assertEquals(data[65536 + 4096], 0x11);
  } finally {
    if (loop) await new Deno.Command("losetup", { args: ["-d", loop] }).output();
    Deno.removeSync(file);
  }
});

Deno.test("writeZeroes where the file system has no ZERO_RANGE (tmpfs): zeros are written", () => {
  let file: string;
  try {
    file = Deno.makeTempFileSync({ dir: "/dev/shm", suffix: ".img" });
  } catch (error) {
    console.log(`skipped: no /dev/shm tmpfs here (${(error as Error).message})`);
    return;
  }
  try {
    Deno.writeFileSync(file, new Uint8Array(3 << 20).fill(0x66));
    const image = openBlockImage(file, { readOnly: false });
    image.writeZeroes(4096, (2 << 20) + 512, false);
    image.close();
    const data = Deno.readFileSync(file);
    assert(data.slice(4096, 4096 + (2 << 20) + 512).every((b) => b === 0));
    assertEquals(data[4095], 0x66);
    assertEquals(data[4096 + (2 << 20) + 512], 0x66);
    assertEquals(data.length, 3 << 20);
  } finally {
    Deno.removeSync(file);
  }
});

Deno.test("readv / writev: several buffers in one call; a short transfer finishes or fails clearly", () => {
  const file = tempImage(3 * 4096, (i) => (i >> 12) + 1);
  try {
    const image = openBlockImage(file, { readOnly: false });
    const bufs = [new Uint8Array(100), new Uint8Array(4000), new Uint8Array(8188)];
    image.readv(bufs, 3, 0);
    assert(bufs[0].every((b) => b === 1) && bufs[1].slice(0, 3996).every((b) => b === 1));
    assertEquals(bufs[2][0], 2);
    assertEquals(bufs[2][8187], 3);
    image.writev([new Uint8Array(512).fill(7), new Uint8Array(512).fill(8)], 2, 4096);
    const back = new Uint8Array(1024);
    image.read(back, 4096);
    assert(back.slice(0, 512).every((b) => b === 7) && back.slice(512).every((b) => b === 8));
    // The file shrinks under the device: the part before the end is read, then a clear error.
    Deno.truncateSync(file, 6000);
    const parts = [new Uint8Array(4096), new Uint8Array(4096)];
    assertThrows(() => image.readv(parts, 2, 0), BlockImageError, "read past its end at 6000");
    assertEquals([parts[0][0], parts[1][0], parts[1][600], parts[1][6000 - 4096 - 1]], [
      1,
      7,
      8,
      2,
    ]);
    image.close();
  } finally {
    Deno.removeSync(file);
  }
});
