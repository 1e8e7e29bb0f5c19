import { assertEquals, assertStringIncludes } from "../support/assert.ts";

const main = new URL("../../main.ts", import.meta.url).pathname;
let haveXen = true;
try {
  Deno.statSync("/dev/xen/privcmd");
} catch {
  haveXen = false;
}
if (haveXen) console.log("skipping the no-Xen query CLI tests: this host has /dev/xen/privcmd");

async function xlite(...args: string[]): Promise<{ code: number; out: string; err: string }> {
  const { code, stdout, stderr } = await new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", main, ...args],
    stdout: "piped",
    stderr: "piped",
  }).output();
  const text = new TextDecoder();
  return { code, out: text.decode(stdout), err: text.decode(stderr) };
}

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
    ignore: haveXen,
    async fn() {
      const { code, out, err } = await xlite(...args);
      assertEquals(code, 1);
      assertEquals(out, "");
      assertEquals(err.split("\n").filter((l) => l).length, 1, err);
      assertStringIncludes(err, "xlite: no Xen hypervisor here; use --dry-run (");
    },
  });
}

Deno.test("query commands: xl's checks that come before Xen is asked", async () => {
  assertEquals(await xlite("domname", "abc"), {
    code: 1,
    out: "",
    err: "Invalid domain id.\n\n",
  });
  assertEquals(await xlite("vcpu-pin", "g1", "x", "0"), {
    code: 1,
    out: "",
    err: "Error: Invalid argument x as VCPU.\n",
  });
  assertEquals(await xlite("vcpu-pin", "-f", "g1", "all", "0"), {
    code: 1,
    out: "",
    err: "Error: --force and 'all' as VCPU not allowed.\n",
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
    const { code, err } = await xlite(...args);
    assertEquals(code, 2, err);
    assertStringIncludes(err, problem);
  }
});

Deno.test("global options: -v -f -t -T are accepted, -N only where a dry run exists", async () => {
  assertEquals(await xlite("-x", "info"), { code: 1, out: "", err: "unknown global option\n" });
  assertEquals(await xlite("-N", "info"), {
    code: 1,
    out: "",
    err: "command does not implement -N (dryrun) option\n",
  });
  // xl_cmdtable.c's can_dryrun: the attach commands print the device as libxl JSON
  const nic = await xlite("-N", "network-attach", "7", "mac=00:16:3e:00:00:01", "bridge=br9");
  assertEquals(nic.code, 0, nic.err);
  assertStringIncludes(nic.out, `vif: {`);
  assertStringIncludes(nic.out, `"bridge": "br9"`);
  const disk = await xlite("-N", "block-attach", "7", "/img,raw,xvdb,rw");
  assertEquals(disk.code, 0, disk.err);
  assertStringIncludes(disk.out, `disk: {`);
  const verbose = await xlite("-vf", "-tT", "domname", "abc");
  assertEquals([verbose.code, verbose.err], [1, "Invalid domain id.\n\n"]);
  const help = await xlite("-v", "help");
  assertEquals(help.code, 0);
  assertStringIncludes(help.out, "vcpu-pin");
});
