import { assert, assertEquals } from "../support/assert.ts";
import {
  cpuSeconds,
  type DomainRow,
  formatDomainList,
  listLine,
  memMiB,
  stateLetters,
} from "../../lib/domain/list.ts";
import { setOrdered } from "../../lib/domain/retrieve_config.ts";
import { fateMessage } from "../../lib/domain/shutdown.ts";
import { type JsonValue, yajlBeautify } from "../../lib/json/yajl.ts";
import { domainInfo as info } from "./domain_info_fixture.ts";

const dom0: DomainRow = {
  name: "Domain-0",
  info: info({ running: true, currentMemkb: 786432, cpuTime: 4_912_345_678 }),
};
const g1: DomainRow = {
  name: "g1",
  info: info({
    domid: 1,
    uuid: "b28f5535-e5b8-4346-9154-5e88409cb00c",
    paused: true,
    currentMemkb: 131072,
    cpuTime: 12_345_678,
  }),
};

// Lines printed by real `xl list` / `xl list -v` (Xen 4.17, testbed) for the same domains.
const XL_LIST = "Name                                        ID   Mem VCPUs\tState\tTime(s)\n" +
  "Domain-0                                     0   768     1     r-----       4.9\n" +
  "g1                                           1   128     1     --p---       0.0";
const XL_LIST_V_G1 =
  "g1                                           1   128     1     --p---       " +
  "0.0 b28f5535-e5b8-4346-9154-5e88409cb00c        -                -";

Deno.test("xl list columns: name, id, MiB, vcpus, state letters, CPU seconds", () => {
  assertEquals(formatDomainList([dom0, g1]), XL_LIST);
});

Deno.test("xl list -v adds the UUID, reason code and security label", () => {
  assertEquals(listLine(g1, true), XL_LIST_V_G1);
  assert(
    formatDomainList([g1], true).startsWith(
      "Name                                        ID   Mem VCPUs\tState\tTime(s)   UUID" +
        "                            Reason-Code\tSecurity Label\n",
    ),
  );
});

Deno.test("state letters: shutdown reasons as xl's -rscwS, unknown as ?", () => {
  assertEquals(stateLetters(info({ shutdown: true, shutdownReason: 0 })), "---s--");
  assertEquals(stateLetters(info({ shutdown: true, shutdownReason: 3 })), "---sc-");
  assertEquals(stateLetters(info({ shutdown: true, shutdownReason: 5 })), "---sS-");
  assertEquals(stateLetters(info({ shutdown: true, shutdownReason: 9 })), "---s?-");
  assertEquals(stateLetters(info({ blocked: true, dying: true })), "-b---d");
  const v = listLine({ name: undefined, info: info({ shutdown: true, shutdownReason: 3 }) }, true);
  assert(v.startsWith("(null)"), "a domain without a name prints as glibc prints NULL");
  assert(v.endsWith("        3                -"), v);
});

Deno.test("Time(s) is (float)cpu_time / 1e9 as %8.1f; Mem adds outstanding KiB", () => {
  assertEquals(cpuSeconds(0), "     0.0");
  assertEquals(cpuSeconds(123_456_789_012), "   123.5");
  // (float) keeps 24 bits: 16777217 ns becomes 16777216 ns
  assertEquals(Math.fround(16_777_217), 16_777_216);
  assertEquals(memMiB(info({ currentMemkb: 131072, outstandingMemkb: 1023 })), 128);
  assertEquals(memMiB(info({ currentMemkb: 131072, outstandingMemkb: 1024 })), 129);
});

Deno.test("xl shutdown -w lines", () => {
  assertEquals(
    fateMessage({ domid: 3, event: "shutdown", reason: 0 }),
    "Domain 3 has been shut down, reason code 0",
  );
  assertEquals(fateMessage({ domid: 3, event: "destroyed" }), "Domain 3 has been destroyed");
});

Deno.test("yajlBeautify reproduces real xl -N JSON byte for byte (tests/golden)", async () => {
  const golden = new URL("../golden/", import.meta.url).pathname;
  let checked = 0;
  const names = [
    ...[...Deno.readDirSync(`${golden}/cfg`)].map((e) => e.name.replace(/\.cfg$/, "")),
    ...[...Deno.readDirSync(`${golden}/cfg-fail`)].map((e) =>
      `fail/${e.name.replace(/\.cfg$/, "")}`
    ),
  ];
  for (const name of names) {
    const text = await Deno.readTextFile(`${golden}/${name}/xl-N.json`);
    assertEquals(yajlBeautify(JSON.parse(text) as JsonValue) + "\n", text, name);
    checked++;
  }
  assert(checked >= 4, `only ${checked} golden configs`);
});

Deno.test("setOrdered puts a new field where libxl's IDL order has it", () => {
  const order = ["type", "hap", "name", "domid", "uuid"];
  assertEquals(
    Object.keys(setOrdered({ type: "pvh", uuid: "u" }, "name", "g1", order)),
    ["type", "name", "uuid"],
  );
  assertEquals(Object.keys(setOrdered({ type: "pvh" }, "name", "g1", order)), ["type", "name"]);
  const replaced = setOrdered({ name: "a", type: "pvh" }, "name", "b", order);
  assertEquals(Object.entries(replaced), [["name", "b"], ["type", "pvh"]]);
});
