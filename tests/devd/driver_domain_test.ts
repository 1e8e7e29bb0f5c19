/**
 * The daemon in a driver domain (domain 1), on the real C xenstored: the dom0 toolstack's
 * removal waits for the driver domain to remove its backend directory (spec §2.6), which the
 * daemon does for virtio disks; and PV disks get their hotplug script run as `xl devd` runs
 * it (after blkback's InitWait, with libxl's environment; `remove` on state 6 + online 0).
 * Blkback is simulated on the real daemon (no kernel backend here).
 */
import { assert, assertEquals } from "../support/assert.ts";
import { pathExists, xenstoredMissing } from "../support/xenstored.ts";
import { openXenstore } from "../../lib/xenstore/mod.ts";
import { parseDiskSpec, setDiskDefaults } from "../../lib/disk/mod.ts";
import { addDevice, planDiskAdd, removeDevice } from "../../lib/devices/mod.ts";
import { devdHost, eventually } from "./helpers.ts";

const why = xenstoredMissing("c") ??
  (pathExists("/usr/bin/xenstore-write") ? undefined : "xenstore-write not installed");
if (why) console.log(`skipping devd driver-domain tests: ${why}`);
const ignore = why !== undefined;

/** blkback, simulated: under `/local/domain/<b>/backend/vbd`, state 1 → 2 and 5 → 6. */
async function simulatedBlkback(socketPath: string, backendDomid: number) {
  const xs = await openXenstore({ path: socketPath });
  const watch = await xs.watch(`/local/domain/${backendDomid}/backend/vbd`);
  const loop = (async () => {
    try {
      for await (const event of watch) {
        if (!event.path.endsWith("/state")) continue;
        const state = await xs.tryRead(event.path);
        const answer = state === "1" ? "2" : state === "5" ? "6" : undefined;
        if (answer !== undefined) await xs.write(event.path, answer).catch(() => {});
      }
    } catch {
      // closed
    }
  })();
  return {
    async [Symbol.asyncDispose]() {
      await watch.close().catch(() => {});
      xs.close();
      await loop;
    },
  };
}

/** A hotplug script that records its argument and environment, and reports success. */
async function recordingScript(dir: string, backendDomid: number) {
  const record = `${dir}/calls`;
  const script = `${dir}/block-test`;
  await Deno.writeTextFile(
    script,
    `#!/bin/sh
echo "$1 $XENBUS_TYPE $XENBUS_PATH $XENBUS_BASE_PATH $script" >> ${record}
[ "$1" = add ] && xenstore-write "/local/domain/${backendDomid}/$XENBUS_PATH/hotplug-status" connected
exit 0
`,
  );
  await Deno.chmod(script, 0o755);
  return { script, record, calls: () => Deno.readTextFile(record).catch(() => "") };
}

Deno.test({
  name:
    "driver domain: a removed virtio disk's backend directory is removed by the daemon, so the toolstack's detach completes",
  ignore,
  fn: async () => {
    await using h = await devdHost({ domid: 1 });
    const plan = h.virtioDisk(5, h.images[0], "xvda", 0x2000000n, 33);
    assertEquals(plan.paths.backend, "/local/domain/1/backend/virtio_disk/5/51712");
    await addDevice(h.xs, plan, { timeoutMs: 5000 });
    assertEquals(h.devd.served().length, 1);
    await removeDevice(h.xs, plan.device, { timeoutMs: 5000 });
    assertEquals(await h.xs.exists(plan.paths.backend), false);
    assertEquals(await h.xs.exists("/local/domain/1/backend"), false);
    assertEquals(h.carrier.events.map((e) => e.op), ["open", "add", "remove", "close"]);
  },
});

Deno.test({
  name:
    "driver domain: a PV disk's hotplug script runs with add after InitWait and with remove on detach, as xl devd runs it",
  ignore,
  fn: async () => {
    await using h = await devdHost({ domid: 1 });
    await using _blkback = await simulatedBlkback(h.xsd.socketPath, 1);
    const dir = await Deno.makeTempDir({ prefix: "xlite-devd-hotplug-" });
    try {
      const s = await recordingScript(dir, 1);
      const plan = planDiskAdd(
        setDiskDefaults(
          { ...parseDiskSpec(`${h.images[0]},raw,xvdb,rw,script=${s.script}`), backendDomid: 1 },
          { hotplug: true },
        ),
        5,
      );
      const backend = "/local/domain/1/backend/vbd/5/51728";
      assertEquals(plan.paths.backend, backend);
      await addDevice(h.xs, plan, { timeoutMs: 5000 });
      await eventually(
        "hotplug-status",
        async () => (await h.xs.tryRead(`${backend}/hotplug-status`)) === "connected",
      );
      assertEquals(await s.calls(), `add vbd backend/vbd/5/51728 backend ${s.script}\n`);
      await removeDevice(h.xs, plan.device, { timeoutMs: 5000 });
      assertEquals(
        await s.calls(),
        `add vbd backend/vbd/5/51728 backend ${s.script}\nremove vbd backend/vbd/5/51728 backend ${s.script}\n`,
      );
      assertEquals(await h.xs.exists(backend), false);
      assert(h.records().some((r) => r.backend === backend && r.msg === `${backend}: removed`));
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});

Deno.test({
  name:
    "dom0: PV disk hotplug scripts are left to the toolstack (libxl runs them where backend = own domain)",
  ignore,
  fn: async () => {
    await using h = await devdHost({ domid: 0 });
    await using _blkback = await simulatedBlkback(h.xsd.socketPath, 0);
    const dir = await Deno.makeTempDir({ prefix: "xlite-devd-hotplug-" });
    try {
      const s = await recordingScript(dir, 0);
      const plan = planDiskAdd(
        setDiskDefaults(parseDiskSpec(`${h.images[0]},raw,xvdb,rw,script=${s.script}`), {
          hotplug: true,
        }),
        5,
      );
      // the toolstack itself runs add (once): the daemon must not add a second run
      await addDevice(h.xs, plan, { timeoutMs: 5000 });
      await new Promise((r) => setTimeout(r, 300));
      await h.devd.idle();
      assertEquals(await s.calls(), `add vbd backend/vbd/5/51728 backend ${s.script}\n`);
    } finally {
      await Deno.remove(dir, { recursive: true });
    }
  },
});
