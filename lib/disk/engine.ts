/**
 * Host side of the disk-spec engine (`wasm/disk_lexer.wasm`, built from
 * `core/disk_lexer.ts`). The WASM module does the whole parse (scanner, actions,
 * positional algorithm, normalisation; spec §1.2–§1.8); this file only writes UTF-8 into
 * its input area, reads the fixed-size disk and error records back and turns them into
 * `DiskSpec` values or `DiskSpecError`s. Memory is laid out once and grows only when a
 * batch needs more room, so parsing never allocates inside the module.
 *
 * @module
 */
import type { DiskBackend, DiskFormat, DiskSpec, DiskSpecification } from "./types.ts";
import { DiskSpecError, type DiskSpecProblem } from "./disk_spec_error.ts";

/** Which Xen release's grammar to follow: 4.19+ (default) or 4.17 (Debian's libxlutil). */
export type DiskGrammar = "4.19" | "4.17";

interface Exports {
  memory: WebAssembly.Memory;
  setup(inputCapacity: number, specCapacity: number): number;
  inputPtr(): number;
  specsPtr(): number;
  disksPtr(): number;
  errorsPtr(): number;
  setGrammar(version: number): void;
  parse(count: number): number;
  parseEmpty(): void;
}

// record layouts: see core/disk_lexer.ts
const DISK_WORDS = 33;
const SPEC_WORDS = 3;
const ERROR_WORDS = 4;
const D = {
  status: 0,
  errFirst: 1,
  errCount: 2,
  format: 3,
  backend: 4,
  specification: 5,
  readwrite: 6,
  isCdrom: 7,
  removable: 8,
  directIoSafe: 9,
  discard: 10,
  colo: 11,
  trusted: 12,
  grantUsage: 13,
  coloPort: 14,
  scriptBlock: 15,
  backendDomname: 16,
  pdevPath: 18,
  vdev: 20,
  script: 22,
  coloHost: 24,
  coloExport: 26,
  activeDisk: 28,
  hiddenDisk: 30,
} as const;

const FORMATS: DiskFormat[] = ["unknown", "qcow", "qcow2", "vhd", "raw", "empty", "qed"];
const BACKENDS: DiskBackend[] = ["unknown", "phy", "tap", "qdisk", "standalone"];
const SPECIFICATIONS: DiskSpecification[] = ["unknown", "xen", "virtio"];

/** xl's reasons by the engine's error code (spec §1.3, §1.7). */
const REASONS: Record<number, string> = {
  1: "format respecified",
  2: "backend respecified",
  3: "specification respecified",
  4: "target respecified",
  5: "vdev respecified",
  7: "script respecified",
  8: "colo-host respecified",
  9: "colo-export respecified",
  10: "active-disk respecified",
  11: "hidden-disk respecified",
  12: "unknown value for format",
  13: "unknown value for access",
  14: "unknown value for backendtype",
  15: "unknown value for specification",
  16: "unknown value for type",
  17: "unknown value for colo_port",
  18: "unknown deprecated type",
  19: "unknown parameter",
  20: "unknown deprecated disk prefix",
  21: "too many positional parameters",
  22: "bad disk syntax",
  23: "no vdev specified",
  24: "no target specified (and device not removable)",
  // flex itself aborts here ("flex scanner jammed"); xlite reports it as bad syntax
  25: "bad disk syntax",
};
const NEAR_BLOCK = 0x100;

const INITIAL_INPUT = 1 << 16;
const INITIAL_SPECS = 2048;

let exports: Exports | undefined;
let inputCap = 0;
let specCap = 0;
let u8 = new Uint8Array(0);
let i32 = new Int32Array(0);
let inBase = 0;
let specBase = 0; // in i32 words
let diskBase = 0;
let errBase = 0;
let grammarNow = 419;
const decoder = new TextDecoder();

function engine(): Exports {
  if (exports) return exports;
  const bytes = Deno.readFileSync(new URL("../../wasm/disk_lexer.wasm", import.meta.url));
  const instance = new WebAssembly.Instance(new WebAssembly.Module(bytes), {});
  exports = instance.exports as unknown as Exports;
  layout(INITIAL_INPUT, INITIAL_SPECS);
  return exports;
}

function layout(input: number, specs: number): void {
  const e = exports!;
  if (!e.setup(input, specs)) throw new RangeError(`disk-spec engine: cannot grow memory`);
  inputCap = input;
  specCap = specs;
  u8 = new Uint8Array(e.memory.buffer as ArrayBuffer);
  i32 = new Int32Array(e.memory.buffer as ArrayBuffer);
  inBase = e.inputPtr();
  specBase = e.specsPtr() >> 2;
  diskBase = e.disksPtr() >> 2;
  errBase = e.errorsPtr() >> 2;
}

/** The WASM module's memory, for tests that check it stays flat. */
export function engineMemory(): WebAssembly.Memory {
  return engine().memory;
}

/** One group of spec strings that together describe one disk. */
export interface Group {
  /** The spec strings, in order (xl's `disk = [...]` entry, or one command line's words). */
  specs: string[];
  /** Where they come from, for error messages (a file name, `command line`). */
  source: string;
}

/** Per spec in the current chunk: byte start, and whether it is pure ASCII. */
let specStart = new Int32Array(INITIAL_SPECS);
let specAscii = new Uint8Array(INITIAL_SPECS);
let specStrings: string[] = [];

/** Writes `s` at byte `pos`; returns the end, or -1 when it does not fit. */
function put(s: string, pos: number, index: number): number {
  const n = s.length;
  if (pos + n > inputCap) return -1;
  let i = 0;
  for (; i < n; i++) {
    const c = s.charCodeAt(i);
    if (c >= 0x80) break;
    u8[inBase + pos + i] = c;
  }
  if (i === n) {
    specAscii[index] = 1;
    return pos + n;
  }
  specAscii[index] = 0;
  const room = inputCap - pos;
  if (room < n * 3) {
    // encodeInto needs room for the worst case to tell "did not fit" apart
    const need = new TextEncoder().encode(s).length;
    if (need > room) return -1;
  }
  const r = new TextEncoder().encodeInto(s, u8.subarray(inBase + pos, inBase + inputCap));
  return pos + r.written!;
}

/** Parses groups of spec strings into disks, with the given grammar. */
export function parseGroups(
  groups: Group[],
  grammar: DiskGrammar = "4.19",
): (DiskSpec | DiskSpecError)[] {
  const e = engine();
  const version = grammar === "4.17" ? 417 : 419;
  if (version !== grammarNow) {
    e.setGrammar(version);
    grammarNow = version;
  }
  const out: (DiskSpec | DiskSpecError)[] = new Array(groups.length);
  let g = 0;
  while (g < groups.length) {
    if (groups[g].specs.length === 0) {
      e.parseEmpty();
      specStrings = [];
      out[g] = readDisk(0, groups[g], 0);
      g++;
      continue;
    }
    // fill one chunk: as many whole groups as fit
    let pos = 0;
    let count = 0;
    const members: number[] = [];
    specStrings = [];
    let g2 = g;
    for (; g2 < groups.length; g2++) {
      const specs = groups[g2].specs;
      if (specs.length === 0) break;
      if (count + specs.length > specCap) break;
      const nul = specs.find((s) => s.includes("\0"));
      if (nul !== undefined) {
        // xl's specs are C strings: a NUL cannot reach it; reject it plainly
        out[g2] = nulError(groups[g2].source, nul);
        continue;
      }
      const savePos = pos;
      const saveCount = count;
      let fits = true;
      for (let k = 0; k < specs.length; k++) {
        const end = put(specs[k], pos, count);
        if (end < 0) {
          fits = false;
          break;
        }
        const t = specBase + count * SPEC_WORDS;
        i32[t] = pos;
        i32[t + 1] = end - pos;
        i32[t + 2] = k === 0 ? 1 : 0;
        specStart[count] = pos;
        specStrings.push(specs[k]);
        pos = end;
        count++;
      }
      if (!fits) {
        pos = savePos;
        count = saveCount;
        specStrings.length = count;
        break;
      }
      members.push(g2);
    }
    if (members.length === 0 && g2 < groups.length && groups[g2].specs.length > 0 && g2 === g) {
      // one group alone does not fit: grow and retry
      const specs = groups[g2].specs;
      const bytes = specs.reduce((n, s) => n + s.length * 3, 0);
      grow(Math.max(bytes, inputCap), Math.max(specs.length, specCap));
      continue;
    }
    if (members.length > 0) {
      const disks = e.parse(count);
      if (disks !== members.length) throw new Error(`disk-spec engine: parse returned ${disks}`);
      let specIndex = 0;
      for (let d = 0; d < disks; d++) {
        const group = groups[members[d]];
        out[members[d]] = readDisk(d, group, specIndex);
        specIndex += group.specs.length;
      }
    }
    g = g2;
  }
  return out;
}

function grow(input: number, specs: number): void {
  layout(input, specs);
  if (specStart.length < specs) {
    specStart = new Int32Array(specs);
    specAscii = new Uint8Array(specs);
  }
}

function nulError(source: string, spec: string): DiskSpecError {
  return DiskSpecError.withoutStack(source, [{
    reason: "NUL character in disk specification",
    spec: spec.replaceAll("\0", "\\0"),
  }]);
}

/** The spec (chunk index) that holds byte `at`, searching the group's specs. */
function specOf(at: number, firstSpec: number, nspecs: number): number {
  let k = firstSpec;
  while (k + 1 < firstSpec + nspecs && specStart[k + 1] <= at) k++;
  return k;
}

function text(start: number, len: number, firstSpec: number, nspecs: number): string {
  const k = nspecs === 1 ? firstSpec : specOf(start, firstSpec, nspecs);
  if (specAscii[k]) {
    const off = start - specStart[k];
    return specStrings[k].substring(off, off + len);
  }
  return decoder.decode(u8.subarray(inBase + start, inBase + start + len));
}

function str(word: number, firstSpec: number, nspecs: number): string | undefined {
  const start = i32[word];
  if (start < 0) return undefined;
  return text(start, i32[word + 1], firstSpec, nspecs);
}

function defbool(v: number): boolean | undefined {
  return v < 0 ? undefined : v !== 0;
}

function readDisk(d: number, group: Group, firstSpec: number): DiskSpec | DiskSpecError {
  const r = diskBase + d * DISK_WORDS;
  const nspecs = group.specs.length;
  if (i32[r + D.status] !== 0) return readError(r, group, firstSpec);
  const disk: DiskSpec = {
    backendDomid: 0,
    backendDomname: str(r + D.backendDomname, firstSpec, nspecs),
    pdevPath: str(r + D.pdevPath, firstSpec, nspecs),
    vdev: str(r + D.vdev, firstSpec, nspecs),
    backend: BACKENDS[i32[r + D.backend]],
    format: FORMATS[i32[r + D.format]],
    script: str(r + D.script, firstSpec, nspecs),
    removable: i32[r + D.removable],
    readwrite: i32[r + D.readwrite],
    isCdrom: i32[r + D.isCdrom],
    directIoSafe: i32[r + D.directIoSafe] !== 0,
    discardEnable: defbool(i32[r + D.discard]),
    specification: SPECIFICATIONS[i32[r + D.specification]],
    transport: "unknown",
    irq: 0,
    base: 0n,
    coloEnable: defbool(i32[r + D.colo]),
    coloRestoreEnable: undefined,
    coloHost: str(r + D.coloHost, firstSpec, nspecs),
    coloPort: i32[r + D.coloPort],
    coloExport: str(r + D.coloExport, firstSpec, nspecs),
    activeDisk: str(r + D.activeDisk, firstSpec, nspecs),
    hiddenDisk: str(r + D.hiddenDisk, firstSpec, nspecs),
    trusted: defbool(i32[r + D.trusted]),
    grantUsage: defbool(i32[r + D.grantUsage]),
  };
  if (i32[r + D.scriptBlock] !== 0) disk.script = "block-" + disk.script;
  return disk;
}

function readError(r: number, group: Group, firstSpec: number): DiskSpecError {
  const first = i32[r + D.errFirst];
  const count = i32[r + D.errCount];
  const problems: DiskSpecProblem[] = [];
  let rawNear: (Uint8Array | undefined)[] | undefined;
  for (let k = 0; k < count; k++) {
    const e = errBase + (first + k) * ERROR_WORDS;
    const code = i32[e];
    const nearStart = i32[e + 1];
    const nearLen = i32[e + 2];
    const index = i32[e + 3];
    const spec = index < 0 ? "(null)" : group.specs[index - firstSpec];
    const problem: DiskSpecProblem = { reason: REASONS[code & 0xff], spec };
    if (nearStart >= 0) {
      let near = text(nearStart, nearLen, index, 1);
      if (code & NEAR_BLOCK) near = "block-" + near;
      problem.near = near;
      if (!specAscii[index] && near.includes("\uFFFD")) {
        // the near text cuts a multi-byte character (rule 28 takes one byte): keep xl's bytes
        const raw = u8.slice(inBase + nearStart, inBase + nearStart + nearLen);
        rawNear ??= [];
        rawNear[k] = code & NEAR_BLOCK ? concat(new TextEncoder().encode("block-"), raw) : raw;
      }
    }
    problems.push(problem);
  }
  return DiskSpecError.withoutStack(group.source, problems, rawNear);
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
}
