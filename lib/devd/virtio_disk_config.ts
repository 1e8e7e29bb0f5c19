/**
 * A `virtio_disk` backend directory as libxl 4.17 writes it (spec §2.5) and what `xlite devd`
 * makes of it (spec §2.11): `type=standalone`, `specification=virtio`, `transport=mmio`,
 * `params` (the raw image path), `mode` (`w` or `r`), `base` (decimal) and `irq` from the
 * allocator (spec §3.4), `discard-enable`, `frontend-id`. Anything else fails the device with
 * an errno and one line, which the daemon writes to the backend's `error` node.
 *
 * @module
 */
import { XliteError } from "../errors.ts";
import {
  GUEST_VIRTIO_MMIO_BASE,
  GUEST_VIRTIO_MMIO_SIZE,
  GUEST_VIRTIO_MMIO_SPI_FIRST,
  GUEST_VIRTIO_MMIO_SPI_LAST,
  VIRTIO_MMIO_DEV_SIZE,
} from "../arm/mod.ts";
import { cAtoi, cStrtoul } from "../devices/mod.ts";
import type { XenstoreOps } from "../xenstore/mod.ts";

/** Linux errno values a backend reports in its `error` node (`<errno> <text>`). */
export const ERRNO = {
  EPERM: 1,
  ENOENT: 2,
  EIO: 5,
  EACCES: 13,
  EBUSY: 16,
  EISDIR: 21,
  EINVAL: 22,
  EROFS: 30,
  EOPNOTSUPP: 95,
} as const;

/** A device the daemon will not serve: the errno and the one line for log and `error` node. */
export class BackendConfigError extends XliteError {
  /** Positive errno, as `xenbus_dev_fatal` prints it. */
  readonly errno: number;
  /** `message` is the reason, without the backend path. */
  constructor(errno: number, message: string) {
    super(message);
    this.name = "BackendConfigError";
    this.errno = errno;
  }
}

/** One virtio disk to serve, read from its backend directory. */
export interface VirtioDiskBackend {
  /** `/local/domain/<b>/backend/virtio_disk/<frontend>/<devid>` */
  backendPath: string;
  /** The guest. */
  frontendDomid: number;
  /** The vdev number. */
  devid: number;
  /** `dev`, the vdev as configured (`xvda`), for log lines. */
  vdev: string | undefined;
  /** `params`: the image path. */
  params: string;
  /** `mode=r`. */
  readOnly: boolean;
  /** `base`: the register window. */
  base: bigint;
  /** `irq`: the GIC INTID (SPI + 32). */
  irq: number;
  /** `discard-enable=1`. */
  discard: boolean;
}

/** The keys read from a backend directory. */
export const VIRTIO_DISK_KEYS = [
  "type",
  "specification",
  "transport",
  "frontend-id",
  "params",
  "mode",
  "base",
  "irq",
  "discard-enable",
  "grant_usage",
  "dev",
] as const;

/** The values of {@linkcode VIRTIO_DISK_KEYS} (absent keys are `undefined`). */
export type VirtioDiskValues = Partial<Record<(typeof VIRTIO_DISK_KEYS)[number], string>>;

/** Reads the keys the daemon needs from a backend directory. */
export async function readVirtioDiskValues(
  xs: XenstoreOps,
  backendPath: string,
): Promise<VirtioDiskValues> {
  const values = await Promise.all(VIRTIO_DISK_KEYS.map((k) => xs.tryRead(`${backendPath}/${k}`)));
  const out: VirtioDiskValues = {};
  VIRTIO_DISK_KEYS.forEach((k, i) => (out[k] = values[i]));
  return out;
}

const DECIMAL = /^[0-9]+$/;
const hex = (n: bigint) => `0x${n.toString(16)}`;

function invalid(message: string): never {
  throw new BackendConfigError(ERRNO.EINVAL, message);
}

/**
 * Checks a backend directory's values and returns the disk to serve; throws
 * {@linkcode BackendConfigError} (EINVAL, or EOPNOTSUPP for `grant_usage=1`) with the first
 * problem found.
 */
export function parseVirtioDisk(
  backendPath: string,
  frontendDomid: number,
  devid: number,
  v: VirtioDiskValues,
): VirtioDiskBackend {
  const expect = (key: keyof VirtioDiskValues, wanted: string) => {
    if (v[key] === undefined) invalid(`${key} is missing`);
    if (v[key] !== wanted) invalid(`${key} is '${v[key]}', not '${wanted}'`);
  };
  expect("type", "standalone");
  expect("specification", "virtio");
  expect("transport", "mmio");
  if (v["frontend-id"] === undefined) invalid("frontend-id is missing");
  if (v["frontend-id"] !== String(frontendDomid)) {
    invalid(`frontend-id is '${v["frontend-id"]}', not ${frontendDomid} as the path says`);
  }
  // 4.19+ writes grant_usage; with 1 the guest hands out grant references, not addresses.
  if (v.grant_usage !== undefined && cStrtoul(v.grant_usage, 0) !== 0) {
    throw new BackendConfigError(
      ERRNO.EOPNOTSUPP,
      "grant_usage=1 is not supported (xlite devd maps the guest's memory, not grants)",
    );
  }
  if (v.params === undefined || v.params === "") invalid("params (the image path) is missing");
  if (v.mode !== "w" && v.mode !== "r") {
    invalid(v.mode === undefined ? "mode is missing" : `mode is '${v.mode}', not 'w' or 'r'`);
  }
  return {
    backendPath,
    frontendDomid,
    devid,
    vdev: v.dev,
    params: v.params,
    readOnly: v.mode === "r",
    base: parseBase(v.base),
    irq: parseIrq(v.irq),
    // libxl always writes it; absent means the feature was not asked for.
    discard: v["discard-enable"] !== undefined && cAtoi(v["discard-enable"]) !== 0,
  };
}

/** `base`: decimal (libxl reads it with strtoul base 10), one of the allocator's 0x200 slots. */
function parseBase(text: string | undefined): bigint {
  if (text === undefined) invalid("base is missing");
  if (!DECIMAL.test(text)) invalid(`base '${text}' is not a decimal number`);
  const base = BigInt(text);
  const last = GUEST_VIRTIO_MMIO_BASE + GUEST_VIRTIO_MMIO_SIZE - VIRTIO_MMIO_DEV_SIZE;
  if (
    base < GUEST_VIRTIO_MMIO_BASE || base > last ||
    (base - GUEST_VIRTIO_MMIO_BASE) % VIRTIO_MMIO_DEV_SIZE !== 0n
  ) {
    invalid(
      `base ${hex(base)} is not a virtio-mmio slot (${hex(GUEST_VIRTIO_MMIO_BASE)}..${
        hex(last)
      } in ${hex(VIRTIO_MMIO_DEV_SIZE)} steps)`,
    );
  }
  return base;
}

/** `irq`: decimal GIC INTID in the allocator's range 33..43 (spec §3.2). */
function parseIrq(text: string | undefined): number {
  if (text === undefined) invalid("irq is missing");
  if (!DECIMAL.test(text)) invalid(`irq '${text}' is not a decimal number`);
  const irq = Number(text);
  if (irq < GUEST_VIRTIO_MMIO_SPI_FIRST || irq > GUEST_VIRTIO_MMIO_SPI_LAST) {
    invalid(
      `irq ${irq} is not a virtio-mmio SPI (${GUEST_VIRTIO_MMIO_SPI_FIRST}..${GUEST_VIRTIO_MMIO_SPI_LAST})`,
    );
  }
  return irq;
}

const ERRNO_BY_CODE: Record<string, number> = {
  ENOENT: ERRNO.ENOENT,
  EACCES: ERRNO.EACCES,
  EPERM: ERRNO.EPERM,
  EISDIR: ERRNO.EISDIR,
  EROFS: ERRNO.EROFS,
  EBUSY: ERRNO.EBUSY,
  EINVAL: ERRNO.EINVAL,
};

const ERRNO_BY_DENO_ERROR: [new (...args: never[]) => Error, number][] = [
  [Deno.errors.NotFound, ERRNO.ENOENT],
  [Deno.errors.PermissionDenied, ERRNO.EACCES],
  [Deno.errors.IsADirectory, ERRNO.EISDIR],
  [Deno.errors.Busy, ERRNO.EBUSY],
];

// Errors that carry only C's strerror text (the device model's image errors): the text.
const ERRNO_BY_TEXT: [RegExp, number][] = [
  [/no such file or directory|: not found$/i, ERRNO.ENOENT],
  [/permission denied/i, ERRNO.EACCES],
  [/operation not permitted/i, ERRNO.EPERM],
  [/is a directory/i, ERRNO.EISDIR],
  [/read-only file system/i, ERRNO.EROFS],
  [/device or resource busy/i, ERRNO.EBUSY],
  [/not a regular file or a block device/i, ERRNO.EINVAL],
];

/**
 * The errno for a failure to open an image: from a `BackendConfigError`, from Deno's error
 * classes or `code` (also on the `cause` chain), from C's strerror text in the message,
 * else EIO.
 */
export function errnoOf(error: unknown): number {
  for (let e: unknown = error, depth = 0; e instanceof Error && depth < 8; depth++) {
    if (e instanceof BackendConfigError) return e.errno;
    for (const [cls, errno] of ERRNO_BY_DENO_ERROR) if (e instanceof cls) return errno;
    const code = (e as { code?: unknown }).code;
    if (typeof code === "string" && code in ERRNO_BY_CODE) return ERRNO_BY_CODE[code];
    e = e.cause;
  }
  const text = error instanceof Error ? error.message : String(error);
  for (const [pattern, errno] of ERRNO_BY_TEXT) if (pattern.test(text)) return errno;
  return ERRNO.EIO;
}
