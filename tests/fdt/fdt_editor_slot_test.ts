import { assert, assertEquals, assertThrows } from "../support/assert.ts";
import {
  createFdtWriter,
  editFdt,
  type FdtEditor,
  FdtError,
  libfdtHeapTop,
  readFdt,
} from "../../lib/fdt/mod.ts";

/** A guest-like tree; `bigValue` bytes of payload make it bigger than the resident slot. */
function tree(bigValue = 0): Uint8Array {
  const w = createFdtWriter(1 << 20);
  w.beginNode("");
  w.propertyU32("#address-cells", 2);
  w.beginNode("chosen");
  w.propertyU64("linux,initrd-start", 0n);
  w.propertyString("bootargs", "console=hvc0");
  w.endNode();
  for (const base of ["40000000", "200000000"]) {
    w.beginNode(`memory@${base}`);
    w.propertyString("device_type", "memory");
    w.propertyCells("reg", [0, 0, 0, 0]);
    w.endNode();
  }
  w.beginNode("hypervisor");
  w.property("reg", new Uint8Array(257 * 16));
  w.endNode();
  if (bigValue > 0) {
    w.beginNode("payload");
    w.property("data", new Uint8Array(bigValue).fill(0x5a));
    w.endNode();
  }
  w.endNode();
  return w.finish();
}

const cells = (...values: number[]) => {
  const bytes = new Uint8Array(values.length * 4);
  const view = new DataView(bytes.buffer);
  values.forEach((v, i) => view.setUint32(i * 4, v));
  return bytes;
};

/** One edit of each kind, the grown property included. */
const EDITS: ((e: FdtEditor) => void)[] = [
  (e) => e.setPropertyInPlace("/chosen", "linux,initrd-start", cells(0, 0x4800_0000)),
  (e) => e.setProperty("/hypervisor", "reg", cells(0, 0x3800_0000, 0, 0x100_0000)),
  (e) => e.setPropertyInPlace("/memory@40000000", "reg", cells(0, 0x4000_0000, 0, 0x4000_0000)),
  (e) => e.nopNode("/memory@200000000"),
  (e) => e.setProperty("/chosen", "bootargs", new TextEncoder().encode("x".repeat(3000) + "\0")),
  (e) => e.setProperty("/chosen", "new", cells(7)),
  (e) => e.pack(),
];

function alone(blob: Uint8Array): Uint8Array {
  const editor = editFdt(blob);
  for (const edit of EDITS) edit(editor);
  return editor.bytes();
}

Deno.test("editor: interleaved editors (small and past the resident size) match each run alone", () => {
  const small = tree();
  const big = tree(100_000);
  const expectSmall = alone(small);
  const expectBig = alone(big);
  assert(expectBig.length > 64 * 1024, "the big blob is past the resident slot");
  const editors = [editFdt(small), editFdt(big), editFdt(small)];
  for (const edit of EDITS) for (const editor of editors) edit(editor);
  assertEquals(editors[0].bytes(), expectSmall);
  assertEquals(editors[1].bytes(), expectBig);
  assertEquals(editors[2].blob(), expectSmall);
  const read = readFdt(expectSmall);
  assertEquals(read.getProperty("/chosen", "new"), cells(7));
  assertEquals(read.node("/memory@200000000"), undefined);
  // the input blobs were copied, never edited
  assertEquals(small, tree());
});

Deno.test("editor: a failed edit leaves the blob as it was, also after another editor ran", () => {
  const blob = tree();
  const editor = editFdt(blob);
  EDITS[0](editor);
  const before = editor.bytes();
  const other = editFdt(tree());
  assertThrows(() => editor.nopNode("/nope"), FdtError, "FDT_ERR_NOTFOUND");
  EDITS[3](other);
  assertThrows(
    () => editor.setPropertyInPlace("/chosen", "linux,initrd-start", cells(1)),
    FdtError,
    "is 8 bytes, the new value 4",
  );
  assertThrows(
    () => editor.setPropertyInPlace("/chosen", "absent", cells(1)),
    FdtError,
    "fdt_getprop failed: -1 = FDT_ERR_NOTFOUND (/chosen absent)",
  );
  assertThrows(() => editor.setProperty("/nope", "x", cells(1)), FdtError, "/nope");
  assertEquals(editor.bytes(), before);
  // and it still edits
  EDITS[1](editor);
  assertEquals(
    readFdt(editor.bytes()).getProperty("/hypervisor", "reg"),
    cells(0, 0x3800_0000, 0, 0x100_0000),
  );
});

Deno.test("editor: the shared slot keeps libfdt.wasm's heap flat", () => {
  const small = tree();
  const big = tree(100_000);
  const cycle = () => {
    const a = editFdt(small);
    const b = editFdt(big);
    for (const edit of EDITS) {
      edit(a);
      edit(b);
    }
    a.bytes();
    b.bytes();
  };
  for (let i = 0; i < 5; i++) cycle();
  const before = libfdtHeapTop();
  for (let i = 0; i < 100; i++) cycle();
  assertEquals(libfdtHeapTop(), before);
});
