/**
 * The pure plan: the nodes `xl create` writes for a domain's disks and generic virtio
 * devices, checked against spec §2.5 / §2.9 / §4.5 (expected trees written out by hand from
 * the spec, not computed by the code under test).
 */
import { assertEquals, assertThrows } from "../support/assert.ts";
import type { DomainConfig, VirtioDevice } from "../../lib/config/types.ts";
import { parseDiskSpec } from "../../lib/disk/mod.ts";
import type { DiskSpec } from "../../lib/disk/types.ts";
import {
  DeviceError,
  formatWrites,
  planDiskAdd,
  planDomainDevices,
  planDomainDeviceWrites,
} from "../../lib/devices/mod.ts";
import { nodesAfter } from "../../lib/xenstore/mod.ts";
import { setDiskDefaults } from "../../lib/disk/mod.ts";

/** A tree as `path -> [value, perms]`, perms in xenstore-ls spelling. */
type Tree = Record<string, [string, string]>;

function asTree(
  writes: { path: string; value: string; perms: { domid: number; access: string }[] }[],
) {
  const tree: Tree = {};
  for (const w of writes) {
    tree[w.path] = [
      w.value,
      w.perms.map((p) => `${p.access}${p.domid}`).join(","),
    ];
  }
  return tree;
}

function domain(disks: DiskSpec[], virtios: VirtioDevice[]): DomainConfig {
  return {
    source: "test.cfg",
    name: "guest",
    type: "pvh",
    memory: 1024,
    maxmem: 1024,
    vcpus: 2,
    maxvcpus: 2,
    disks,
    virtios,
    vifs: [],
    gicVersion: "default",
    tee: "none",
    dtdev: [],
    iomem: [],
    irqs: [],
    onPoweroff: "destroy",
    onReboot: "restart",
    onCrash: "destroy",
    warnings: [],
  };
}

/** The spec §4.5 guest: a dom0-served virtio disk at 0x2000000/33 and an i2c device. */
function specExample(target: string): DomainConfig {
  const disk = parseDiskSpec(`${target},raw,xvda,rw,specification=virtio`, { source: "test.cfg" });
  disk.base = 0x2000000n;
  disk.irq = 33;
  const i2c: VirtioDevice = {
    backendDomid: 1,
    type: "virtio,device22",
    transport: "mmio",
    devid: 0,
    irq: 34,
    base: 0x2000200n,
  };
  // Prepared as lib/domain's prepareGuest leaves it: the disk's creation-time defaults set.
  return domain([setDiskDefaults(disk, { hotplug: false })], [i2c]);
}

/** spec §2.5's illustrative tree, for guest `domid`, Xen 4.19+ (grant_usage present). */
function specDiskTree(domid: number, target: string, grantUsage: boolean): Tree {
  const be = `/local/domain/0/backend/virtio_disk/${domid}/51712`;
  const fe = `/local/domain/${domid}/device/virtio_disk/51712`;
  const lx = `/libxl/${domid}/device/virtio_disk/51712`;
  const bePerm = `n0,r${domid}`;
  const fePerm = `n${domid},r0`;
  const backendKeys: [string, string][] = [
    ["params", target],
    ["frontend-id", String(domid)],
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
    ...(grantUsage ? [["grant_usage", "0"] as [string, string]] : []),
  ];
  const tree: Tree = {
    [`${lx}/frontend`]: [fe, "n0"],
    [`${lx}/backend`]: [be, "n0"],
    [fe]: ["", fePerm],
    [`${fe}/backend`]: [be, fePerm],
    [`${fe}/backend-id`]: ["0", fePerm],
    [`${fe}/state`]: ["1", fePerm],
    [`${fe}/virtual-device`]: ["51712", fePerm],
    [`${fe}/device-type`]: ["disk", fePerm],
    [`${fe}/trusted`]: ["1", fePerm],
    [be]: ["", bePerm],
    [`${be}/frontend`]: [fe, bePerm],
  };
  for (const [k, v] of backendKeys) tree[`${be}/${k}`] = [v, bePerm];
  for (const [k, v] of backendKeys) tree[`${lx}/${k}`] = [v, "n0"];
  return tree;
}

/** spec §2.9 / §4.5: the i2c device served by domain 1. */
function specVirtioTree(domid: number): Tree {
  const be = `/local/domain/1/backend/virtio/${domid}/0`;
  const fe = `/local/domain/${domid}/device/virtio/0`;
  const lx = `/libxl/${domid}/device/virtio/0`;
  const bePerm = `n1,r${domid}`;
  const fePerm = `n${domid},r1`;
  const backendKeys: [string, string][] = [
    ["frontend-id", String(domid)],
    ["online", "1"],
    ["state", "1"],
    ["irq", "34"],
    ["base", "0x2000200"],
    ["type", "virtio,device22"],
    ["transport", "mmio"],
    ["grant_usage", "1"],
  ];
  const tree: Tree = {
    [`${lx}/frontend`]: [fe, "n0"],
    [`${lx}/backend`]: [be, "n0"],
    [fe]: ["", fePerm],
    [`${fe}/backend`]: [be, fePerm],
    [`${fe}/backend-id`]: ["1", fePerm],
    [`${fe}/state`]: ["1", fePerm],
    [be]: ["", bePerm],
    [`${be}/frontend`]: [fe, bePerm],
  };
  for (const [k, v] of backendKeys) tree[`${be}/${k}`] = [v, bePerm];
  for (const [k, v] of backendKeys) tree[`${lx}/${k}`] = [v, "n0"];
  return tree;
}

Deno.test("planDomainDeviceWrites: spec §4.5 guest on Xen 4.19 gives §2.5's disk tree then §2.9's virtio tree", async () => {
  const target = await Deno.makeTempFile({ prefix: "xlite-plan-" });
  try {
    const writes = planDomainDeviceWrites(specExample(target), {
      domid: 5,
      release: { major: 4, minor: 19 },
    });
    assertEquals(asTree(writes), { ...specDiskTree(5, target, true), ...specVirtioTree(5) });
    // Disks first, then generic virtio devices (spec §2.8 steps 5–6).
    const firstVirtio = writes.findIndex((w) => w.path.includes("/virtio/"));
    const lastDisk = writes.findLastIndex((w) => w.path.includes("/virtio_disk/"));
    assertEquals(lastDisk < firstVirtio, true);
  } finally {
    await Deno.remove(target);
  }
});

Deno.test("planDomainDeviceWrites: Xen 4.17 has no disk grant_usage and ignores virtio=; placeholder domid 1", async () => {
  const target = await Deno.makeTempFile({ prefix: "xlite-plan-" });
  try {
    const writes = planDomainDeviceWrites(specExample(target));
    assertEquals(asTree(writes), specDiskTree(1, target, false));
  } finally {
    await Deno.remove(target);
  }
});

Deno.test("planDomainDeviceWrites: Xen 4.18 writes generic virtio devices", async () => {
  const target = await Deno.makeTempFile({ prefix: "xlite-plan-" });
  try {
    const writes = planDomainDeviceWrites(specExample(target), {
      release: { major: 4, minor: 18 },
      domid: 7,
    });
    assertEquals(asTree(writes), { ...specDiskTree(7, target, false), ...specVirtioTree(7) });
  } finally {
    await Deno.remove(target);
  }
});

Deno.test("plan: the backend keys come in libxl's order (spec §2.5)", async () => {
  const target = await Deno.makeTempFile({ prefix: "xlite-plan-" });
  try {
    const [plan] = planDomainDevices(specExample(target), { release: { major: 4, minor: 19 } });
    assertEquals(plan.backendEntries.map(([k]) => k), [
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
    ]);
    assertEquals(plan.frontendEntries.map(([k]) => k), [
      "backend-id",
      "state",
      "virtual-device",
      "device-type",
      "trusted",
    ]);
    // The stale libxl directory goes first, then frontend, backend, libxl copy.
    assertEquals(plan.ops.slice(0, 6).map((op) => `${op.op} ${op.path}`), [
      "rm /libxl/1/device/virtio_disk/51712",
      "write /libxl/1/device/virtio_disk/51712/frontend",
      "write /libxl/1/device/virtio_disk/51712/backend",
      "rm /local/domain/1/device/virtio_disk/51712",
      "mkdir /local/domain/1/device/virtio_disk/51712",
      "setPerms /local/domain/1/device/virtio_disk/51712",
    ]);
  } finally {
    await Deno.remove(target);
  }
});

Deno.test("plan: PV disk kinds — phy with script, qdisk with <format>:<path>, vbd3 only from 4.19", () => {
  const defaults = (spec: string, stat: "block" | "file" = "block") =>
    setDiskDefaults(parseDiskSpec(spec), { hotplug: true, statTarget: () => stat });
  const phy = planDiskAdd(defaults("/dev/vg/d2,raw,xvdb,ro"), 3);
  assertEquals(phy.paths.backend, "/local/domain/0/backend/vbd/3/51728");
  assertEquals(phy.backendEntries.slice(0, 2), [
    ["params", "/dev/vg/d2"],
    ["script", "/etc/xen/scripts/block"],
  ]);
  assertEquals(Object.fromEntries(phy.backendEntries).mode, "r");
  assertEquals(Object.fromEntries(phy.backendEntries)["discard-enable"], "0");
  assertEquals(Object.fromEntries(phy.backendEntries).type, "phy");

  const qdisk = planDiskAdd(defaults("/images/d.qcow2,qcow2,xvdc,backendtype=qdisk", "file"), 3);
  assertEquals(qdisk.paths.backend, "/local/domain/0/backend/qdisk/3/51744");
  assertEquals(qdisk.paths.frontend, "/local/domain/3/device/vbd/51744");
  assertEquals(qdisk.backendEntries[0], ["params", "qcow2:/images/d.qcow2"]);
  assertEquals(qdisk.backendEntries.some(([k]) => k === "script"), false);
  assertEquals(qdisk.kind.waitsForInitWait, false);

  const raw = planDiskAdd(defaults("/images/d.img,raw,xvdd,backendtype=qdisk", "file"), 3);
  assertEquals(raw.backendEntries[0], ["params", "aio:/images/d.img"]);

  const tap = defaults("/images/t.vhd,vhd,xvde,backendtype=tap,script=my-tap", "file");
  const err = assertThrows(() => planDiskAdd(tap, 3), DeviceError, "blktap is not supported");
  assertEquals(err.code, "ERROR_FAIL");
  const vbd3 = planDiskAdd(tap, 3, { release: { major: 4, minor: 19 } });
  assertEquals(vbd3.paths.backend, "/local/domain/0/backend/vbd3/3/51776");
  assertEquals(vbd3.paths.frontend, "/local/domain/3/device/vbd/51776");
  assertEquals(vbd3.backendEntries.slice(0, 2), [
    ["params", "vhd:/images/t.vhd"],
    ["script", "/etc/xen/scripts/my-tap"],
  ]);
  assertEquals(Object.fromEntries(vbd3.backendEntries).type, "vbd3");
});

Deno.test("plan: a bad vdev is libxl's ERROR_INVAL with its message", () => {
  const disk = setDiskDefaults(parseDiskSpec("/dev/x,raw,xvd"), {
    hotplug: true,
    statTarget: () => "block",
  });
  const err = assertThrows(
    () => planDiskAdd(disk, 2),
    DeviceError,
    "Invalid or unsupported virtual disk identifier xvd",
  );
  assertEquals(err.code, "ERROR_INVAL");
});

Deno.test("nodesAfter: new nodes inherit their parent's permissions, rm forgets subtrees", () => {
  const nodes = nodesAfter([
    { op: "mkdir", path: "/a/b" },
    { op: "setPerms", path: "/a/b", perms: [{ domid: 3, access: "n" }, { domid: 0, access: "r" }] },
    { op: "write", path: "/a/b/c", value: "1" },
    { op: "write", path: "/a/x", value: "2" },
    { op: "write", path: "/a/b/c", value: "3" },
    { op: "rm", path: "/a/x" },
  ]);
  assertEquals(asTree(nodes), { "/a/b": ["", "n3,r0"], "/a/b/c": ["3", "n3,r0"] });
});

Deno.test("formatWrites: xenstore-ls -fp's line shape", () => {
  assertEquals(
    formatWrites([{
      path: "/a",
      value: "x y",
      perms: [{ domid: 0, access: "n" }, { domid: 5, access: "r" }],
    }]),
    '/a = "x y"   (n0,r5)',
  );
});
