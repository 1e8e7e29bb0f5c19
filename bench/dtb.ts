/**
 * Guest DTBs per second: xlite (build over libfdt-wasm, memory layout, finalisation, all
 * marshalling included) beside the native peer building and finalising the same tree with
 * the system libfdt (bench/native/dtb), in one run, with the ratio. Then the cold start of
 * `deno run -A main.ts create --dry-run examples/plain.cfg`.
 *
 * Steady state is measured: xlite is warmed up first (JIT), then xlite and the native peer
 * are timed in alternating rounds of `--iterations` DTBs each, so both sides see the same
 * machine load; the medians and the median per-round ratio are printed, with the load.
 *
 * usage: deno run -A bench/dtb.ts [--iterations N] [--rounds N] [--warmup N] [--cold-runs N]
 *
 * @module
 */
import { parseArgs } from "../lib/std/cli.ts";
import type { DomainConfig } from "../lib/config/types.ts";
import { createFdtWriter, editFdt } from "../lib/fdt/mod.ts";
import { buildGuestDt } from "../lib/arm/guest_dt.ts";
import { layoutMemory } from "../lib/arm/memory_layout.ts";
import { finaliseGuestDt } from "../lib/arm/finalise.ts";
import { probeKernel, syntheticArm64Image } from "../lib/arm/kernel_image.ts";
import {
  buildAll,
  genericVirtio,
  guestConfig,
  peerArgs,
  virtioDisk,
  ZERO_SEED,
} from "../tests/arm/fixtures.ts";

const args = parseArgs(Deno.args, { string: ["iterations", "rounds", "warmup", "cold-runs"] });
const iterations = Number(args.iterations ?? 2000);
const rounds = Number(args.rounds ?? 7);
const warmup = Number(args.warmup ?? 3000);
const coldRuns = Number(args["cold-runs"] ?? 5);
for (
  const [flag, value, min] of [
    ["--iterations", iterations, 1],
    ["--rounds", rounds, 1],
    ["--warmup", warmup, 0],
    ["--cold-runs", coldRuns, 0],
  ] as const
) {
  if (!Number.isInteger(value) || value < min) {
    console.error(`bench/dtb.ts: ${flag} must be an integer >= ${min}`);
    Deno.exit(2);
  }
}
const root = new URL("..", import.meta.url).pathname;
const peer = `${root}.build/dtb-peer/dtb_peer`;
const xenVersion = { major: 4, minor: 19 };

// §4.5's guest: 2 vCPUs, 1 GiB, vuart, a dom0 virtio disk, an I2C device behind domain 1.
const config: DomainConfig = guestConfig({
  source: "bench",
  name: "bench",
  memory: 1024,
  maxmem: 1024,
  vcpus: 2,
  maxvcpus: 2,
  cmdline: "console=hvc0",
  disks: [virtioDisk(0)],
  virtios: [genericVirtio(1, "virtio,device22")],
  gicVersion: "v3",
  vuart: "sbsa_uart",
});
const RAMDISK_SIZE = 989_558;
const kernel = await probeKernel(syntheticArm64Image(), "Image");

function buildOnce(): Uint8Array {
  const dt = buildGuestDt(config, {
    xenVersion,
    gicVersion: "v3",
    hasRamdisk: true,
    rngSeed: ZERO_SEED,
    newWriter: createFdtWriter,
  });
  const layout = layoutMemory({
    memoryMiB: 1024,
    kernel,
    ramdiskSize: RAMDISK_SIZE,
    dtbSize: dt.blob.length,
  });
  return finaliseGuestDt(dt.blob, layout, { xenVersion, openEditor: editFdt }).blob;
}

const sample = buildOnce();
for (let i = 0; i < warmup; i++) buildOnce(); // JIT (TurboFan), wasm tier-up, caches

await new Deno.Command("bash", { args: [`${root}bench/native/dtb/build.sh`] }).output();
// The peer builds the same guest from the same config and layout (tests/arm use it too).
const peerArguments = peerArgs(
  config,
  xenVersion,
  await buildAll(config, xenVersion, { ramdiskSize: RAMDISK_SIZE }),
);
const same = await new Deno.Command(peer, { args: peerArguments, stdout: "piped" }).output();
const identical = same.stdout.length === sample.length &&
  same.stdout.every((b, i) => b === sample[i]);

/** Seconds for `iterations` xlite DTBs. */
function timeXlite(): number {
  const t0 = performance.now();
  for (let i = 0; i < iterations; i++) buildOnce();
  return (performance.now() - t0) / 1000;
}

/** Seconds for `iterations` native DTBs, as the peer times them (no process start). */
async function timeNative(): Promise<number> {
  const timed = await new Deno.Command(peer, {
    args: [...peerArguments, "--iterations", String(iterations)],
    stdout: "piped",
  }).output();
  return Number(new TextDecoder().decode(timed.stdout).trim());
}

const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? sorted[mid] : (sorted[mid - 1] + sorted[mid]) / 2;
};
const load = () => Deno.loadavg()[0].toFixed(2);
const loadBefore = load();
const xliteTimes: number[] = [];
const nativeTimes: number[] = [];
const ratios: number[] = [];
for (let r = 0; r < rounds; r++) {
  const x = timeXlite();
  const n = await timeNative();
  xliteTimes.push(x);
  nativeTimes.push(n);
  ratios.push(x / n);
}
const xliteSeconds = median(xliteTimes);
const nativeSeconds = median(nativeTimes);

const rate = (s: number) => iterations / s;
console.log(
  `guest DTB build+layout+finalise (§4.5 guest, ${sample.length} bytes): ${rounds} alternating ` +
    `rounds of ${iterations} after ${warmup} warm-up; load average ${loadBefore} -> ${load()} ` +
    `on ${navigator.hardwareConcurrency} CPUs`,
);
console.log(
  `  xlite (libfdt-wasm): ${rate(xliteSeconds).toFixed(0).padStart(8)} DTBs/s  (${
    (xliteSeconds / iterations * 1e6).toFixed(1)
  } µs each, median)`,
);
console.log(
  `  native (libfdt, C):  ${rate(nativeSeconds).toFixed(0).padStart(8)} DTBs/s  (${
    (nativeSeconds / iterations * 1e6).toFixed(1)
  } µs each, median)`,
);
console.log(
  `  ratio xlite/native time: ${median(ratios).toFixed(2)}× median (rounds: ${
    ratios.map((q) => q.toFixed(2)).join(" ")
  })   bytes identical: ${identical}`,
);

const walls: number[] = [];
for (let i = 0; i < coldRuns; i++) {
  const start = performance.now();
  const out = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", `${root}main.ts`, "create", "--dry-run", "examples/plain.cfg"],
    cwd: root,
    stdout: "null",
    stderr: "piped",
  }).output();
  walls.push(performance.now() - start);
  if (!out.success) {
    console.log(
      `cold start: create --dry-run failed: ${new TextDecoder().decode(out.stderr).trim()}`,
    );
    Deno.exit(1);
  }
}
walls.sort((a, b) => a - b);
if (coldRuns > 0) {
  console.log(
    `cold start 'deno run -A main.ts create --dry-run examples/plain.cfg': median ${
      walls[walls.length >> 1].toFixed(0)
    } ms (min ${walls[0].toFixed(0)}, ${coldRuns} runs)`,
  );
}
