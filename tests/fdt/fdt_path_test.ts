import { assert, assertEquals } from "../support/assert.ts";
import { createFdtWriter } from "../../lib/fdt/mod.ts";
import { fastPathOffset } from "../../lib/fdt/fdt_path.ts";
import { libfdt } from "../../lib/fdt/libfdt_wasm.ts";

/** A small deterministic PRNG, so a failure names a reproducible case. */
function prng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s * 1103515245 + 12345) & 0x7fffffff;
    return s / 0x80000000;
  };
}

const NAMES = ["a", "a@1", "a@2", "b", "cpu@0", "cpu@1", "cpus", "memory@40000000", "m@", "x@y@z"];

/** A random tree and the paths of all its nodes. */
function randomTree(rnd: () => number): { blob: Uint8Array; paths: string[] } {
  const w = createFdtWriter(1 << 16);
  const paths = ["/"];
  const fill = (prefix: string, depth: number) => {
    const properties = Math.floor(rnd() * 4);
    for (let i = 0; i < properties; i++) {
      w.property(`p${i}`, new Uint8Array(Math.floor(rnd() * 20)).fill(0x2f));
    }
    if (depth > 3) return;
    const used = new Set<string>();
    for (let i = Math.floor(rnd() * 4); i > 0; i--) {
      const name = NAMES[Math.floor(rnd() * NAMES.length)];
      if (used.has(name)) continue;
      used.add(name);
      w.beginNode(name);
      paths.push(`${prefix}/${name}`);
      fill(`${prefix}/${name}`, depth + 1);
      w.endNode();
    }
  };
  w.beginNode("");
  fill("", 0);
  w.endNode();
  return { blob: w.finish(), paths };
}

/** Flips bytes of the struct block, header fields or tags. */
function corrupt(blob: Uint8Array, rnd: () => number): void {
  const view = new DataView(blob.buffer, blob.byteOffset);
  for (let n = 1 + Math.floor(rnd() * 3); n > 0; n--) {
    const r = rnd();
    if (r < 0.6) {
      blob[Math.floor(rnd() * blob.length)] = [0, 1, 2, 3, 4, 9, 0x40, 0x2f, 0xff][
        Math.floor(rnd() * 9)
      ];
    } else if (r < 0.8) {
      const field = [4, 8, 20, 24, 36][Math.floor(rnd() * 5)];
      const old = view.getUint32(field);
      view.setUint32(
        field,
        [0, 16, 17, 18, old - 4, old + 4, 0x7fffffff, 0xffffffff][
          Math.floor(rnd() * 8)
        ] >>> 0,
      );
    } else {
      const at = view.getUint32(8) + 4 * Math.floor(rnd() * (view.getUint32(36) / 4));
      if (at + 4 <= blob.length) view.setUint32(at, [0, 1, 2, 3, 4, 5, 9][Math.floor(rnd() * 7)]);
    }
  }
}

Deno.test("fdt path walk: every answer is libfdt's fdt_path_offset, on sound and corrupted blobs", () => {
  const lib = libfdt();
  const rnd = prng(20261121);
  const buf = lib.alloc(1 << 17, "test blob");
  const pathBuf = lib.alloc(4096, "test path");
  const encoder = new TextEncoder();
  let answered = 0;
  let answeredCorrupt = 0;
  let deferred = 0;
  try {
    for (let round = 0; round < 400; round++) {
      const { blob, paths } = randomTree(rnd);
      const broken = round % 2 === 1;
      if (broken) corrupt(blob, rnd);
      lib.u8.fill(0, buf, buf + blob.length + 64);
      lib.u8.set(blob, buf);
      const tries = [
        ...paths,
        ...paths.map((p) => p.replace(/@[^/]*/g, "")), // "cpu" matches "cpu@0"
        ...paths.map((p) => `${p}/`),
        ...paths.map((p) => `/${p.replaceAll("/", "//")}`),
        "/nope",
        "",
        "a", // an alias: libfdt's business
        "/a\0b",
        "/ü",
        "/memory",
        "/m",
        "/x@y",
      ];
      for (const path of tries) {
        const fast = fastPathOffset(lib.u8, lib.view, buf, path);
        const bytes = encoder.encode(path);
        lib.u8.set(bytes, pathBuf);
        lib.u8[pathBuf + bytes.length] = 0;
        const real = lib.fn.fdt_path_offset(buf, pathBuf);
        if (fast < 0) {
          deferred++;
          continue;
        }
        answered++;
        if (broken) answeredCorrupt++;
        assertEquals(fast, real, `round ${round} ${JSON.stringify(path)}`);
      }
    }
  } finally {
    lib.fn.free(buf);
    lib.fn.free(pathBuf);
  }
  // the walk must actually answer, also on damaged blobs, and leave the rest to libfdt
  assert(answered > 10_000, `answered ${answered}`);
  assert(answeredCorrupt > 1_000, `answered on corrupted blobs ${answeredCorrupt}`);
  assert(deferred > 1_000, `deferred ${deferred}`);
});

Deno.test("fdt path walk: a misaligned blob or a sequential-write blob is left to libfdt", () => {
  const lib = libfdt();
  const { blob } = randomTree(prng(7));
  const buf = lib.alloc(blob.length + 8, "test blob");
  try {
    lib.u8.set(blob, buf);
    assertEquals(fastPathOffset(lib.u8, lib.view, buf, "/"), 0);
    lib.u8.copyWithin(buf + 4, buf, buf + blob.length);
    assertEquals(fastPathOffset(lib.u8, lib.view, buf + 4, "/"), -1);
    lib.u8.set(blob, buf);
    lib.view.setUint32(buf, ~0xd00dfeed >>> 0); // FDT_SW_MAGIC
    assertEquals(fastPathOffset(lib.u8, lib.view, buf, "/"), -1);
  } finally {
    lib.fn.free(buf);
  }
});
