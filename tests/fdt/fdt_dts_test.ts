import { assert, assertEquals } from "../support/assert.ts";
import { createFdtWriter, editFdt, type FdtSequentialWriter, toDts } from "../../lib/fdt/mod.ts";
import { dtcCompile, dtcDecompile } from "./dtc_tools.ts";

/** A hand-written source with every form dtc has to guess back from a blob. */
const TRICKY_DTS = String.raw`/dts-v1/;
/memreserve/ 0x10000000 0x4000;
/memreserve/ 0x20000000 0x100000;
/ {
	compatible = "vendor,board", "vendor,soc";
	model = "Tricky \"quoted\" \\ back\tslash\a\b\f\v\r\n end";
	empty-string = "";
	two-empty = "", "";
	half-nul = "a", "";
	one-each = "a", "b";
	three = "abc";
	cells = <0 1 0xffffffff 0xdeadbeef 0x10 0x100>;
	cells64 = /bits/ 64 <0x123456789abcdef0 1>;
	cells16 = /bits/ 16 <1 2 3>;
	cells8 = /bits/ 8 <1 2 3 4>;
	bytes = [00 01 02 fe ff];
	printable-bytes = [41 42 43 00];
	high = [80 81 82 00];
	high-odd = [80 81 82];
	mixed = "str", <1>, [02];
	bool-prop;
	phandle-ref = <&target 7>;
	path-ref = &target;
	long-list = "a", "b", "c", "d", "e";

	target: node@0 {
		reg = <0>;
		child {
			deep {
				deeper { x = <1>; };
			};
		};
	};
	node@1 { reg = <1>; status = "okay"; };
	empty-node { };
};
`;

Deno.test("toDts equals dtc -I dtb -O dts for a DTB compiled by dtc from hand-written source", async () => {
  const blob = await dtcCompile(TRICKY_DTS);
  const expected = (await dtcDecompile(blob)).stdout;
  assertEquals(toDts(blob), expected);
  // the guesses this test exists for really happened
  for (const line of ['model = "Tricky', "empty-string = [00]", "cells16 = [00", "/memreserve/"]) {
    assert(expected.includes(line), `dtc output lacks ${line}`);
  }
});

Deno.test("toDts equals dtc for nodes nop'ed by the editor (they vanish)", async () => {
  const editor = editFdt(await dtcCompile(TRICKY_DTS));
  editor.nopNode("/node@0/child");
  editor.nopNode("/empty-node");
  const blob = editor.bytes();
  const expected = (await dtcDecompile(blob)).stdout;
  assertEquals(toDts(blob), expected);
  assert(!expected.includes("deeper") && !expected.includes("empty-node"));
  assert(expected.includes("node@1"));
});

/** mulberry32: a small seeded PRNG so a failure can be replayed. */
function prng(seed: number): () => number {
  return () => {
    seed = (seed + 0x6d2b79f5) | 0;
    let t = Math.imul(seed ^ (seed >>> 15), 1 | seed);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const NAMES = ["compatible", "reg", "status", "x", "clock-names", "#size-cells", "a-b_c.d+e?"];
const PRINTABLE = " !#$%&'()*+,-./0123456789:;<=>?@AZaz[]^_`{|}~\"\\\t\n\r\x07\x08\x0b\x0c";

/** A random value aimed at dtc's string/cells/bytes guessing edges. */
function randomValue(rand: () => number): Uint8Array {
  const int = (n: number) => Math.floor(rand() * n);
  const kind = int(7);
  if (kind === 0) return new Uint8Array(0);
  if (kind === 1 || kind === 2) {
    const strings = Array.from(
      { length: 1 + int(4) },
      () => Array.from({ length: int(6) }, () => PRINTABLE[int(PRINTABLE.length)]).join(""),
    );
    return new TextEncoder().encode(strings.join("\0") + "\0");
  }
  if (kind === 3) return new Uint8Array(4 * (1 + int(6))).map(() => int(3) === 0 ? int(256) : 0);
  if (kind === 4) return new Uint8Array(1 + int(12)).map(() => int(2) ? 0 : 0x20 + int(95));
  if (kind === 5) return new Uint8Array(1 + int(12)).map(() => int(256));
  return new Uint8Array(1 + int(8)).map(() => [0, 0x41, 0x80, 0xff, 0x0a][int(5)]);
}

function randomTree(w: FdtSequentialWriter, rand: () => number, depth: number): void {
  const int = (n: number) => Math.floor(rand() * n);
  const used = new Set<string>();
  for (let i = int(5); i > 0; i--) {
    const name = NAMES[int(NAMES.length)];
    if (used.has(name)) continue;
    used.add(name);
    w.property(name, randomValue(rand));
  }
  for (let i = depth < 3 ? int(4) : 0; i > 0; i--) {
    w.beginNode(`n${i}${int(2) ? `@${int(0x10000).toString(16)}` : ""}`);
    randomTree(w, rand, depth + 1);
    w.endNode();
  }
}

Deno.test("toDts equals dtc for 150 random trees written by the writer", async () => {
  const forms = new Set<string>();
  for (let seed = 1; seed <= 150; seed++) {
    const rand = prng(seed);
    const w = createFdtWriter(64 * 1024);
    if (seed % 5 === 0) w.reserveMemory(BigInt(seed) << 32n, 0x1000n);
    w.beginNode("");
    randomTree(w, rand, 0);
    w.endNode();
    const blob = w.finish();
    const dtc = await dtcDecompile(blob, true); // random values break dtc's checks
    assertEquals(toDts(blob), dtc.stdout, `seed ${seed}`);
    for (const m of dtc.stdout.matchAll(/ = (["<\[])|\w;\n/g)) forms.add(m[1] ?? ";");
  }
  assertEquals([...forms].sort(), ['"', ";", "<", "["], "strings, cells, bytes and empty all seen");
});

/** A blob assembled by hand: root { child {}; late = <1>; } (a property after a child node). */
function propertyAfterChild(): Uint8Array {
  const words: number[] = [];
  const name = (s: string) => {
    const bytes = new TextEncoder().encode(s + "\0");
    const padded = new Uint8Array(Math.ceil(bytes.length / 4) * 4);
    padded.set(bytes);
    const view = new DataView(padded.buffer);
    for (let i = 0; i < padded.length; i += 4) words.push(view.getUint32(i));
  };
  words.push(1), name(""); // FDT_BEGIN_NODE ""
  words.push(1), name("child"), words.push(2); // child { }
  words.push(3, 4, 0, 1); // FDT_PROP len 4, nameoff 0, <1>
  words.push(2, 9); // FDT_END_NODE, FDT_END
  const strings = new TextEncoder().encode("late\0");
  const structOff = 40 + 16;
  const stringsOff = structOff + words.length * 4;
  const blob = new Uint8Array(stringsOff + strings.length);
  const view = new DataView(blob.buffer);
  [0xd00dfeed, blob.length, structOff, stringsOff, 40, 17, 16, 0, strings.length, words.length * 4]
    .forEach((v, i) => view.setUint32(i * 4, v));
  words.forEach((w, i) => view.setUint32(structOff + i * 4, w));
  blob.set(strings, stringsOff);
  return blob;
}

Deno.test("toDts equals dtc for a property after a child node (libxl's ACPI /chosen quirk, spec §4.3)", async () => {
  const blob = propertyAfterChild();
  const dtc = await dtcDecompile(blob);
  assert(dtc.stderr.includes("subnodes preceding a property"), "dtc warns on stderr");
  assertEquals(toDts(blob), dtc.stdout);
  assert(dtc.stdout.includes("late = <0x01>;"));
});
