import { assert, assertEquals } from "../support/assert.ts";
import { finishSequential } from "../../lib/fdt/fdt_finish.ts";
import { libfdt } from "../../lib/fdt/libfdt_wasm.ts";

/** A small deterministic PRNG, so a failure names a reproducible case. */
function prng(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s * 1103515245 + 12345) & 0x7fffffff;
    return s / 0x80000000;
  };
}

Deno.test("fdt finish in JS: byte for byte libfdt's fdt_finish, or left to libfdt untouched", () => {
  const lib = libfdt();
  const rnd = prng(4711);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(rnd() * items.length)];
  const owned: number[] = [];
  const alloc = (size: number) => {
    const ptr = lib.alloc(size, "test");
    owned.push(ptr);
    return ptr;
  };
  const cString = (text: string) => {
    const ptr = alloc(text.length + 1);
    lib.putString(ptr, text, text.length);
    return ptr;
  };
  const f = lib.fn;
  let viaJs = 0;
  let toLibfdt = 0;
  try {
    const names = ["compatible", "reg", "a", "interrupts", "x-long-name-for-testing", "ab"].map(
      cString,
    );
    const nodes = ["", "n@1", "m", "cpu@0"].map(cString);
    const value = alloc(64);
    for (let i = 0; i < 64; i++) lib.u8[value + i] = i;
    const a = alloc(8192);
    const b = alloc(8192);
    for (let round = 0; round < 4000; round++) {
      // a sequential-write buffer as the writer leaves it (sometimes too small for FDT_END)
      const size = pick([64, 100, 128, 200, 256, 512, 1024, 4096]);
      f.fdt_create(a, size);
      if (rnd() < 0.3) f.fdt_add_reservemap_entry(a, 0x8000_0000n, 0x1000n);
      f.fdt_finish_reservemap(a);
      let depth = 0;
      if (rnd() < 0.95) {
        f.fdt_begin_node(a, nodes[0]);
        depth = 1;
      }
      for (let k = Math.floor(rnd() * 20); k > 0; k--) {
        const r = rnd();
        if (r < 0.6) f.fdt_property(a, pick(names), value, Math.floor(rnd() * 40));
        else if (r < 0.8) {
          f.fdt_begin_node(a, pick(nodes.slice(1)));
          depth++;
        } else if (depth > 1) {
          f.fdt_end_node(a);
          depth--;
        }
      }
      while (depth-- > 0) f.fdt_end_node(a);
      // and some damage libfdt must be the one to report
      if (rnd() < 0.2) {
        const struct = lib.view.getUint32(a + 8);
        const length = lib.view.getUint32(a + 36);
        const r = rnd();
        if (r < 0.5 && length > 0) {
          lib.u8[a + struct + Math.floor(rnd() * length)] = pick([0, 1, 2, 3, 4, 9, 0xff]);
        } else if (r < 0.7) lib.view.setUint32(a, pick([0xd00dfeed, 0]));
        else if (r < 0.85) lib.view.setUint32(a + 12, pick([0, size - 4]));
        else lib.view.setUint32(a + 36, Math.max(0, length + pick([-8, -4, 4])));
      }
      lib.u8.copyWithin(b, a, a + size);
      const before = lib.u8.slice(a, a + size);
      const done = finishSequential(lib.u8, lib.view, a);
      const expected = f.fdt_finish(b);
      if (done) {
        viaJs++;
        assertEquals(expected, 0, `round ${round}: libfdt failed where JS finished`);
      } else {
        toLibfdt++;
        assertEquals(lib.u8.slice(a, a + size), before, `round ${round}: untouched`);
        assertEquals(f.fdt_finish(a), expected, `round ${round}: libfdt's answer`);
      }
      assertEquals(lib.u8.slice(a, a + size), lib.u8.slice(b, b + size), `round ${round} bytes`);
    }
  } finally {
    for (const ptr of owned) lib.fn.free(ptr);
  }
  assert(viaJs > 1000, `finished in JS ${viaJs}`);
  assert(toLibfdt > 1000, `left to libfdt ${toLibfdt}`);
});
