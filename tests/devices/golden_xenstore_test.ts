/**
 * The dry-run plan against real libxl: `planDomainDeviceWrites` for the golden configs must
 * give exactly the device nodes real `xl create` wrote on real Xen 4.17 (arm64, under QEMU;
 * `tests/golden/<name>/xenstore.txt`, captured by `tests/golden/regenerate.sh`) — values and
 * permissions — apart from what the running backend and hotplug script changed afterwards.
 */
import { assert, assertEquals } from "../support/assert.ts";
import { prepareGuest } from "../../lib/domain/mod.ts";
import { planDomainDeviceWrites } from "../../lib/devices/mod.ts";
import type { Tree } from "./helpers.ts";

const GOLDEN = new URL("../golden/", import.meta.url).pathname;

/** Keys the backend (blkback, or the testbed's virtio stand-in) and `block` script write. */
const WRITTEN_BY_BACKEND = new Set([
  "feature-max-indirect-segments",
  "multi-queue-max-queues",
  "max-ring-page-order",
  "node",
  "physical-device",
  "physical-device-path",
  "hotplug-status",
]);

/** A golden snapshot: `xenstore-ls -fp` sections, and the guest's domid from the header. */
function readGolden(name: string): { domid: number; tree: Tree } {
  const text = Deno.readTextFileSync(`${GOLDEN}${name}/xenstore.txt`);
  const domid = Number(/^# domid=(\d+)/.exec(text)![1]);
  const tree: Tree = {};
  for (const line of text.split("\n")) {
    const m = /^(\/\S*) = "(.*)" {3}\(([^)]*)\)$/.exec(line);
    if (m) tree[m[1]] = [m[2], m[3]];
  }
  return { domid, tree };
}

/** Driver domains of the golden runs, by name (their domids appear in the backend paths). */
const DOMAINS: Record<string, number> = { "xlite-drv": 3 };

for (const name of ["disks", "virtio-grant"]) {
  Deno.test(`golden ${name}: the planned device nodes are the ones real xl 4.17 wrote`, async () => {
    const golden = readGolden(name);
    const release = { major: 4, minor: 17 };
    const { config } = await prepareGuest(`${GOLDEN}cfg/${name}.cfg`, {
      xenVersion: release,
      resolveBackend: (n) => Promise.resolve(DOMAINS[n]),
      statTarget: () => "file", // the golden host's /tmp/d*.img were image files
    });
    const writes = planDomainDeviceWrites(config, { domid: golden.domid, release });
    assert(writes.length > 0);
    const planned: Tree = {};
    for (const w of writes) {
      planned[w.path] = [w.value, w.perms.map((p) => `${p.access}${p.domid}`).join(",")];
    }
    // Every planned node is in the snapshot, as planned; only the backend moved its state on.
    for (const [path, [value, perms]] of Object.entries(planned)) {
      const isBackendState = /\/backend\/[^/]+\/\d+\/\d+\/state$/.test(path);
      assertEquals(golden.tree[path], [isBackendState ? "2" : value, perms], path);
    }
    // Every snapshot node of these devices was planned, or is the backend's own.
    const roots = writes.filter((w) => w.value === "" || w.path.endsWith("/frontend"))
      .map((w) => w.path.endsWith("/frontend") ? w.path.slice(0, -"/frontend".length) : w.path);
    for (const path of Object.keys(golden.tree)) {
      if (!roots.some((r) => path.startsWith(`${r}/`) || path === r)) continue;
      const key = path.slice(path.lastIndexOf("/") + 1);
      if (path.startsWith("/libxl/") && roots.includes(path)) {
        // The libxl directory itself: created implicitly by its first key, inheriting n0.
        assertEquals(golden.tree[path], ["", "n0"], path);
        continue;
      }
      assert(path in planned || WRITTEN_BY_BACKEND.has(key), `not planned: ${path}`);
    }
  });
}
