/**
 * Fuzz: 100,000 mutated and generated configs through the xl.cfg reader. None may crash or
 * hang; each either parses or fails with libxlutil-style report lines, the first naming
 * the source and a line number that exists.
 */
import { assert, assertEquals } from "../support/assert.ts";
import { readXlCfg } from "../../lib/config/xl_cfg.ts";
import { mutated, rng, soup } from "./xl_cfg_corpus.ts";

const COUNT = 100_000;
const LINE = /^fuzz\.cfg:(\d+): config parsing error near (`[^\n]*'|<newline>|): \S[^\n]*$/;

Deno.test(`fuzz: ${COUNT} configs, no crash or hang, every failure a clear error`, () => {
  const random = rng(20261121);
  let failures = 0;
  const started = performance.now();
  for (let i = 0; i < COUNT; i++) {
    let text = i % 2 === 0 ? mutated(random) : soup(random, 60);
    if (i % 97 === 0) text = text.repeat(1 + Math.floor(random() * 20)); // longer inputs
    const t0 = performance.now();
    const result = readXlCfg(text, "fuzz.cfg");
    assert(
      performance.now() - t0 < 1000,
      `slow parse (${performance.now() - t0} ms): ${JSON.stringify(text)}`,
    );
    if (result.rc === 0) {
      assertEquals(result.report, []);
      continue;
    }
    failures++;
    assertEquals(result.rc, 22);
    assert(result.report.length > 0, `silent failure: ${JSON.stringify(text)}`);
    const first = LINE.exec(result.report[0]);
    assert(first, `unclear error ${JSON.stringify(result.report[0])} for ${JSON.stringify(text)}`);
    const lines = text.split("\n").length;
    assert(
      Number(first[1]) >= 0 && Number(first[1]) <= lines,
      `line out of range: ${result.report[0]}`,
    );
    assertEquals(result.settings, []);
  }
  console.log(
    `fuzz: ${COUNT} configs, ${failures} refused, ${COUNT - failures} accepted, ` +
      `${Math.round(performance.now() - started)} ms`,
  );
  assert(failures > COUNT / 10 && failures < COUNT - COUNT / 10, "corpus should mix good and bad");
});
