/**
 * The configs of the real-libxl golden runs (tests/golden, recorded on Xen 4.17 arm64):
 * what parseDomainConfig makes of each `.cfg` must agree with what real xl put in its
 * `xl -N` JSON, and prepareArmConfig must allocate exactly what libxl logged
 * ("Allocate Virtio MMIO params ..." and "Allocate N SPIs").
 */
import { assertEquals } from "../support/assert.ts";
import { readDomainConfig } from "../../lib/config/mod.ts";
import { prepareArmConfig } from "../../lib/virtio/mod.ts";

const GOLDEN = new URL("../golden/", import.meta.url).pathname;
const V417 = { major: 4, minor: 17 };

const cases = (() => {
  try {
    return [...Deno.readDirSync(`${GOLDEN}cfg`)]
      .filter((e) => e.name.endsWith(".cfg"))
      .map((e) => e.name.replace(/\.cfg$/, ""))
      .filter((name) => {
        try {
          return Deno.statSync(`${GOLDEN}${name}/xl-N.json`).isFile;
        } catch {
          return false;
        }
      })
      .sort();
  } catch {
    return [];
  }
})();
if (cases.length === 0) console.log("skipping golden configs: tests/golden has no recorded runs");

for (const name of cases) {
  Deno.test(`golden ${name}: parseDomainConfig agrees with real xl -N and libxl's allocation`, async () => {
    const config = await readDomainConfig(`${GOLDEN}cfg/${name}.cfg`, { xenVersion: V417 });
    const xl = JSON.parse(await Deno.readTextFile(`${GOLDEN}${name}/xl-N.json`));
    const b = xl.b_info;
    assertEquals(config.name, xl.c_info.name);
    assertEquals(config.type, xl.c_info.type);
    assertEquals(config.maxmem * 1024, b.max_memkb);
    assertEquals(config.memory * 1024, b.target_memkb);
    assertEquals(config.maxvcpus, b.max_vcpus);
    assertEquals(config.vcpus, b.avail_vcpus.length);
    assertEquals([config.kernel, config.ramdisk, config.cmdline], [b.kernel, b.ramdisk, b.cmdline]);
    assertEquals(config.vuart, b.arch_arm.vuart);
    assertEquals(config.gicVersion, b.arch_arm.gic_version ?? "default");
    assertEquals(config.onReboot, xl.on_reboot ?? "restart");
    const disks = (xl.disks ?? []).map((d: Record<string, unknown>) => ({
      pdevPath: d.pdev_path,
      vdev: d.vdev,
      format: d.format,
      readwrite: d.readwrite ?? 0,
      specification: d.specification ?? "unknown",
      backendDomname: d.backend_domname,
    }));
    assertEquals(
      config.disks.map((d) => ({
        pdevPath: d.pdevPath,
        vdev: d.vdev,
        format: d.format,
        readwrite: d.readwrite,
        specification: d.specification,
        backendDomname: d.backendDomname,
      })),
      disks,
    );

    const log = await Deno.readTextFile(`${GOLDEN}${name}/xl-create.log`);
    const logged = [
      ...log.matchAll(/Allocate Virtio MMIO params for Vdev (\S+): IRQ (\d+) BASE (0x[0-9a-f]+)/g),
    ]
      .map((m) => ({ device: m[1], irq: Number(m[2]), base: BigInt(m[3]) }));
    const spis = Number(/ - Allocate (\d+) SPIs/.exec(log)![1]);
    const plan = prepareArmConfig(config, V417);
    assertEquals(
      plan.allocations.map((a) => ({ device: a.device, irq: a.irq, base: a.base })),
      logged,
    );
    assertEquals(plan.nrSpis, spis);
  });
}
