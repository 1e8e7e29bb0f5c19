// The system zlib (a dependency of libxenguest) inflating gzip'ed kernels into raw memory,
// as `xlite create` does into the guest: checked against Deno's own gzip implementation.
import { assertEquals, assertThrows } from "../support/assert.ts";
import { GzipError, gzipTrailerLength, openZlib } from "../../lib/xen/zlib.ts";
import { syntheticArm64Image } from "../../lib/arm/kernel_image.ts";

async function gzip(bytes: Uint8Array): Promise<Uint8Array> {
  const stream = new Blob([bytes as Uint8Array<ArrayBuffer>]).stream().pipeThrough(
    new CompressionStream("gzip"),
  );
  return new Uint8Array(await new Response(stream).arrayBuffer());
}

/** An Image-like payload: a header, then text that compresses about as well as code does. */
function kernelLike(size: number): Uint8Array {
  const image = syntheticArm64Image(size);
  let x = 0x12345678;
  for (let i = 64; i < size; i++) {
    x = (x * 1103515245 + 12345) >>> 0;
    image[i] = (x >>> 24) % 16; // 4 bits of entropy a byte
  }
  return image;
}

/** Inflates `gz` into a fresh buffer of `length` bytes with the system zlib. */
function inflate(gz: Uint8Array, length = gzipTrailerLength(gz)): Uint8Array {
  const zlib = openZlib();
  try {
    const out = new Uint8Array(Math.max(length, 1));
    zlib.gunzipInto(gz, Deno.UnsafePointer.of(out)!, length, "kernel k.gz");
    return out.subarray(0, length);
  } finally {
    zlib.close();
  }
}

const image = kernelLike(3 * 1024 * 1024 + 123);
const gz = await gzip(image);

Deno.test("zlib: inflates a gzip'ed Image to exactly the bytes Deno's gzip packed", () => {
  assertEquals(gzipTrailerLength(gz), image.length);
  const out = inflate(gz);
  assertEquals(out.length, image.length);
  assertEquals(out.findIndex((b, i) => b !== image[i]), -1);
});

Deno.test("zlib: a trailer announcing fewer bytes than the stream holds: refused, named", () => {
  assertThrows(
    () => inflate(gz, image.length - 4096),
    GzipError,
    `kernel k.gz: bad gzip data: more than the ${image.length - 4096} bytes its trailer announces`,
  );
});

Deno.test("zlib: a wrong length in the trailer fails zlib's length check", () => {
  const lying = gz.slice();
  new DataView(lying.buffer).setUint32(lying.length - 4, image.length + 10, true);
  assertThrows(
    () => inflate(lying),
    GzipError,
    "kernel k.gz: bad gzip data: incorrect length check",
  );
});

Deno.test("zlib: a flipped byte in the data fails zlib's checks", () => {
  const corrupt = gz.slice();
  corrupt[Math.floor(corrupt.length / 2)] ^= 0x55;
  assertThrows(() => inflate(corrupt, image.length), GzipError, "kernel k.gz: bad gzip data: ");
});

Deno.test("zlib: a truncated stream is reported as truncated", () => {
  assertThrows(
    () => inflate(gz.subarray(0, gz.length >> 1), image.length),
    GzipError,
    "kernel k.gz: bad gzip data: truncated",
  );
});

Deno.test("zlib: too short to be gzip at all", () => {
  assertThrows(() => gzipTrailerLength(new Uint8Array(10)), GzipError, "shorter than a gzip");
});
