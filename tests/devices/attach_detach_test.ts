/**
 * Attach and detach against the real C xenstored and oxenstored, with a backend simulated by
 * the test: the
 * backend's `state=2` completes an attach, its `state=6` a detach; without a backend both
 * time out with libxl's messages, and a failed attach leaves nothing behind.
 */
import { assert, assertEquals, assertRejects } from "../support/assert.ts";
import { startXenstored, type XenstoredFlavour, xenstoredMissing } from "../support/xenstored.ts";
import { openXenstore, type XenstoreClient, XenstoreError } from "../../lib/xenstore/mod.ts";
import { parseDiskSpec, setDiskDefaults } from "../../lib/disk/mod.ts";
import {
  addDevice,
  type DeviceAddPlan,
  DeviceError,
  planDiskAdd,
  planVirtioAdd,
  removeDevice,
} from "../../lib/devices/mod.ts";
import { dumpStore, seedDomains, simulateBackend, subtree } from "./helpers.ts";

const FLAVOURS: XenstoredFlavour[] = ["c", "ocaml"];
for (const flavour of FLAVOURS) {
  const why = xenstoredMissing(flavour);
  if (why) console.log(`skipping attach/detach tests on ${flavour} xenstored: ${why}`);
}

/** A private xenstored with dom0 and guest 5 seeded, a client, and a real target file. */
async function setup(flavour: XenstoredFlavour) {
  const xsd = await startXenstored({ flavour });
  const xs = await openXenstore({ path: xsd.socketPath });
  const target = await Deno.makeTempFile({ prefix: "xlite-attach-" });
  await seedDomains(xs, { 5: "guest", 1: "driver" });
  // script=/bin/true: a hotplug script that does nothing (the default one would set up loops).
  const plan = (spec: string) =>
    planDiskAdd(
      setDiskDefaults(parseDiskSpec(spec.includes("script=") ? spec : `${spec},script=/bin/true`), {
        hotplug: true,
      }),
      5,
    );
  return {
    xsd,
    xs,
    target,
    plan,
    async [Symbol.asyncDispose]() {
      xs.close();
      await xsd.stop();
      await Deno.remove(target);
    },
  };
}

/** One test per daemon flavour. */
function test(name: string, fn: (flavour: XenstoredFlavour) => Promise<void>) {
  for (const flavour of FLAVOURS) {
    Deno.test({
      name: `[${flavour} xenstored] ${name}`,
      ignore: xenstoredMissing(flavour) !== undefined,
      fn: () => fn(flavour),
    });
  }
}

test("attach: the backend's state=2 completes it; detach: its state=6 completes it, leaving the store as before", async (flavour) => {
  await using t = await setup(flavour);
  const backend = await simulateBackend(t.xsd.socketPath);
  try {
    const before = await dumpStore(t.xsd);
    const plan = t.plan(`${t.target},raw,xvdb,rw`);
    await addDevice(t.xs, plan, { timeoutMs: 5000 });
    assertEquals(await t.xs.read(`${plan.paths.backend}/state`), "2");
    await removeDevice(t.xs, plan.device, { timeoutMs: 5000 });
    assertEquals(backend.seen, [
      `${plan.paths.backend}/state=2`,
      `${plan.paths.backend}/state=6`,
    ]);
    assertEquals((await dumpStore(t.xsd)).tree, before.tree);
  } finally {
    await backend.stop();
  }
});

const FIXTURES = new URL("./fixtures/", import.meta.url).pathname;

test("hotplug script: run with add after InitWait and remove after Closed, with libxl's environment", async (flavour) => {
  await using t = await setup(flavour);
  const backend = await simulateBackend(t.xsd.socketPath);
  try {
    const script = `${FIXTURES}record_hotplug.sh`;
    const plan = t.plan(`${t.target},raw,xvdb,rw,script=${script}`);
    await addDevice(t.xs, plan, { timeoutMs: 5000 });
    const env = `${script}|vbd|backend/vbd/5/51728|backend`;
    assertEquals(await t.xs.read("/tool/hotplug/add"), env);
    assertEquals(await t.xs.read(`${plan.paths.backend}/hotplug-status`), "connected");
    assertEquals(await t.xs.exists("/tool/hotplug/remove"), false);
    await removeDevice(t.xs, plan.device, { timeoutMs: 5000 });
    assertEquals(await t.xs.read("/tool/hotplug/remove"), env);
  } finally {
    await backend.stop();
  }
});

test("hotplug script failing on add: its hotplug-error is the message, nothing left behind", async (flavour) => {
  await using t = await setup(flavour);
  const backend = await simulateBackend(t.xsd.socketPath);
  try {
    const before = await dumpStore(t.xsd);
    const plan = t.plan(`${t.target},raw,xvdb,rw,script=${FIXTURES}failing_hotplug.sh`);
    const error = await assertRejects(
      () => addDevice(t.xs, plan, { timeoutMs: 5000 }),
      DeviceError,
      "script: no such disk here",
    );
    assertEquals(error.code, "ERROR_FAIL");
    assertEquals((await dumpStore(t.xsd)).tree, before.tree);
  } finally {
    await backend.stop();
  }
});

test("attach without a backend: libxl's timeout error, and nothing left behind", async (flavour) => {
  await using t = await setup(flavour);
  const before = await dumpStore(t.xsd);
  const plan = t.plan(`${t.target},raw,xvdb,rw`);
  const started = Date.now();
  const error = await assertRejects(
    () => addDevice(t.xs, plan, { timeoutMs: 400 }),
    DeviceError,
    "unable to add device with path /local/domain/0/backend/vbd/5/51728",
  );
  assert(Date.now() - started >= 400, "waited the whole timeout");
  assertEquals(error.code, "ERROR_TIMEDOUT");
  assertEquals(
    error.logLine,
    "libxl: error: Domain 5:unable to add device with path /local/domain/0/backend/vbd/5/51728",
  );
  assertEquals((await dumpStore(t.xsd)).tree, before.tree);
});

test("attach without cleanup keeps libxl's leftovers; adding again: device already exists in xenstore", async (flavour) => {
  await using t = await setup(flavour);
  const plan = t.plan(`${t.target},raw,xvdb,rw`);
  await assertRejects(() => addDevice(t.xs, plan, { timeoutMs: 100, cleanupOnFailure: false }));
  assertEquals(await t.xs.read(`${plan.paths.libxl}/dev`), "xvdb");
  const error = await assertRejects(
    () => addDevice(t.xs, plan, { timeoutMs: 100 }),
    DeviceError,
    "device already exists in xenstore",
  );
  assertEquals(error.code, "ERROR_DEVICE_EXISTS");
});

test("two simultaneous attaches of one vdev: one wins, the other finds it exists", async (flavour) => {
  await using t = await setup(flavour);
  const backend = await simulateBackend(t.xsd.socketPath);
  const other = await openXenstore({ path: t.xsd.socketPath });
  try {
    const plan = t.plan(`${t.target},raw,xvdb,rw`);
    const results = await Promise.allSettled([
      addDevice(t.xs, plan, { timeoutMs: 5000 }),
      addDevice(other, plan, { timeoutMs: 5000 }),
    ]);
    const failed = results.filter((r) => r.status === "rejected") as PromiseRejectedResult[];
    assertEquals(results.length - failed.length, 1);
    assertEquals((failed[0].reason as DeviceError).code, "ERROR_DEVICE_EXISTS");
  } finally {
    other.close();
    await backend.stop();
  }
});

test("detach without a backend: safe remove fails and keeps the device (online=0, state=5); -f cleans it", async (flavour) => {
  await using t = await setup(flavour);
  const before = await dumpStore(t.xsd);
  const plan = t.plan(`${t.target},raw,xvdb,rw`);
  const backend = await simulateBackend(t.xsd.socketPath);
  await addDevice(t.xs, plan, { timeoutMs: 5000 });
  await backend.stop();
  const error = await assertRejects(
    () => removeDevice(t.xs, plan.device, { force: "off", timeoutMs: 300 }),
    DeviceError,
    "unable to remove device with path /local/domain/0/backend/vbd/5/51728",
  );
  assertEquals(error.code, "ERROR_TIMEDOUT");
  assertEquals(await t.xs.read(`${plan.paths.backend}/online`), "0");
  assertEquals(await t.xs.read(`${plan.paths.backend}/state`), "5");
  assertEquals(await t.xs.read(`${plan.paths.frontend}/state`), "1");
  // Forced: still reported (the backend never closed) but everything is cleaned.
  await assertRejects(
    () => removeDevice(t.xs, plan.device, { force: "on", timeoutMs: 300 }),
    DeviceError,
    "unable to remove device",
  );
  assertEquals((await dumpStore(t.xsd)).tree, before.tree);
});

test("detach in auto mode retries forced after the timeout and cleans up", async (flavour) => {
  await using t = await setup(flavour);
  const before = await dumpStore(t.xsd);
  const plan = t.plan(`${t.target},raw,xvdb,rw`);
  const backend = await simulateBackend(t.xsd.socketPath);
  await addDevice(t.xs, plan, { timeoutMs: 5000 });
  await backend.stop();
  const started = Date.now();
  await assertRejects(() => removeDevice(t.xs, plan.device, { force: "auto", timeoutMs: 200 }));
  assert(Date.now() - started >= 400, "two waits: the normal one and the forced one");
  assertEquals((await dumpStore(t.xsd)).tree, before.tree);
});

test("detach when the backend state is already gone: just cleaned, no wait", async (flavour) => {
  await using t = await setup(flavour);
  const before = await dumpStore(t.xsd);
  const plan = t.plan(`${t.target},raw,xvdb,rw`);
  await addDevice(t.xs, plan, { timeoutMs: 100, cleanupOnFailure: false }).catch(() => {});
  await t.xs.rm(`${plan.paths.backend}/state`);
  await removeDevice(t.xs, plan.device, { timeoutMs: 60_000 });
  assertEquals((await dumpStore(t.xsd)).tree, before.tree);
});

/** A disk of guest 5 served by driver domain 1 (libxl skips the stat check: spec §2.3). */
const driverDomainDisk = () =>
  planDiskAdd(
    setDiskDefaults({ ...parseDiskSpec("/dev/in-domain-1,raw,xvdb,rw"), backendDomid: 1 }, {
      hotplug: true,
    }),
    5,
  );

/**
 * Driver domain 1's own cleanup: once the device's backend `state` reads `whenState`, it
 * removes its whole backend directory. `done` settles after that removal.
 */
async function driverDomainCleanup(socketPath: string, backendPath: string, whenState: string) {
  const driver = await openXenstore({ path: socketPath });
  const watch = await driver.watch(`${backendPath}/state`);
  const done = (async () => {
    for await (const _ of watch) {
      if ((await driver.tryRead(`${backendPath}/state`)) === whenState) {
        await driver.rm("/local/domain/1/backend");
        return;
      }
    }
  })();
  return {
    done,
    async [Symbol.asyncDispose]() {
      await watch.close();
      driver.close();
    },
  };
}

test("driver-domain disk: attach via domain 1's backend, detach waits for it to remove its directory", async (flavour) => {
  await using t = await setup(flavour);
  const before = await dumpStore(t.xsd);
  const plan = driverDomainDisk();
  assertEquals(plan.paths.backend, "/local/domain/1/backend/vbd/5/51728");
  const backend = await simulateBackend(t.xsd.socketPath, 1);
  try {
    await using cleanup = await driverDomainCleanup(t.xsd.socketPath, plan.paths.backend, "6");
    await addDevice(t.xs, plan, { timeoutMs: 5000 });
    await removeDevice(t.xs, plan.device, { timeoutMs: 5000 });
    await cleanup.done;
    assertEquals((await dumpStore(t.xsd)).tree, before.tree);
  } finally {
    await backend.stop();
  }
});

test("driver-domain disk: a driver domain that removes its directory before state=6 is read still detaches", async (flavour) => {
  await using t = await setup(flavour);
  const before = await dumpStore(t.xsd);
  const plan = driverDomainDisk();
  const backend = await simulateBackend(t.xsd.socketPath, 1);
  await addDevice(t.xs, plan, { timeoutMs: 5000 });
  await backend.stop();
  // The fastest possible driver domain: on Closing it drops everything at once, so xlite's
  // wait for state=6 finds the node gone (the race the previous test can lose).
  await using cleanup = await driverDomainCleanup(t.xsd.socketPath, plan.paths.backend, "5");
  await removeDevice(t.xs, plan.device, { timeoutMs: 5000 });
  await cleanup.done;
  assertEquals((await dumpStore(t.xsd)).tree, before.tree);
});

test("generic virtio devices are added without waiting for a backend (spec §2.6)", async (flavour) => {
  await using t = await setup(flavour);
  const plan = planVirtioAdd(
    {
      backendDomid: 1,
      type: "virtio,device29",
      transport: "mmio",
      devid: 0,
      irq: 33,
      base: 0x2000000n,
    },
    5,
    { release: { major: 4, minor: 18 } },
  );
  const started = Date.now();
  await addDevice(t.xs, plan, { timeoutMs: 60_000 });
  assert(Date.now() - started < 5000);
  assertEquals(await t.xs.read(`${plan.paths.backend}/type`), "virtio,device29");
  assertEquals(await t.xs.read(`${plan.paths.backend}/state`), "1");
});

/** The client, with `fault` run just before the transaction's `afterWrites`-th write. */
function faultAfterWrites(
  xs: XenstoreClient,
  afterWrites: number,
  fault: () => unknown,
): XenstoreClient {
  let writes = 0;
  const bind = (target: object, prop: PropertyKey) => {
    const value = Reflect.get(target, prop);
    return typeof value === "function" ? value.bind(target) : value;
  };
  return new Proxy(xs, {
    get(target, prop) {
      if (prop !== "transaction") return bind(target, prop);
      return (fn: (tx: unknown) => Promise<unknown>, options?: unknown) =>
        target.transaction(
          (tx) =>
            fn(
              new Proxy(tx, {
                get(txTarget, txProp) {
                  if (txProp !== "write") return bind(txTarget, txProp);
                  return async (path: string, value: string) => {
                    if (++writes === afterWrites) await fault();
                    return await txTarget.write(path, value);
                  };
                },
              }),
            ),
          options as never,
        );
    },
  });
}

function halfway(plan: DeviceAddPlan): number {
  return Math.floor(plan.ops.filter((op) => op.op === "write").length / 2);
}

test("no half-write: the connection dropping mid-transaction leaves the store untouched", async (flavour) => {
  await using t = await setup(flavour);
  const before = await dumpStore(t.xsd);
  const plan = t.plan(`${t.target},raw,xvdb,rw`);
  const doomed = await openXenstore({ path: t.xsd.socketPath });
  await assertRejects(
    () => addDevice(faultAfterWrites(doomed, halfway(plan), () => doomed.close()), plan),
    XenstoreError,
  );
  assertEquals((await dumpStore(t.xsd)).tree, before.tree);
  assertEquals(subtree((await dumpStore(t.xsd)).tree, [plan.paths.libxl]), {});
});

test("no half-write: the daemon killed mid-add is a clear xenstore error, not a hang", async (flavour) => {
  await using t = await setup(flavour);
  const plan = t.plan(`${t.target},raw,xvdb,rw`);
  const started = Date.now();
  const error = await assertRejects(
    () => addDevice(faultAfterWrites(t.xs, halfway(plan), () => t.xsd.kill()), plan),
    XenstoreError,
  );
  assert(Date.now() - started < 5000, "failed promptly");
  assert(["closed", "daemon"].includes(error.kind), `kind ${error.kind}: ${error.message}`);
  await t.xsd.restart();
  const fresh = await openXenstore({ path: t.xsd.socketPath });
  try {
    assertEquals(await fresh.exists(plan.paths.libxl), false);
    assertEquals(await fresh.exists(plan.paths.backend), false);
  } finally {
    fresh.close();
  }
});
