/**
 * Golden data from real xl/libxl 4.20 (Debian trixie's Xen 4.20 in the testbed;
 * `XLITE_TESTBED_SUITE=trixie bash tests/golden/regenerate.sh` writes tests/golden/4.20/):
 * the captures are self-consistent (the DTB read from guest memory, rng-seed NOP-ed, is what
 * the guest saw), xlite's dry run with `--xen-version 4.20` gives libxl 4.20's DTB byte for
 * byte (rng-seed masked) and its segments, and the device nodes xlite plans are the ones xl
 * 4.20 wrote, values and permissions.
 */
import { assert, assertEquals } from "../support/assert.ts";
import { maskRngSeed, nopProperty } from "./golden_fdt.ts";
import { assertDryRunMatchesGolden } from "./golden_dry_run.ts";
import { prepareGuest } from "../../lib/domain/mod.ts";
import { planDomainDeviceWrites } from "../../lib/devices/mod.ts";

const ROOT = new URL("../..", import.meta.url).pathname;
const GOLDEN = `${ROOT}tests/golden/4.20`;
const RELEASE = { major: 4, minor: 20 };
const names = [...Deno.readDirSync(`${GOLDEN}/cfg`)]
  .filter((e) => e.name.endsWith(".cfg"))
  .map((e) => e.name.slice(0, -4))
  .sort();
/** Driver domains of the golden runs (the first domU: domid 1 on a fresh boot, then 2, ...). */
function driverDomains(xenstore: string): Map<string, number> {
  const m = /\/local\/domain\/(\d+)\/backend\//.exec(
    xenstore.split("\n").find((l) => /\/local\/domain\/[1-9]\d*\/backend\//.test(l)) ?? "",
  );
  return new Map(m ? [["xlite-drv", Number(m[1])]] : []);
}

for (const name of names) {
  const dir = `${GOLDEN}/${name}`;
  const captured = (() => {
    try {
      return Deno.statSync(`${dir}/memory.dtb`).isFile;
    } catch {
      return false;
    }
  })();
  if (!captured) console.log(`skipping golden 4.20 ${name}: not captured yet (${dir})`);

  Deno.test({
    name: `golden 4.20 ${name}: memory DTB with rng-seed masked equals the guest's DTB`,
    ignore: !captured,
    async fn() {
      const memory = await Deno.readFile(`${dir}/memory.dtb`);
      const guest = await Deno.readFile(`${dir}/guest.dtb`);
      assertEquals(nopProperty(memory, "rng-seed").count, 1, "one rng-seed in libxl's DTB");
      assertEquals(maskRngSeed(memory), guest);
      const dts = await Deno.readTextFile(`${dir}/memory.dts`);
      assert(dts.includes(`compatible = "xen,xenvm-4.20\\0xen,xenvm";`), "a Xen 4.20 guest tree");
    },
  });

  Deno.test({
    name: `golden 4.20 ${name}: xlite's DTB == real libxl 4.20's (rng-seed masked); segments`,
    ignore: !captured,
    async fn() {
      const xenstore = await Deno.readTextFile(`${dir}/xenstore.txt`);
      await assertDryRunMatchesGolden({
        goldenDir: GOLDEN,
        name,
        xenVersion: "4.20",
        gic: "v3",
        domains: driverDomains(xenstore),
      });
    },
  });

  Deno.test({
    name: `golden 4.20 ${name}: the planned device nodes are the ones real xl 4.20 wrote`,
    ignore: !captured,
    async fn() {
      const text = await Deno.readTextFile(`${dir}/xenstore.txt`);
      const domid = Number(/^# domid=(\d+)/.exec(text)![1]);
      const tree: Record<string, [string, string]> = {};
      for (const line of text.split("\n")) {
        const m = /^(\/\S*) = "(.*)" {3}\(([^)]*)\)$/.exec(line);
        if (m) tree[m[1]] = [m[2], m[3]];
      }
      const domains = driverDomains(text);
      const { config } = await prepareGuest(`${GOLDEN}/cfg/${name}.cfg`, {
        xenVersion: RELEASE,
        resolveBackend: (n) => Promise.resolve(domains.get(n) ?? 0),
        statTarget: () => "file", // the golden host's /tmp/d1.img was an image file
      });
      const writes = planDomainDeviceWrites(config, { domid, release: RELEASE });
      assertEquals(writes.length > 0, config.disks.length + config.virtios.length > 0);
      const devicePaths = new Set<string>();
      for (const w of writes) {
        devicePaths.add(w.path);
        const perms = w.perms.map((p) => `${p.access}${p.domid}`).join(",");
        // only the backend (the testbed's stand-in) moved its state on, to 2 (InitWait)
        const isBackendState = /\/backend\/[^/]+\/\d+\/\d+\/state$/.test(w.path);
        assertEquals(tree[w.path], [isBackendState ? "2" : w.value, perms], w.path);
      }
      // every node xl wrote under the devices' frontend and backend directories was planned
      const deviceDir = (path: string) =>
        /^(\/local\/domain\/\d+\/device\/[^/]+\/\d+)\//.exec(path)?.[1] ??
          /^(\/local\/domain\/\d+\/backend\/[^/]+\/\d+\/\d+)\//.exec(path)?.[1];
      const dirs = new Set(writes.map((w) => deviceDir(w.path)).filter((d) => d !== undefined));
      for (const path of Object.keys(tree)) {
        if ([...dirs].some((d) => path.startsWith(`${d}/`))) {
          assert(devicePaths.has(path), `xl wrote ${path}, xlite does not plan it`);
        }
      }
    },
  });
}
