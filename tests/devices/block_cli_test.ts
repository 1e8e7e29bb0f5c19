/**
 * The block commands' own behaviour (what the real-xl differential tests cannot cover):
 * `--json`, a dry run with no xenstore at all, usage errors, and where xlite deliberately
 * refuses what xl 4.17 accepts.
 */
import { assertEquals, assertStringIncludes } from "../support/assert.ts";
import { startXenstored, xenstoredMissing } from "../support/xenstored.ts";
import { openXenstore } from "../../lib/xenstore/mod.ts";
import { dumpStore, seedDomains, simulateBackend, xlite } from "./helpers.ts";
import { runXlite } from "../support/xlite_cli.ts";

const missing = xenstoredMissing("c");
if (missing) console.log(`skipping block command tests that need xenstored: ${missing}`);

const run = runXlite;

Deno.test("block-attach -N needs no xenstore for a numeric domid and prints xl's disk: JSON", async () => {
  const out = await run(
    ["block-attach", "-N", "5", "/dev/vg/d1,raw,xvda,rw,specification=virtio"],
    {
      XENSTORED_PATH: "/nonexistent/xenstored.socket",
    },
  );
  assertEquals(out, {
    code: 0,
    stdout: 'disk: {\n    "pdev_path": "/dev/vg/d1",\n    "vdev": "xvda",\n    "format": "raw",\n' +
      '    "readwrite": 1,\n    "specification": "virtio"\n}\n\n',
    stderr: "",
  });
});

Deno.test("block commands: usage errors exit 2 with one line", async () => {
  for (
    const [args, text] of [
      [["block-attach", "5"], "block-attach: expected DOM and a disk SPEC"],
      [["block-detach", "5"], "block-detach: expected DOM and VDEV"],
      [["block-list"], "block-list: expected at least one DOM"],
      [["block-attach", "--timeout", "0", "5", "x"], "--timeout '0'"],
      [["block-attach", "--xen-version", "4.16", "5", "x"], "--xen-version '4.16'"],
      [["block-detach", "--bogus", "5", "xvda"], "--bogus"],
    ] as [string[], string][]
  ) {
    const out = await run(args);
    assertEquals(out.code, 2, args.join(" "));
    assertStringIncludes(out.stderr, text);
    assertEquals(out.stderr.trimEnd().split("\n").length, 1, out.stderr);
  }
});

Deno.test({
  name:
    "block-list --json: libxl_diskinfo objects; xvd (no letters) is refused, not written as devid -16",
  ignore: missing !== undefined,
  async fn() {
    await using xsd = await startXenstored({ flavour: "c" });
    const xs = await openXenstore({ path: xsd.socketPath });
    const target = await Deno.makeTempFile({ prefix: "xlite-cli-" });
    const backend = await simulateBackend(xsd.socketPath);
    try {
      await seedDomains(xs);
      assertEquals(
        (await xlite(xsd, [
          "block-attach",
          "--timeout",
          "5",
          "guest",
          `${target},raw,xvdb,rw,script=/bin/true`,
        ]))
          .code,
        0,
      );
      const json = await xlite(xsd, ["block-list", "--json", "guest"]);
      assertEquals(json.code, 0);
      assertEquals(JSON.parse(json.stdout), [{
        backend: "/local/domain/0/backend/vbd/5/51728",
        backend_id: 0,
        frontend: "/local/domain/5/device/vbd/51728",
        frontend_id: 5,
        devid: 51728,
        state: 1,
        evtch: -1,
        rref: -1,
        vdev: "xvdb",
      }]);
      const before = await dumpStore(xsd);
      // xl 4.17 decodes "xvd" as −16 and writes .../vbd/5/-16; xlite refuses (spec §1.9).
      const quirk = await xlite(xsd, ["block-attach", "guest", `${target},raw,xvd`]);
      assertEquals(quirk.code, 1);
      assertEquals(
        quirk.stderr,
        "libxl: error: Domain 5:Invalid or unsupported virtual disk identifier xvd\n" +
          "libxl_device_disk_add failed.\n",
      );
      assertEquals((await dumpStore(xsd)).tree, before.tree);
      // A domain that does not exist in xenstore cannot get devices.
      const ghost = await xlite(xsd, ["block-attach", "42", `${target},raw,xvdc`]);
      assertEquals(ghost.code, 1);
      assertEquals(
        ghost.stderr,
        "libxl: error: unable to get domain type for domid=42\nlibxl_device_disk_add failed.\n",
      );
    } finally {
      await backend.stop();
      xs.close();
      await Deno.remove(target);
    }
  },
});
