/**
 * Disk images as a virtio-blk backend opens them: a raw file or a block device, read and
 * written with `pread`/`pwrite` straight into guest-memory views (no copy), flushed with
 * `fdatasync`. A memory-backed image serves tests, benchmarks and fuzzing.
 *
 * @module
 */
import { XliteError } from "../errors.ts";
import {
  cString,
  EINTR,
  EOPNOTSUPP,
  errno,
  errorText,
  FALLOC_FL_KEEP_SIZE,
  FALLOC_FL_PUNCH_HOLE,
  FALLOC_FL_ZERO_RANGE,
  IOV_MAX,
  libc,
  O_CLOEXEC,
  O_RDONLY,
  O_RDWR,
  SEEK_END,
} from "./libc.ts";

/**
 * A disk image that cannot be opened, read, written or flushed: names the path and why, and
 * carries the errno's name in `code` when there is one (as Deno's own errors do).
 */
export class BlockImageError extends XliteError {
  /** The errno's name (`"ENOENT"`, `"EACCES"`, ...), for a backend's `error` node. */
  readonly code: string | undefined;
  /** `path` is the image, `reason` one line (usually C's text for the errno). */
  constructor(readonly path: string, readonly reason: string, code?: string) {
    super(`disk image ${path}: ${reason}`);
    this.name = "BlockImageError";
    this.code = code;
  }
}

// errno values (Linux, all architectures) the opener names in `code`.
const ERRNO_NAMES: Record<number, string> = {
  1: "EPERM",
  2: "ENOENT",
  5: "EIO",
  6: "ENXIO",
  13: "EACCES",
  16: "EBUSY",
  19: "ENODEV",
  21: "EISDIR",
  22: "EINVAL",
  30: "EROFS",
  123: "ENOMEDIUM",
};

/** A disk image as a backend opens it: raw file or block device. */
export interface BlockImage {
  /** The path it was opened from (for logs). */
  readonly path: string;
  /** Its size; the device's capacity is `sizeBytes / 512` sectors. */
  readonly sizeBytes: bigint;
  /** Opened read-only (`mode=r`): the device offers `VIRTIO_BLK_F_RO`. */
  readonly readOnly: boolean;
  /** Fills `into` from byte `offset`; throws {@linkcode BlockImageError}. */
  read(into: Uint8Array, offset: number): void;
  /** Writes `from` at byte `offset`; throws {@linkcode BlockImageError}. */
  write(from: Uint8Array, offset: number): void;
  /** Fills `views[0..count)` one after the other from byte `offset` (one `preadv`). */
  readv(views: readonly Uint8Array[], count: number, offset: number): void;
  /** Writes `views[0..count)` one after the other at byte `offset` (one `pwritev`). */
  writev(views: readonly Uint8Array[], count: number, offset: number): void;
  /** Makes every completed write durable (on disk, not just in the page cache). */
  flush(): void;
  /** Deallocates `[offset, offset+length)` if the file system can; reads then give zeros. */
  discard(offset: number, length: number): void;
  /** Makes `[offset, offset+length)` read as zeros; `unmap` allows deallocating it. */
  writeZeroes(offset: number, length: number, unmap: boolean): void;
  /** Releases the file descriptor; later calls throw. */
  close(): void;
}

const TWO_32 = 2 ** 32;
let addressedBuffer: ArrayBufferLike | null = null;
let addressedBase = 0;

/**
 * The host address of a view's first byte: its buffer's address (looked up once per buffer;
 * guest RAM is one buffer, and V8 does not move a fixed-length buffer's memory) plus its
 * offset. A user-space address has at most 48 bits, so a number holds it exactly.
 */
function addressOf(view: Uint8Array): number {
  if (view.buffer !== addressedBuffer) {
    addressedBase = Number(Deno.UnsafePointer.value(Deno.UnsafePointer.of(view.buffer)));
    addressedBuffer = view.buffer;
  }
  return addressedBase + view.byteOffset;
}

// One pread/pwrite moves at most this much (the i32 result in libc.ts depends on it).
const MAX_IO = 1 << 30;
const ZERO_CHUNK = 1 << 20;
let zeros: Uint8Array | null = null;

/**
 * Opens `path` as libxl would hand it to a backend (raw file or block device; O_RDONLY when
 * readOnly, else O_RDWR); throws {@linkcode BlockImageError} (one line naming path and reason).
 */
export function openBlockImage(path: string, options: { readOnly: boolean }): BlockImage {
  let info: Deno.FileInfo;
  try {
    // Checked before open(): opening a FIFO or a terminal named by mistake could block.
    info = Deno.statSync(path);
  } catch (error) {
    // Deno's text is C's, then " (os error N): stat '<path>'": keep C's part.
    const text = (error as Error).message.replace(/ \(os error \d+\)[^]*$/, "");
    throw new BlockImageError(path, text, (error as { code?: string }).code);
  }
  if (!info.isFile && !info.isBlockDevice) {
    throw new BlockImageError(path, "not a regular file or a block device", "EINVAL");
  }
  const c = libc();
  const fd = c.open(cString(path), (options.readOnly ? O_RDONLY : O_RDWR) | O_CLOEXEC, 0);
  if (fd < 0) {
    const code = errno();
    throw new BlockImageError(path, errorText(code), ERRNO_NAMES[code]);
  }
  // lseek gives a block device's size as well as a file's (st_size is 0 for a device).
  const end = c.lseek(fd, 0, SEEK_END);
  if (Number(end) < 0) {
    const code = errno();
    c.close(fd);
    throw new BlockImageError(path, `size unknown: ${errorText(code)}`, ERRNO_NAMES[code]);
  }
  return fileImage(path, fd, BigInt(end), options.readOnly);
}

function fileImage(path: string, fd: number, sizeBytes: bigint, readOnly: boolean): BlockImage {
  const c = libc();
  let open = true;
  const fail = (what: string, code = errno()): never => {
    throw new BlockImageError(path, `${what}: ${errorText(code)}`);
  };
  const live = () => {
    if (!open) throw new BlockImageError(path, "closed");
  };
  const fallocate = (mode: number, offset: number, length: number): number => {
    for (;;) {
      if (c.fallocate(fd, mode, offset, length) === 0) return 0;
      const code = errno();
      if (code !== EINTR) return code;
    }
  };
  // (base, length) pairs for preadv/pwritev, filled per call: a request's guest buffers in one
  // system call instead of one each (a 1 MiB request is often 256 pages apart in the guest).
  // Words of little-endian u64s (x86-64 and arm64): numbers, no BigInt per buffer.
  const iov = new Uint32Array(4 * IOV_MAX);
  const vectored = (
    views: readonly Uint8Array[],
    count: number,
    offset: number,
    write: boolean,
  ) => {
    live();
    let total = 0;
    for (let i = 0; i < count; i++) total += views[i].length;
    let done = 0;
    if (count <= IOV_MAX && total <= MAX_IO) {
      for (let i = 0; i < count; i++) {
        const at = addressOf(views[i]);
        iov[4 * i] = at % TWO_32;
        iov[4 * i + 1] = Math.floor(at / TWO_32);
        iov[4 * i + 2] = views[i].length;
        iov[4 * i + 3] = 0;
      }
      for (;;) {
        const n = write ? c.pwritev(fd, iov, count, offset) : c.preadv(fd, iov, count, offset);
        if (n >= 0) {
          done = n;
          break;
        }
        if (errno() !== EINTR) fail(`${write ? "write" : "read"} at ${offset}`);
      }
      if (done === total) return;
    }
    // A short transfer (or too many buffers): the rest one buffer at a time.
    let at = 0;
    for (let i = 0; i < count; i++) {
      const v = views[i];
      if (at + v.length > done) {
        const skip = Math.max(0, done - at);
        const part = skip === 0 ? v : v.subarray(skip);
        if (write) image.write(part, offset + at + skip);
        else image.read(part, offset + at + skip);
      }
      at += v.length;
    }
  };
  const image: BlockImage = {
    path,
    sizeBytes,
    readOnly,
    readv(views, count, offset) {
      vectored(views, count, offset, false);
    },
    writev(views, count, offset) {
      vectored(views, count, offset, true);
    },
    read(into, offset) {
      live();
      let done = 0;
      while (done < into.length) {
        const want = Math.min(into.length - done, MAX_IO);
        const part = done === 0 && want === into.length ? into : into.subarray(done, done + want);
        const n = c.pread(fd, part, want, offset + done);
        if (n > 0) done += n;
        else if (n === 0) throw new BlockImageError(path, `read past its end at ${offset + done}`);
        else if (errno() !== EINTR) fail(`read at ${offset + done}`);
      }
    },
    write(from, offset) {
      live();
      let done = 0;
      while (done < from.length) {
        const want = Math.min(from.length - done, MAX_IO);
        const part = done === 0 && want === from.length ? from : from.subarray(done, done + want);
        const n = c.pwrite(fd, part, want, offset + done);
        if (n > 0) done += n;
        else if (n === 0 || errno() !== EINTR) fail(`write at ${offset + done}`);
      }
    },
    flush() {
      live();
      while (c.fdatasync(fd) !== 0) if (errno() !== EINTR) fail("fdatasync");
    },
    discard(offset, length) {
      live();
      const code = fallocate(FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE, offset, length);
      // Discard is a hint (spec §5.2.6): a file system without hole punching keeps the data.
      if (code !== 0 && code !== EOPNOTSUPP) fail(`discard at ${offset}`, code);
    },
    writeZeroes(offset, length, unmap) {
      live();
      const mode = unmap
        ? FALLOC_FL_PUNCH_HOLE | FALLOC_FL_KEEP_SIZE
        : FALLOC_FL_ZERO_RANGE | FALLOC_FL_KEEP_SIZE;
      const code = fallocate(mode, offset, length);
      if (code === 0) return;
      if (code !== EOPNOTSUPP) fail(`write zeroes at ${offset}`, code);
      // No fallocate mode here (e.g. tmpfs lacks ZERO_RANGE): write the zeros.
      zeros ??= new Uint8Array(ZERO_CHUNK);
      for (let done = 0; done < length; done += ZERO_CHUNK) {
        const n = Math.min(ZERO_CHUNK, length - done);
        image.write(n === ZERO_CHUNK ? zeros : zeros.subarray(0, n), offset + done);
      }
    },
    close() {
      if (!open) return;
      open = false;
      c.close(fd);
    },
  };
  return image;
}

/**
 * A {@linkcode BlockImage} over `bytes` (no file): for tests, benchmarks and fuzzing, where
 * the virtqueue and request path is measured without the page cache.
 */
export function memoryBlockImage(
  bytes: Uint8Array,
  options: { readOnly?: boolean; path?: string } = {},
): BlockImage {
  const path = options.path ?? "(memory)";
  let open = true;
  const check = (offset: number, length: number) => {
    if (!open) throw new BlockImageError(path, "closed");
    if (offset < 0 || length < 0 || offset + length > bytes.length) {
      throw new BlockImageError(path, `range ${offset}+${length} past its end`);
    }
  };
  return {
    path,
    sizeBytes: BigInt(bytes.length),
    readOnly: options.readOnly ?? false,
    read(into, offset) {
      check(offset, into.length);
      into.set(bytes.subarray(offset, offset + into.length));
    },
    readv(views, count, offset) {
      for (let i = 0; i < count; i++) {
        this.read(views[i], offset);
        offset += views[i].length;
      }
    },
    writev(views, count, offset) {
      for (let i = 0; i < count; i++) {
        this.write(views[i], offset);
        offset += views[i].length;
      }
    },
    write(from, offset) {
      check(offset, from.length);
      bytes.set(from, offset);
    },
    flush() {
      check(0, 0);
    },
    discard(offset, length) {
      check(offset, length);
      bytes.fill(0, offset, offset + length);
    },
    writeZeroes(offset, length) {
      check(offset, length);
      bytes.fill(0, offset, offset + length);
    },
    close() {
      open = false;
    },
  };
}
