/**
 * Disk-spec parsing throughput: xlite (batch and single-call) beside the native libxlutil
 * parser (`bench/native/disk_parse`, Debian's xlu_disk_parse) on the same corpora, in one
 * run, printed with the ratio; then the cold start of `deno run -A main.ts disk-parse`.
 *
 *   deno run -A bench/disk_parse.ts [--seconds 2] [--memory]
 *
 * `--memory` also runs 10 million parses and prints the WASM memory size before and after.
 *
 * @module
 */
import { parseArgs } from "../lib/std/cli.ts";
import { parseDiskSpec, parseDiskSpecs } from "../lib/disk/mod.ts";
import { engineMemory } from "../lib/disk/engine.ts";
import { generateSpecs } from "../tests/disk/spec_gen.ts";
import { fileURLToPath } from "node:url";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const NATIVE = `${ROOT}.build/disk_parse_bench/disk_parse_bench`;
const flags = parseArgs(Deno.args, { string: ["seconds"], boolean: ["memory"] });
const SECONDS = Number(flags.seconds ?? 2);

function hex(s: string): string {
  return Array.from(new TextEncoder().encode(s), (b) => b.toString(16).padStart(2, "0")).join(
    "",
  );
}

/** Specs per second of `fn` over `corpus`, run for about SECONDS. */
function rate(corpus: string[], fn: (corpus: string[]) => void): number {
  fn(corpus); // warm up
  const start = performance.now();
  let n = 0;
  while (performance.now() - start < SECONDS * 1000) {
    fn(corpus);
    n += corpus.length;
  }
  return n / ((performance.now() - start) / 1000);
}

async function native(corpus: string[]): Promise<number> {
  const file = await Deno.makeTempFile({ suffix: ".corpus" });
  try {
    await Deno.writeTextFile(file, corpus.map(hex).join("\n") + "\n");
    const run = async (rounds: number) => {
      const out = await new Deno.Command(NATIVE, { args: [file, String(rounds)] }).output();
      if (out.code !== 0) {
        throw new Error(`native peer failed: ${new TextDecoder().decode(out.stderr)}`);
      }
      return JSON.parse(new TextDecoder().decode(out.stdout)) as { specs: number; seconds: number };
    };
    const probe = await run(1);
    const rounds = Math.max(1, Math.round(SECONDS / Math.max(probe.seconds, 1e-6)));
    const r = await run(rounds);
    return r.specs / r.seconds;
  } finally {
    await Deno.remove(file);
  }
}

function fmt(n: number): string {
  return Math.round(n).toLocaleString("en-US").padStart(12);
}

async function main(): Promise<void> {
  const build = await new Deno.Command("bash", {
    args: [`${ROOT}bench/native/disk_parse/build.sh`],
  }).output();
  if (build.code !== 0) throw new Error("building the native peer failed");

  const corpora: [string, string[]][] = [
    [
      "config (valid)",
      Array.from({ length: 10000 }, (_, i) =>
        [
          `/dev/vg/guest${i},raw,xvda,rw,specification=virtio`,
          `format=raw, vdev=xvdb, access=ro, target=/srv/img/${i}.img`,
          `phy:/dev/mapper/d${i},xvdc,w`,
          `/root/image${i}.iso,,hdc,cdrom`,
        ][i % 4]),
    ],
    // xl's flex scanner exits on `=` before a newline, so the shared corpus has none
    ["generated (mixed)", generateSpecs(7, 10000).filter((s) => !s.includes("\n"))],
  ];
  console.log(`disk-spec parsing, specs/second (${SECONDS} s each, ${Deno.build.arch})`);
  console.log(
    `${"corpus".padEnd(20)}${"xlite batch".padStart(12)}${"xlite single".padStart(14)}` +
      `${"native".padStart(12)}${"batch/native".padStart(14)}${"single/native".padStart(15)}`,
  );
  for (const [name, corpus] of corpora) {
    const batch = rate(corpus, (c) => parseDiskSpecs(c));
    const single = rate(corpus, (c) => {
      for (const s of c) {
        try {
          parseDiskSpec(s);
        } catch { /* errors are results here */ }
      }
    });
    const nat = await native(corpus);
    console.log(
      `${name.padEnd(20)}${fmt(batch)}  ${fmt(single)}${fmt(nat)}` +
        `${(batch / nat).toFixed(2).padStart(13)}x${(single / nat).toFixed(2).padStart(14)}x`,
    );
  }

  // cold start: a fresh process per parse
  const spec = "/dev/vg/d1,raw,xvda,rw,specification=virtio";
  const times: number[] = [];
  const nativeTimes: number[] = [];
  for (let i = 0; i < 10; i++) {
    let t = performance.now();
    const out = await new Deno.Command(Deno.execPath(), {
      args: ["run", "-A", `${ROOT}main.ts`, "disk-parse", "--json", spec],
      stdout: "null",
    }).output();
    times.push(performance.now() - t);
    if (out.code !== 0) throw new Error("xlite disk-parse failed");
    const file = await Deno.makeTempFile();
    await Deno.writeTextFile(file, hex(spec) + "\n");
    t = performance.now();
    await new Deno.Command(NATIVE, { args: [file, "1"], stdout: "null" }).output();
    nativeTimes.push(performance.now() - t);
    await Deno.remove(file);
  }
  const median = (xs: number[]) => xs.sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  console.log(
    `cold start, median of 10: deno run -A main.ts disk-parse --json SPEC ${
      median(times).toFixed(1)
    } ms; native peer process ${median(nativeTimes).toFixed(1)} ms`,
  );

  if (flags.memory) {
    const corpus = corpora[1][1];
    const before = engineMemory().buffer.byteLength;
    let n = 0;
    const start = performance.now();
    while (n < 10_000_000) {
      parseDiskSpecs(corpus);
      n += corpus.length;
    }
    const after = engineMemory().buffer.byteLength;
    console.log(
      `${n.toLocaleString("en-US")} parses in ${
        ((performance.now() - start) / 1000).toFixed(1)
      } s: ` +
        `WASM memory ${before} -> ${after} bytes`,
    );
  }
}

if (import.meta.main) await main();
