import { assertEquals, assertStringIncludes } from "../support/assert.ts";
import { hostHasXen, runXlite } from "../support/xlite_cli.ts";

if (hostHasXen) console.log("skipping the no-Xen query CLI tests: this host has /dev/xen/privcmd");

for (
  const args of [
    ["info"],
    ["domid", "g1"],
    ["domname", "1"],
    ["rename", "g1", "g2"],
    ["uptime"],
    ["dmesg"],
    ["mem-set", "g1", "100"],
    ["mem-max", "g1", "200"],
    ["vcpu-list"],
    ["vcpu-pin", "g1", "0", "1"],
    ["vcpu-set", "g1", "1"],
  ]
) {
  Deno.test({
    name: `xlite ${args.join(" ")} without Xen: one line "no Xen hypervisor here", exit 1`,
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

Deno.test("query commands: xl's checks that come before Xen is asked", async () => {
  assertEquals(await runXlite(["domname", "abc"]), {
    code: 1,
    stdout: "",
    stderr: "Invalid domain id.\n\n",
  });
  assertEquals(await runXlite(["vcpu-pin", "g1", "x", "0"]), {
    code: 1,
    stdout: "",
    stderr: "Error: Invalid argument x as VCPU.\n",
  });
  assertEquals(await runXlite(["vcpu-pin", "-f", "g1", "all", "0"]), {
    code: 1,
    stdout: "",
    stderr: "Error: --force and 'all' as VCPU not allowed.\n",
  });
  for (
    const [args, problem] of [
      [["domid"], "domid: expected a domain NAME"],
      [["rename", "a"], "rename: expected DOM and NEWNAME"],
      [["mem-set", "a"], "mem-set: expected DOM and MEM"],
      [["vcpu-pin", "a", "0"], "vcpu-pin: expected DOM, VCPU and HARD"],
      [["vcpu-set", "a"], "vcpu-set: expected DOM and COUNT"],
    ] as const
  ) {
    const { code, stderr: err } = await runXlite(args);
    assertEquals(code, 2, err);
    assertStringIncludes(err, problem);
  }
});

Deno.test("global options: -v -f -t -T are accepted, -N only where a dry run exists", async () => {
  assertEquals(await runXlite(["-x", "info"]), {
    code: 1,
    stdout: "",
    stderr: "unknown global option\n",
  });
  assertEquals(await runXlite(["-N", "info"]), {
    code: 1,
    stdout: "",
    stderr: "command does not implement -N (dryrun) option\n",
  });
  // xl_cmdtable.c's can_dryrun: the attach commands print the device as libxl JSON
  const nic = await runXlite(["-N", "network-attach", "7", "mac=00:16:3e:00:00:01", "bridge=br9"]);
  assertEquals(nic.code, 0, nic.stderr);
  assertStringIncludes(nic.stdout, `vif: {`);
  assertStringIncludes(nic.stdout, `"bridge": "br9"`);
  const disk = await runXlite(["-N", "block-attach", "7", "/img,raw,xvdb,rw"]);
  assertEquals(disk.code, 0, disk.stderr);
  assertStringIncludes(disk.stdout, `disk: {`);
  const verbose = await runXlite(["-vf", "-tT", "domname", "abc"]);
  assertEquals([verbose.code, verbose.stderr], [1, "Invalid domain id.\n\n"]);
  const help = await runXlite(["-v", "help"]);
  assertEquals(help.code, 0);
  assertStringIncludes(help.stdout, "vcpu-pin");
});
