/**
 * `xlite create` beside `xl create` on real Xen 4.17 (the QEMU testbed, one boot): the same
 * busybox guest created paused N times by each, as processes; Deno's start-up alone
 * (`xlite help`); and xlite's create path inside one process, by phase. Prints seconds per
 * run and the ratio xl / xlite (above 1 means xlite is faster).
 *
 *   deno run -A bench/create.ts [--runs 3] [--json]
 *
 * @module
 */
import { parseArgs } from "../lib/std/cli.ts";

const flags = parseArgs(Deno.args, { string: ["runs"], boolean: ["json"] });
const runSh = new URL("../tests/testbed/run.sh", import.meta.url).pathname;
const out = await Deno.makeTempDir({ prefix: "xlite-bench-create-" });
try {
  const { code } = await new Deno.Command("bash", {
    args: [runSh, "--out", out, "create_bench"],
    env: { XLITE_TESTBED_APPEND: `BENCH_RUNS=${flags.runs ?? 3}` },
    stdout: "inherit",
    stderr: "inherit",
  }).output();
  if (code !== 0) {
    console.error(code === 77 ? "the testbed cannot run on this host" : "bench scenario failed");
    Deno.exit(1);
  }
  const rows = new Map<string, { xl?: number; xlite?: number }>();
  for (const line of (await Deno.readTextFile(`${out}/bench.txt`)).trim().split("\n")) {
    const m = /^\s*(.*) (xl|xlite) (\d+) ([\d.]+)$/.exec(line);
    if (!m) continue;
    const row = rows.get(m[1]) ?? {};
    row[m[2] as "xl" | "xlite"] = Number(m[4]) / Number(m[3]);
    rows.set(m[1], row);
  }
  const table = [...rows].map(([row, { xl, xlite }]) => ({
    row,
    xl_s: xl ?? null,
    xlite_s: xlite ?? null,
    ratio: xl && xlite ? Number((xl / xlite).toFixed(2)) : null,
  }));
  // xl's own start-up is a few ms of native code, so xl's process time is its toolstack work:
  // compare it with xlite's create path inside one process (Deno's start-up left out).
  const xl = rows.get("create -p (process)")?.xl;
  for (const run of ["first", "later"]) {
    const inProcess = rows.get(`create -p (in process, ${run})`)?.xlite;
    if (!xl || !inProcess) continue;
    table.push({
      row: `create -p: xl process vs xlite ${run} in process`,
      xl_s: xl,
      xlite_s: inProcess,
      ratio: Number((xl / inProcess).toFixed(2)),
    });
  }
  if (flags.json) {
    console.log(JSON.stringify(table, null, 2));
  } else {
    console.log("\nreal Xen 4.17 under QEMU TCG (dom0: 1 vCPU), seconds per run");
    console.log(`${"row".padEnd(48)}${"xl".padStart(9)}${"xlite".padStart(9)}  xl/xlite`);
    for (const r of table) {
      const cell = (v: number | null) => (v === null ? "-" : v.toFixed(3)).padStart(9);
      console.log(`${r.row.padEnd(48)}${cell(r.xl_s)}${cell(r.xlite_s)}  ${r.ratio ?? "-"}`);
    }
  }
} finally {
  await Deno.remove(out, { recursive: true });
}
