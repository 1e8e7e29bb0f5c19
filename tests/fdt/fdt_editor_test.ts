import { assert, assertEquals, assertStringIncludes, assertThrows } from "../support/assert.ts";
import {
  createFdtWriter,
  editFdt,
  FdtError,
  FdtNoSpaceError,
  readFdt,
  toDts,
} from "../../lib/fdt/mod.ts";
import { dtcDecompile, runTool, withBlobFile } from "./dtc_tools.ts";

/** The parts of libxl's guest tree that finalisation edits (spec §4.3, §4.4). */
function libxlPlaceholders(): Uint8Array {
  const w = createFdtWriter(8192);
  w.beginNode("");
  w.propertyU32("#address-cells", 2);
  w.propertyU32("#size-cells", 2);
  w.beginNode("chosen");
  w.propertyU64("linux,initrd-start", 0n);
  w.propertyU64("linux,initrd-end", 0n);
  w.endNode();
  for (const base of ["40000000", "200000000"]) {
    w.beginNode(`memory@${base}`);
    w.propertyString("device_type", "memory");
    w.propertyCells("reg", [0, 0, 0, 0]);
    w.endNode();
  }
  w.beginNode("hypervisor");
  w.propertyStrings("compatible", ["xen,xen-4.21", "xen,xen"]);
  w.property("reg", new Uint8Array(257 * 16));
  w.endNode();
  w.endNode();
  return w.finish();
}

const totalsize = (blob: Uint8Array) => new DataView(blob.buffer, blob.byteOffset).getUint32(4);

function cells(...values: number[]): Uint8Array {
  const bytes = new Uint8Array(values.length * 4);
  values.forEach((v, i) => new DataView(bytes.buffer).setUint32(i * 4, v));
  return bytes;
}

/** The same edits done by Debian's `fdtput` (real libfdt; `FILE` is the blob), through dtc. */
async function fdtputThenDtc(blob: Uint8Array, edits: string[][]): Promise<string> {
  const edited = await withBlobFile(blob, async (path) => {
    for (const args of edits) {
      const out = await runTool("fdtput", args.map((a) => a === "FILE" ? path : a));
      assertEquals(out.code, 0, `fdtput ${args.join(" ")}: ${out.stderr}`);
    }
  });
  return (await dtcDecompile(edited, true)).stdout;
}

Deno.test("editor: setProperty shrinks the 257-entry placeholder in place, as libxl does", async () => {
  const blob = libxlPlaceholders();
  const editor = editFdt(blob);
  const reg = cells(0, 0x3800_0000, 0, 0x100_0000, 0, 0x4800_0000, 0, 0x3800_0000);
  editor.setProperty("/hypervisor", "reg", reg);
  const edited = editor.bytes();
  assertEquals(totalsize(edited), totalsize(blob), "libxl's blob keeps its totalsize");
  assertEquals(readFdt(edited).getProperty("/hypervisor", "reg"), reg);
  const dtc = await dtcDecompile(edited, true);
  assertStringIncludes(dtc.stdout, "reg = <0x00 0x38000000 0x00 0x1000000 0x00 0x48000000");
  assertEquals(toDts(edited), dtc.stdout);
  // fdtput (real libfdt) making the same edit yields the same tree
  const hex = [0, 0x3800_0000, 0, 0x100_0000, 0, 0x4800_0000, 0, 0x3800_0000].map((v) =>
    v.toString(16)
  );
  assertEquals(
    dtc.stdout,
    await fdtputThenDtc(blob, [["-t", "x", "FILE", "/hypervisor", "reg", ...hex]]),
  );
});

Deno.test("editor: set, grow, in-place and nop match fdtput's edits through dtc", async () => {
  const blob = libxlPlaceholders();
  const editor = editFdt(blob);
  editor.setProperty("/hypervisor", "reg", cells(0, 0x3800_0000, 0, 0x100_0000));
  editor.setPropertyInPlace("/chosen", "linux,initrd-start", cells(0, 0x4800_0000));
  editor.setPropertyInPlace("/memory@40000000", "reg", cells(0, 0x4000_0000, 0, 0x4000_0000));
  editor.nopNode("/memory@200000000");
  editor.setProperty("/chosen", "bootargs", new TextEncoder().encode("x".repeat(5000) + "\0"));
  const edited = editor.bytes();
  assert(totalsize(edited) > totalsize(blob), "growing past the free space re-opens the blob");
  const ours = await dtcDecompile(edited, true);
  assertEquals(toDts(edited), ours.stdout);
  assert(!ours.stdout.includes("memory@200000000"), "nop'ed node is gone");
  const theirs = await fdtputThenDtc(blob, [
    ["-t", "x", "FILE", "/hypervisor", "reg", "0", "38000000", "0", "1000000"],
    ["-t", "x", "FILE", "/chosen", "linux,initrd-start", "0", "48000000"],
    ["-t", "x", "FILE", "/memory@40000000", "reg", "0", "40000000", "0", "40000000"],
    ["-r", "FILE", "/memory@200000000"],
    ["-t", "s", "FILE", "/chosen", "bootargs", "x".repeat(5000)],
  ]);
  assertEquals(ours.stdout, theirs);
});

Deno.test("editor: setPropertyInPlace with a different length is an FdtError, blob unchanged", () => {
  const blob = libxlPlaceholders();
  const editor = editFdt(blob);
  const error = assertThrows(
    () => editor.setPropertyInPlace("/chosen", "linux,initrd-start", cells(1)),
    FdtError,
    "FDT: fdt_setprop_inplace failed: -3 = FDT_ERR_NOSPACE (/chosen linux,initrd-start is 8 bytes",
  );
  assert(!(error instanceof FdtNoSpaceError), "a bigger buffer would not help");
  assertEquals(editor.bytes(), blob);
});

Deno.test("editor: unknown paths and bad blobs name libfdt's error", () => {
  const editor = editFdt(libxlPlaceholders());
  assertThrows(
    () => editor.nopNode("/nope"),
    FdtError,
    "FDT: fdt_path_offset failed: -1 = FDT_ERR_NOTFOUND (/nope)",
  );
  assertThrows(() => editor.nopNode("/"), FdtError, "cannot nop the root node");
  assertThrows(
    () => editor.setPropertyInPlace("/chosen", "absent", cells(1)),
    FdtError,
    "FDT: fdt_getprop failed: -1 = FDT_ERR_NOTFOUND (/chosen absent)",
  );
  const bad = libxlPlaceholders();
  bad[0] = 0;
  assertThrows(() => editFdt(bad), FdtError, "FDT: fdt_check_header failed: -9 = FDT_ERR_BADMAGIC");
});

Deno.test("editor: pack drops the free space left by shrinking", async () => {
  const editor = editFdt(libxlPlaceholders());
  editor.setProperty("/hypervisor", "reg", cells(0, 0x3800_0000, 0, 0x100_0000));
  const before = editor.bytes();
  editor.pack();
  const packed = editor.bytes();
  // the 256 dropped reg entries, plus 8 bytes: fdt_pack puts the reserve map at 40, sw at 48
  assertEquals(totalsize(before) - totalsize(packed), 256 * 16 + 8);
  assertEquals(
    (await dtcDecompile(packed, true)).stdout,
    (await dtcDecompile(before, true)).stdout,
  );
});
