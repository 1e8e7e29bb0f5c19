/**
 * Fuzz test of the disk-spec engine: 1,000,000 random and mutated specs (random bytes,
 * unicode, very long, NUL, unbalanced `=` `,` `:`) through the batch API. No crash, no
 * hang, and every failure is a DiskSpecError whose every line has xl's format.
 */
import { assert, assertEquals } from "../support/assert.ts";
import {
  type DiskSpec,
  DiskSpecError,
  formatProblem,
  formatProblems,
  parseDiskSpecs,
} from "../../lib/disk/mod.ts";
import { generateSpecs, mutate, rng } from "./spec_gen.ts";

const LINE =
  /^command line: config parsing error in disk specification: [a-zA-Z_ ()-]+(: near `[^]*')? in `[^]*'$/;
const TOTAL = 1_000_000;
const BATCH = 20_000;

function check(spec: string, r: DiskSpec | DiskSpecError): void {
  if (r instanceof DiskSpecError) {
    assert(r.problems.length > 0, JSON.stringify(spec));
    for (const p of r.problems.slice(0, 50)) {
      const line = `command line: config parsing error in disk specification: ${p.reason}${
        p.near === undefined ? "" : `: near \`${p.near}'`
      } in \`${p.spec}'`;
      assert(LINE.test(line), line);
    }
    assertEquals(r.message, formatProblems("command line", r.problems));
    assert(r.message.startsWith(formatProblem("command line", r.problems[0])));
    assertEquals(r.verbatim, true);
  } else {
    // xl's post-parse checks (spec §1.8) hold for every accepted disk
    assert(r.vdev !== undefined, JSON.stringify(spec));
    assert(r.pdevPath !== undefined || r.removable === 1, JSON.stringify(spec));
    assert(r.format !== "unknown");
  }
}

Deno.test("disk fuzz: 1,000,000 random and mutated specs, only disks or xl-format errors", () => {
  const r = rng(0xd15c);
  const seeds = generateSpecs(0xf00d, 5000);
  const alphabet = [..."=,:= ,\t\nabcdeflmnoprstvxyz019/-_.é€😀\u0000\u00ff"];
  const randomString = (max: number) => {
    let s = "";
    for (let n = Math.floor(r() * max); n > 0; n--) {
      s += alphabet[Math.floor(r() * alphabet.length)];
    }
    return s;
  };
  let done = 0, errors = 0, nul = 0, long = 0;
  const started = performance.now();
  while (done < TOTAL) {
    const batch: string[] = [];
    for (let i = 0; i < BATCH; i++) {
      const k = r();
      let s: string;
      if (k < 0.35) s = mutate(seeds[Math.floor(r() * seeds.length)]);
      else if (k < 0.6) s = randomString(40);
      else if (k < 0.75) {
        // random code units, including lone surrogates
        s = String.fromCharCode(
          ...Array.from({ length: Math.floor(r() * 30) }, () => Math.floor(r() * 0x10000)),
        );
      } else if (k < 0.9) s = seeds[Math.floor(r() * seeds.length)] + randomString(10);
      else if (k < 0.9998) {
        s = Array.from({ length: 1 + Math.floor(r() * 4) }, () => pickSep(r) + randomString(8))
          .join("");
      } else {
        // very long: up to ~60 KiB, repeated items and separators
        s = (seeds[Math.floor(r() * seeds.length)] + ",").repeat(1 + Math.floor(r() * 1500));
        long++;
      }
      if (s.includes("\0")) nul++;
      batch.push(s);
    }
    const results = parseDiskSpecs(batch);
    assertEquals(results.length, batch.length);
    batch.forEach((s, i) => {
      if (results[i] instanceof DiskSpecError) errors++;
      check(s, results[i]);
    });
    done += batch.length;
  }
  const seconds = (performance.now() - started) / 1000;
  console.log(
    `${done} specs in ${seconds.toFixed(1)} s: ${errors} rejected, ${done - errors} accepted, ` +
      `${nul} with NUL, ${long} very long`,
  );
  assert(nul > 0 && long > 0 && errors > 0 && done - errors > 0);
});

function pickSep(r: () => number): string {
  return ["=", ",", ":", "==", ",,", "::", "=,", ",="][Math.floor(r() * 8)];
}
