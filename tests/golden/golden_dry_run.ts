/**
 * Shared by the golden tests of each Xen release: runs xlite's dry run on a golden config,
 * moved onto this host (the testbed's paths into a temp dir, the kernel the 4 KiB stand-in,
 * the ramdisk as large as the one real Xen loaded), and asserts its DTB is byte for byte the
 * one real libxl put in guest memory (rng-seed masked) and its segments are real Xen's.
 *
 * @module
 */
import { assertEquals } from "../support/assert.ts";
import { runXlite } from "../support/xlite_cli.ts";
import { maskRngSeed } from "./golden_fdt.ts";

const ROOT = new URL("../..", import.meta.url).pathname;

/** One golden capture and how xlite's dry run is to be asked for it. */
export interface GoldenDryRunCase {
  /** The release's golden folder: `cfg/NAME.cfg` and `NAME/{meta.txt,memory.dtb}` in it. */
  goldenDir: string;
  name: string;
  /** `--xen-version` of the dry run. */
  xenVersion: string;
  gic: "v2" | "v3";
  /** `--domain NAME=ID`: the backend domains of the golden run. */
  domains: ReadonlyMap<string, number>;
}

/** The ramdisk size real Xen loaded ("N bytes as loaded" in meta.txt). */
export function ramdiskSize(meta: string): number {
  const match = /ramdisk file: .*?(\d+) bytes as loaded/.exec(meta);
  if (!match) throw new Error("meta.txt has no ramdisk size");
  return Number(match[1]);
}

/** Runs the dry run of `golden` and compares its DTB and segments with real libxl's. */
export async function assertDryRunMatchesGolden(golden: GoldenDryRunCase): Promise<void> {
  const { goldenDir, name } = golden;
  const tmp = await Deno.makeTempDir({ prefix: "xlite-golden-" });
  try {
    const meta = await Deno.readTextFile(`${goldenDir}/${name}/meta.txt`);
    await Deno.writeFile(`${tmp}/initrd`, new Uint8Array(ramdiskSize(meta)));
    for (const disk of ["d1.img", "d2.img", "d3.img"]) {
      await Deno.writeFile(`${tmp}/${disk}`, new Uint8Array(0));
    }
    // The kernel's size moves nothing while it ends below 128 MiB, as the real 32 MB one does.
    const cfg = (await Deno.readTextFile(`${goldenDir}/cfg/${name}.cfg`))
      .replaceAll("/tmp/", `${tmp}/`)
      .replaceAll("/boot/domu-kernel.gz", `${ROOT}examples/boot/Image`)
      .replaceAll("/boot/domu-initrd.gz", `${tmp}/initrd`);
    await Deno.writeTextFile(`${tmp}/${name}.cfg`, cfg);
    const domains = [...golden.domains].flatMap(([n, id]) => ["--domain", `${n}=${id}`]);
    const out = await runXlite([
      "create",
      "--dry-run",
      "--json",
      `${tmp}/${name}.cfg`,
      "--dtb",
      `${tmp}/xlite.dtb`,
      "--xen-version",
      golden.xenVersion,
      "--seed",
      "zero",
      "--gic",
      golden.gic,
      ...domains,
    ]);
    assertEquals(out.code, 0, out.stderr);
    const xlite = await Deno.readFile(`${tmp}/xlite.dtb`);
    const real = await Deno.readFile(`${goldenDir}/${name}/memory.dtb`);
    assertEquals(maskRngSeed(xlite), maskRngSeed(real));
    // The domain builder's segments (xl -vvv create -p) for the kernel, ramdisk and DTB.
    const memory = JSON.parse(out.stdout).memory;
    const segment = (what: string) => {
      const m = new RegExp(`${what}: (0x[0-9a-f]+) -> (0x[0-9a-f]+)`).exec(meta);
      if (!m) throw new Error(`meta.txt has no ${what} segment`);
      return [Number(m[1]), Number(m[2])];
    };
    assertEquals(memory.kernel.start, segment("kernel")[0]);
    assertEquals(memory.ramdisk.start, segment("module0")[0]);
    assertEquals([memory.dtb.start, memory.dtb.start + real.length], segment("devicetree"));
  } finally {
    await Deno.remove(tmp, { recursive: true });
  }
}
