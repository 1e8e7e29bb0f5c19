/**
 * Deterministic generators of disk specs for the differential and fuzz tests: every rule
 * of the scanner (spec §1.2), every key and flag (§1.3), every positional slot (§1.4),
 * `target=` (§1.5), deprecated prefixes (§1.6) and error path (§1.7).
 *
 * @module
 */

/** mulberry32: a small seeded PRNG, so every run generates the same specs. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Picks one element. */
export function pick<T>(r: () => number, xs: readonly T[]): T {
  return xs[Math.floor(r() * xs.length)];
}

export const TARGETS = [
  "/dev/vg/d1",
  "/img.raw",
  "",
  " /x",
  "a b",
  "x\ty",
  "x\ny",
  "é/ü",
  "/dev/mmcblk0p3",
  "cdrom",
  "hdc:cdrom",
  "foo:bar",
  "/a:b",
  "/p,",
  "file.iso",
  "/dev/sda1 ",
  "ünï:cödé",
];
export const FORMATS = ["raw", "qcow", "qcow2", "vhd", "qed", "empty", "", "bogus", "RAW"];
export const VDEVS = [
  "xvda",
  "hdc",
  "sda1",
  "xvdq",
  "d1p2",
  "xvda ",
  "hdc:cdrom",
  "hdc:disk",
  "hdc:floppy",
  "x:y:cdrom",
  "xvd",
  ":cdrom",
  "xvdaa15",
];
export const ACCESS = ["r", "ro", "w", "rw", "", "rx", "RW"];
const VALUES = ["", "x", "dom1", "0", "7", "a b", "é", "/etc/xen/scripts/block", "x:y"];
const COLO_PORTS = [
  "1",
  "0",
  "abc",
  "-5",
  "99999999999",
  "99999999999999999999",
  "-99999999999999999999",
  " 12",
  "+7",
  "0x10",
  "65536",
  "",
  "3x",
];
export const KEYS = [
  () => `format=${pick(rnd, FORMATS)}`,
  () => `vdev=${pick(rnd, VDEVS)}`,
  () => `access=${pick(rnd, ACCESS)}`,
  () => `backend=${pick(rnd, VALUES)}`,
  () => `backendtype=${pick(rnd, ["phy", "tap", "qdisk", "standalone", "bogus", "", "other"])}`,
  () => `specification=${pick(rnd, ["xen", "virtio", "bogus", "", "VIRTIO"])}`,
  () => `script=${pick(rnd, VALUES)}`,
  () => `devtype=${pick(rnd, ["cdrom", "disk", "floppy", "", "cdromx"])}`,
  () => `colo-host=${pick(rnd, VALUES)}`,
  () => `colo-port=${pick(rnd, COLO_PORTS)}`,
  () => `colo-export=${pick(rnd, VALUES)}`,
  () => `active-disk=${pick(rnd, VALUES)}`,
  () => `hidden-disk=${pick(rnd, VALUES)}`,
];
export const FLAGS = [
  "cdrom",
  "direct-io-safe",
  "discard",
  "no-discard",
  "colo",
  "no-colo",
  "cdromx",
  "discards",
  "direct-io-safe-ish",
];
/** Tokens Xen 4.19+ knows and Debian's 4.17 libxlutil does not (spec §1.2 rules 23–26). */
export const XEN419_FLAGS = ["trusted", "untrusted", "grant_usage=1", "grant_usage=0"];
export const UNKNOWN = [
  "foo=bar",
  "transport=mmio",
  "x=",
  "foo=,",
  "a-b=c",
  "Foo=bar",
  "grant_usage=2",
  "grant_usage=",
  "z9=é",
  "q=\n",
  "k==",
];
export const PREFIXES = [
  "raw:",
  "qcow:",
  "qcow2:",
  "vhd:",
  "iscsi:",
  "nbd:",
  "enbd:",
  "drbd:",
  "tapdisk:",
  "tap:",
  "tap2:",
  "aio:",
  "ioemu:",
  "file:",
  "phy:",
  "qed:",
  "foo:",
  "x1:",
  "Raw:",
];
export const JUNK = ["=", "==", "=x", ",", ",,", " ", "\t", "\n", "=\n", "=,", ":", " = "];

let rnd = rng(1);

/** Generates `count` specs from `seed`: assembled from the tables, some mutated. */
export function generateSpecs(seed: number, count: number, options: {
  xen419?: boolean;
} = {}): string[] {
  rnd = rng(seed);
  const out: string[] = [];
  for (let i = 0; i < count; i++) {
    if (rnd() < 0.35) {
      out.push(clean(options.xen419 ?? false));
      continue;
    }
    let spec = assemble(options.xen419 ?? false);
    if (rnd() < 0.25) spec = mutate(spec);
    out.push(spec);
  }
  return out;
}

const CLEAN_TARGETS = ["/dev/vg/d1", "/img.raw", "a b", "é/ü", "/dev/mmcblk0p3", "x\ty"];
const CLEAN_KEYS = [
  () => `backend=${pick(rnd, ["dom1", "0", "7", "driver-domain"])}`,
  () => `backendtype=${pick(rnd, ["phy", "tap", "qdisk", "standalone"])}`,
  () => `specification=${pick(rnd, ["xen", "virtio"])}`,
  () => `script=${pick(rnd, ["block", "/etc/xen/scripts/block-drbd"])}`,
  () => `devtype=${pick(rnd, ["cdrom", "disk"])}`,
  () => `colo-host=${pick(rnd, ["10.0.0.1", "h"])}`,
  () => `colo-port=${pick(rnd, ["1", "9000", " 12", "+7", "99999999999", "-5"])}`,
  () => `colo-export=e`,
  () => `active-disk=/a`,
  () => `hidden-disk=/h`,
];
const CLEAN_FLAGS = ["cdrom", "direct-io-safe", "discard", "no-discard", "colo", "no-colo"];

/** A spec from valid parts only, most of which xl accepts. */
function clean(xen419: boolean): string {
  const parts: string[] = [];
  const form = rnd();
  const target = pick(rnd, CLEAN_TARGETS);
  if (form < 0.4) {
    parts.push(
      target,
      pick(rnd, ["raw", "qcow", "qcow2", "vhd", "qed", ""]),
      pick(rnd, ["xvda", "hdc", "sda1", "xvdq", "d1p2", "hdc:cdrom"]),
    );
    if (rnd() < 0.6) parts.push(pick(rnd, ["r", "ro", "w", "rw", ""]));
  } else if (form < 0.6) {
    parts.push(
      pick(rnd, ["raw:", "qcow2:", "vhd:", "phy:", "tap:aio:", "nbd:", "file:", "iscsi:"]) + target,
      pick(rnd, ["xvda", "hdc:cdrom", "xvdb:disk"]),
      pick(rnd, ["r", "w"]),
    );
  } else if (form < 0.7) {
    parts.push("", pick(rnd, ["hdc:cdrom", "xvdc:cdrom"]), "r");
  } else {
    parts.push(
      `vdev=${pick(rnd, ["xvda", "hdc", "sdb"])}`,
      `format=${pick(rnd, ["raw", "qcow2"])}`,
      `access=${pick(rnd, ["r", "rw"])}`,
    );
  }
  const extras = new Set<string>();
  for (let n = Math.floor(rnd() * 4); n > 0; n--) {
    const k = rnd();
    extras.add(
      k < 0.5
        ? pick(rnd, CLEAN_KEYS)()
        : k < 0.8 || !xen419
        ? pick(rnd, CLEAN_FLAGS)
        : pick(rnd, XEN419_FLAGS),
    );
  }
  for (const e of extras) {
    const key = e.split("=")[0];
    if ([...extras].filter((x) => x.split("=")[0] === key).length === 1) parts.push(e);
  }
  let spec = parts.join(pick(rnd, [",", ", "]));
  if (form >= 0.7) spec += `,target=${pick(rnd, [target, "/a,b:c", "/p,"])}`;
  return spec;
}

function item(xen419: boolean): string {
  const k = rnd();
  if (k < 0.12) return pick(rnd, TARGETS);
  if (k < 0.22) return pick(rnd, FORMATS);
  if (k < 0.34) return pick(rnd, VDEVS);
  if (k < 0.42) return pick(rnd, ACCESS);
  if (k < 0.66) return pick(rnd, KEYS)();
  if (k < 0.78) return pick(rnd, FLAGS);
  if (k < 0.84) return xen419 ? pick(rnd, XEN419_FLAGS) : pick(rnd, FLAGS);
  if (k < 0.92) return pick(rnd, UNKNOWN);
  return pick(rnd, JUNK);
}

function assemble(xen419: boolean): string {
  const shape = rnd();
  let target = pick(rnd, TARGETS);
  // deprecated prefixes, possibly chained
  while (rnd() < 0.3) target = pick(rnd, PREFIXES) + target;
  const parts: string[] = [];
  if (shape < 0.5) {
    // the classic positional form, then keys and flags
    parts.push(target, pick(rnd, FORMATS), pick(rnd, VDEVS));
    if (rnd() < 0.6) parts.push(pick(rnd, ACCESS));
  } else if (shape < 0.7) {
    // old xend form: [<format>:]<target>,<vdev>[:<devtype>],<access>
    parts.push(pick(rnd, PREFIXES) + target, pick(rnd, VDEVS), pick(rnd, ACCESS));
  } else if (shape < 0.8) {
    parts.push("", pick(rnd, ["hdc:cdrom", "hdc:disk", "xvdc:cdrom", "hdd:floppy"]));
    if (rnd() < 0.5) parts.push(pick(rnd, ACCESS));
  } else if (shape < 0.9) {
    // just keys
    for (let n = Math.floor(rnd() * 4); n >= 0; n--) parts.push(pick(rnd, KEYS)());
  }
  for (let n = Math.floor(rnd() * 5); n > 0; n--) {
    parts.splice(Math.floor(rnd() * (parts.length + 1)), 0, item(xen419));
  }
  let spec = "";
  parts.forEach((p, i) => {
    if (i > 0) spec += pick(rnd, [",", ",", ",", ", ", ",\t", ",\n", ",  "]);
    spec += p;
  });
  if (rnd() < 0.15) {
    spec += (spec === "" ? "" : ",") + "target=" + pick(rnd, TARGETS) +
      pick(rnd, ["", ",", ",,", ",raw", ",x,y"]);
  }
  if (rnd() < 0.1) spec += pick(rnd, [",", " ", "\n", "=", ",="]);
  if (rnd() < 0.05) spec = pick(rnd, [" ", "\t", "\n", ""]) + spec;
  return spec;
}

const ALPHABET = "=,: \t\nabcdrwxyz0129/é-_\u00ff";

/** Inserts, deletes, duplicates or replaces a few characters. */
export function mutate(spec: string): string {
  let s = spec;
  for (let n = 1 + Math.floor(rnd() * 3); n > 0; n--) {
    const at = Math.floor(rnd() * (s.length + 1));
    const k = rnd();
    if (k < 0.4) s = s.slice(0, at) + pick(rnd, [...ALPHABET]) + s.slice(at);
    else if (k < 0.7) s = s.slice(0, at) + s.slice(at + 1);
    else if (k < 0.85) s = s.slice(0, at) + s.slice(at, at + 4) + s.slice(at);
    else s = s.slice(0, at) + pick(rnd, [...ALPHABET]) + s.slice(at + 1);
  }
  return s;
}
