/**
 * `xlite create` beside `xl create` on real Xen (the QEMU testbed, one boot; `--suite bookworm`
 * boots Xen 4.17, `--suite trixie` Xen 4.20; default `XLITE_TESTBED_SUITE`, else bookworm): the same
 * busybox guest created paused N times by each, as processes; Deno's start-up alone
 * (`xlite help`); and xlite's create path inside one process, by phase. Prints seconds per
 * run and the ratio xl / xlite (above 1 means xlite is faster).
 *
 *   deno run -A bench/create.ts [--runs 3] [--suite bookworm|trixie] [--json]
 *
 * @module
 */
import { parseArgs } from "../lib/std/cli.ts";
import { compareRow, printTestbedTable, runTestbedBench } from "./testbed_bench.ts";

const flags = parseArgs(Deno.args, { string: ["runs", "suite"], boolean: ["json"] });
const { figures, xen } = await runTestbedBench(
  "create_bench",
  `BENCH_RUNS=${flags.runs ?? 3}`,
  typeof flags.suite === "string" ? flags.suite : undefined,
);
const table = [...figures].map(([row, { xl, xlite }]) => compareRow(row, xl, xlite));
// xl's own start-up is a few ms of native code, so xl's process time is its toolstack work:
// compare it with xlite's create path inside one process (Deno's start-up left out).
const xl = figures.get("create -p (process)")?.xl;
for (const run of ["first", "later"]) {
  const inProcess = figures.get(`create -p (in process, ${run})`)?.xlite;
  if (xl && inProcess) {
    table.push(compareRow(`create -p: xl process vs xlite ${run} in process`, xl, inProcess));
  }
}
printTestbedTable(table, Boolean(flags.json), xen);
