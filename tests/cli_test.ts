import { assertEquals, assertThrows } from "./support/assert.ts";
import { parseArgs } from "../lib/std/cli.ts";
import { runXlite } from "./support/xlite_cli.ts";

Deno.test("parseArgs: positionals, booleans, strings and aliases in @std/cli's shape", () => {
  const args = parseArgs(["-f", "dom1", "--dtb", "out.dtb", "xvda"], {
    boolean: ["force", "json"],
    string: ["dtb"],
    alias: { f: "force" },
  });
  assertEquals(args, { _: ["dom1", "xvda"], force: true, json: false, dtb: "out.dtb" });
});

Deno.test("parseArgs: an unknown flag is an error naming it", () => {
  assertThrows(() => parseArgs(["--bogus"], { boolean: ["json"] }), TypeError, "--bogus");
});

Deno.test("parseArgs: stopEarly leaves everything after the first positional untouched", () => {
  const args = parseArgs(["--json", "create", "--dry-run"], { boolean: ["json"], stopEarly: true });
  assertEquals(args._, ["create", "--dry-run"]);
  assertEquals(args.json, true);
});

Deno.test("xlite with no command prints usage and exits 2; an unknown command exits 2", async () => {
  const none = await runXlite([]);
  assertEquals(none.code, 2);
  const unknown = await runXlite(["frobnicate"]);
  assertEquals(unknown.code, 2);
  assertEquals(
    unknown.stderr,
    "xlite: unknown command 'frobnicate' (try 'xlite help')\n",
  );
});
