// xlite's DTB for each golden config (tests/golden, captured from real libxl 4.17 on real
// Xen) is byte-for-byte the DTB real libxl put in guest memory, with /chosen/rng-seed masked.
import { assertEquals } from "../support/assert.ts";
import { maskRngSeed } from "../golden/golden_fdt.ts";

const ROOT = new URL("../..", import.meta.url).pathname;
const GOLDEN = `${ROOT}tests/golden`;
const names = [...Deno.readDirSync(`${GOLDEN}/cfg`)]
  .filter((e) => e.name.endsWith(".cfg"))
  .map((e) => e.name.slice(0, -4))
  .sort();

/** The ramdisk size real Xen loaded ("N bytes as loaded" in meta.txt). */
function ramdiskSize(meta: string): number {
  const match = /ramdisk file: .*?(\d+) bytes as loaded/.exec(meta);
  if (!match) throw new Error("meta.txt has no ramdisk size");
  return Number(match[1]);
}

for (const name of names) {
  Deno.test(`golden ${name}: DTB == real libxl 4.17's (rng-seed masked); segments == real Xen's`, async () => {
    const dir = await Deno.makeTempDir({ prefix: "xlite-golden-" });
    try {
      const meta = await Deno.readTextFile(`${GOLDEN}/${name}/meta.txt`);
      await Deno.writeFile(`${dir}/initrd`, new Uint8Array(ramdiskSize(meta)));
      for (const d of ["d1.img", "d2.img", "d3.img"]) {
        await Deno.writeFile(`${dir}/${d}`, new Uint8Array(0));
      }
      // The testbed's paths, moved into the temp dir; the kernel is the 4 KiB stand-in (its
      // size does not move anything while it ends below 128 MiB, as the real 32 MB one does).
      const cfg = (await Deno.readTextFile(`${GOLDEN}/cfg/${name}.cfg`))
        .replaceAll("/tmp/", `${dir}/`)
        .replaceAll("/boot/domu-kernel.gz", `${ROOT}examples/boot/Image`)
        .replaceAll("/boot/domu-initrd.gz", `${dir}/initrd`);
      await Deno.writeTextFile(`${dir}/${name}.cfg`, cfg);
      const out = await new Deno.Command(Deno.execPath(), {
        args: [
          "run",
          "-A",
          `${ROOT}main.ts`,
          "create",
          "--dry-run",
          "--json",
          `${dir}/${name}.cfg`,
          "--dtb",
          `${dir}/xlite.dtb`,
          "--xen-version",
          "4.17",
          "--seed",
          "zero",
          "--gic",
          name === "gicv2" ? "v2" : "v3",
          "--domain",
          "xlite-drv=3",
        ],
        stdout: "piped",
        stderr: "piped",
      }).output();
      assertEquals(out.code, 0, new TextDecoder().decode(out.stderr));
      const xlite = await Deno.readFile(`${dir}/xlite.dtb`);
      const real = await Deno.readFile(`${GOLDEN}/${name}/memory.dtb`);
      assertEquals(maskRngSeed(xlite), maskRngSeed(real));
      // The domain builder's segments (xl -vvv create -p) for the ramdisk and the DTB.
      const memory = JSON.parse(new TextDecoder().decode(out.stdout)).memory;
      const segment = (what: string) => {
        const m = new RegExp(`${what}: (0x[0-9a-f]+) -> (0x[0-9a-f]+)`).exec(meta);
        if (!m) throw new Error(`meta.txt has no ${what} segment`);
        return [Number(m[1]), Number(m[2])];
      };
      assertEquals(memory.kernel.start, segment("kernel")[0]);
      assertEquals(memory.ramdisk.start, segment("module0")[0]);
      assertEquals([memory.dtb.start, memory.dtb.start + real.length], segment("devicetree"));
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  });
}

for (const name of names) {
  Deno.test(`golden ${name}: the plan's config section == real 'xl -N create' (uuid masked)`, async () => {
    const { parseDomainConfig } = await import("../../lib/config/domain_config.ts");
    const { domainConfigToXlJson, printYajl } = await import("../../lib/domain/xl_json.ts");
    const text = await Deno.readTextFile(`${GOLDEN}/cfg/${name}.cfg`);
    const config = parseDomainConfig(text, { source: `${name}.cfg` });
    const mask = (json: string) => json.replace(/"uuid": "[0-9a-f-]{36}"/, '"uuid": "*"');
    const ours = printYajl(domainConfigToXlJson(config)) + "\n";
    assertEquals(mask(ours), mask(await Deno.readTextFile(`${GOLDEN}/${name}/xl-N.json`)));
  });
}
