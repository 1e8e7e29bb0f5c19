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
const disk = {
  backendDomid: 0,
  pdevPath: "/dev/vg/d1",
  vdev: "xvda",
  backend: "standalone",
  format: "raw",
  removable: 0,
  readwrite: 1,
  isCdrom: 0,
  directIoSafe: false,
  specification: "virtio",
  transport: "mmio",
  irq: 33,
  base: 0x2000000n,
  coloPort: 0,
} as const;
const config: DomainConfig = {
  source: "bench",
  name: "bench",
  type: "pvh",
  memory: 1024,
  maxmem: 1024,
  vcpus: 2,
  maxvcpus: 2,
  cmdline: "console=hvc0",
  disks: [{ ...disk }],
  vifs: [],
  virtios: [{
    backendDomid: 1,
    type: "virtio,device22",
    transport: "mmio",
    devid: 0,
    irq: 34,
    base: 0x2000200n,
  }],
  gicVersion: "v3",
  tee: "none",
  vuart: "sbsa_uart",
  dtdev: [],
  iomem: [],
  irqs: [],
  onPoweroff: "destroy",
  onReboot: "restart",
  onCrash: "destroy",
  warnings: [],
};
const kernel = await probeKernel(syntheticArm64Image(), "Image");
const seed = new Uint8Array(128);

function buildOnce(): Uint8Array {
  const dt = buildGuestDt(config, {
    xenVersion,
    gicVersion: "v3",
    hasRamdisk: true,
    rngSeed: seed,
    newWriter: createFdtWriter,
  });
  const layout = layoutMemory({
    memoryMiB: 1024,
    kernel,
    ramdiskSize: 989_558,
    dtbSize: dt.blob.length,
  });
  return finaliseGuestDt(dt.blob, layout, { xenVersion, openEditor: editFdt }).blob;
}

const sample = buildOnce();
for (let i = 0; i < warmup; i++) buildOnce(); // JIT (TurboFan), wasm tier-up, caches

await new Deno.Command("bash", { args: [`${root}bench/native/dtb/build.sh`] }).output();
const peerArgs = [
  "--xen",
  "4.19",
  "--vcpus",
  "2",
  "--gic",
  "3",
  "--vuart",
  "--cmdline",
  "console=hvc0",
  "--ramdisk",
  "0x47f0d000,0x47fff000",
  "--disk",
  "0x2000000,33,0,0",
  "--virtio",
  "0x2000200,34,1,1,virtio,device22",
  "--hyp-reg",
  "0x38000000,0x1000000",
  "--hyp-reg",
  "0x80000000,0x80000000",
  "--hyp-reg",
  "0x200000000,0xfe00000000",
  "--bank",
  "0x40000000,0x40000000",
];
const layout = layoutMemory({
  memoryMiB: 1024,
  kernel,
  ramdiskSize: 989_558,
  dtbSize: sample.length,
});
peerArgs[peerArgs.indexOf("--ramdisk") + 1] = `0x${layout.ramdisk!.start.toString(16)},0x${
  layout.ramdisk!.end.toString(16)
}`;
const same = await new Deno.Command(peer, { args: peerArgs, stdout: "piped" }).output();
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
    args: [...peerArgs, "--iterations", String(iterations)],
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
