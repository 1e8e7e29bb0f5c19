/**
 * xlite's virtio-blk (served by `xlite devd` over IOREQ) beside Linux's blkback (PV disk) on
 * real Xen 4.17 (the QEMU testbed's IOREQ hypervisor, one boot of the `virtio_bench`
 * scenario): in one guest, one run, two disks of the same size and content, busybox `dd` with
 * O_DIRECT: sequential 1 MiB reads and writes (MB/s), 4 KiB reads at random offsets (IOPS;
 * each read is one `dd` process, whose start-up is included: the same loop on /dev/zero is
 * printed beside); each as the ratio xlite / blkback (above 1 means xlite is faster). Also
 * devd's CPU time from the guest's creation to the end of its virtio phase and devd's RSS
 * with 0, 1, 2 and 4 disks served. A benchmark, not a test.
 *
 *   deno run -A bench/virtio_testbed.ts [--mb 32] [--random 200] [--json]
 *
 * @module
 */
import { parseArgs } from "../lib/std/cli.ts";

/** One measured row: the figure for each backend and xlite / blkback. */
export interface VirtioBenchRow {
  /** What was measured, with its unit. */
  row: string;
  /** Through xlite devd's virtio-blk. */
  xlite: number | null;
  /** Through Linux's blkback. */
  blkback: number | null;
  /** xlite / blkback (above 1: xlite is faster). */
  ratio: number | null;
}

/** The figures of one `virtio_bench` boot, from its `bench.txt`. */
export interface VirtioBenchReport {
  /** Throughput and IOPS rows. */
  rows: VirtioBenchRow[];
  /** Requests the virtio disk completed (interrupts counted in the guest), per phase. */
  virtioIrqs: number | null;
  /**
   * devd's user+system CPU seconds from the guest's creation to the end of its virtio phase,
   * and the virtio phase's own seconds (guest clock).
   */
  devdCpu: { cpu_s: number; wall_s: number } | null;
  /** Seconds of the random-read loop's `dd` processes on /dev/zero (no disk). */
  ddLoopS: number | null;
  /** devd's RSS in KiB by the number of virtio disks served. */
  rssKb: Record<string, number>;
}

/** Turns the scenario's `bench.txt` into figures (`mb`: MiB per sequential run). */
export function parseVirtioBench(text: string, mb: number, random: number): VirtioBenchReport {
  const spans = new Map<string, number>();
  const raw = new Map<string, number[]>();
  const rssKb: Record<string, number> = {};
  for (const line of text.trim().split("\n")) {
    const w = line.trim().split(/\s+/);
    if (w[0] === "rss_kb" && w.length === 3) rssKb[w[1].replace("disks=", "")] = Number(w[2]);
    else if (w.length === 4) {
      spans.set(`${w[0]} ${w[1]}`, Number(w[3]) - Number(w[2]));
      raw.set(`${w[0]} ${w[1]}`, [Number(w[2]), Number(w[3])]);
    }
  }
  const metric = (subject: string, name: string): number | null => {
    const s = spans.get(`${name} ${subject}`);
    if (s === undefined || s <= 0) return null;
    if (name === "rand_read") return random / s;
    return mb * 1.048576 / s; // MB/s (10^6 bytes)
  };
  const row = (label: string, name: string): VirtioBenchRow => {
    const xlite = metric("xlite", name);
    const blkback = metric("blkback", name);
    return {
      row: label,
      xlite,
      blkback,
      ratio: xlite !== null && blkback ? Number((xlite / blkback).toFixed(3)) : null,
    };
  };
  const irqs = raw.get("virtio_irqs xlite");
  const cpu = raw.get("devd_cpu_s virtio_phase");
  const virtioStart = raw.get("seq_read xlite")?.[0];
  const virtioEnd = raw.get("rand_read xlite")?.[1];
  return {
    rows: [
      row(`sequential 1 MiB reads, MB/s (${mb} MiB)`, "seq_read"),
      row(`sequential 1 MiB writes, MB/s (${mb} MiB)`, "seq_write"),
      row(`4 KiB random reads, IOPS (${random}, one dd each)`, "rand_read"),
    ],
    virtioIrqs: irqs ? irqs[1] - irqs[0] : null,
    devdCpu: cpu && virtioStart !== undefined && virtioEnd !== undefined
      ? { cpu_s: Number((cpu[1] - cpu[0]).toFixed(2)), wall_s: virtioEnd - virtioStart }
      : null,
    ddLoopS: spans.get("rand_read loop") ?? null,
    rssKb,
  };
}

/** Boots the testbed once for the `virtio_bench` scenario; returns its `bench.txt`. */
async function bootBench(append: string): Promise<string> {
  const runSh = new URL("../tests/testbed/run.sh", import.meta.url).pathname;
  const out = await Deno.makeTempDir({ prefix: "xlite-bench-virtio-" });
  try {
    const { code } = await new Deno.Command("bash", {
      args: [runSh, "--out", out, "virtio_bench"],
      env: { XLITE_TESTBED_APPEND: append, TIMEOUT: Deno.env.get("TIMEOUT") ?? "2400" },
      stdout: "inherit",
      stderr: "inherit",
    }).output();
    if (code !== 0) {
      console.error(code === 77 ? "the testbed cannot run on this host" : "bench scenario failed");
      Deno.exit(1);
    }
    return await Deno.readTextFile(`${out}/bench.txt`);
  } finally {
    await Deno.remove(out, { recursive: true });
  }
}

function print(report: VirtioBenchReport): void {
  const cell = (v: number | null) => (v === null ? "-" : v.toFixed(2)).padStart(10);
  const width = Math.max(...report.rows.map((r) => r.row.length)) + 2;
  console.log("\nreal Xen 4.17 (IOREQ build) under QEMU TCG, one guest, O_DIRECT dd");
  console.log(
    `${"row".padEnd(width)}${"xlite".padStart(10)}${"blkback".padStart(10)}  xlite/blkback`,
  );
  for (const r of report.rows) {
    console.log(`${r.row.padEnd(width)}${cell(r.xlite)}${cell(r.blkback)}  ${r.ratio ?? "-"}`);
  }
  if (report.virtioIrqs !== null) {
    console.log(`virtio interrupts (requests completed): ${report.virtioIrqs}`);
  }
  if (report.devdCpu) {
    console.log(
      `devd CPU over the virtio phase: ${report.devdCpu.cpu_s} s of ${
        report.devdCpu.wall_s.toFixed(2)
      } s`,
    );
  }
  if (report.ddLoopS !== null) {
    console.log(
      `the random-read loop on /dev/zero (dd start-up alone): ${report.ddLoopS.toFixed(2)} s`,
    );
  }
  console.log(
    `devd RSS by disks served: ${
      Object.entries(report.rssKb).map(([n, kb]) => `${n}: ${(kb / 1024).toFixed(1)} MiB`).join(
        ", ",
      )
    }`,
  );
}

if (import.meta.main) {
  const flags = parseArgs(Deno.args, { string: ["mb", "random"], boolean: ["json"] });
  const mb = Number(flags.mb ?? 32);
  const random = Number(flags.random ?? 200);
  const report = parseVirtioBench(
    await bootBench(`BENCH_MB=${mb} BENCH_RANDOM=${random}`),
    mb,
    random,
  );
  if (flags.json) console.log(JSON.stringify(report, null, 2));
  else print(report);
}
