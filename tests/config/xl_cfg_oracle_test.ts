/**
 * Differential test of xlite's xl.cfg reader against Debian's real libxlutil
 * (`tests/native/cfg-oracle`): return code, every report line, every setting (name, op,
 * line, value) and what the string/long/list getters answer, on hand-written edge cases
 * and a generated corpus.
 */
import { assertEquals } from "../support/assert.ts";
import { byteStringToText, textToByteString } from "../../lib/config/byte_string.ts";
import {
  getList,
  getLong,
  getString,
  type Lookup,
  readXlCfg,
  type XlCfgValue,
} from "../../lib/config/xl_cfg.ts";
import { EDGE_CASES, mutated, rng, soup } from "./xl_cfg_corpus.ts";

const ORACLE = new URL("../../.build/cfg-oracle/cfg-oracle", import.meta.url).pathname;
const haveOracle = (() => {
  try {
    return Deno.statSync(ORACLE).isFile;
  } catch {
    return false;
  }
})();
if (!haveOracle) console.log(`skipping libxlutil differential: ${ORACLE} not built`);

type Plain = string | Plain[];
interface OracleGetter {
  rc: number;
  value?: string;
  entries?: number;
  report: string;
}
interface OracleResult {
  rc: number;
  report: string;
  settings: { name: string; op: number; lineno: number; value: Plain }[];
  getters: Record<string, { string: OracleGetter; long: OracleGetter; list: OracleGetter }>;
}

const SOURCE = "p.cfg";

/** Runs the oracle over many configs at once (one JSON line each). */
async function runOracle(texts: string[]): Promise<OracleResult[]> {
  const dir = await Deno.makeTempDir({ prefix: "xlite-cfg-oracle-" });
  try {
    const paths = await Promise.all(texts.map(async (text, i) => {
      const path = `${dir}/${i}.cfg`;
      await Deno.writeFile(path, new TextEncoder().encode(text));
      return path;
    }));
    const out = await new Deno.Command(ORACLE, { args: [SOURCE, ...paths] }).output();
    if (!out.success) throw new Error(new TextDecoder().decode(out.stderr));
    return new TextDecoder().decode(out.stdout).trimEnd().split("\n").map((l) => JSON.parse(l));
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

const text = (bytes: string) => byteStringToText(bytes);
const plainFromOracle = (v: Plain): Plain =>
  typeof v === "string" ? text(v) : v.map(plainFromOracle);
const plainFromXlite = (v: XlCfgValue): Plain =>
  v.kind === "string" ? v.value : v.items.map(plainFromXlite);
const reportLines = (report: string) =>
  report === "" ? [] : text(report).replace(/\n$/, "").split("\n");

function getterView(lookup: Lookup<unknown>, errno = 22) {
  if (lookup.ok) return { ok: true, report: "" };
  return {
    ok: false,
    rc: lookup.missing ? 3 : errno,
    report: lookup.missing ? "" : lookup.warning,
  };
}

/** Compares one config: returns a description of the first difference, or null. */
function compare(input: string, oracle: OracleResult): string | null {
  const mine = readXlCfg(new TextEncoder().encode(input), SOURCE);
  const expected = {
    rc: oracle.rc,
    report: reportLines(oracle.report),
    settings: oracle.settings.map((s) => ({
      name: text(s.name),
      op: s.op === 0 ? "=" : "+=",
      line: s.lineno,
      value: plainFromOracle(s.value),
    })),
  };
  const actual = {
    rc: mine.rc,
    report: mine.report,
    settings: mine.settings.map((s) => ({
      name: s.name,
      op: s.op,
      line: s.line,
      value: plainFromXlite(s.value),
    })),
  };
  if (JSON.stringify(actual) !== JSON.stringify(expected)) {
    return `${JSON.stringify(input)}\n  xlite:  ${JSON.stringify(actual)}\n  oracle: ${
      JSON.stringify(expected)
    }`;
  }
  const cfg = { source: SOURCE, settings: mine.settings };
  for (const [name, g] of Object.entries(oracle.getters)) {
    const n = text(name);
    const str = getString(cfg, n);
    const long = getLong(cfg, n);
    const list = getList(cfg, n);
    const want = {
      string: {
        ok: g.string.rc === 0,
        value: g.string.value && text(g.string.value),
        report: text(g.string.report).trimEnd(),
      },
      long: { ok: g.long.rc === 0, value: g.long.value, report: text(g.long.report).trimEnd() },
      list: { ok: g.list.rc === 0, entries: g.list.entries, report: text(g.list.report).trimEnd() },
    };
    const got = {
      string: { ok: str.ok, value: str.ok ? str.value : undefined, report: getterView(str).report },
      long: {
        ok: long.ok,
        value: long.ok ? String(long.value) : undefined,
        report: getterView(long).report,
      },
      list: {
        ok: list.ok,
        entries: list.ok ? list.value.length : -1,
        report: getterView(list).report,
      },
    };
    if (JSON.stringify(got) !== JSON.stringify(want)) {
      return `${JSON.stringify(input)} getters of ${n}\n  xlite:  ${
        JSON.stringify(got)
      }\n  oracle: ${JSON.stringify(want)}`;
    }
  }
  return null;
}

async function differential(inputs: string[]) {
  const results = await runOracle(inputs);
  assertEquals(results.length, inputs.length);
  const failures = inputs.map((input, i) => compare(input, results[i])).filter((f) => f !== null);
  assertEquals(failures.slice(0, 5), [], `${failures.length} of ${inputs.length} differ`);
}

Deno.test({
  name: "xl.cfg reader matches libxlutil on hand-written edge cases",
  ignore: !haveOracle,
  fn: () => differential(EDGE_CASES),
});

Deno.test({
  name: "xl.cfg reader matches libxlutil on 3000 generated token-soup configs",
  ignore: !haveOracle,
  fn: () => {
    const random = rng(0x5eed);
    return differential(Array.from({ length: 3000 }, () => soup(random)));
  },
});

Deno.test({
  name: "xl.cfg reader matches libxlutil on 3000 mutated valid configs",
  ignore: !haveOracle,
  fn: () => {
    const random = rng(0xc0ffee);
    return differential(Array.from({ length: 3000 }, () => mutated(random)));
  },
});

Deno.test({
  name: "command-line overrides are parsed after the file, as xl create appends them",
  ignore: !haveOracle,
  fn: async () => {
    const { withOverrides } = await import("../../lib/config/xl_cfg.ts");
    const inputs = [
      withOverrides('memory = 256\nname = "a"', ["memory=512", "disk=['/x,raw,xvda']"]),
      withOverrides("memory = 256\n", ["memory=="]),
      withOverrides("extra = 'a'\n", ["extra+=' b'"]),
    ];
    await differential(inputs);
    assertEquals(textToByteString("memory=512"), "memory=512");
  },
});
