/**
 * The daemon against the real C xenstored (and oxenstored for the handshake), with the
 * toolstack side written by lib/devices exactly as `xlite create` writes it and a stand-in
 * carrier (no hypervisor here): the spec §2.6 handshake, removal, frontend death, bad
 * configurations failing alone, many devices of many guests, a device model that throws.
 */
import { assert, assertEquals, assertStringIncludes } from "../support/assert.ts";
import { xenstoredMissing } from "../support/xenstored.ts";
import { addDevice, removeDevice } from "../../lib/devices/mod.ts";
import { backendErrorPath } from "../../lib/devd/backend_error.ts";
import { devdHost, eventually, VIRTIO_MMIO_MAGIC } from "./helpers.ts";

const why = xenstoredMissing("c");
if (why) console.log(`skipping devd daemon tests: ${why}`);
const ignore = why !== undefined;

const BASE0 = 0x2000000n;
const BASE1 = 0x2000200n;

Deno.test({
  name:
    "a virtio disk: served, then state=2 (only after addDevice), so the toolstack's add completes",
  ignore,
  fn: async () => {
    await using h = await devdHost();
    h.carrier.openDelayMs = 300; // a slow carrier: state 2 must still wait for it
    const plan = h.virtioDisk(5, h.images[0], "xvda", BASE0, 33);
    const state = `${plan.paths.backend}/state`;
    const watch = await h.xs.watch(state);
    const seenAt2: string[] = [];
    const watching = (async () => {
      for await (const _ of watch) {
        if ((await h.xs.tryRead(state)) === "2") {
          seenAt2.push(h.carrier.events.map((e) => e.op).join(","));
          return;
        }
      }
    })();
    await addDevice(h.xs, plan, { timeoutMs: 5000 });
    await watching;
    assertEquals(seenAt2, ["open,add"]);
    assertEquals(h.carrier.events, [
      { op: "open", domid: 5 },
      { op: "add", domid: 5, base: BASE0, irq: 33 },
    ]);
    assertEquals(h.devd.served().map((d) => [d.domid, d.devid, d.base, d.irq, d.readOnly]), [
      [5, 51712, BASE0, 33, false],
    ]);
    // the window reaches the device model, which got the image and discard-enable
    assertEquals(h.carrier.windows.get("5:2000000")!.read(0, 4), VIRTIO_MMIO_MAGIC);
    const made = h.devices.made[0].options;
    assertEquals([made.image.path, made.image.sizeBytes, made.discard], [
      h.images[0],
      1048576n,
      true,
    ]);
    const served = h.records().find((r) => r.backend === plan.paths.backend);
    assertEquals([served?.level, served?.domid, served?.devid, served?.irq], [
      "info",
      5,
      51712,
      33,
    ]);
  },
});

Deno.test({
  name:
    "removal by the toolstack (online=0, state=5): carrier.removeDevice, device and carrier closed, state=6, store clean",
  ignore,
  fn: async () => {
    await using h = await devdHost();
    const plan = h.virtioDisk(5, h.images[0], "xvda", BASE0, 33, "ro");
    await addDevice(h.xs, plan, { timeoutMs: 5000 });
    assertEquals(h.devices.made[0].options.image.readOnly, true);
    await removeDevice(h.xs, plan.device, { timeoutMs: 5000 });
    assertEquals(h.carrier.events.map((e) => e.op), ["open", "add", "remove", "close"]);
    assertEquals(h.devices.made[0].closed, true);
    assertEquals(h.devd.served(), []);
    assertEquals(await h.xs.exists(plan.paths.backend), false);
    assertEquals(await h.xs.exists(plan.paths.frontend), false);
  },
});

Deno.test({
  name: "state=5 alone (online still 1) stops serving and answers 6",
  ignore,
  fn: async () => {
    await using h = await devdHost();
    const plan = h.virtioDisk(5, h.images[0], "xvda", BASE0, 33);
    await addDevice(h.xs, plan, { timeoutMs: 5000 });
    await h.xs.write(`${plan.paths.backend}/state`, "5");
    await eventually(
      "state 6",
      async () => (await h.xs.tryRead(`${plan.paths.backend}/state`)) === "6",
    );
    assertEquals(h.carrier.events.map((e) => e.op), ["open", "add", "remove", "close"]);
    assertEquals(await h.xs.read(`${plan.paths.backend}/online`), "1");
  },
});

Deno.test({
  name: "a served device written again (state=1) is served afresh and answered with 2",
  ignore,
  fn: async () => {
    await using h = await devdHost();
    const plan = h.virtioDisk(5, h.images[0], "xvda", BASE0, 33);
    await addDevice(h.xs, plan, { timeoutMs: 5000 });
    await h.xs.write(`${plan.paths.backend}/state`, "1");
    await eventually("two adds", () => h.carrier.events.filter((e) => e.op === "add").length === 2);
    await eventually(
      "state 2",
      async () => (await h.xs.read(`${plan.paths.backend}/state`)) === "2",
    );
    assertEquals(h.carrier.events.map((e) => e.op), [
      "open",
      "add",
      "remove",
      "close",
      "open",
      "add",
    ]);
    assertEquals(h.devices.made.map((d) => d.closed), [true, false]);
  },
});

Deno.test({
  name:
    "frontend domain dies (@releaseDomain): everything for it is released, the other guest keeps its disk",
  ignore,
  fn: async () => {
    await using h = await devdHost();
    const a = h.virtioDisk(5, h.images[0], "xvda", BASE0, 33);
    const b = h.virtioDisk(5, h.images[1], "xvdb", BASE1, 34);
    const c = h.virtioDisk(6, h.images[2], "xvda", BASE0, 33);
    await Promise.all([a, b, c].map((p) => addDevice(h.xs, p, { timeoutMs: 5000 })));
    await h.killDomain(5);
    await eventually("domain 5 released", () => h.carrier.events.some((e) => e.op === "close"));
    assertEquals(h.carrier.events.filter((e) => e.op === "close"), [{ op: "close", domid: 5 }]);
    assertEquals(h.devd.served().map((d) => d.domid), [6]);
    assertEquals(h.carrier.windows.get("6:2000000")!.read(0, 4), VIRTIO_MMIO_MAGIC);
    for (const p of [a, b]) {
      await eventually(
        "state 6",
        async () => (await h.xs.tryRead(`${p.paths.backend}/state`)) === "6",
      );
    }
    assertEquals(await h.xs.read(`${c.paths.backend}/state`), "2");
    assert(h.records().some((r) => r.msg === "domain 5 is gone: released 2 device(s)"));
    // the toolstack's cleanup of the dead guest completes at once (state is already 6)
    await removeDevice(h.xs, a.device, { timeoutMs: 2000 });
    await removeDevice(h.xs, b.device, { timeoutMs: 2000 });
  },
});

Deno.test({
  name: "a frontend introduced only after its disk was served is still released when it dies",
  ignore,
  fn: async () => {
    await using h = await devdHost({ introduce: [5] });
    const plan = h.virtioDisk(6, h.images[0], "xvda", BASE0, 33);
    await addDevice(h.xs, plan, { timeoutMs: 5000 });
    await h.xs.introduceDomain(6, 0x106, 6);
    await new Promise((r) => setTimeout(r, 200)); // the @introduceDomain event arrives
    await h.devd.idle();
    await h.killDomain(6);
    await eventually("domain 6 released", () => h.carrier.events.some((e) => e.op === "close"));
    assertEquals(h.devd.served(), []);
  },
});

Deno.test({
  name:
    "bad configurations fail their device alone: error node, state=5, one log line; the good disk is served",
  ignore,
  fn: async () => {
    await using h = await devdHost();
    const bad: [string, Parameters<typeof h.write>[1], number, string][] = [
      ["xvdb", { params: `${h.images[0]}.missing` }, 2, "cannot open"],
      ["xvdc", { mode: "x" }, 22, "mode is 'x', not 'w' or 'r'"],
      ["xvdd", { base: String(0x2000100) }, 22, "base 0x2000100 is not a virtio-mmio slot"],
      ["xvde", { irq: "44" }, 22, "irq 44 is not a virtio-mmio SPI (33..43)"],
      ["xvdf", { base: "0x2000400" }, 22, "base '0x2000400' is not a decimal number"],
      ["xvdg", { transport: "pci" }, 22, "transport is 'pci', not 'mmio'"],
      ["xvdh", { grant_usage: "1" }, 95, "grant_usage=1 is not supported"],
      // unreadable even for root: a directory cannot be opened for writing
      ["xvdi", { params: h.images[0].replace(/\/img0$/, "") }, 21, "cannot open"],
    ];
    const good = h.virtioDisk(5, h.images[1], "xvda", BASE0, 33);
    const plans = bad.map(([vdev], i) =>
      h.virtioDisk(5, h.images[0], vdev, BASE0 + BigInt(i + 1) * 0x200n, 34 + i)
    );
    await Promise.all([
      addDevice(h.xs, good, { timeoutMs: 5000 }),
      ...plans.map((p, i) => h.write(p, bad[i][1])),
    ]);
    for (const [i, plan] of plans.entries()) {
      const [vdev, , errno, text] = bad[i];
      const node = backendErrorPath(plan.paths.backend);
      await eventually(`${vdev} error node`, () => h.xs.exists(node));
      const value = await h.xs.read(node);
      assert(value.startsWith(`${errno} `), `${vdev}: ${value}`);
      assertStringIncludes(value, text);
      await eventually(
        `${vdev} state 5`,
        async () => (await h.xs.read(`${plan.paths.backend}/state`)) === "5",
      );
      const line = h.records().find((r) => r.backend === plan.paths.backend && r.level === "error");
      assertEquals(line?.errno, errno);
      assertStringIncludes(String(line?.msg), text);
    }
    assertEquals(node0(h.devd.served()), [[5, BASE0]]);
    assertEquals(h.carrier.windows.get("5:2000000")!.read(0, 4), VIRTIO_MMIO_MAGIC);
    // the toolstack's removal of a failed device gets its state 6; the error node goes too
    await removeDevice(h.xs, plans[1].device, { timeoutMs: 5000 });
    assertEquals(await h.xs.exists(plans[1].paths.backend), false);
    await eventually(
      "error node removed",
      async () => !(await h.xs.exists(backendErrorPath(plans[1].paths.backend))),
    );
  },
});

function node0(served: { domid: number; base: bigint }[]) {
  return served.map((d) => [d.domid, d.base]);
}

Deno.test({
  name: "a second device on a taken window fails alone (EBUSY); the first stays served",
  ignore,
  fn: async () => {
    await using h = await devdHost();
    const first = h.virtioDisk(5, h.images[0], "xvda", BASE0, 33);
    await addDevice(h.xs, first, { timeoutMs: 5000 });
    const clash = h.virtioDisk(5, h.images[1], "xvdb", BASE0, 34);
    await h.write(clash);
    const node = backendErrorPath(clash.paths.backend);
    await eventually("error node", () => h.xs.exists(node));
    assertStringIncludes(
      await h.xs.read(node),
      "16 base 0x2000000 is already served for domain 5",
    );
    assertEquals(node0(h.devd.served()), [[5, BASE0]]);
  },
});

Deno.test({
  name: "two frontends x two disks at once: one carrier per domain, closed with its last disk",
  ignore,
  fn: async () => {
    await using h = await devdHost();
    const plans = [5, 6].flatMap((domid) => [
      h.virtioDisk(domid, h.images[domid === 5 ? 0 : 2], "xvda", BASE0, 33),
      h.virtioDisk(domid, h.images[domid === 5 ? 1 : 3], "xvdb", BASE1, 34),
    ]);
    await Promise.all(plans.map((p) => addDevice(h.xs, p, { timeoutMs: 5000 })));
    assertEquals(h.carrier.events.filter((e) => e.op === "open").map((e) => e.domid).sort(), [
      5,
      6,
    ]);
    assertEquals(h.devd.served().length, 4);
    for (const key of ["5:2000000", "5:2000200", "6:2000000", "6:2000200"]) {
      assertEquals(h.carrier.windows.get(key)!.read(0, 4), VIRTIO_MMIO_MAGIC);
    }
    await removeDevice(h.xs, plans[0].device, { timeoutMs: 5000 });
    assertEquals(h.carrier.events.some((e) => e.op === "close"), false);
    await removeDevice(h.xs, plans[1].device, { timeoutMs: 5000 });
    assertEquals(h.carrier.events.filter((e) => e.op === "close"), [{ op: "close", domid: 5 }]);
    assertEquals(h.devd.served().map((d) => d.domid), [6, 6]);
  },
});

Deno.test({
  name:
    "a device model that throws: the access reads 0, one log line and the error node; the daemon and the other disk go on",
  ignore,
  fn: async () => {
    await using h = await devdHost();
    const a = h.virtioDisk(5, h.images[0], "xvda", BASE0, 33);
    const b = h.virtioDisk(5, h.images[1], "xvdb", BASE1, 34);
    await Promise.all([a, b].map((p) => addDevice(h.xs, p, { timeoutMs: 5000 })));
    h.devices.throwing.add(h.images[0]);
    const window = h.carrier.windows.get("5:2000000")!;
    assertEquals(window.read(0, 4), 0n);
    window.write(0x70, 4, 1n);
    assertEquals(window.read(0, 4), 0n);
    assertEquals(h.carrier.windows.get("5:2000200")!.read(0, 4), VIRTIO_MMIO_MAGIC);
    const node = backendErrorPath(a.paths.backend);
    await eventually("error node", () => h.xs.exists(node));
    assertStringIncludes(await h.xs.read(node), "5 device model failed: stand-in device blew up");
    const faults = h.records().filter((r) => String(r.msg).includes("device model failed"));
    assertEquals(faults.length, 1);
    // later devices are still served
    const c = h.virtioDisk(6, h.images[2], "xvda", BASE0, 33);
    await addDevice(h.xs, c, { timeoutMs: 5000 });
    assertEquals(h.devd.served().length, 3);
  },
});

Deno.test({
  name:
    "a carrier that cannot be opened fails the device; the next device of that domain tries again",
  ignore,
  fn: async () => {
    await using h = await devdHost();
    h.carrier.failOpen.add(5);
    const a = h.virtioDisk(5, h.images[0], "xvda", BASE0, 33);
    await h.write(a);
    const node = backendErrorPath(a.paths.backend);
    await eventually("error node", () => h.xs.exists(node));
    assertStringIncludes(await h.xs.read(node), "domain 5 has no IOREQ server here");
    h.carrier.failOpen.delete(5);
    const b = h.virtioDisk(5, h.images[1], "xvdb", BASE1, 34);
    await addDevice(h.xs, b, { timeoutMs: 5000 });
    assertEquals(node0(h.devd.served()), [[5, BASE1]]);
  },
});

Deno.test({
  name: "[oxenstored] the handshake: add completes on state 2, removal on state 6",
  ignore: xenstoredMissing("ocaml") !== undefined,
  fn: async () => {
    await using h = await devdHost({ flavour: "ocaml" });
    const plan = h.virtioDisk(5, h.images[0], "xvda", BASE0, 33);
    await addDevice(h.xs, plan, { timeoutMs: 5000 });
    await removeDevice(h.xs, plan.device, { timeoutMs: 5000 });
    assertEquals(h.carrier.events.map((e) => e.op), ["open", "add", "remove", "close"]);
  },
});

Deno.test({
  name:
    "devices present when the daemon starts in state 1 are served; others are left alone with a warning",
  ignore,
  fn: async () => {
    await using h = await devdHost();
    await h.devd.stop();
    const a = h.virtioDisk(5, h.images[0], "xvda", BASE0, 33);
    const b = h.virtioDisk(5, h.images[1], "xvdb", BASE1, 34);
    await h.write(a);
    await h.write(b, { state: "4" });
    const { startDevd } = await import("../../lib/devd/daemon.ts");
    const lines: string[] = [];
    const { createDevdLog } = await import("../../lib/devd/log.ts");
    const second = await startDevd({
      xs: h.xs,
      domid: 0,
      parts: {
        openCarrier: h.carrier.open,
        openImage: (await import("./helpers.ts")).openTestImage,
        createDevice: h.devices.create,
      },
      log: createDevdLog({ write: (l) => lines.push(l) }),
    });
    try {
      await eventually(
        "state 2",
        async () => (await h.xs.read(`${a.paths.backend}/state`)) === "2",
      );
      await eventually(
        "warning",
        () => lines.some((l) => l.includes("in state 4, not 1: left alone")),
      );
      assertEquals(second.served().map((d) => d.devid), [51712]);
      assert(/^\d{4}-\d\d-\d\dT[\d:.]+Z (info|warn|error): /.test(lines[0]), lines[0]);
    } finally {
      await second.stop();
    }
  },
});
