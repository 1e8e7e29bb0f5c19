/**
 * xl.cfg parsing throughput: xlite's reader beside Debian's libxlutil
 * (`bench/native/xl_cfg`, xlu_cfg_readdata) on the same corpora, in one run, with the
 * ratio; then parseDomainConfig (reader + xl's rules + disks + virtio) on its own. A valid
 * config takes the reader's direct descent; one with errors is read again by the LALR
 * automaton for bison's report, so the mixed and mostly-bad corpora measure that path.
 *
 *   deno run -A bench/xl_cfg.ts [--seconds 2]
 *
 * @module
 */
import { parseArgs } from "../lib/std/cli.ts";
import { readXlCfg } from "../lib/config/xl_cfg.ts";
import { parseDomainConfig } from "../lib/config/domain_config.ts";
import { mutated, rng, soup } from "../tests/config/xl_cfg_corpus.ts";
import { fileURLToPath } from "node:url";

const ROOT = fileURLToPath(new URL("..", import.meta.url));
const NATIVE = `${ROOT}.build/xl_cfg_bench/xl_cfg_peer`;
const flags = parseArgs(Deno.args, { string: ["seconds"] });
const SECONDS = Number(flags.seconds ?? 2);
const encoder = new TextEncoder();

const hex = (s: string) =>
  Array.from(encoder.encode(s), (b) => b.toString(16).padStart(2, "0")).join("");

/** Configs per second of `fn` over `corpus`, run for about SECONDS. */
function rate(corpus: Uint8Array[], fn: (config: Uint8Array) => void): number {
  for (const c of corpus) fn(c); // warm up
  const start = performance.now();
  let n = 0;
  while (performance.now() - start < SECONDS * 1000) {
    for (const c of corpus) fn(c);
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
      if (out.code !== 0) throw new Error(new TextDecoder().decode(out.stderr));
      return JSON.parse(new TextDecoder().decode(out.stdout)) as {
        configs: number;
        seconds: number;
      };
    };
    const probe = await run(1);
    const r = await run(Math.max(1, Math.round(SECONDS / Math.max(probe.seconds, 1e-6))));
    return r.configs / r.seconds;
  } finally {
    await Deno.remove(file);
  }
}

const fmt = (n: number) => Math.round(n).toLocaleString("en-US").padStart(12);

const GUEST = `name = "guest1"
type = "pvh"
kernel = "/boot/Image"
memory = 1024
vcpus = 2
extra = "console=hvc0 root=/dev/vda"
vuart = "sbsa_uart"
disk = [ '/dev/vg/d1,raw,xvda,rw,specification=virtio', 'format=raw, vdev=xvdb, target=/srv/b.img' ]
virtio = [ "type=virtio,device22,transport=mmio,backend=1" ]
vif = [ 'mac=00:16:3e:5a:00:01,bridge=xenbr0' ]
on_crash = "preserve"
`;

async function main(): Promise<void> {
  const build = await new Deno.Command("sh", { args: [`${ROOT}bench/native/xl_cfg/build.sh`] })
    .output();
  if (build.code !== 0) throw new Error("building the native peer failed");
  const random = rng(7);
  const corpora: [string, string[]][] = [
    ["guest config (valid)", Array.from({ length: 1000 }, () => GUEST)],
    ["mutated (mixed)", Array.from({ length: 5000 }, () => mutated(random))],
    ["token soup (mostly bad)", Array.from({ length: 5000 }, () => soup(random))],
  ];
  console.log(`xl.cfg reader, configs/s (${SECONDS} s each; 2-core x86_64 shared box)`);
  console.log(`${"corpus".padEnd(26)}${"xlite".padStart(12)}${"libxlutil".padStart(12)}  ratio`);
  for (const [name, corpus] of corpora) {
    const bytes = corpus.map((c) => encoder.encode(c));
    const mine = rate(bytes, (c) => readXlCfg(c, "bench.cfg"));
    const theirs = await native(corpus);
    console.log(`${name.padEnd(26)}${fmt(mine)}${fmt(theirs)}  ${(mine / theirs).toFixed(2)}x`);
  }
  const full = rate(
    [encoder.encode(GUEST)],
    () => parseDomainConfig(GUEST, { source: "g.cfg", xenVersion: { major: 4, minor: 19 } }),
  );
  console.log(`parseDomainConfig (guest config, incl. 2 disks): ${fmt(full).trim()} configs/s`);
}

if (import.meta.main) await main();
