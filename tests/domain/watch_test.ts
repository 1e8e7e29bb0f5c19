/**
 * The watcher's orchestration (`lib/domain/watch.ts` `checkGuest`) against a real C
 * xenstored (LD_PRELOAD shim, no hypervisor) and a FAKE hypervisor that reports a domain shut
 * down with a given reason: a shutdown is what no host without Xen can produce (the testbed's
 * `lifecycle_actions` scenario does it on real Xen). Checks the steps and xl's lines for
 * preserve, destroy, restart and rename-restart, and `libxl_domain_preserve`'s xenstore
 * writes.
 */
import { assert, assertEquals } from "../support/assert.ts";
import { startXenstored, xenstoredMissing } from "../support/xenstored.ts";
import { openXenstore } from "../../lib/xenstore/mod.ts";
import type { XenCtrl } from "../../lib/xen/mod.ts";
import { domainInfo } from "./domain_info_fixture.ts";
import { checkGuest, preserveDomain, type WatchedGuest } from "../../lib/domain/watch.ts";
import type { LifecycleActions } from "../../lib/domain/lifecycle.ts";

const UUID = "6a1f0f7e-1111-4222-8333-444455556666";

/** A fake hypervisor: domain 5 exists, shut down with `reason`; destroy removes it. */
function fakeShutdownHypervisor(reason: number) {
  const destroyed: number[] = [];
  let exists = true;
  const info = () =>
    domainInfo({
      domid: 5,
      uuid: UUID,
      shutdown: true,
      shutdownReason: reason,
      currentMemkb: 131072,
      maxMemkb: 132096,
    });
  const xc = {
    listDomains: () => (exists ? [info()] : []),
    domainInfo: (domid: number) => (exists && domid === 5 ? info() : undefined),
    pause() {},
    unpause() {},
    destroy(domid: number) {
      destroyed.push(domid);
      exists = false;
    },
    shutdown() {},
    dumpCore: () => Promise.resolve(),
    schedulerId: () => 5,
    creditParams: () => ({ weight: 256, cap: 0 }),
    close() {},
  } as unknown as XenCtrl;
  return { xc, destroyed };
}

const actions = (over: Partial<LifecycleActions>): LifecycleActions => ({
  onPoweroff: "destroy",
  onReboot: "restart",
  onWatchdog: "destroy",
  onCrash: "destroy",
  onSoftReset: "soft-reset",
  ...over,
});

const guest = (a: LifecycleActions): WatchedGuest => ({
  domid: 5,
  uuid: UUID,
  name: "g",
  source: "g.cfg",
  configText: 'name="g"\n',
  overrides: [],
  actions: a,
  logFile: "/dev/null",
});

const missing = xenstoredMissing("c");

async function scenario(reason: number, a: LifecycleActions) {
  const xsd = await startXenstored({ domains: "0-10" });
  const xs = await openXenstore({ path: xsd.socketPath });
  await xs.write("/local/domain/5/name", "g");
  await xs.write("/local/domain/5/vm", `/vm/${UUID}`);
  await xs.write(`/vm/${UUID}/name`, "g");
  const { xc, destroyed } = fakeShutdownHypervisor(reason);
  const lines: string[] = [];
  const recreated: string[] = [];
  const state = await checkGuest({
    xc,
    xs,
    pid: 42,
    log: (_g, line) => lines.push(line),
    recreate: (g) => {
      recreated.push(g.name);
      return Promise.resolve({ domid: 6, uuid: UUID, name: g.name, actions: g.actions });
    },
    sleep: () => Promise.resolve(),
    now: () => new Date("2026-12-05T06:07:08Z"),
  }, guest(a));
  return { xs, xsd, state, lines, destroyed, recreated };
}

Deno.test({
  name: "watch: on_poweroff=preserve keeps the domain and ends the watch, with xl's lines",
  ignore: missing !== undefined,
  async fn() {
    const r = await scenario(0, actions({ onPoweroff: "preserve" }));
    try {
      assertEquals(r.state, { state: "done" });
      assertEquals(r.destroyed, []);
      assertEquals(r.lines, [
        "Domain 5 has shut down, reason code 0 0x0",
        "Action for shutdown reason code 0 is preserve",
        "Done. Exiting now",
      ]);
      assertEquals(await r.xs.read("/local/domain/5/name"), "g");
    } finally {
      r.xs.close();
      await r.xsd.stop();
    }
  },
});

Deno.test({
  name: "watch: on_reboot=restart destroys (xenstore cleaned) and re-creates; new domid watched",
  ignore: missing !== undefined,
  async fn() {
    const r = await scenario(1, actions({}));
    try {
      assertEquals(r.destroyed, [5]);
      assertEquals(r.recreated, ["g"]);
      assert(r.state.state === "restarted");
      assertEquals(r.state.guest.domid, 6);
      assertEquals(r.lines, [
        "Domain 5 has shut down, reason code 1 0x1",
        "Action for shutdown reason code 1 is restart",
        // no userdata on this host: xl's line for libxl's ERROR_FAIL
        "failed to retrieve guest configuration (rc=-3). reusing old configuration",
        "Domain 5 needs to be cleaned up: destroying the domain",
        "Done. Rebooting now",
        "Waiting for domain g (domid 6) to die [pid 42]",
      ]);
      assertEquals(await r.xs.tryRead("/local/domain/5/name"), undefined);
    } finally {
      r.xs.close();
      await r.xsd.stop();
    }
  },
});

Deno.test({
  name:
    "watch: on_crash=rename-restart renames the old domain (libxl_domain_preserve), keeps it, re-creates",
  ignore: missing !== undefined,
  async fn() {
    const r = await scenario(3, actions({ onCrash: "rename-restart" }));
    try {
      assertEquals(r.destroyed, []);
      assertEquals(r.recreated, ["g"]);
      assertEquals(r.lines.slice(1, 5), [
        "Action for shutdown reason code 3 is rename-restart",
        "failed to retrieve guest configuration (rc=-3). reusing old configuration",
        "Preserving domain 5 g with suffix-20261205T0607Z",
        "Done. Rebooting now",
      ]);
      assertEquals(await r.xs.read("/local/domain/5/name"), "g-20261205T0607Z");
      const vm = await r.xs.read("/local/domain/5/vm");
      assert(vm !== `/vm/${UUID}` && vm.startsWith("/vm/"), vm);
      assertEquals(await r.xs.read(`${vm}/name`), "g-20261205T0607Z");
      assertEquals(await r.xs.read(`${vm}/uuid`), vm.slice("/vm/".length));
      const perms = (await r.xs.getPermissions(vm)).map((p) => JSON.stringify(p));
      assertEquals(perms.length, 2);
    } finally {
      r.xs.close();
      await r.xsd.stop();
    }
  },
});

Deno.test({
  name: "watch: preserveDomain writes the new name and /vm/<uuid> in one transaction",
  ignore: missing !== undefined,
  async fn() {
    await using xsd = await startXenstored({ domains: "0-10" });
    const xs = await openXenstore({ path: xsd.socketPath });
    try {
      await preserveDomain(xs, 7, "h", "-20260101T0000Z", "0b7d1e53-0000-4000-8000-000000000007");
      assertEquals(await xs.read("/local/domain/7/name"), "h-20260101T0000Z");
      assertEquals(
        await xs.read("/vm/0b7d1e53-0000-4000-8000-000000000007/uuid"),
        "0b7d1e53-0000-4000-8000-000000000007",
      );
    } finally {
      xs.close();
    }
  },
});
