/**
 * xlite's lifecycle commands beside xl on real Xen 4.17 (the QEMU testbed, one boot): `list`
 * and `pause`+`unpause` as processes (each xlite run includes deno's start-up, slow under
 * TCG), and the `list` path N times inside one process against `xl list` N times. Prints each
 * row with the ratio xl time / xlite time (above 1 means xlite is faster).
 *
 *   deno run -A bench/xen_lifecycle.ts [--runs 3] [--loops 50] [--json]
 *
 * @module
 */
import { parseArgs } from "../lib/std/cli.ts";

const flags = parseArgs(Deno.args, { string: ["runs", "loops"], boolean: ["json"] });
const runSh = new URL("../tests/testbed/run.sh", import.meta.url).pathname;
const out = await Deno.makeTempDir({ prefix: "xlite-bench-xen-" });
try {
  const append = `BENCH_RUNS=${flags.runs ?? 3} BENCH_LOOPS=${flags.loops ?? 50}`;
  const { code } = await new Deno.Command("bash", {
    args: [runSh, "--out", out, "bench"],
    env: { XLITE_TESTBED_APPEND: append },
    stdout: "inherit",
    stderr: "inherit",
  }).output();
  if (code !== 0) {
    console.error(code === 77 ? "the testbed cannot run on this host" : "bench scenario failed");
    Deno.exit(1);
  }
  const rows = new Map<string, { xl?: number; xlite?: number; runs?: number }>();
  for (const line of (await Deno.readTextFile(`${out}/bench.txt`)).trim().split("\n")) {
    const m = /^(.*) (xl|xlite) (\d+) ([\d.]+)$/.exec(line);
    if (!m) continue;
    const row = rows.get(m[1]) ?? {};
    row[m[2] as "xl" | "xlite"] = Number(m[4]) / Number(m[3]);
    rows.set(m[1], row);
  }
  const table = [...rows].map(([row, { xl, xlite }]) => ({
    row,
    xl_s: xl,
    xlite_s: xlite,
    ratio: xl && xlite ? Number((xl / xlite).toFixed(2)) : null,
  }));
  if (flags.json) {
    console.log(JSON.stringify(table, null, 2));
  } else {
    console.log("\nreal Xen 4.17 under QEMU TCG (dom0: 1 vCPU), seconds per run");
    console.log(`${"row".padEnd(28)}${"xl".padStart(9)}${"xlite".padStart(9)}  xl/xlite`);
    for (const r of table) {
      console.log(
        `${r.row.padEnd(28)}${r.xl_s?.toFixed(3).padStart(9)}${r.xlite_s?.toFixed(3).padStart(9)}` +
          `  ${r.ratio}`,
      );
    }
  }
} finally {
  await Deno.remove(out, { recursive: true });
}
