/**
 * Virtual disk names and device numbers (spec §1.9): `libxl__device_disk_dev_number` and
 * `libxl__devid_to_vdev`.
 *
 * @module
 */
import { XliteError } from "../errors.ts";

const INT_MAX = 0x7fffffff;

/** Decodes bijective base-26 letters after `prefix` and an optional partition number. */
function virtdisk(
  vdev: string,
  prefix: string,
  maxIndex: number,
  maxPartition: number,
): [number, number] | undefined {
  if (!vdev.startsWith(prefix)) return undefined;
  let index = -1;
  let p = prefix.length;
  for (; p < vdev.length; p++) {
    const c = vdev.charCodeAt(p);
    if (c < 97 || c > 122) break;
    index = (index + 1) * 26 + (c - 97);
    if (index > maxIndex) return undefined;
  }
  if (p === vdev.length) return [index, 0];
  if (vdev[p] === "0") return undefined; // no leading zeroes in the partition
  const part = strtoul(vdev.slice(p), 10);
  if (part === undefined) return undefined;
  // strtoul wraps a minus sign: C stores it in a long, so "-1" is -1 and passes the check
  const signed = part > Number.MAX_SAFE_INTEGER ? -1 : part;
  if (signed > maxPartition) return undefined;
  return [index, signed];
}

/** C's strtoul over the whole string (leading blanks and a sign allowed); undefined if it stops early or overflows. */
function strtoul(s: string, base: 0 | 10): number | undefined {
  const m = /^[ \t\n\v\f\r]*([+-]?)(.*)$/s.exec(s)!;
  const neg = m[1] === "-";
  let body = m[2];
  let radix: number = base === 0 ? 10 : base;
  if (base === 0) {
    if (/^0[xX][0-9a-fA-F]/.test(body)) {
      radix = 16;
      body = body.slice(2);
    } else if (body.startsWith("0")) radix = 8;
  }
  const digits = radix === 16 ? /^[0-9a-fA-F]+$/ : radix === 8 ? /^[0-7]+$/ : /^[0-9]+$/;
  if (!digits.test(body)) return undefined;
  const value = BigInt(radix === 10 ? body : (radix === 16 ? "0x" : "0o") + body);
  if (value > 0xffffffffffffffffn) return undefined; // ERANGE
  const result = neg ? (0x10000000000000000n - value) % 0x10000000000000000n : value;
  return Number(result);
}

/** `d<N>p<M>` with C's `%i` conversions over the whole string. */
function dForm(vdev: string): [number, number] | undefined {
  const m =
    /^d[ \t\n\v\f\r]*([+-]?(?:0[xX][0-9a-fA-F]+|0[0-7]*|[1-9][0-9]*))p[ \t\n\v\f\r]*([+-]?(?:0[xX][0-9a-fA-F]+|0[0-7]*|[1-9][0-9]*))$/
      .exec(vdev);
  if (!m) return undefined;
  const disk = cInt(m[1]);
  const part = cInt(m[2]);
  if (disk >= 1 << 20 || part >= 256) return undefined;
  return [disk, part];
}

/** `%i` into an int: base from the prefix, truncated to 32 bits. */
function cInt(s: string): number {
  const neg = s.startsWith("-");
  const body = s.replace(/^[+-]/, "");
  let v: bigint;
  if (/^0[xX]/.test(body)) v = BigInt(body);
  else if (body.length > 1 && body.startsWith("0")) v = BigInt("0o" + body.slice(1));
  else v = BigInt(body);
  if (neg) v = -v;
  return Number(BigInt.asIntN(32, v));
}

/**
 * The device number of a virtual disk name: `xvd*`, `d<N>p<M>`, a plain number, `hd*` or
 * `sd*` (spec §1.9). Throws an `XliteError` where libxl returns −1, and also for names
 * libxl would turn into a negative number (`xvd` without letters, a signed partition).
 *
 * @example
 * ```ts
 * vdevToDevid("xvda"); // 51712
 * vdevToDevid("xvdq"); // 268439552
 * ```
 */
export function vdevToDevid(vdev: string): number {
  const devid = devNumber(vdev);
  if (devid < 0 || vdev === "") {
    throw new XliteError(`Invalid or unsupported virtual disk identifier ${vdev}`);
  }
  return devid;
}

function devNumber(vdev: string): number {
  const xvd = dForm(vdev) ?? virtdisk(vdev, "xvd", (1 << 20) - 1, 255);
  if (xvd) {
    const [disk, part] = xvd;
    if (disk <= 15 && part <= 15) return (202 << 8) | (disk << 4) | part;
    return (1 << 28) | (disk << 8) | part;
  }
  const plain = strtoul(vdev, 0);
  if (plain !== undefined && plain <= INT_MAX) return plain;
  const hd = virtdisk(vdev, "hd", 3, 63);
  if (hd) {
    const [disk, part] = hd;
    return ((disk < 2 ? 3 : 22) << 8) | ((disk & 1) << 6) | part;
  }
  const sd = virtdisk(vdev, "sd", 15, 15);
  if (sd) {
    const [disk, part] = sd;
    return (8 << 8) | (disk << 4) | part;
  }
  return -1;
}

/** Bijective base-26 letters: 0 → a, 25 → z, 26 → aa. */
function diskLetters(n: number): string {
  let out = "";
  for (;;) {
    out = String.fromCharCode(97 + (n % 26)) + out;
    if (n < 26) return out;
    n = Math.floor(n / 26) - 1;
  }
}

/**
 * The `xvd` name of a device number (`libxl__devid_to_vdev`, spec §1.9). It always gives
 * an `xvd*` name, also for `hd*`/`sd*` numbers, as libxl does.
 *
 * @example
 * ```ts
 * devidToVdev(51713); // "xvda1"
 * ```
 */
export function devidToVdev(devid: number): string {
  if (!Number.isInteger(devid) || devid < 0 || devid > INT_MAX) {
    throw new XliteError(`Invalid device number ${devid}: expected an integer 0..${INT_MAX}`);
  }
  const extended = (devid & (1 << 28)) !== 0;
  const minor = extended ? devid & ~(1 << 28) : devid & 0xff;
  const parts = extended ? 256 : 16;
  const part = minor % parts;
  return "xvd" + diskLetters(Math.floor(minor / parts)) + (part === 0 ? "" : String(part));
}
