/**
 * Checks the committed golden data is self-consistent: for every config the DTB read from the
 * guest's memory, with `/chosen/rng-seed` NOP-ed, is byte-identical to what the guest saw, and
 * real `dtc` decompiles it to the committed `memory.dts`.
 *
 * @module
 */
import { assert, assertEquals } from "../support/assert.ts";
import { maskRngSeed, nopProperty } from "./golden_fdt.ts";

const here = new URL(".", import.meta.url).pathname;
const names = [...Deno.readDirSync(`${here}/cfg`)]
  .filter((e) => e.name.endsWith(".cfg"))
  .map((e) => e.name.slice(0, -4))
  .sort();
const haveDtc = new Deno.Command("sh", { args: ["-c", "command -v dtc"] }).outputSync().success;
if (!haveDtc) console.log("skipping the dtc decompile checks: no dtc (device-tree-compiler)");

for (const name of names) {
  Deno.test(`golden ${name}: memory DTB with rng-seed masked equals the guest's DTB`, async () => {
    const memory = await Deno.readFile(`${here}/${name}/memory.dtb`);
    const guest = await Deno.readFile(`${here}/${name}/guest.dtb`);
    assertEquals(nopProperty(memory, "rng-seed").count, 1, "one rng-seed in libxl's DTB");
    assertEquals(nopProperty(guest, "rng-seed").count, 0, "the guest's copy has it NOP-ed");
    assertEquals(maskRngSeed(memory), guest);
  });

  Deno.test({
    name: `golden ${name}: dtc decompiles memory.dtb to the committed memory.dts`,
    ignore: !haveDtc,
    async fn() {
      const out = await new Deno.Command("dtc", {
        args: ["-q", "-I", "dtb", "-O", "dts", `${here}/${name}/memory.dtb`],
        stdout: "piped",
      }).output();
      assert(out.success, "dtc failed");
      const dts = new TextDecoder().decode(out.stdout);
      assertEquals(dts, await Deno.readTextFile(`${here}/${name}/memory.dts`));
      assert(dts.includes(`compatible = "xen,xenvm-4.17\\0xen,xenvm";`), "a Xen 4.17 guest tree");
    },
  });
}
