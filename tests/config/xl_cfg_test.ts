/**
 * The xl.cfg reader on its own: grammar, values, getters and each error path, with the
 * texts libxlutil prints (checked against the real library in xl_cfg_oracle_test.ts).
 */
import { assert, assertEquals, assertThrows } from "../support/assert.ts";
import {
  getList,
  getLong,
  getString,
  getStringList,
  parseXlCfg,
  parseXlCfgFile,
  readXlCfg,
  strtol,
  withOverrides,
  XlCfgError,
  type XlCfgValue,
} from "../../lib/config/mod.ts";
import { NUL_IN_STRING } from "./xl_cfg_corpus.ts";

const plain = (v: XlCfgValue): unknown => v.kind === "string" ? v.value : v.items.map(plain);
const values = (text: string) =>
  Object.fromEntries(
    parseXlCfg(text, { source: "t.cfg" }).settings.map((s) => [s.name, plain(s.value)]),
  );
const errors = (text: string) => readXlCfg(text, "t.cfg").report;

Deno.test("KEY = VALUE statements end at newlines or ';', with # comments", () => {
  assertEquals(values("a = 1\nb = 'x'; c = \"y\";;\n# comment\nd = 0x1f # tail\n"), {
    a: "1",
    b: "x",
    c: "y",
    d: "0x1f",
  });
  assertEquals(values("a = 1"), { a: "1" }); // no final newline needed
  assertEquals(values(""), {});
  assertEquals(values("ab.c_9 = 2\n"), { "ab.c_9": "2" });
});

Deno.test("lists nest, may span lines and take one trailing comma", () => {
  assertEquals(values("l = [\n  'a',\n  [1, 2],\n  [],\n]\n"), { l: ["a", ["1", "2"], []] });
  assertEquals(values("e = []\n"), { e: [] });
  assertEquals(errors("l = [1,,2]\n"), [
    "t.cfg:1: config parsing error near `,': syntax error, unexpected ',', expecting ']'",
  ]);
});

Deno.test("quoted strings take xl's escapes, including its numeric-escape quirks", () => {
  assertEquals(values(String.raw`s = "a\tb\n\\\"\'"` + "\n").s, "a\tb\n\\\"'");
  assertEquals(values(String.raw`s = 'x\012y'` + "\n").s, "xy"); // octal escapes vanish
  assertEquals(errors(String.raw`s = "\x41"` + "\n"), [
    't.cfg:1: config parsing error near `"\\x41"\': invalid digit after backslash hexnumerical character escape in quoted string',
  ]);
  assertEquals(errors(String.raw`s = "\q"` + "\n"), [
    't.cfg:1: config parsing error near `"\\q"\': invalid character after backlash in quoted string',
  ]);
  assertEquals(errors(String.raw`s = "\01"` + "\n"), [
    't.cfg:1: config parsing error near `"\\01"\': invalid digit after backslash octalnumerical character escape in quoted string',
  ]);
});

Deno.test("+= appends to the previous string or list; the newest setting wins", () => {
  const cfg = parseXlCfg("e = 'a'\ne += ' b'\nl = [1]\nl += [2]\nm = 1\nm = 2\n", {
    source: "t.cfg",
  });
  assertEquals(getString(cfg, "e"), { ok: true, value: "a b" });
  assertEquals(getList(cfg, "l").ok && getList(cfg, "l"), {
    ok: true,
    value: [
      { kind: "string", value: "1", line: 3 },
      { kind: "string", value: "2", line: 4 },
    ],
  });
  assertEquals(getLong(cfg, "m"), { ok: true, value: 2n });
  assertEquals(errors("a = [1]\na += 'x'\n"), [
    "t.cfg:2: config parsing error near `'x'': can't add [list] to \"string\" or vice versa",
  ]);
});

Deno.test("syntax errors: bison's messages, lines and recovery to the next line", () => {
  assertEquals(errors("a = = 1\nb = = 2\n"), [
    "t.cfg:1: config parsing error near `=': syntax error, unexpected '=', expecting STRING or NUMBER or '['",
    "t.cfg:2: config parsing error near `=': syntax error, unexpected '=', expecting STRING or NUMBER or '['",
  ]);
  // An error while reading a NEWLINE is reported one line early, as libxlutil does.
  assertEquals(errors("a = 1\nb\n"), [
    "t.cfg:1: config parsing error near <newline>: syntax error, unexpected NEWLINE, expecting += or '='",
  ]);
  assertEquals(errors("a"), [
    "t.cfg:1: config parsing error near `': syntax error, unexpected $end, expecting += or '='",
  ]);
  assertEquals(errors("a=1 b=2\n"), [
    "t.cfg:1: config parsing error near `b': syntax error, unexpected IDENT, expecting $end",
  ]);
  assertEquals(errors("= 3\n"), [
    "t.cfg:1: config parsing error near `=': syntax error, unexpected '=', expecting $end or IDENT or NEWLINE or ';'",
  ]);
});

Deno.test("lexical errors, and the Python hint", () => {
  assertEquals(errors("A = 1\n"), ["t.cfg:1: config parsing error near `A': lexical error"]);
  assertEquals(errors("a = 1 # no newline"), [
    "t.cfg:1: config parsing error near `#': lexical error",
  ]);
  assertEquals(errors("a = 'open\n"), [
    "t.cfg:1: config parsing error near `'open': lexical error",
  ]);
  assertEquals(errors("memory = (512)\n"), [
    "t.cfg:1: config parsing error near `(512)': lexical error",
    "warning: Config file looks like it contains Python code.",
    "warning:  Arbitrary Python is no longer supported.",
    "warning:  See https://wiki.xen.org/wiki/PythonInXlConfig",
  ]);
  // A stray character at the very end is dropped by flex without an error.
  assertEquals(readXlCfg("a = 1\n@", "t.cfg").rc, 0);
});

Deno.test("parseXlCfg throws XlCfgError carrying every report line; NUL is refused", () => {
  const error = assertThrows(() => parseXlCfg("a = =\nb = =\n", { source: "t.cfg" }), XlCfgError);
  assertEquals(error.message, error.report[0]);
  assertEquals(error.report.length, 2);
  assert(error.verbatim);
  const nul = assertThrows(() => parseXlCfg(NUL_IN_STRING, { source: "t.cfg" }), XlCfgError);
  assertEquals(nul.message, "t.cfg:1: config parsing error near `'': NUL byte in quoted string");
});

Deno.test("UTF-8 text survives as text", () => {
  assertEquals(values("name = 'vm-é'\n").name, "vm-é");
  assertEquals(errors("a = é\n"), ["t.cfg:1: config parsing error near `é': lexical error"]);
});

Deno.test("getters: numbers as strtol(…, 0) reads them, and libxlutil's warnings", () => {
  const cfg = parseXlCfg(
    "n = 0x10\no = 010\nbad = '12x'\nbig = 9223372036854775808\nl = [1]\ns = 'x'\np += 1\n",
    { source: "t.cfg" },
  );
  assertEquals(getLong(cfg, "n"), { ok: true, value: 16n });
  assertEquals(getLong(cfg, "o"), { ok: true, value: 8n });
  assertEquals(getLong(cfg, "bad"), {
    ok: false,
    missing: false,
    warning: "t.cfg:3: warning: parameter `bad' is not a valid number",
  });
  assertEquals(getLong(cfg, "big"), {
    ok: false,
    missing: false,
    warning:
      "t.cfg:4: warning: parameter `big' could not be parsed as a number: Numerical result out of range",
  });
  assertEquals(getString(cfg, "l"), {
    ok: false,
    missing: false,
    warning: "t.cfg:5: warning: parameter `l' is a list but should be a single value",
  });
  assertEquals(getList(cfg, "s"), {
    ok: false,
    missing: false,
    warning: "t.cfg:6: warning: parameter `s' is a single value but should be a list",
  });
  assertEquals(getLong(cfg, "p"), {
    ok: false,
    missing: false,
    warning: "t.cfg:7: warning: can't use += with numbers for parameter `p'",
  });
  assertEquals(getLong(cfg, "n", 0n, 10n), {
    ok: false,
    missing: false,
    warning: "t.cfg:1: warning: value `16' is greater than maximum bound '10'",
  });
  assertEquals(getString(cfg, "absent"), { ok: false, missing: true });
  assertEquals(getStringList(cfg, "l"), { ok: true, value: ["1"] });
  assertEquals(strtol("  -0x1fz"), { value: -31n, used: 7, overflow: false });
});

Deno.test("overrides are appended as xl create does, so they win and count lines on", () => {
  assertEquals(
    withOverrides("memory = 256", ["memory=512", "vcpus=2"]),
    "memory = 256\nmemory=512\nvcpus=2\n\n",
  );
  const cfg = parseXlCfg("memory = 256\n", { source: "t.cfg", overrides: ["memory=512"] });
  assertEquals(getLong(cfg, "memory"), { ok: true, value: 512n });
  const error = assertThrows(
    () => parseXlCfg("memory = 256\n", { source: "t.cfg", overrides: ["memory=="] }),
    XlCfgError,
  );
  assertEquals(
    error.message,
    "t.cfg:3: config parsing error near `=': syntax error, unexpected '=', expecting STRING or NUMBER or '['",
  );
  assertThrows(() => withOverrides("", ["memory"]), Error, "not of the form KEY=VALUE");
});

Deno.test("parseXlCfgFile reads a file and names it in errors", async () => {
  const path = await Deno.makeTempFile({ suffix: ".cfg" });
  try {
    await Deno.writeTextFile(path, "name = 'a'\nx = \n");
    const error = await parseXlCfgFile(path).then(() => null, (e) => e);
    assert(error instanceof XlCfgError);
    assertEquals(error.message.startsWith(`${path}:1: config parsing error`), true);
    await assertRejects(() => parseXlCfgFile(`${path}.missing`));
  } finally {
    await Deno.remove(path);
  }
});

async function assertRejects(fn: () => Promise<unknown>) {
  const result = await fn().then(() => "resolved", (e) => e);
  assert(result instanceof Error, "expected a rejection");
  assert(/Failed to read config file/.test((result as Error).message));
}
