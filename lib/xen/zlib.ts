/**
 * zlib through Deno FFI, for one job: inflating a gzip'ed kernel straight into the memory
 * it will run from. libxenguest does the same inflate (`xc_dom_do_gunzip`: `inflateInit2`
 * with gzip detection, one `inflate(Z_FINISH)`), but into a buffer it then copies; skipping
 * that buffer and the copy is most of what makes `xlite create` quicker than the copy-based
 * path (bench/create.ts). zlib is a dependency of libxenguest, so it is on every host that
 * can create a domain.
 *
 * @example
 * ```ts
 * const zlib = openZlib();
 * const image = new Uint8Array(gzipTrailerLength(gz));
 * zlib.gunzipInto(gz, Deno.UnsafePointer.of(image)!, image.length, "vmlinuz");
 * ```
 *
 * @module
 */
import { XliteError } from "../errors.ts";

/** zlib names tried in order. */
export const ZLIB_SONAMES = ["libz.so.1", "libz.so"];

const SYMBOLS = {
  zlibVersion: { parameters: [], result: "pointer" },
  inflateInit2_: { parameters: ["buffer", "i32", "pointer", "i32"], result: "i32" },
  inflate: { parameters: ["buffer", "i32"], result: "i32" },
  inflateEnd: { parameters: ["buffer"], result: "i32" },
} as const satisfies Deno.ForeignLibraryInterface;

/** `sizeof(z_stream)` and its field offsets on LP64 Linux (`zlib.h`). */
const Z_STREAM = {
  size: 112,
  nextIn: 0,
  availIn: 8,
  nextOut: 24,
  availOut: 32,
  totalOut: 40,
  msg: 48,
} as const;
/** `MAX_WBITS + 16`: a gzip stream only, as the kernel is (libxenguest's +32 also takes zlib). */
const GZIP_WINDOW_BITS = 15 + 16;
const Z_FINISH = 4;
const Z_STREAM_END = 1;
const Z_BUF_ERROR = -5;

/** A gzip stream that does not inflate to the length its trailer announces. */
export class GzipError extends XliteError {
  /** `what` (a file name) is not good gzip data, for `reason`. */
  constructor(what: string, reason: string) {
    super(`${what}: bad gzip data: ${reason}`);
    this.name = "GzipError";
  }
}

/** The uncompressed length a gzip stream's trailer (`ISIZE`, mod 2^32) announces. */
export function gzipTrailerLength(gz: Uint8Array): number {
  if (gz.length < 18) throw new GzipError("input", "shorter than a gzip header and trailer");
  return new DataView(gz.buffer, gz.byteOffset + gz.length - 4, 4).getUint32(0, true);
}

/** An open zlib. */
export interface Zlib {
  /**
   * Inflates the gzip stream `gz` into the `length` bytes at `target`; throws
   * {@linkcode GzipError} naming `what` unless exactly `length` bytes come out and the
   * stream's checksum and length check pass.
   */
  gunzipInto(gz: Uint8Array, target: Deno.PointerObject, length: number, what: string): void;
  /** Unloads the library. */
  close(): void;
}

/** Opens the system zlib; a clear error when there is none. */
export function openZlib(): Zlib {
  const lib = dlopenFirst();
  const z = lib.symbols;
  // inflateInit2_ checks the caller's zlib major version: hand it the library's own.
  const version = z.zlibVersion();
  return {
    gunzipInto(gz, target, length, what) {
      const stream = new Uint8Array(Z_STREAM.size);
      const view = new DataView(stream.buffer);
      const rc = z.inflateInit2_(stream, GZIP_WINDOW_BITS, version, Z_STREAM.size);
      if (rc !== 0) throw new GzipError(what, `inflateInit2 failed (rc=${rc})`);
      let result: number;
      let message = "";
      let produced = 0n;
      let outputFull = false;
      try {
        const source = Deno.UnsafePointer.value(Deno.UnsafePointer.of(gz));
        view.setBigUint64(Z_STREAM.nextIn, BigInt(source), true);
        view.setUint32(Z_STREAM.availIn, gz.length, true);
        view.setBigUint64(Z_STREAM.nextOut, BigInt(Deno.UnsafePointer.value(target)), true);
        view.setUint32(Z_STREAM.availOut, length, true);
        result = z.inflate(stream, Z_FINISH);
        produced = view.getBigUint64(Z_STREAM.totalOut, true);
        outputFull = view.getUint32(Z_STREAM.availOut, true) === 0;
        const msg = Deno.UnsafePointer.create(view.getBigUint64(Z_STREAM.msg, true));
        if (msg !== null) message = Deno.UnsafePointerView.getCString(msg);
      } finally {
        z.inflateEnd(stream);
      }
      if (result === Z_STREAM_END && produced === BigInt(length)) return;
      if (result === Z_STREAM_END) {
        throw new GzipError(what, `${produced} bytes, not the ${length} its trailer announces`);
      }
      if (result === Z_BUF_ERROR && outputFull) {
        throw new GzipError(what, `more than the ${length} bytes its trailer announces`);
      }
      if (result === Z_BUF_ERROR) throw new GzipError(what, "truncated");
      throw new GzipError(what, message || `inflate failed (rc=${result})`);
    },
    close() {
      lib.close();
    },
  };
}

function dlopenFirst(): Deno.DynamicLibrary<typeof SYMBOLS> {
  for (const soname of ZLIB_SONAMES) {
    try {
      return Deno.dlopen(soname, SYMBOLS);
    } catch {
      // try the next name
    }
  }
  throw new XliteError(
    `zlib (${ZLIB_SONAMES.join(" / ")}) not found: needed to load gzip'ed kernels`,
  );
}
