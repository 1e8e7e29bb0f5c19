/**
 * Kernel image probing as Xen's Arm domain builder does it (spec §3.6,
 * `xg_dom_armzimageloader.c`): gzip'ed kernels are decompressed first, then an arm64 Image
 * header (magic `ARM\x64` at 56 or first word 0x14000008) gives `text_offset`; an arm32
 * zImage (magic 0x016f2818 at 0x24) loads at RAM base + 0x8000, its length taken from the
 * header's end offset (plus an appended DTB). A gzip'ed kernel's size is
 * its gzip trailer's length + 16, as libxc's `xc_dom_check_gzip` reports it (confirmed by the
 * golden segments from real Xen 4.17: a 32,956,352-byte Image occupies 32,956,368 bytes).
 *
 * @module
 */
import { XliteError } from "../errors.ts";
import { FDT_MAGIC } from "../fdt/mod.ts";
import type { GuestArch } from "./guest_dt.ts";

/** `ZIMAGE64_MAGIC_V0`: the first instruction of an arm64 Image. */
export const ZIMAGE64_MAGIC_V0 = 0x14000008;
/** `ZIMAGE64_MAGIC_V1`: "ARM\x64" at offset 56. */
export const ZIMAGE64_MAGIC_V1 = 0x644d5241;
/** `ZIMAGE32_MAGIC` at offset 0x24 of an arm32 zImage. */
export const ZIMAGE32_MAGIC = 0x016f2818;
/** Offset of an arm32 zImage's end address (= its length, loaded from 0). */
export const ZIMAGE32_END_OFFSET = 0x2c;
/** Where an arm32 zImage loads, from RAM base. */
export const ZIMAGE32_LOAD_OFFSET = 0x8000n;

/** What the domain builder needs from a kernel. */
export interface KernelImage {
  /** Guest architecture the image is for. */
  arch: GuestArch;
  /** Load address offset from RAM0 base (`text_offset`, or 0x8000 for zImage). */
  loadOffset: bigint;
  /** Bytes loaded: the file length (gzip: trailer length + 16), not the header's image_size. */
  size: number;
  /** Whether the file was gzip'ed. */
  gzipped: boolean;
}

/** A kernel the builder cannot load. */
export class KernelImageError extends XliteError {
  /** An error with `message` (libxl's or Xen's text). */
  constructor(message: string) {
    super(message);
    this.name = "KernelImageError";
  }
}

/** True when `bytes` start with the gzip magic (`xc_dom_check_gzip`). */
export function isGzip(bytes: Uint8Array): boolean {
  return bytes.length >= 18 && bytes[0] === 0x1f && bytes[1] === 0x8b;
}

/**
 * Decompresses a gzip'ed kernel (xc_dom_try_gunzip); with `atLeast`, stops once that many
 * bytes are out (the result may be longer), so a header can be read without the whole image.
 */
export async function gunzip(bytes: Uint8Array, atLeast = Infinity): Promise<Uint8Array> {
  // Fed in small slices when only a head is wanted: the decompressor answers each input
  // chunk with all it unpacks from it, and a whole kernel in one chunk is the whole kernel.
  const slice = Math.max(1, Number.isFinite(atLeast) ? 4096 : bytes.length);
  const input = ReadableStream.from((function* (): Generator<BufferSource> {
    for (let at = 0; at < bytes.length; at += slice) {
      yield bytes.subarray(at, at + slice) as Uint8Array<ArrayBuffer>;
    }
  })());
  const reader = input.pipeThrough(new DecompressionStream("gzip")).getReader();
  const chunks: Uint8Array[] = [];
  let length = 0;
  try {
    while (length < atLeast) {
      const { done, value } = await reader.read();
      if (done) break;
      chunks.push(value);
      length += value.length;
    }
  } finally {
    await reader.cancel().catch(() => {});
  }
  if (chunks.length === 1) return chunks[0];
  const out = new Uint8Array(length);
  let at = 0;
  for (const chunk of chunks) {
    out.set(chunk, at);
    at += chunk.length;
  }
  return out;
}

/** Decompressed bytes a probe reads of a gzip'ed kernel: far more than either header needs. */
const PROBE_BYTES = 64 * 1024;

/**
 * Probes a kernel file's bytes. A gzip'ed kernel is decompressed only as far as the probe
 * needs (its header; an arm32 zImage's end, for an appended DTB): bad data further in is
 * found when the kernel is loaded.
 *
 * @example
 * ```ts
 * const kernel = await probeKernel(await Deno.readFile("Image"), "Image");
 * kernel.loadOffset; // 0n for a modern arm64 Image
 * ```
 */
export async function probeKernel(file: Uint8Array, name: string): Promise<KernelImage> {
  let bytes = file;
  const gzipped = isGzip(file);
  let size = file.length;
  const decompress = async (atLeast?: number) => {
    try {
      return await gunzip(file, atLeast);
    } catch (error) {
      throw new KernelImageError(`kernel ${name}: bad gzip data: ${(error as Error).message}`);
    }
  };
  if (gzipped) {
    size = new DataView(file.buffer, file.byteOffset + file.length - 4, 4).getUint32(0, true) + 16;
    bytes = await decompress(PROBE_BYTES);
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (
    bytes.length >= 64 &&
    (view.getUint32(0, true) === ZIMAGE64_MAGIC_V0 ||
      view.getUint32(56, true) === ZIMAGE64_MAGIC_V1)
  ) {
    return { arch: "aarch64", loadOffset: view.getBigUint64(8, true), size, gzipped };
  }
  if (bytes.length >= 0x30 && view.getUint32(0x24, true) === ZIMAGE32_MAGIC) {
    // The image ends at the header's end offset, plus a DTB appended there, if any.
    let end = view.getUint32(ZIMAGE32_END_OFFSET, true);
    if (gzipped && end + 8 < size && end + 8 > bytes.length) bytes = await decompress();
    const whole = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    if (end + 8 < size && end + 8 <= bytes.length && whole.getUint32(end) === FDT_MAGIC) {
      end += whole.getUint32(end + 4);
    }
    return { arch: "armv7l", loadOffset: ZIMAGE32_LOAD_OFFSET, size: end, gzipped };
  }
  throw new KernelImageError(
    `kernel ${name}: not an arm64 Image or arm32 zImage (xc_dom_find_loader: no loader found)`,
  );
}

/**
 * A minimal arm64 Image header (64 bytes, `text_offset` 0) padded to `size` bytes: a stand-in
 * kernel for dry runs and tests.
 */
export function syntheticArm64Image(size = 4096, textOffset = 0n): Uint8Array {
  const bytes = new Uint8Array(Math.max(size, 64));
  const view = new DataView(bytes.buffer);
  view.setUint32(0, 0x91005a4d, true); // "MZ" + add x13, x18, #0x16, as real Images start
  view.setUint32(4, 0x14000000, true); // b stext (placeholder)
  view.setBigUint64(8, textOffset, true);
  view.setBigUint64(16, BigInt(bytes.length), true); // image_size
  view.setBigUint64(24, 0xan, true); // flags: little-endian, 4K pages, anywhere
  view.setUint32(56, ZIMAGE64_MAGIC_V1, true);
  return bytes;
}
