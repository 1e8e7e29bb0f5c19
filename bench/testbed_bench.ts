/**
 * What the real-Xen benchmarks share: boot the QEMU testbed once for a bench scenario, read
 * the `<row> <tool> <runs> <seconds>` lines it leaves in `bench.txt`, and print them as
 * seconds per run with the ratio xl / xlite (above 1 means xlite is faster).
 *
 * @module
 */

/** One printed row: seconds per run for each tool, and xl / xlite. */
export interface TestbedRow {
  /** What was measured. */
  row: string;
  /** xl's seconds per run (null: not measured). */
  xl_s: number | null;
  /** xlite's seconds per run (null: not measured). */
  xlite_s: number | null;
  /** xl / xlite (above 1: xlite is faster). */
  ratio: number | null;
}

/** Seconds per run, by row and tool, as the scenario measured them. */
export type TestbedFigures = Map<string, { xl?: number; xlite?: number }>;

/** What one bench boot measured, and on which hypervisor. */
export interface TestbedBench {
  /** Seconds per run, by row and tool. */
  figures: TestbedFigures;
  /** The hypervisor's release as `xl info` gave it (`4.20.4`), from the scenario's `xen` line. */
  xen: string;
}

/**
 * Runs `scenario` in one testbed boot of `suite` (bookworm: Xen 4.17, trixie: Xen 4.20; the
 * default is run.sh's: `XLITE_TESTBED_SUITE`, else bookworm) with `append` (`KEY=value` words
 * for the scenario's environment); exits 1 with a one-line reason when the testbed cannot run
 * or the scenario fails.
 */
export async function runTestbedBench(
  scenario: string,
  append: string,
  suite?: string,
): Promise<TestbedBench> {
  const runSh = new URL("../tests/testbed/run.sh", import.meta.url).pathname;
  const out = await Deno.makeTempDir({ prefix: `xlite-bench-${scenario}-` });
  let code: number;
  let report = "";
  try {
    ({ code } = await new Deno.Command("bash", {
      args: [runSh, "--out", out, scenario],
      env: { XLITE_TESTBED_APPEND: append, ...(suite ? { XLITE_TESTBED_SUITE: suite } : {}) },
      stdout: "inherit",
      stderr: "inherit",
    }).output());
    if (code === 0) report = await Deno.readTextFile(`${out}/bench.txt`);
  } finally {
    await Deno.remove(out, { recursive: true });
  }
  if (code !== 0) {
    console.error(code === 77 ? "the testbed cannot run on this host" : "bench scenario failed");
    Deno.exit(1);
  }
  const figures: TestbedFigures = new Map();
  let xen = "?";
  for (const line of report.trim().split("\n")) {
    const release = /^xen (\S+)$/.exec(line);
    if (release) xen = release[1];
    const m = /^\s*(.*) (xl|xlite) (\d+) ([\d.]+)$/.exec(line);
    if (!m) continue;
    const row = figures.get(m[1]) ?? {};
    row[m[2] as "xl" | "xlite"] = Number(m[4]) / Number(m[3]);
    figures.set(m[1], row);
  }
  return { figures, xen };
}

/** A row from two figures (either may be missing). */
export function compareRow(row: string, xl?: number, xlite?: number): TestbedRow {
  return {
    row,
    xl_s: xl ?? null,
    xlite_s: xlite ?? null,
    ratio: xl && xlite ? Number((xl / xlite).toFixed(2)) : null,
  };
}

/**
 * Prints `table` as JSON (`{ xen, rows }`), or as aligned text under a heading naming the
 * hypervisor's release `xen`.
 */
export function printTestbedTable(table: TestbedRow[], json: boolean, xen: string): void {
  if (json) {
    console.log(JSON.stringify({ xen, rows: table }, null, 2));
    return;
  }
  const width = Math.max(...table.map((r) => r.row.length), 3) + 2;
  const cell = (v: number | null) => (v === null ? "-" : v.toFixed(3)).padStart(9);
  console.log(`\nreal Xen ${xen} under QEMU TCG (dom0: 1 vCPU), seconds per run`);
  console.log(`${"row".padEnd(width)}${"xl".padStart(9)}${"xlite".padStart(9)}  xl/xlite`);
  for (const r of table) {
    console.log(`${r.row.padEnd(width)}${cell(r.xl_s)}${cell(r.xlite_s)}  ${r.ratio ?? "-"}`);
  }
}
