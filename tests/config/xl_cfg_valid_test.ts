/**
 * The reader's two paths agree: the direct descent (`xl_cfg_valid.ts`) reads exactly the
 * configs the LALR automaton (`xl_cfg_parser.ts`) reads without a report, into the same
 * settings, values and lines. The oracle test checks the reader against libxlutil; this
 * one keeps the automaton honest on valid input, which the reader no longer sends it.
 */
import { assert, assertEquals } from "../support/assert.ts";
import { textToByteString } from "../../lib/config/byte_string.ts";
import { readXlCfgBytes } from "../../lib/config/xl_cfg_parser.ts";
import { readValidXlCfg } from "../../lib/config/xl_cfg_valid.ts";
import { readXlCfg } from "../../lib/config/xl_cfg.ts";
import { EDGE_CASES, mutated, rng, soup } from "./xl_cfg_corpus.ts";

/** The first difference between the two paths on `text`, or null. */
function difference(text: string): string | null {
  const bytes = textToByteString(text);
  const automaton = readXlCfgBytes(bytes, "v.cfg");
  const descent = readValidXlCfg(bytes);
  const want = automaton.rc === 0 ? JSON.stringify(automaton.settings) : "not valid";
  const got = descent === undefined ? "not valid" : JSON.stringify(descent);
  return got === want ? null : `${JSON.stringify(text)}\n  descent:   ${got}\n  automaton: ${want}`;
}

Deno.test("descent and automaton agree on the edge cases and 40,000 generated configs", () => {
  const random = rng(0xdecade);
  const inputs = [
    ...EDGE_CASES,
    "a = [[[['x'], []], '1']]\nb = [\n\n]\n",
    "l = [ 'a' ,\n 'b' ,\n ]\nl += [ [] ]\ns = 'x'; s += \"y\"",
    ...Array.from({ length: 20_000 }, () => mutated(random)),
    ...Array.from({ length: 20_000 }, () => soup(random)),
  ];
  const failures = inputs.map(difference).filter((d) => d !== null);
  assertEquals(failures.slice(0, 3), [], `${failures.length} of ${inputs.length} differ`);
  const valid = inputs.filter((text) => readXlCfgBytes(textToByteString(text), "v").rc === 0);
  assert(valid.length > 5_000, `too few valid configs to compare: ${valid.length}`);
});

Deno.test("lists nested deeper than the descent goes are left to the automaton", () => {
  const deep = "x = " + "[".repeat(300) + "]".repeat(300) + "\n";
  assertEquals(readValidXlCfg(deep), undefined);
  const read = readXlCfg(deep, "v.cfg");
  assertEquals([read.rc, read.report, read.settings.length], [0, [], 1]);
});
