/**
 * The host's Xen release as Linux shows the hypervisor's XENVER answers. This machine runs
 * no Xen, so the `/sys/hypervisor` trees here are fakes laid out as Linux lays it out
 * (drivers/xen/sys-hypervisor.c); the real one is read in the trixie testbed (scenario
 * xen420).
 */
import { assertEquals, assertThrows } from "../support/assert.ts";
import { UsageError } from "../../lib/errors.ts";
import {
  DEFAULT_XEN_VERSION,
  defaultXenVersion,
  readHostXenVersion,
  xenVersionOption,
} from "../../lib/xen_version/mod.ts";

async function fakeSysHypervisor(
  files: Record<string, string>,
  fn: (root: string) => void,
): Promise<void> {
  const root = await Deno.makeTempDir({ prefix: "xlite-fake-sys-hypervisor-" });
  try {
    await Deno.mkdir(`${root}/version`);
    for (const [path, text] of Object.entries(files)) {
      await Deno.writeTextFile(`${root}/${path}`, text);
    }
    fn(root);
  } finally {
    await Deno.remove(root, { recursive: true });
  }
}

Deno.test("host version: read from /sys/hypervisor (a fake tree: trixie's 4.20.4)", async () => {
  await fakeSysHypervisor({
    type: "xen\n",
    "version/major": "4\n",
    "version/minor": "20\n",
    "version/extra": ".4\n",
  }, (root) => {
    assertEquals(readHostXenVersion(root), { major: 4, minor: 20, extra: ".4" });
    assertEquals(defaultXenVersion(root), { major: 4, minor: 20 });
  });
});

Deno.test("host version: no Xen (or another hypervisor): none, and the default stays 4.17", async () => {
  assertEquals(readHostXenVersion("/nonexistent"), undefined);
  assertEquals(defaultXenVersion("/nonexistent"), DEFAULT_XEN_VERSION);
  await fakeSysHypervisor({ type: "kvm\n" }, (root) => {
    assertEquals(readHostXenVersion(root), undefined);
  });
});

Deno.test("host version: --xen-version (block-attach, network-attach, create) defaults to the host's", async () => {
  await fakeSysHypervisor(
    { type: "xen\n", "version/major": "4\n", "version/minor": "20\n" },
    (root) => {
      assertEquals(xenVersionOption(undefined, root), { major: 4, minor: 20 });
      assertEquals(xenVersionOption("", root), { major: 4, minor: 20 });
      assertEquals(xenVersionOption("4.17", root), { major: 4, minor: 17 });
    },
  );
  assertEquals(xenVersionOption(undefined, "/nonexistent"), DEFAULT_XEN_VERSION);
  assertThrows(() => xenVersionOption("4.16", "/nonexistent"), UsageError, "4.17 and later");
});
