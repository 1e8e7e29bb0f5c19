import { assert, assertEquals, assertStringIncludes } from "../support/assert.ts";
import { hostHasXen, runXlite } from "../support/xlite_cli.ts";

if (hostHasXen) console.log("skipping the no-Xen CLI tests: this host has /dev/xen/privcmd");

for (
  const args of [
    ["list"],
    ["list", "--json"],
    ["list", "-l", "g1"],
    ["pause", "g1"],
    [
      "unpause",
      "3",
    ],
    ["destroy", "g1"],
    ["shutdown", "-w", "g1"],
    ["shutdown", "-a"],
    ["reboot", "-w", "g1"],
    ["reboot", "-a"],
    ["watch", "-F"],
    ["watch"],
  ]
) {
  Deno.test({
    name: `xlite ${
      args.join(" ")
    } without Xen: one line "no Xen hypervisor here; use --dry-run", exit 1`,
    ignore: hostHasXen,
    async fn() {
      const { code, stdout: out, stderr: err } = await runXlite(args);
      assertEquals(code, 1);
      assertEquals(out, "");
      assertEquals(err.split("\n").filter((l) => l).length, 1, err);
      assertStringIncludes(err, "xlite: no Xen hypervisor here; use --dry-run (");
    },
  });
}

Deno.test("lifecycle commands: usage errors exit 2 naming the problem; --help exits 0", async () => {
  const cases: [string[], string][] = [
    [["pause"], "pause: expected exactly one DOM"],
    [["unpause", "a", "b"], "unpause: expected exactly one DOM"],
    [["destroy"], "destroy: expected exactly one DOM"],
    [["shutdown", "-w"], "You must specify -a or a domain id."],
    [["reboot"], "You must specify -a or a domain id."],
    [["watch", "now"], "watch: unexpected argument 'now'"],
    [["list", "a", "b"], "list: at most one DOM"],
    [["list", "--bogus"], "--bogus"],
  ];
  for (const [args, message] of cases) {
    const { code, stderr: err } = await runXlite(args);
    assertEquals(code, 2, args.join(" "));
    assertStringIncludes(err, message);
  }
  for (const cmd of ["list", "pause", "unpause", "destroy", "shutdown", "reboot", "watch"]) {
    const { code, stdout: out } = await runXlite([cmd, "--help"]);
    assertEquals(code, 0);
    assert(out.startsWith(`usage: xlite ${cmd}`), out);
  }
});
