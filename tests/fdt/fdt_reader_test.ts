import { assert, assertEquals, assertThrows } from "../support/assert.ts";
import { editFdt, FdtError, readFdt, toDts } from "../../lib/fdt/mod.ts";
import { dtcCompile, runTool, withBlobFile } from "./dtc_tools.ts";

const SOURCE = `/dts-v1/;
/memreserve/ 0x80000000 0x10000;
/ {
	#address-cells = <2>;
	#size-cells = <2>;
	aliases { serial0 = "/soc/uart@9000000"; };
	cpus {
		#address-cells = <1>;
		#size-cells = <0>;
		cpu@0 { reg = <0>; device_type = "cpu"; };
		cpu@1 { reg = <1>; device_type = "cpu"; };
	};
	soc {
		#address-cells = <2>;
		#size-cells = <2>;
		uart@9000000 { reg = <0 0x9000000 0 0x1000>; compatible = "arm,pl011", "arm,primecell"; };
	};
	memory@40000000 { device_type = "memory"; reg = <0 0x40000000 0 0x8000000>; };
};
`;

/** `fdtget -t bx` (real libfdt's fdt_path_offset + fdt_getprop) as bytes, or undefined. */
async function fdtget(
  blob: Uint8Array,
  path: string,
  name: string,
): Promise<Uint8Array | undefined> {
  let result: Uint8Array | undefined;
  await withBlobFile(blob, async (file) => {
    const out = await runTool("fdtget", ["-t", "bx", file, path, name]);
    if (out.code === 0) {
      result = Uint8Array.from(
        out.stdout.trim().split(/\s+/).filter(Boolean),
        (h) => parseInt(h, 16),
      );
    }
  });
  return result;
}

Deno.test("readFdt: header, reservations, nodes and properties in blob order", async () => {
  const tree = readFdt(await dtcCompile(SOURCE));
  assertEquals(tree.version, 17);
  assertEquals(tree.lastCompatibleVersion, 16);
  assertEquals(tree.memoryReservations, [{ address: 0x8000_0000n, size: 0x1_0000n }]);
  assertEquals(tree.root.name, "");
  assertEquals(tree.root.children.map((c) => c.path), [
    "/aliases",
    "/cpus",
    "/soc",
    "/memory@40000000",
  ]);
  assertEquals(tree.node("/cpus")!.children.map((c) => c.name), ["cpu@0", "cpu@1"]);
  assertEquals(tree.node("/cpus/cpu@1")!.properties.map((p) => p.name), ["reg", "device_type"]);
});

Deno.test("readFdt: getProperty resolves paths as libfdt's fdtget does", async () => {
  const blob = await dtcCompile(SOURCE);
  const tree = readFdt(blob);
  const lookups: Array<[string, string]> = [
    ["/memory", "reg"], // no unit address: matches memory@40000000
    ["/memory@40000000", "device_type"],
    ["/cpus/cpu", "reg"], // first match
    ["//soc//uart", "compatible"],
    ["serial0", "reg"], // alias
    ["/cpus/cpu@2", "reg"], // missing node
    ["/cpus", "absent"], // missing property
    ["/mem", "reg"], // a prefix is no match
  ];
  for (const [path, name] of lookups) {
    assertEquals(tree.getProperty(path, name), await fdtget(blob, path, name), `${path} ${name}`);
  }
  assert(tree.getProperty("/memory", "reg") !== undefined);
});

Deno.test("readFdt: malformed blobs are FdtErrors naming libfdt's complaint (dtc rejects them too)", async () => {
  const blob = await dtcCompile(SOURCE);
  const cases: Array<[string, Uint8Array, string]> = [
    ["bad magic", blob.map((b, i) => i === 0 ? 0 : b), "-9 = FDT_ERR_BADMAGIC"],
    ["truncated", blob.slice(0, blob.length - 8), "exceeds the"],
    ["too short", blob.slice(0, 20), "shorter than a header"],
    ["bad tag", corruptFirstTag(blob), "-11 = FDT_ERR_BADSTRUCTURE"],
  ];
  for (const [what, bad, message] of cases) {
    const error = assertThrows(() => readFdt(bad), FdtError, message);
    assert(error.message.startsWith("FDT: "), what);
    const dtc = await runTool("dtc", ["-I", "dtb", "-O", "dts"], bad);
    assert(dtc.code !== 0, `dtc accepted the ${what} blob`);
  }
});

/** The blob with the first property tag after the root's name replaced by 7. */
function corruptFirstTag(blob: Uint8Array): Uint8Array {
  const copy = blob.slice();
  const view = new DataView(copy.buffer);
  const structOffset = view.getUint32(8);
  // root: FDT_BEGIN_NODE, "" padded to 4 bytes, then the first tag
  view.setUint32(structOffset + 8, 7);
  return copy;
}

Deno.test("readFdt: nop'ed nodes are skipped, the tree stays walkable", async () => {
  const editor = editFdt(await dtcCompile(SOURCE));
  editor.nopNode("/cpus/cpu@0");
  const tree = readFdt(editor.bytes());
  assertEquals(tree.node("/cpus")!.children.map((c) => c.name), ["cpu@1"]);
  assertEquals(tree.node("/cpus/cpu@0"), undefined);
  assert(toDts(editor.bytes()).includes("cpu@1 {"));
});
