/**
 * The lifecycle decisions (`lib/domain/lifecycle.ts`) against xl's `handle_domain_death`
 * (tools/xl/xl_vmcontrol.c, 4.17 and 4.20): which action for which shutdown reason, and the
 * lines xl logs, text for text.
 */
import { assertEquals } from "../support/assert.ts";
import {
  CORE_DUMP_FAILED_LINE,
  coreDump,
  decideShutdown,
  destroyedLine,
  dumpsCore,
  type LifecycleActions,
  lifecycleActions,
  preserveSuffix,
  preservingLine,
  waitingLine,
} from "../../lib/domain/lifecycle.ts";
import { reloadFromStored } from "../../lib/domain/watch.ts";
import { parseDomainConfig } from "../../lib/config/mod.ts";

const CFG = 'name="g"\nmemory=64\nkernel="/boot/k"\n';
const config = (extra = "") => parseDomainConfig(CFG + extra);
const defaults: LifecycleActions = lifecycleActions(config());

Deno.test("lifecycle: xl's defaults: poweroff/crash/watchdog destroy, reboot restarts", () => {
  assertEquals(defaults, {
    onPoweroff: "destroy",
    onReboot: "restart",
    onWatchdog: "destroy",
    onCrash: "destroy",
    onSoftReset: "soft-reset",
  });
  const a = lifecycleActions(
    config('on_poweroff="preserve"\non_reboot="rename-restart"\non_watchdog="restart"\n'),
  );
  assertEquals([a.onPoweroff, a.onReboot, a.onWatchdog], ["preserve", "rename-restart", "restart"]);
});

Deno.test("lifecycle: poweroff with on_poweroff=destroy: xl's lines, destroyed, watch ends", () => {
  assertEquals(decideShutdown(3, 0, defaults), {
    action: "destroy",
    destroy: true,
    restart: "none",
    lines: [
      "Domain 3 has shut down, reason code 0 0x0",
      "Action for shutdown reason code 0 is destroy",
      "Domain 3 needs to be cleaned up: destroying the domain",
    ],
  });
});

Deno.test("lifecycle: reboot with on_reboot=restart: destroyed, then re-created", () => {
  const d = decideShutdown(7, 1, defaults);
  assertEquals([d.action, d.destroy, d.restart], ["restart", true, "restart"]);
  assertEquals(d.lines, [
    "Domain 7 has shut down, reason code 1 0x1",
    "Action for shutdown reason code 1 is restart",
    "Domain 7 needs to be cleaned up: destroying the domain",
  ]);
});

Deno.test("lifecycle: each reason picks its own action", () => {
  const a: LifecycleActions = {
    onPoweroff: "preserve",
    onReboot: "rename-restart",
    onWatchdog: "restart",
    onCrash: "destroy",
    onSoftReset: "soft-reset",
  };
  const of = (reason: number) => {
    const d = decideShutdown(1, reason, a);
    return [d.action, d.destroy, d.restart];
  };
  assertEquals(of(0), ["preserve", false, "none"]);
  assertEquals(of(1), ["rename-restart", false, "rename"]);
  assertEquals(of(3), ["destroy", true, "none"]);
  assertEquals(of(4), ["restart", true, "restart"]);
  assertEquals(of(5), ["soft-reset", false, "soft-reset"]);
  assertEquals(decideShutdown(1, 3, a).lines[1], "Action for shutdown reason code 3 is destroy");
});

Deno.test("lifecycle: suspend is logged and ends the watch; unknown reasons destroy", () => {
  assertEquals(decideShutdown(2, 2, defaults), {
    destroy: false,
    restart: "suspended",
    lines: ["Domain 2 has shut down, reason code 2 0x2", "Domain has suspended."],
  });
  const d = decideShutdown(2, 12, defaults);
  assertEquals(d.lines, [
    "Domain 2 has shut down, reason code 12 0xc",
    "Unknown shutdown reason code 12. Destroying domain.",
    "Action for shutdown reason code 12 is destroy",
    "Domain 2 needs to be cleaned up: destroying the domain",
  ]);
  assertEquals([d.destroy, d.restart], [true, "none"]);
});

Deno.test("lifecycle: coredump-* after a dump act as destroy/restart (xl's fallthrough)", () => {
  const a = { ...defaults, onCrash: "coredump-restart" as const };
  const d = decideShutdown(4, 3, a);
  assertEquals(d.lines[1], "Action for shutdown reason code 3 is coredump-restart");
  assertEquals([d.destroy, d.restart], [true, "restart"]);
});

Deno.test("lifecycle: xl's other lines", () => {
  assertEquals(waitingLine("g", 5, 321), "Waiting for domain g (domid 5) to die [pid 321]");
  assertEquals(destroyedLine(5), "Domain 5 has been destroyed.");
  const suffix = preserveSuffix(new Date("2026-01-02T03:04:59Z"));
  assertEquals(suffix, "-20260102T0304Z");
  assertEquals(preservingLine(5, "g", suffix), "Preserving domain 5 g with suffix-20260102T0304Z");
});

Deno.test("lifecycle: coredump-* dumps to xl's file, with xl's lines", () => {
  assertEquals([dumpsCore("coredump-destroy"), dumpsCore("coredump-restart")], [true, true]);
  assertEquals([dumpsCore("destroy"), dumpsCore(undefined)], [false, false]);
  assertEquals(coreDump("g"), {
    path: "/var/lib/xen/dump/g",
    line: "dumping core to /var/lib/xen/dump/g",
  });
  assertEquals(CORE_DUMP_FAILED_LINE, "core dump failed (rc=-3).");
  const d = decideShutdown(4, 3, { ...defaults, onCrash: "coredump-destroy" });
  assertEquals(d.lines.slice(1), [
    "Action for shutdown reason code 3 is coredump-destroy",
    "Domain 4 needs to be cleaned up: destroying the domain",
  ]);
  assertEquals([d.action, d.destroy, d.restart], ["coredump-destroy", true, "none"]);
});

Deno.test("lifecycle: a restart takes name, uuid, memory, vCPUs and MACs from the stored config", () => {
  const parsed = config('vcpus=2\nmaxvcpus=2\nvif=["bridge=xenbr0"]\n');
  const reload = reloadFromStored({
    c_info: { name: "renamed", uuid: "0b7d1e53-0000-4000-8000-000000000001" },
    b_info: { max_memkb: 131072, target_memkb: 98304, avail_vcpus: [0] },
    nics: [{ mac: "00:16:3e:01:02:03" }],
  })!;
  const out = reload(parsed);
  assertEquals([out.name, out.uuid, out.memory, out.maxmem, out.vcpus], [
    "renamed",
    "0b7d1e53-0000-4000-8000-000000000001",
    96,
    128,
    1,
  ]);
  assertEquals(out.vifs[0].mac, [0x00, 0x16, 0x3e, 1, 2, 3]);
  assertEquals(out.vifs[0].bridge, parsed.vifs[0].bridge);
  assertEquals(reloadFromStored(undefined), undefined);
});
