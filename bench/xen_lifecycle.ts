/**
 * xlite's lifecycle commands beside xl on real Xen (the QEMU testbed, one boot; `--suite` as in
 * bench/create.ts): `list`
 * and `pause`+`unpause` as processes (each xlite run includes deno's start-up, slow under
 * TCG), and the `list` path N times inside one process against `xl list` N times. Prints each
 * row with the ratio xl time / xlite time (above 1 means xlite is faster).
 *
 *   deno run -A bench/xen_lifecycle.ts [--runs 3] [--loops 50] [--suite bookworm|trixie] [--json]
 *
 * @module
 */
import { parseArgs } from "../lib/std/cli.ts";
import { compareRow, printTestbedTable, runTestbedBench } from "./testbed_bench.ts";

const flags = parseArgs(Deno.args, { string: ["runs", "loops", "suite"], boolean: ["json"] });
const { figures, xen } = await runTestbedBench(
  "bench",
  `BENCH_RUNS=${flags.runs ?? 3} BENCH_LOOPS=${flags.loops ?? 50}`,
  typeof flags.suite === "string" ? flags.suite : undefined,
);
printTestbedTable(
  [...figures].map(([row, { xl, xlite }]) => compareRow(row, xl, xlite)),
  Boolean(flags.json),
  xen,
);
