/**
 * The one guest pipeline: `prepareGuest` resolves backends and sets disk defaults once, and
 * every later step (device plans, the Arm build plan, the dry run) takes its config as it is.
 */
import { assert, assertEquals, assertStringIncludes } from "../support/assert.ts";
import {
  dryRunResolver,
  maxmemAboveMemory,
  planGuest,
  planGuestBuild,
  prepareGuest,
} from "../../lib/domain/mod.ts";
import { planDomainDevices } from "../../lib/devices/mod.ts";
import { DEFAULT_XEN_VERSION } from "../../lib/xen_version/mod.ts";
import type { TargetKind } from "../../lib/disk/mod.ts";

/** A temp dir with two disk images and a config naming them (the first one twice). */
async function guestWithDisks(): Promise<{ dir: string; cfg: string; a: string; b: string }> {
  const dir = await Deno.makeTempDir({ prefix: "xlite-prepare-" });
  const a = `${dir}/a.img`;
  const b = `${dir}/b.img`;
  await Deno.writeFile(a, new Uint8Array(4096));
  await Deno.writeFile(b, new Uint8Array(4096));
  const cfg = `${dir}/g.cfg`;
  await Deno.writeTextFile(
    cfg,
    `name = "g"\nkernel = "${dir}/no-Image"\nmemory = 128\n` +
      `disk = [ '${a},raw,xvda,rw', '${b},raw,xvdb,ro', '${a},raw,xvdc,ro' ]\n`,
  );
  return { dir, cfg, a, b };
}

Deno.test("prepareGuest stats each disk once; device and build plans take its config as it is", async () => {
  const { dir, cfg, a, b } = await guestWithDisks();
  try {
    const stats: string[] = [];
    const counting = (path: string): TargetKind => {
      stats.push(path);
      return "file";
    };
    const guest = await prepareGuest(cfg, {
      xenVersion: DEFAULT_XEN_VERSION,
      resolveBackend: dryRunResolver(new Map()),
      statTarget: counting,
    });
    assertEquals(stats, [a, b, a]); // one stat per disk, in config order
    assertEquals(guest.config.disks.map((d) => d.backend), ["phy", "phy", "phy"]);
    // The targets are gone: a step that stat'ed again would fail ("failed to stat").
    await Deno.remove(a);
    await Deno.remove(b);
    const plans = planDomainDevices(guest.config, { domid: 4 });
    assertEquals(plans.map((p) => p.device.backendKind), ["vbd", "vbd", "vbd"]);
    const plan = await planGuestBuild({
      guest,
      xenVersion: DEFAULT_XEN_VERSION,
      kernel: undefined,
      ramdiskSize: undefined,
    });
    assert(plan.dtb.length > 0);
    assertEquals(stats.length, 3);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("the dry run stats every disk target once (Deno.statSync counted)", async () => {
  const { dir, cfg, a, b } = await guestWithDisks();
  const statSync = Deno.statSync;
  const seen: string[] = [];
  // Counting wrapper around the real call (not a fake: the real stat answers).
  Deno.statSync = (path: string | URL) => {
    if (String(path).startsWith(dir)) seen.push(String(path));
    return statSync(path);
  };
  try {
    const plan = await planGuest(cfg, [], {
      xenVersion: DEFAULT_XEN_VERSION,
      host: { defaultGic: "v3", gpaddrBits: 40, clockFrequency: 0 },
      domains: new Map(),
    });
    assertEquals(seen, [a, b, a]);
    assert(plan.xenstoreWrites.some((line) => line.includes(`"${b}"`)));
  } finally {
    Deno.statSync = statSync;
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("backend names: one resolver per run; a dry run takes --domain names and digits", async () => {
  const resolve = dryRunResolver(new Map([["drv", 3]]));
  assertEquals(await resolve("drv"), 3);
  assertEquals(await resolve("7"), 7);
  assertEquals(await resolve(""), 0); // libxl's digit loop accepts the empty string
  const error = await resolve("other").then(() => undefined, (e: Error) => e);
  assertStringIncludes(String(error?.message), "add --domain other=DOMID");
});

Deno.test("maxmem > memory is refused with the reason (Arm populates maxmem, caps at memory)", () => {
  const base = { memory: 128, maxmem: 128 };
  assertEquals(maxmemAboveMemory(base as never), undefined);
  const reason = maxmemAboveMemory({ memory: 128, maxmem: 256 } as never);
  assertEquals(
    reason,
    "maxmem (256 MiB) > memory (128 MiB): Xen on Arm populates all of maxmem at build time " +
      "but caps the guest at memory + 1 MiB, so the build cannot succeed " +
      '(xl: "can\'t allocate low memory for domain"); set maxmem = memory',
  );
});
