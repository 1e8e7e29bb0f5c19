/**
 * The few libc calls a block backend needs, through FFI: `open`, `pread`/`pwrite` straight
 * into guest-memory views (no copy), `fdatasync`, `fallocate`, `lseek`, and `errno`.
 * Loaded on first use.
 *
 * @module
 */

// ssize_t results are declared i32: every call here moves less than 2 GiB (callers split), so
// the value fits, and an i32 result comes back as a number (an isize would be a BigInt per call).
const SYMBOLS = {
  open: { parameters: ["buffer", "i32", "i32"], result: "i32" },
  close: { parameters: ["i32"], result: "i32" },
  pread: { parameters: ["i32", "buffer", "usize", "i64"], result: "i32" },
  pwrite: { parameters: ["i32", "buffer", "usize", "i64"], result: "i32" },
  preadv: { parameters: ["i32", "buffer", "i32", "i64"], result: "i32" },
  pwritev: { parameters: ["i32", "buffer", "i32", "i64"], result: "i32" },
  fdatasync: { parameters: ["i32"], result: "i32" },
  fallocate: { parameters: ["i32", "i32", "i64", "i64"], result: "i32" },
  lseek: { parameters: ["i32", "i64", "i32"], result: "i64" },
  strerror: { parameters: ["i32"], result: "pointer" },
  __errno_location: { parameters: [], result: "pointer" },
} as const;

/** `fcntl.h` (Linux, same on x86-64 and arm64). */
export const O_RDONLY = 0;
/** Open for reading and writing. */
export const O_RDWR = 2;
/** Not inherited by the hotplug scripts and helpers the daemon runs. */
export const O_CLOEXEC = 0o2000000;
/** `lseek` whence: from the end (the size of a file or a block device). */
export const SEEK_END = 2;
/** `falloc.h`: keep the file size. */
export const FALLOC_FL_KEEP_SIZE = 0x01;
/** `falloc.h`: deallocate the range (reads back as zeros). */
export const FALLOC_FL_PUNCH_HOLE = 0x02;
/** `falloc.h`: zero the range without writing it. */
export const FALLOC_FL_ZERO_RANGE = 0x10;
/** `limits.h`: most buffers one `preadv`/`pwritev` takes (Linux's `UIO_MAXIOV`). */
export const IOV_MAX = 1024;
/** `errno.h`: interrupted by a signal (retry). */
export const EINTR = 4;
/** `errno.h`: operation not supported (fallocate mode on this file system). */
export const EOPNOTSUPP = 95;

/**
 * The loaded symbols. 64-bit integer arguments are typed as numbers: Deno's FFI takes a
 * number for them (no BigInt per call), and offsets and lengths here stay below 2^53.
 */
export interface Libc {
  /** `open(path, flags, mode)`. */
  open(path: Uint8Array, flags: number, mode: number): number;
  /** `close(fd)`. */
  close(fd: number): number;
  /** `pread(fd, buf, count, offset)`. */
  pread(fd: number, into: Uint8Array, count: number, offset: number): number;
  /** `pwrite(fd, buf, count, offset)`. */
  pwrite(fd: number, from: Uint8Array, count: number, offset: number): number;
  /** `preadv(fd, iov, iovcnt, offset)`: `iov` holds (base, length) pairs of little-endian u64. */
  preadv(fd: number, iov: Uint32Array, count: number, offset: number): number;
  /** `pwritev(fd, iov, iovcnt, offset)`. */
  pwritev(fd: number, iov: Uint32Array, count: number, offset: number): number;
  /** `fdatasync(fd)`. */
  fdatasync(fd: number): number;
  /** `fallocate(fd, mode, offset, len)`. */
  fallocate(fd: number, mode: number, offset: number, length: number): number;
  /** `lseek(fd, offset, whence)`. */
  lseek(fd: number, offset: number, whence: number): bigint;
  /** `strerror(code)`. */
  strerror(code: number): Deno.PointerValue;
  /** `__errno_location()`. */
  __errno_location(): Deno.PointerValue;
}

let lib: Deno.DynamicLibrary<typeof SYMBOLS> | null = null;

/** libc's symbols (opened once per process). */
export function libc(): Libc {
  lib ??= Deno.dlopen("libc.so.6", SYMBOLS);
  return lib.symbols as unknown as Libc;
}

/** The calling thread's `errno`, read right after a failed call. */
export function errno(): number {
  const at = libc().__errno_location();
  return at === null ? 0 : new Deno.UnsafePointerView(at).getInt32();
}

/** `strerror(code)`: C's text for an errno value. */
export function errorText(code: number): string {
  const text = libc().strerror(code);
  return text === null ? `errno ${code}` : Deno.UnsafePointerView.getCString(text);
}

/** A NUL-terminated copy of `path` for C. */
export function cString(path: string): Uint8Array {
  return new TextEncoder().encode(path + "\0");
}
