// The partial device tree (`device_tree = "…"`, spec §4.1, §4.3): libxl's checks with its
// texts, and its copy of /passthrough and /aliases into the guest tree, last under the root,
// properties verbatim. Partial trees are compiled by the real dtc.
import { assertEquals, assertThrows } from "../support/assert.ts";
import { createFdtWriter, readFdt } from "../../lib/fdt/mod.ts";
import { buildGuestDt } from "../../lib/arm/guest_dt.ts";
import { checkPartialDt, PartialDtError } from "../../lib/arm/partial_dt.ts";
import { dtcCompile, dtcDecompile } from "../fdt/dtc_tools.ts";
import { guestConfig, virtioDisk, ZERO_SEED } from "./fixtures.ts";

const PL031 = await Deno.readTextFile(
  new URL("../testbed/passthrough/pl031.dts", import.meta.url),
);

const build = (partial: Uint8Array, disks = [virtioDisk(0)]) =>
  buildGuestDt(guestConfig({ disks }), {
    xenVersion: { major: 4, minor: 17 },
    gicVersion: "v3",
    hasRamdisk: false,
    rngSeed: ZERO_SEED,
    partialDt: checkPartialDt(partial),
    newWriter: createFdtWriter,
  }).blob;

Deno.test("§4.3: /passthrough then /aliases come last, after the virtio nodes, verbatim", async () => {
  const partial = await dtcCompile(PL031);
  const tree = readFdt(build(partial));
  assertEquals(tree.root.children.map((n) => n.name).slice(-3), [
    "virtio@2000000",
    "passthrough",
    "aliases",
  ]);
  // the copied subtrees decompile exactly as dtc shows them in the partial tree
  const section = (dts: string, name: string) => {
    const at = dts.indexOf(`\t${name} {`);
    return dts.slice(at, dts.indexOf("\n\t};\n", at));
  };
  const guestDts = (await dtcDecompile(build(partial))).stdout;
  const partialDts = (await dtcDecompile(partial)).stdout;
  for (const name of ["passthrough", "aliases"]) {
    assertEquals(section(guestDts, name), section(partialDts, name));
  }
});

Deno.test("§4.3: /aliases is optional; a tree without it gets only /passthrough", async () => {
  const partial = await dtcCompile("/dts-v1/;\n/ { passthrough { foo = <1>; }; other { }; };");
  const tree = readFdt(build(partial, []));
  assertEquals(tree.root.children.at(-1)?.name, "passthrough");
  assertEquals(tree.root.children.some((n) => n.name === "other"), false);
});

Deno.test("libxl's refusals: no /passthrough (unit address counts), not an FDT, bad header, short file", async () => {
  for (const source of ["/ { };", "/ { passthrough@0 { }; };", "/ { a { passthrough { }; }; };"]) {
    const partial = await dtcCompile(`/dts-v1/;\n${source}`);
    assertThrows(
      () => build(partial),
      PartialDtError,
      'Can\'t copy the node "/passthrough" from the partial FDT',
    );
  }
  assertThrows(
    () => checkPartialDt(new TextEncoder().encode("not a device tree")),
    PartialDtError,
    "Partial FDT is not a valid Flat Device Tree",
  );
  const good = await dtcCompile(PL031);
  const badVersion = good.slice();
  new DataView(badVersion.buffer).setUint32(20, 1); // version 1: libfdt's -FDT_ERR_BADVERSION
  assertThrows(
    () => checkPartialDt(badVersion),
    PartialDtError,
    "Failed to check the partial FDT (-10)",
  );
  assertThrows(
    () => checkPartialDt(good.subarray(0, good.length - 8)),
    PartialDtError,
    "Partial FDT totalsize is too big",
  );
});
