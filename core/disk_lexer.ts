// xl disk-specification engine (AssemblyScript, compiled to wasm/disk_lexer.wasm).
//
// Boundary: everything from bytes to a filled disk record lives here: the scanner with
// flex's semantics (longest match, earlier rule wins ties, trailing context counts
// towards the length; spec §1.2), the actions (DSET/SAVESTRING, spec §1.3), the
// positional algorithm (§1.4), `target=` (§1.5) and the post-parse normalisation and
// checks (§1.8). The host (lib/disk/) only encodes UTF-8 into the input area, turns
// slices of it back into strings, and formats the error texts (§1.7) from codes.
//
// No allocation: the stub runtime is linked but never used; every result goes into
// areas laid out by `setup` above __heap_base, grown only when a bigger input arrives.
//
// Layout (all little-endian i32):
//   input   bytes of all specs of one batch, back to back
//   specs   per spec: start, length, first-of-disk flag (1 starts a new disk)
//   disks   per disk: DISK_WORDS words (see the D_* offsets)
//   errors  per error: code, near start (-1: no near text), near length, spec index

// ---- disk record word offsets ----
const D_STATUS: i32 = 0; // 0 or 22 (EINVAL)
const D_ERR_FIRST: i32 = 1;
const D_ERR_COUNT: i32 = 2;
const D_FORMAT: i32 = 3;
const D_BACKEND: i32 = 4;
const D_SPECIFICATION: i32 = 5;
const D_READWRITE: i32 = 6;
const D_IS_CDROM: i32 = 7;
const D_REMOVABLE: i32 = 8;
const D_DIRECT_IO_SAFE: i32 = 9;
const D_DISCARD: i32 = 10; // -1 default, 0 false, 1 true (defbool)
const D_COLO: i32 = 11;
const D_TRUSTED: i32 = 12;
const D_GRANT_USAGE: i32 = 13;
const D_COLO_PORT: i32 = 14;
const D_SCRIPT_BLOCK: i32 = 15; // 1: script is "block-" + its slice (deprecated prefix)
// string slices: start (-1 = NULL), length
const D_BACKEND_DOMNAME: i32 = 16;
const D_PDEV_PATH: i32 = 18;
const D_VDEV: i32 = 20;
const D_SCRIPT: i32 = 22;
const D_COLO_HOST: i32 = 24;
const D_COLO_EXPORT: i32 = 26;
const D_ACTIVE_DISK: i32 = 28;
const D_HIDDEN_DISK: i32 = 30;
const D_LAST_SPEC: i32 = 32;
export const DISK_WORDS: i32 = 33;
export const ERROR_WORDS: i32 = 4;
export const SPEC_WORDS: i32 = 3;

// ---- error codes (texts live in lib/disk/errors.ts) ----
const E_FORMAT_RESPEC: i32 = 1;
const E_BACKEND_RESPEC: i32 = 2;
const E_SPECIFICATION_RESPEC: i32 = 3;
const E_TARGET_RESPEC: i32 = 4;
const E_VDEV_RESPEC: i32 = 5;
const E_SCRIPT_RESPEC: i32 = 7;
const E_COLO_HOST_RESPEC: i32 = 8;
const E_COLO_EXPORT_RESPEC: i32 = 9;
const E_ACTIVE_DISK_RESPEC: i32 = 10;
const E_HIDDEN_DISK_RESPEC: i32 = 11;
const E_BAD_FORMAT: i32 = 12;
const E_BAD_ACCESS: i32 = 13;
const E_BAD_BACKENDTYPE: i32 = 14;
const E_BAD_SPECIFICATION: i32 = 15;
const E_BAD_TYPE: i32 = 16;
const E_BAD_COLO_PORT: i32 = 17;
const E_BAD_DEPRECATED_TYPE: i32 = 18;
const E_UNKNOWN_PARAMETER: i32 = 19;
const E_UNKNOWN_PREFIX: i32 = 20;
const E_TOO_MANY_POSITIONAL: i32 = 21;
const E_BAD_SYNTAX: i32 = 22;
const E_NO_VDEV: i32 = 23;
const E_NO_TARGET: i32 = 24;
const E_BAD_SYNTAX_JAMMED: i32 = 25; // flex would abort ("scanner jammed"); see lib/disk
/** Flag on an error code: the near text is "block-" followed by the slice. */
const E_NEAR_BLOCK: i32 = 0x100;

// libxl enum values (spec §2.1)
const FORMAT_UNKNOWN: i32 = 0;
const FORMAT_QCOW: i32 = 1;
const FORMAT_QCOW2: i32 = 2;
const FORMAT_VHD: i32 = 3;
const FORMAT_RAW: i32 = 4;
const FORMAT_EMPTY: i32 = 5;
const FORMAT_QED: i32 = 6;
const BACKEND_PHY: i32 = 1;
const BACKEND_TAP: i32 = 2;
const BACKEND_QDISK: i32 = 3;
const BACKEND_STANDALONE: i32 = 4;
const SPEC_XEN: i32 = 1;
const SPEC_VIRTIO: i32 = 2;

// ---- layout, set by setup() ----
let inBase: usize = 0;
let inCap: i32 = 0;
let specBase: usize = 0;
let specCap: i32 = 0;
let diskBase: usize = 0;
let errBase: usize = 0;
let errCap: i32 = 0;

// ---- parse state ----
let disk: usize = 0; // current disk record
let errCount: i32 = 0; // errors written in this batch
let specIndex: i32 = 0;
let hadDeprPrefix: bool = false;
let accessSet: bool = false;
let err: bool = false;
/** 1: Xen 4.19+ grammar (trusted/untrusted/grant_usage); 0: Xen 4.17 (Debian's libxlutil). */
let grammar419: bool = true;

/**
 * Lays out the areas for `inputCapacity` bytes and `specCapacity` specs, growing memory
 * when needed. Returns 1, or 0 when memory cannot grow.
 */
export function setup(inputCapacity: i32, specCapacity: i32): i32 {
  const base = (__heap_base + 15) & ~(<usize>15);
  const inSize = (<usize>inputCapacity + 15) & ~(<usize>15);
  const specSize = <usize>specCapacity * SPEC_WORDS * 4;
  const diskSize = <usize>specCapacity * DISK_WORDS * 4;
  // every error consumes at least one input byte, except a vdev:devtype token (two errors)
  // and the two post-scan checks
  const errors = inputCapacity + 2 * specCapacity + 8;
  const errSize = <usize>errors * ERROR_WORDS * 4;
  const end = base + inSize + specSize + diskSize + errSize;
  const have = <usize>memory.size() << 16;
  if (end > have) {
    const pages = <i32>((end - have + 0xffff) >> 16);
    if (memory.grow(pages) < 0) return 0;
  }
  inBase = base;
  inCap = inputCapacity;
  specBase = base + inSize;
  specCap = specCapacity;
  diskBase = specBase + specSize;
  errBase = diskBase + diskSize;
  errCap = errors;
  return 1;
}

/** Address of the input area. */
export function inputPtr(): usize {
  return inBase;
}
/** Address of the spec table. */
export function specsPtr(): usize {
  return specBase;
}
/** Address of the disk records. */
export function disksPtr(): usize {
  return diskBase;
}
/** Address of the error records. */
export function errorsPtr(): usize {
  return errBase;
}
/** Selects the grammar: 419 (default) or 417 (no trusted/untrusted/grant_usage rules). */
export function setGrammar(version: i32): void {
  grammar419 = version >= 419;
}

// ---- byte helpers ----
@inline function at(p: i32): i32 {
  return <i32>load<u8>(inBase + <usize>p);
}
@inline function dw(i: i32): i32 {
  return load<i32>(disk + (<usize>i << 2));
}
@inline function setDw(i: i32, v: i32): void {
  store<i32>(disk + (<usize>i << 2), v);
}
@inline function isLower(c: i32): bool {
  return <u32>(c - 97) < 26;
}
@inline function isDigit(c: i32): bool {
  return <u32>(c - 48) < 10;
}
@inline function isLowerDigit(c: i32): bool {
  return isLower(c) || isDigit(c);
}
@inline function isBlank(c: i32): bool {
  return c == 32 || c == 9 || c == 10;
}

/** End of `.*` from p: the first newline or the end. */
function dotEnd(p: i32, e: i32): i32 {
  while (p < e && at(p) != 10) p++;
  return p;
}
/** End of `[^,]*` from p. */
function valueEnd(p: i32, e: i32): i32 {
  while (p < e && at(p) != 44) p++;
  return p;
}
/** Length of literal `lit` at p, or -1 when it does not match. */
function lit(p: i32, e: i32, s: string): i32 {
  const n = s.length;
  if (p + n > e) return -1;
  for (let i = 0; i < n; i++) {
    if (at(p + i) != <i32>s.charCodeAt(i)) return -1;
  }
  return n;
}
/** `kw,?`: a flag word with an optional comma. */
function flag(p: i32, e: i32, s: string): i32 {
  const n = lit(p, e, s);
  if (n < 0) return 0;
  return p + n < e && at(p + n) == 44 ? n + 1 : n;
}
/** `kw[^,]*,?`: a key (ending in '=') with a value and an optional comma. */
function keyValue(p: i32, e: i32, s: string): i32 {
  const n = lit(p, e, s);
  if (n < 0) return 0;
  const v = valueEnd(p + n, e);
  return v < e ? v + 1 - p : v - p;
}
/** `kw:/.*`: a deprecated prefix with the rest of the line as trailing context. */
function prefix(p: i32, e: i32, s: string): i32 {
  const n = lit(p, e, s);
  if (n < 0) return 0;
  return dotEnd(p + n, e) - p;
}

// ---- actions ----
function error(code: i32, nearStart: i32, nearLen: i32): void {
  if (errCount < errCap) {
    const r = errBase + (<usize>errCount * ERROR_WORDS << 2);
    store<i32>(r, code);
    store<i32>(r, nearStart, 4);
    store<i32>(r, nearLen, 8);
    store<i32>(r, specIndex, 12);
    errCount++;
  }
  setDw(D_ERR_COUNT, dw(D_ERR_COUNT) + 1);
  err = true;
}

/** True when [a, a+n) holds exactly `s`. */
function eq(a: i32, n: i32, s: string): bool {
  if (n != s.length) return false;
  for (let i = 0; i < n; i++) {
    if (at(a + i) != <i32>s.charCodeAt(i)) return false;
  }
  return true;
}

/** DSET (spec §1.3): set an enum unless it already holds a different known value. */
function dset(field: i32, value: i32, respecified: i32, a: i32, n: i32): void {
  const old = dw(field);
  if (old != 0 && old != value) error(respecified, a, n);
  else setDw(field, value);
}

/** SAVESTRING (spec §1.3): an existing non-empty string is an error; empty is replaced. */
function saveString(field: i32, respecified: i32, a: i32, n: i32): void {
  if (dw(field) >= 0 && dw(field + 1) > 0) {
    error(respecified, a, n);
    return;
  }
  setDw(field, a);
  setDw(field + 1, n);
}

function setAccess(a: i32, n: i32): void {
  if (eq(a, n, "r") || eq(a, n, "ro")) setDw(D_READWRITE, 0);
  else if (eq(a, n, "rw") || eq(a, n, "w") || n == 0) setDw(D_READWRITE, 1);
  else error(E_BAD_ACCESS, a, n);
}

function setFormat(a: i32, n: i32): void {
  let v = 0;
  if (n == 0 || eq(a, n, "raw")) v = FORMAT_RAW;
  else if (eq(a, n, "qcow")) v = FORMAT_QCOW;
  else if (eq(a, n, "qcow2")) v = FORMAT_QCOW2;
  else if (eq(a, n, "vhd")) v = FORMAT_VHD;
  else if (eq(a, n, "empty")) v = FORMAT_EMPTY;
  else if (eq(a, n, "qed")) v = FORMAT_QED;
  else {
    error(E_BAD_FORMAT, a, n);
    return;
  }
  dset(D_FORMAT, v, E_FORMAT_RESPEC, a, n);
}

function setBackendType(a: i32, n: i32): void {
  let v = 0;
  if (eq(a, n, "phy")) v = BACKEND_PHY;
  else if (eq(a, n, "tap")) v = BACKEND_TAP;
  else if (eq(a, n, "qdisk")) v = BACKEND_QDISK;
  else if (eq(a, n, "standalone")) v = BACKEND_STANDALONE;
  else {
    error(E_BAD_BACKENDTYPE, a, n);
    return;
  }
  dset(D_BACKEND, v, E_BACKEND_RESPEC, a, n);
}

function setSpecification(a: i32, n: i32): void {
  let v = 0;
  if (eq(a, n, "xen")) v = SPEC_XEN;
  else if (eq(a, n, "virtio")) v = SPEC_VIRTIO;
  else {
    error(E_BAD_SPECIFICATION, a, n);
    return;
  }
  dset(D_SPECIFICATION, v, E_SPECIFICATION_RESPEC, a, n);
}

/** C's atoi (glibc: (int) strtol(s, NULL, 10), saturating at LONG_MIN/LONG_MAX). */
function atoi(a: i32, n: i32): i32 {
  let i = a;
  const e = a + n;
  while (i < e) {
    const c = at(i);
    if (c == 32 || (c >= 9 && c <= 13)) i++;
    else break;
  }
  let neg = false;
  if (i < e && (at(i) == 45 || at(i) == 43)) {
    neg = at(i) == 45;
    i++;
  }
  let mag: u64 = 0;
  let overflow = false;
  const limit: u64 = neg ? 0x8000000000000000 : 0x7fffffffffffffff;
  while (i < e && isDigit(at(i))) {
    const d = <u64>(at(i) - 48);
    if (!overflow) {
      if (mag > (limit - d) / 10) overflow = true;
      else mag = mag * 10 + d;
    }
    i++;
  }
  let value: i64;
  if (overflow) value = neg ? <i64>0x8000000000000000 : 0x7fffffffffffffff;
  else value = neg ? -<i64>mag : <i64>mag;
  return <i32>value;
}

function setColoPort(a: i32, n: i32): void {
  const port = atoi(a, n);
  if (port != 0) setDw(D_COLO_PORT, port);
  else error(E_BAD_COLO_PORT, a, n);
}

/** `<vdev>:<devtype>` (deprecated): returns false, doing nothing, when there is no colon. */
function vdevAndDevtype(a: i32, n: i32): bool {
  let colon = a + n - 1;
  while (colon >= a && at(colon) != 58) colon--;
  if (colon < a) return false;
  saveString(D_VDEV, E_VDEV_RESPEC, a, colon - a);
  const t = colon + 1;
  const tn = a + n - t;
  if (eq(t, tn, "cdrom")) setDw(D_IS_CDROM, 1);
  else if (eq(t, tn, "disk")) setDw(D_IS_CDROM, 0);
  else error(E_BAD_DEPRECATED_TYPE, t, tn);
  return true;
}

/** Positional parameter (spec §1.4). Returns false when scanning must stop. */
function positional(a: i32, n: i32): bool {
  if (err) {
    // previous errors may just lead to subsequent ones
  } else if (dw(D_PDEV_PATH) < 0) {
    saveString(D_PDEV_PATH, E_TARGET_RESPEC, a, n);
  } else if (!hadDeprPrefix && dw(D_FORMAT) == FORMAT_UNKNOWN) {
    if (dw(D_PDEV_PATH + 1) == 0 && vdevAndDevtype(a, n)) setDw(D_FORMAT, FORMAT_EMPTY);
    else setFormat(a, n);
  } else if (dw(D_VDEV) < 0) {
    if (!vdevAndDevtype(a, n)) saveString(D_VDEV, E_VDEV_RESPEC, a, n);
  } else if (!accessSet) {
    accessSet = true;
    setAccess(a, n);
  } else {
    error(E_TOO_MANY_POSITIONAL, a, n);
    return false;
  }
  return true;
}

// rule numbers, in flex order (spec §1.2)
const R_BLANK = 1;
const R_FORMAT = 2;
const R_CDROM = 3;
const R_DEVTYPE_CDROM = 4;
const R_DEVTYPE_DISK = 5;
const R_DEVTYPE_OTHER = 6;
const R_ACCESS = 7;
const R_BACKEND = 8;
const R_BACKENDTYPE = 9;
const R_SPECIFICATION = 10;
const R_VDEV = 11;
const R_SCRIPT = 12;
const R_DIRECT_IO_SAFE = 13;
const R_DISCARD = 14;
const R_NO_DISCARD = 15;
const R_COLO = 16;
const R_NO_COLO = 17;
const R_COLO_HOST = 18;
const R_COLO_PORT = 19;
const R_COLO_EXPORT = 20;
const R_ACTIVE_DISK = 21;
const R_HIDDEN_DISK = 22;
const R_TRUSTED = 23;
const R_UNTRUSTED = 24;
const R_GRANT_USAGE_1 = 25;
const R_GRANT_USAGE_0 = 26;
const R_TARGET = 27;
const R_UNKNOWN_PARAMETER = 28;
const R_FORMAT_PREFIX = 29;
const R_SCRIPT_PREFIX = 30;
const R_IGNORED_PREFIX = 31;
const R_UNKNOWN_PREFIX = 32;
const R_POSITIONAL = 33;
const R_ANY = 34;

let bestRule: i32 = 0;
let bestLen: i32 = 0;
@inline function offer(rule: i32, len: i32): void {
  if (len > bestLen) {
    bestRule = rule;
    bestLen = len;
  }
}

/** Offers every keyword rule (2–32) that can start with a lowercase letter at p. */
function keywordRules(p: i32, e: i32, c: i32): void {
  switch (c) {
    case 102: // f
      offer(R_FORMAT, keyValue(p, e, "format="));
      break;
    case 99: // c
      offer(R_CDROM, flag(p, e, "cdrom"));
      offer(R_COLO, flag(p, e, "colo"));
      offer(R_COLO_HOST, keyValue(p, e, "colo-host="));
      offer(R_COLO_PORT, keyValue(p, e, "colo-port="));
      offer(R_COLO_EXPORT, keyValue(p, e, "colo-export="));
      break;
    case 100: // d
      offer(R_DEVTYPE_CDROM, flag(p, e, "devtype=cdrom"));
      offer(R_DEVTYPE_DISK, flag(p, e, "devtype=disk"));
      offer(R_DEVTYPE_OTHER, keyValue(p, e, "devtype="));
      offer(R_DIRECT_IO_SAFE, flag(p, e, "direct-io-safe"));
      offer(R_DISCARD, flag(p, e, "discard"));
      break;
    case 97: // a
      offer(R_ACCESS, keyValue(p, e, "access="));
      offer(R_ACTIVE_DISK, keyValue(p, e, "active-disk="));
      break;
    case 98: // b
      offer(R_BACKEND, keyValue(p, e, "backend="));
      offer(R_BACKENDTYPE, keyValue(p, e, "backendtype="));
      break;
    case 115: // s
      offer(R_SPECIFICATION, keyValue(p, e, "specification="));
      offer(R_SCRIPT, keyValue(p, e, "script="));
      break;
    case 118: // v
      offer(R_VDEV, keyValue(p, e, "vdev="));
      break;
    case 110: // n
      offer(R_NO_DISCARD, flag(p, e, "no-discard"));
      offer(R_NO_COLO, flag(p, e, "no-colo"));
      break;
    case 104: // h
      offer(R_HIDDEN_DISK, keyValue(p, e, "hidden-disk="));
      break;
    case 116: // t
      if (grammar419) offer(R_TRUSTED, flag(p, e, "trusted"));
      offer(R_TARGET, prefix(p, e, "target="));
      break;
    case 117: // u
      if (grammar419) offer(R_UNTRUSTED, flag(p, e, "untrusted"));
      break;
    case 103: // g
      if (grammar419) {
        offer(R_GRANT_USAGE_1, flag(p, e, "grant_usage=1"));
        offer(R_GRANT_USAGE_0, flag(p, e, "grant_usage=0"));
      }
      break;
  }
  // [a-z][-a-z0-9]*=[^,],?
  let q = p + 1;
  while (q < e && (isLowerDigit(at(q)) || at(q) == 45)) q++;
  if (q + 1 < e && at(q) == 61 && at(q + 1) != 44) {
    offer(R_UNKNOWN_PARAMETER, q + 2 < e && at(q + 2) == 44 ? q + 3 - p : q + 2 - p);
  }
  // deprecated prefixes, each with the rest of the line as trailing context
  switch (c) {
    case 114: // r
      offer(R_FORMAT_PREFIX, prefix(p, e, "raw:"));
      break;
    case 113: // q
      offer(R_FORMAT_PREFIX, prefix(p, e, "qcow:"));
      offer(R_FORMAT_PREFIX, prefix(p, e, "qcow2:"));
      break;
    case 118: // v
      offer(R_FORMAT_PREFIX, prefix(p, e, "vhd:"));
      break;
    case 105: // i
      offer(R_SCRIPT_PREFIX, prefix(p, e, "iscsi:"));
      offer(R_IGNORED_PREFIX, prefix(p, e, "ioemu:"));
      break;
    case 110: // n
      offer(R_SCRIPT_PREFIX, prefix(p, e, "nbd:"));
      break;
    case 101: // e
      offer(R_SCRIPT_PREFIX, prefix(p, e, "enbd:"));
      break;
    case 100: // d
      offer(R_SCRIPT_PREFIX, prefix(p, e, "drbd:"));
      break;
    case 116: // t
      offer(R_IGNORED_PREFIX, prefix(p, e, "tapdisk:"));
      offer(R_IGNORED_PREFIX, prefix(p, e, "tap:"));
      offer(R_IGNORED_PREFIX, prefix(p, e, "tap2:"));
      break;
    case 97: // a
      offer(R_IGNORED_PREFIX, prefix(p, e, "aio:"));
      break;
    case 102: // f
      offer(R_IGNORED_PREFIX, prefix(p, e, "file:"));
      break;
    case 112: // p
      offer(R_IGNORED_PREFIX, prefix(p, e, "phy:"));
      break;
  }
  // [a-z][a-z0-9]*:/([^a-z0-9].*)?
  q = p + 1;
  while (q < e && isLowerDigit(at(q))) q++;
  if (q < e && at(q) == 58) {
    q++;
    offer(R_UNKNOWN_PREFIX, q < e && !isLowerDigit(at(q)) ? dotEnd(q + 1, e) - p : q - p);
  }
}

/** Length of the word and colon of a prefix token at p. */
function prefixHead(p: i32, e: i32): i32 {
  let q = p;
  while (q < e && at(q) != 58) q++;
  return q + 1 - p;
}

/** Scans one spec [s, e) into the current disk (flex's yylex loop). */
function scan(s: i32, e: i32): void {
  let p = s;
  while (p < e) {
    const c = at(p);
    bestRule = 0;
    bestLen = 0;
    if (isBlank(c)) {
      // [ \t\n]+/([^ \t\n].*)?
      let q = p + 1;
      while (q < e && isBlank(at(q))) q++;
      offer(R_BLANK, q < e ? dotEnd(q + 1, e) - p : q - p);
    }
    if (isLower(c)) keywordRules(p, e, c);
    // [^=,]*,|[^=,]+,?
    let q = p;
    while (q < e && at(q) != 61 && at(q) != 44) q++;
    if (q < e && at(q) == 44) offer(R_POSITIONAL, q + 1 - p);
    else if (q > p) offer(R_POSITIONAL, q - p);
    if (c != 10) offer(R_ANY, 1);

    let len = bestLen;
    // the token's text after STRIP(','), and its value after '='
    let tn = len;
    if (tn > 0 && at(p + tn - 1) == 44) tn--;
    let v = p;
    while (v < p + tn && at(v) != 61) v++;
    v++;
    const vn = p + tn - v;
    switch (bestRule) {
      case R_BLANK: {
        let b = p + 1;
        while (b < e && isBlank(at(b))) b++;
        len = b - p;
        break;
      }
      case R_FORMAT:
        setFormat(v, vn);
        break;
      case R_CDROM:
      case R_DEVTYPE_CDROM:
        setDw(D_IS_CDROM, 1);
        break;
      case R_DEVTYPE_DISK:
        setDw(D_IS_CDROM, 0);
        break;
      case R_DEVTYPE_OTHER:
        error(E_BAD_TYPE, p, len);
        break;
      case R_ACCESS:
        setAccess(v, vn);
        break;
      case R_BACKEND:
        saveString(D_BACKEND_DOMNAME, E_BACKEND_RESPEC, v, vn);
        break;
      case R_BACKENDTYPE:
        setBackendType(v, vn);
        break;
      case R_SPECIFICATION:
        setSpecification(v, vn);
        break;
      case R_VDEV:
        saveString(D_VDEV, E_VDEV_RESPEC, v, vn);
        break;
      case R_SCRIPT:
        if (dw(D_SCRIPT) >= 0 && (dw(D_SCRIPT + 1) > 0 || dw(D_SCRIPT_BLOCK) != 0)) {
          error(E_SCRIPT_RESPEC, v, vn);
        } else {
          saveString(D_SCRIPT, E_SCRIPT_RESPEC, v, vn);
          setDw(D_SCRIPT_BLOCK, 0);
        }
        break;
      case R_DIRECT_IO_SAFE:
        setDw(D_DIRECT_IO_SAFE, 1);
        break;
      case R_DISCARD:
        setDw(D_DISCARD, 1);
        break;
      case R_NO_DISCARD:
        setDw(D_DISCARD, 0);
        break;
      case R_COLO:
        setDw(D_COLO, 1);
        break;
      case R_NO_COLO:
        setDw(D_COLO, 0);
        break;
      case R_COLO_HOST:
        saveString(D_COLO_HOST, E_COLO_HOST_RESPEC, v, vn);
        break;
      case R_COLO_PORT:
        setColoPort(v, vn);
        break;
      case R_COLO_EXPORT:
        saveString(D_COLO_EXPORT, E_COLO_EXPORT_RESPEC, v, vn);
        break;
      case R_ACTIVE_DISK:
        saveString(D_ACTIVE_DISK, E_ACTIVE_DISK_RESPEC, v, vn);
        break;
      case R_HIDDEN_DISK:
        saveString(D_HIDDEN_DISK, E_HIDDEN_DISK_RESPEC, v, vn);
        break;
      case R_TRUSTED:
        setDw(D_TRUSTED, 1);
        break;
      case R_UNTRUSTED:
        setDw(D_TRUSTED, 0);
        break;
      case R_GRANT_USAGE_1:
        setDw(D_GRANT_USAGE, 1);
        break;
      case R_GRANT_USAGE_0:
        setDw(D_GRANT_USAGE, 0);
        break;
      case R_TARGET:
        // target=.* : the value runs to the end of the line, one trailing comma stripped
        saveString(D_PDEV_PATH, E_TARGET_RESPEC, p + 7, tn - 7);
        break;
      case R_UNKNOWN_PARAMETER:
        error(E_UNKNOWN_PARAMETER, p, len);
        break;
      case R_FORMAT_PREFIX: {
        len = prefixHead(p, e);
        hadDeprPrefix = true;
        setFormat(p, len - 1);
        break;
      }
      case R_SCRIPT_PREFIX: {
        len = prefixHead(p, e);
        hadDeprPrefix = true;
        // script = "block-<name>"; an existing non-empty script is an error near that text
        if (dw(D_SCRIPT) >= 0 && (dw(D_SCRIPT + 1) > 0 || dw(D_SCRIPT_BLOCK) != 0)) {
          error(E_SCRIPT_RESPEC | E_NEAR_BLOCK, p, len - 1);
        } else {
          setDw(D_SCRIPT, p);
          setDw(D_SCRIPT + 1, len - 1);
          setDw(D_SCRIPT_BLOCK, 1);
        }
        break;
      }
      case R_IGNORED_PREFIX:
        len = prefixHead(p, e);
        hadDeprPrefix = true;
        break;
      case R_UNKNOWN_PREFIX:
        error(E_UNKNOWN_PREFIX, p, prefixHead(p, e));
        return;
      case R_POSITIONAL:
        if (!positional(p, tn)) return;
        break;
      default: {
        // R_ANY: `.` then <LEXERR>.* (yymore keeps the first character)
        const q2 = dotEnd(p + 1, e);
        if (p + 1 >= e) return; // end of input in LEXERR: flex just stops
        if (q2 == p + 1) {
          // a newline right after: flex's `.*` matches nothing and the scanner jams
          error(E_BAD_SYNTAX_JAMMED, p, 1);
          return;
        }
        error(E_BAD_SYNTAX, p, q2 - p);
        return;
      }
    }
    p += len;
  }
}

function initDisk(): void {
  for (let i = 0; i < DISK_WORDS; i++) setDw(i, 0);
  for (let i = D_BACKEND_DOMNAME; i < D_LAST_SPEC; i += 2) setDw(i, -1);
  setDw(D_DISCARD, -1);
  setDw(D_COLO, -1);
  setDw(D_TRUSTED, -1);
  setDw(D_GRANT_USAGE, -1);
  setDw(D_READWRITE, 1); // xlu_disk_parse sets readwrite before scanning (spec §1.8)
  setDw(D_ERR_FIRST, errCount);
  setDw(D_LAST_SPEC, -1);
  hadDeprPrefix = false;
  accessSet = false;
  err = false;
}

/** Post-parse normalisation and checks (spec §1.8). */
function finishDisk(): void {
  if (!err) {
    if (dw(D_FORMAT) == FORMAT_UNKNOWN) setDw(D_FORMAT, FORMAT_RAW);
    if (dw(D_IS_CDROM) != 0) {
      setDw(D_REMOVABLE, 1);
      setDw(D_READWRITE, 0);
      if (dw(D_PDEV_PATH) < 0 || dw(D_PDEV_PATH + 1) == 0) setDw(D_FORMAT, FORMAT_EMPTY);
    }
    specIndex = dw(D_LAST_SPEC);
    if (dw(D_VDEV) < 0) error(E_NO_VDEV, -1, 0);
    else if (dw(D_PDEV_PATH) < 0 && dw(D_REMOVABLE) == 0) error(E_NO_TARGET, -1, 0);
  }
  setDw(D_STATUS, err ? 22 : 0);
}

/**
 * Parses `count` specs from the spec table; a spec whose flag is 1 starts a new disk, the
 * following ones with flag 0 are scanned into the same disk (as `xl block-attach` does).
 * Returns the number of disks written, or -1 when the batch does not fit the layout.
 */
export function parse(count: i32): i32 {
  if (count > specCap) return -1;
  errCount = 0;
  let disks = 0;
  let skip = false;
  for (let i = 0; i < count; i++) {
    const t = specBase + (<usize>i * SPEC_WORDS << 2);
    const s = load<i32>(t);
    const n = load<i32>(t, 4);
    const first = load<i32>(t, 8);
    if (s < 0 || n < 0 || s + n > inCap) return -1;
    if (first != 0 || disks == 0) {
      if (disks > 0) finishDisk();
      disk = diskBase + (<usize>disks * DISK_WORDS << 2);
      disks++;
      initDisk();
      skip = false;
    }
    if (skip) continue; // xlu_disk_parse stops at the first spec with an error
    specIndex = i;
    setDw(D_LAST_SPEC, i);
    scan(s, s + n);
    if (err) skip = true;
  }
  if (disks > 0) finishDisk();
  return disks;
}

/** Parses a group of zero specs (xlu_disk_parse with nspecs = 0) into disk record 0. */
export function parseEmpty(): void {
  errCount = 0;
  disk = diskBase;
  initDisk();
  finishDisk();
}
