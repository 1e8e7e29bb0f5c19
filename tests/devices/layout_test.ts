/**
 * Device layout against the real daemons: for every kind, the tree xlite writes equals spec
 * §2.5 / §2.9 key for key, value for value, permission for permission, as Debian's
 * `xenstore-ls -fp` reads it back; the C daemon (which keeps children in creation order) also
 * shows libxl's key order; and xlite reads back what it wrote.
 */
import { assert, assertEquals, assertStringIncludes } from "../support/assert.ts";
import {
  startXenstored,
  type XenstoredFlavour,
  xenstoredMissing,
  xenstoreTool,
} from "../support/xenstored.ts";
import { openXenstore } from "../../lib/xenstore/mod.ts";
import { parseDiskSpec, setDiskDefaults } from "../../lib/disk/mod.ts";
import type { DiskSpec } from "../../lib/disk/types.ts";
import type { VirtioDevice } from "../../lib/config/types.ts";
import {
  type DeviceAddPlan,
  formatWrites,
  listDisks,
  listVirtios,
  planDiskAdd,
  planVirtioAdd,
  readDisk,
  writeDevice,
} from "../../lib/devices/mod.ts";
import { nodesAfter } from "../../lib/xenstore/mod.ts";
import type { XenVersion } from "../../lib/xen_version/mod.ts";
import { dumpStore, expectedDeviceTree, seedDomains, subtree, type Tree } from "./helpers.ts";

const R417: XenVersion = { major: 4, minor: 17 };
const R419: XenVersion = { major: 4, minor: 19 };

interface Case {
  name: string;
  /** Builds the device from a real target file. */
  plan(target: string): { plan: DeviceAddPlan; disk?: DiskSpec; virtio?: VirtioDevice };
  /** spec §2.5 / §2.9, by hand. */
  expected(target: string): Tree;
  /** Backend keys in libxl's order (C xenstored lists children in creation order). */
  backendOrder: string[];
}

const disk = (spec: string, release: XenVersion = R417) => {
  const d = setDiskDefaults(
    parseDiskSpec(spec, { grammar: release.minor >= 19 ? "4.19" : "4.17" }),
    {
      hotplug: false,
    },
  );
  return d;
};

const PV_BACKEND_ORDER = [
  "frontend",
  "params",
  "script",
  "frontend-id",
  "online",
  "removable",
  "bootable",
  "state",
  "dev",
  "type",
  "mode",
  "device-type",
  "discard-enable",
  "specification",
];

const CASES: Case[] = [
  {
    name: "vbd (phy)",
    plan(target) {
      const d = disk(`${target},raw,xvdb,rw`);
      return { plan: planDiskAdd(d, 5), disk: d };
    },
    expected: (target) =>
      expectedDeviceTree({
        domid: 5,
        backendDomid: 0,
        kind: "vbd",
        backendKind: "vbd",
        devid: 51728,
        withLibxlDir: true,
        backend: [
          ["params", target],
          ["script", "/etc/xen/scripts/block"],
          ["frontend-id", "5"],
          ["online", "1"],
          ["removable", "0"],
          ["bootable", "1"],
          ["state", "1"],
          ["dev", "xvdb"],
          ["type", "phy"],
          ["mode", "w"],
          ["device-type", "disk"],
          ["discard-enable", "1"],
          ["specification", "xen"],
        ],
        frontend: [
          ["backend-id", "0"],
          ["state", "1"],
          ["virtual-device", "51728"],
          ["device-type", "disk"],
          ["trusted", "1"],
        ],
      }),
    backendOrder: PV_BACKEND_ORDER,
  },
  {
    name: "qdisk (read-only cdrom, qcow2)",
    plan(target) {
      const d = disk(`${target},qcow2,hdc,cdrom,untrusted`, R419);
      return { plan: planDiskAdd(d, 5, { release: R419 }), disk: d };
    },
    expected: (target) =>
      expectedDeviceTree({
        domid: 5,
        backendDomid: 0,
        kind: "vbd",
        backendKind: "qdisk",
        devid: 5632,
        withLibxlDir: true,
        backend: [
          ["params", `qcow2:${target}`],
          ["frontend-id", "5"],
          ["online", "1"],
          ["removable", "1"],
          ["bootable", "1"],
          ["state", "1"],
          ["dev", "hdc"],
          ["type", "qdisk"],
          ["mode", "r"],
          ["device-type", "cdrom"],
          ["discard-enable", "0"],
          ["specification", "xen"],
        ],
        frontend: [
          ["backend-id", "0"],
          ["state", "1"],
          ["virtual-device", "5632"],
          ["device-type", "cdrom"],
          ["trusted", "0"],
        ],
      }),
    backendOrder: PV_BACKEND_ORDER.filter((k) => k !== "script"),
  },
  {
    name: "virtio_disk (spec §2.5 example, Xen 4.19)",
    plan(target) {
      const d = disk(`${target},raw,xvda,rw,specification=virtio`, R419);
      d.base = 0x2000000n;
      d.irq = 33;
      return { plan: planDiskAdd(d, 5, { release: R419 }), disk: d };
    },
    expected: (target) =>
      expectedDeviceTree({
        domid: 5,
        backendDomid: 0,
        kind: "virtio_disk",
        backendKind: "virtio_disk",
        devid: 51712,
        withLibxlDir: true,
        backend: [
          ["params", target],
          ["frontend-id", "5"],
          ["online", "1"],
          ["removable", "0"],
          ["bootable", "1"],
          ["state", "1"],
          ["dev", "xvda"],
          ["type", "standalone"],
          ["mode", "w"],
          ["device-type", "disk"],
          ["discard-enable", "1"],
          ["specification", "virtio"],
          ["transport", "mmio"],
          ["base", "33554432"],
          ["irq", "33"],
          ["grant_usage", "0"],
        ],
        frontend: [
          ["backend-id", "0"],
          ["state", "1"],
          ["virtual-device", "51712"],
          ["device-type", "disk"],
          ["trusted", "1"],
        ],
      }),
    backendOrder: [
      "frontend",
      "params",
      "frontend-id",
      "online",
      "removable",
      "bootable",
      "state",
      "dev",
      "type",
      "mode",
      "device-type",
      "discard-enable",
      "specification",
      "transport",
      "base",
      "irq",
      "grant_usage",
    ],
  },
  {
    name: "vbd3 (tap, Xen 4.19)",
    plan(target) {
      const d = disk(`${target},vhd,xvde,backendtype=tap`, R419);
      return { plan: planDiskAdd(d, 5, { release: R419 }), disk: d };
    },
    expected: (target) =>
      expectedDeviceTree({
        domid: 5,
        backendDomid: 0,
        kind: "vbd",
        backendKind: "vbd3",
        devid: 51776,
        withLibxlDir: true,
        backend: [
          ["params", `vhd:${target}`],
          ["script", "/etc/xen/scripts/block-tap"],
          ["frontend-id", "5"],
          ["online", "1"],
          ["removable", "0"],
          ["bootable", "1"],
          ["state", "1"],
          ["dev", "xvde"],
          ["type", "vbd3"],
          ["mode", "w"],
          ["device-type", "disk"],
          ["discard-enable", "1"],
          ["specification", "xen"],
        ],
        frontend: [
          ["backend-id", "0"],
          ["state", "1"],
          ["virtual-device", "51776"],
          ["device-type", "disk"],
          ["trusted", "1"],
        ],
      }),
    backendOrder: PV_BACKEND_ORDER,
  },
  {
    name: "virtio (generic i2c behind driver domain 1)",
    plan() {
      const virtio: VirtioDevice = {
        backendDomid: 1,
        type: "virtio,device22",
        transport: "mmio",
        devid: 0,
        irq: 34,
        base: 0x2000200n,
      };
      return { plan: planVirtioAdd(virtio, 5, { release: { major: 4, minor: 18 } }), virtio };
    },
    expected: () =>
      expectedDeviceTree({
        domid: 5,
        backendDomid: 1,
        kind: "virtio",
        backendKind: "virtio",
        devid: 0,
        withLibxlDir: true,
        backend: [
          ["frontend-id", "5"],
          ["online", "1"],
          ["state", "1"],
          ["irq", "34"],
          ["base", "0x2000200"],
          ["type", "virtio,device22"],
          ["transport", "mmio"],
          ["grant_usage", "1"],
        ],
        frontend: [["backend-id", "1"], ["state", "1"]],
      }),
    backendOrder: [
      "frontend",
      "frontend-id",
      "online",
      "state",
      "irq",
      "base",
      "type",
      "transport",
      "grant_usage",
    ],
  },
];

for (const flavour of ["c", "ocaml"] as XenstoredFlavour[]) {
  const missing = xenstoredMissing(flavour);
  if (missing) console.log(`skipping ${flavour} xenstored layout tests: ${missing}`);
  for (const c of CASES) {
    Deno.test({
      name: `layout [${flavour} xenstored]: ${c.name} equals spec §2.5/§2.9 and reads back`,
      ignore: missing !== undefined,
      async fn() {
        const target = await Deno.makeTempFile({ prefix: "xlite-layout-" });
        await using xsd = await startXenstored({ flavour });
        const xs = await openXenstore({ path: xsd.socketPath });
        try {
          await seedDomains(xs);
          const before = await dumpStore(xsd);
          const { plan, disk, virtio } = c.plan(target);
          await writeDevice(xs, plan);
          const after = await dumpStore(xsd);
          const roots = [plan.paths.frontend, plan.paths.backend, plan.paths.libxl];
          assertEquals(subtree(after.tree, roots), c.expected(target));
          // Nothing else changed but the (implicitly created, inheriting) parent directories.
          for (const [path, node] of Object.entries(before.tree)) {
            assertEquals(after.tree[path], node, path);
          }
          if (flavour === "c") {
            const children = after.order
              .filter((p) => p.startsWith(`${plan.paths.backend}/`))
              .map((p) => p.slice(plan.paths.backend.length + 1));
            assertEquals(children, c.backendOrder);
          }
          if (disk) {
            const back = await readDisk(xs, plan.paths.libxl);
            assertEquals(
              {
                backendDomid: back.backendDomid,
                pdevPath: back.pdevPath,
                vdev: back.vdev,
                backend: back.backend,
                specification: back.specification,
                transport: back.transport,
                base: back.base,
                irq: back.irq,
                readwrite: back.readwrite,
                isCdrom: back.isCdrom,
                removable: back.removable,
                coloEnable: back.coloEnable,
                format: back.format,
              },
              {
                backendDomid: disk.backendDomid,
                pdevPath: disk.pdevPath,
                vdev: disk.vdev,
                backend: disk.backend,
                specification: disk.specification,
                transport: disk.transport,
                base: disk.base,
                irq: disk.irq,
                readwrite: disk.readwrite,
                isCdrom: disk.isCdrom,
                removable: disk.removable,
                coloEnable: false,
                format: "unknown", // libxl does not recover the format (spec §2.7 step 8)
              },
            );
            if (disk.specification === "virtio") assertEquals(back.grantUsage, disk.grantUsage);
            assertEquals((await listDisks(xs, 5)).map((d) => d.vdev), [disk.vdev]);
          }
          if (virtio) assertEquals(await listVirtios(xs, 5), [{ ...virtio, grantUsage: true }]);
        } finally {
          xs.close();
          await Deno.remove(target);
        }
      },
    });
  }
}

Deno.test({
  name: "formatWrites prints the plan exactly as Debian's xenstore-ls -fp prints the store",
  ignore: xenstoredMissing("c") !== undefined,
  async fn() {
    const dir = await Deno.makeTempDir({ prefix: "xlite-layout-" });
    // A target with characters xenstore-ls quotes: tab, backslash, non-ASCII.
    const target = `${dir}/disk\tone\\é.img`;
    await Deno.writeTextFile(target, "");
    await using xsd = await startXenstored({ flavour: "c" });
    const xs = await openXenstore({ path: xsd.socketPath });
    try {
      await seedDomains(xs);
      const plan = planDiskAdd(disk(`${target},raw,xvdb,rw`), 5);
      await writeDevice(xs, plan);
      const out = await xenstoreTool(xsd, "ls", ["-fp"]);
      const ours = formatWrites(nodesAfter(plan.ops)).split("\n");
      const theirs = new Set(out.stdout.split("\n"));
      for (const line of ours) assert(theirs.has(line), `xenstore-ls has no line ${line}`);
      assertStringIncludes(ours.join("\n"), "disk\\tone\\\\\\xc3\\xa9.img");
    } finally {
      xs.close();
      await Deno.remove(dir, { recursive: true });
    }
  },
});
