/**
 * Xenstore client throughput: xlite's client beside a C program on Debian's libxenstore
 * (`bench/native/xenstore/xs_bench.c`), the same sequence on the same private real daemon,
 * in one run, printed with the ratio (xlite / libxenstore; above 1 means xlite is faster).
 *
 *   deno run -A bench/xenstore.ts [--count 20000] [--flavour c|ocaml|both] [--window 64] [--json]
 *
 * Rows: sequential reads, sequential writes (one request in flight), and pipelined reads
 * (`--window` requests in flight on one connection). libxenstore cannot pipeline (one
 * request in flight per handle), so the pipelined row compares against its sequential reads.
 * Last, "full device add" (`--devices` of them, ops/s = devices/s): a PV disk added the way
 * libxl's device_disk_add does it, in ONE transaction (exists check + the 45 operations of
 * `lib/devices`' plan); the C peer replays the very same operation list.
 *
 * @module
 */
import { parseArgs } from "../lib/std/cli.ts";
import { openXenstore, type XenstoreClient } from "../lib/xenstore/mod.ts";
import { startXenstored, type XenstoredFlavour } from "../tests/support/xenstored.ts";
import { fileURLToPath } from "node:url";
import { parseDiskSpec, setDiskDefaults } from "../lib/disk/mod.ts";
import { type DeviceAddPlan, planDiskAdd, writeDevice } from "../lib/devices/mod.ts";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const NATIVE = `${ROOT}.build/xenstore_bench/xs_bench`;
const flags = parseArgs(Deno.args, {
  string: ["count", "flavour", "window", "devices"],
  boolean: ["json"],
});
const COUNT = Number(flags.count ?? 20000);
const WINDOW = Number(flags.window ?? 64);
const DEVICES = Number(flags.devices ?? 1000);
const FLAVOURS: XenstoredFlavour[] = flags.flavour === "both"
  ? ["c", "ocaml"]
  : [(flags.flavour as XenstoredFlavour | undefined) ?? "c"];

/** One row of results. */
interface Row {
  daemon: XenstoredFlavour;
  op: string;
  xliteOpsPerSec: number;
  libxenstoreOpsPerSec: number;
  ratio: number;
}

async function timed(fn: () => Promise<void>): Promise<number> {
  const start = performance.now();
  await fn();
  return COUNT / ((performance.now() - start) / 1000);
}

async function nativeRate(env: Record<string, string>, mode: string, key: string) {
  const out = await new Deno.Command(NATIVE, {
    args: [mode, String(COUNT), key],
    env,
    stdout: "piped",
    stderr: "piped",
  }).output();
  if (out.code !== 0) {
    throw new Error(`native peer failed: ${new TextDecoder().decode(out.stderr)}`);
  }
  const r = JSON.parse(new TextDecoder().decode(out.stdout)) as { ops: number; seconds: number };
  return r.ops / r.seconds;
}

async function xliteRates(xs: XenstoreClient, key: string) {
  await xs.write(key, "0");
  for (let i = 0; i < 500; i++) await xs.read(key); // warm up
  const read = await timed(async () => {
    for (let i = 0; i < COUNT; i++) await xs.readBytes(key);
  });
  const write = await timed(async () => {
    for (let i = 0; i < COUNT; i++) await xs.write(key, String(i));
  });
  const pipelined = await timed(async () => {
    for (let done = 0; done < COUNT; done += WINDOW) {
      const batch = Math.min(WINDOW, COUNT - done);
      await Promise.all(Array.from({ length: batch }, () => xs.readBytes(key)));
    }
  });
  return { read, write, pipelined };
}

/** The plan of the device-add rows: xvda of guest 5, dom0's blkback, no-op hotplug script. */
function devicePlan(): DeviceAddPlan {
  const disk = setDiskDefaults(parseDiskSpec("/dev/bench,raw,xvda,rw,script=/bin/true"), {
    hotplug: true,
  });
  return planDiskAdd(disk, 5);
}

/** xlite: DEVICES device adds, each one transaction; removal between adds is not timed. */
async function xliteDeviceRate(xs: XenstoreClient, plan: DeviceAddPlan): Promise<number> {
  const stale = plan.ops.filter((op) => op.op === "rm").map((op) => op.path);
  let seconds = 0;
  for (let i = 0; i < DEVICES; i++) {
    const start = performance.now();
    await writeDevice(xs, plan);
    seconds += (performance.now() - start) / 1000;
    for (const path of stale) await xs.rm(path);
  }
  return DEVICES / seconds;
}

/** The C peer replaying the same operations (`xs_bench device`). */
async function nativeDeviceRate(env: Record<string, string>, plan: DeviceAddPlan) {
  const file = await Deno.makeTempFile({ prefix: "xlite-bench-ops-" });
  try {
    await Deno.writeTextFile(
      file,
      plan.ops.map((op) =>
        op.op === "rm" || op.op === "mkdir"
          ? `${op.op}\t${op.path}\n`
          : op.op === "setPerms"
          ? `perms\t${op.path}\t${op.perms.map((p) => `${p.access}${p.domid}`).join(",")}\n`
          : `write\t${op.path}\t${op.value}\n`
      ).join(""),
    );
    const out = await new Deno.Command(NATIVE, {
      args: ["device", String(DEVICES), file],
      env,
      stdout: "piped",
      stderr: "piped",
    }).output();
    if (out.code !== 0) {
      throw new Error(`native peer failed: ${new TextDecoder().decode(out.stderr)}`);
    }
    const r = JSON.parse(new TextDecoder().decode(out.stdout)) as { ops: number; seconds: number };
    return r.ops / r.seconds;
  } finally {
    await Deno.remove(file);
  }
}

const build = await new Deno.Command("bash", {
  args: [`${ROOT}bench/native/xenstore/build.sh`],
}).output();
if (build.code !== 0) throw new Error(new TextDecoder().decode(build.stderr));

const rows: Row[] = [];
for (const flavour of FLAVOURS) {
  await using xsd = await startXenstored({ flavour });
  const xs = await openXenstore({ path: xsd.socketPath });
  try {
    const ours = await xliteRates(xs, "/bench/xlite");
    const cRead = await nativeRate(xsd.env, "read", "/bench/c");
    const cWrite = await nativeRate(xsd.env, "write", "/bench/c");
    const row = (op: string, x: number, c: number) =>
      rows.push({ daemon: flavour, op, xliteOpsPerSec: x, libxenstoreOpsPerSec: c, ratio: x / c });
    row("sequential read", ours.read, cRead);
    row("sequential write", ours.write, cWrite);
    row(`pipelined read (${WINDOW} in flight)`, ours.pipelined, cRead);
    const plan = devicePlan();
    const devices = await xliteDeviceRate(xs, plan);
    row("full device add (vbd, 1 tx)", devices, await nativeDeviceRate(xsd.env, plan));
  } finally {
    xs.close();
  }
}

if (flags.json) {
  console.log(JSON.stringify({ count: COUNT, window: WINDOW, rows }));
} else {
  console.log(`xenstore client, ${COUNT} ops per row (ops/s; ratio = xlite / libxenstore)`);
  console.log(
    `${"daemon".padEnd(7)}${"operation".padEnd(32)}${"xlite".padStart(10)}${
      "libxenstore".padStart(13)
    }${"ratio".padStart(8)}`,
  );
  for (const r of rows) {
    console.log(
      `${r.daemon.padEnd(7)}${r.op.padEnd(32)}${r.xliteOpsPerSec.toFixed(0).padStart(10)}${
        r.libxenstoreOpsPerSec.toFixed(0).padStart(13)
      }${r.ratio.toFixed(2).padStart(8)}`,
    );
  }
}
