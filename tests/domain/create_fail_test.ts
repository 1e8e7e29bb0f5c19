/**
 * `createDomain` failures that must end the create before any hypercall (missing kernel,
 * too little memory, a 12th virtio-mmio device) — checked with a builder and xenstore that
 * record every call (fakes: the real ones need a Xen host; the testbed scenario `create`
 * runs the same faults on real Xen) — and the fake fault injection's step names.
 */
import { assertEquals, assertRejects, assertStringIncludes } from "../support/assert.ts";
import { CREATE_STEPS, createDomain, FakeInjectedFault } from "../../lib/domain/mod.ts";
import type { CreateContext } from "../../lib/domain/mod.ts";
import { XenCallError } from "../../lib/xen/mod.ts";

const ROOT = new URL("../../", import.meta.url).pathname;

/** A context whose every method records its name and throws: nothing may be called. */
function recordingFakeContext(calls: string[]): CreateContext {
  const trap = (what: string) =>
    new Proxy({}, {
      get(_t, prop) {
        return () => {
          calls.push(`${what}.${String(prop)}`);
          throw new Error(`unexpected call ${what}.${String(prop)}`);
        };
      },
    });
  return { xc: trap("xc"), xs: trap("xs"), builder: trap("builder") } as unknown as CreateContext;
}

async function withCfg(text: string, fn: (path: string) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "xlite-create-" });
  try {
    const path = `${dir}/guest.cfg`;
    await Deno.writeTextFile(path, text);
    await fn(path);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

const base = (extra: string) =>
  `name = "g"\ntype = "pvh"\nkernel = "${ROOT}examples/boot/Image"\nmemory = 128\nvcpus = 1\n${extra}\n`;

Deno.test("create: a missing kernel fails before any hypercall, naming the file", async () => {
  await withCfg(base('kernel = "/nonexistent/Image"'), async (cfg) => {
    const calls: string[] = [];
    const error = await assertRejects(() => createDomain(recordingFakeContext(calls), cfg));
    assertEquals(
      error.message,
      "kernel /nonexistent/Image: cannot read: No such file or directory",
    );
    assertEquals(calls, []);
  });
});

Deno.test("create: too little memory fails before any hypercall", async () => {
  await withCfg(base("memory = 1"), async (cfg) => {
    const calls: string[] = [];
    const error = await assertRejects(() => createDomain(recordingFakeContext(calls), cfg));
    assertStringIncludes(error.message, "memory");
    assertEquals(error.message.includes("\n"), false);
    assertEquals(calls, []);
  });
});

Deno.test("create: a 12th virtio-mmio device fails before any hypercall (libxl's text)", async () => {
  const disks = Array.from(
    { length: 12 },
    (_, i) => `'/tmp/x${i}.img,raw,xvd${String.fromCharCode(97 + i)},rw,specification=virtio'`,
  );
  await withCfg(base(`disk = [ ${disks.join(", ")} ]`), async (cfg) => {
    const calls: string[] = [];
    const error = await assertRejects(() => createDomain(recordingFakeContext(calls), cfg));
    assertStringIncludes(error.message, "Ran out of reserved range for Virtio MMIO IRQ 44");
    assertEquals(calls, []);
  });
});

Deno.test("create: passthrough (irqs/iomem) is refused before any hypercall", async () => {
  await withCfg(base('irqs = [ 100 ]\niomem = [ "0x10000,1" ]'), async (cfg) => {
    const calls: string[] = [];
    const error = await assertRejects(() => createDomain(recordingFakeContext(calls), cfg));
    assertEquals(
      error.message,
      `${cfg}: iomem, irqs: device passthrough is not supported by xlite create`,
    );
    assertEquals(calls, []);
  });
});

Deno.test("fake fault injection: named as a fake, one per build step", () => {
  assertEquals(new FakeInjectedFault("populate").message.includes("fault injected"), true);
  assertEquals(new Set(CREATE_STEPS).size, CREATE_STEPS.length);
  assertEquals(CREATE_STEPS[0], "domain_create");
});

Deno.test("create: maxmem > memory is refused before any hypercall, with Arm's reason", async () => {
  await withCfg(base("maxmem = 256"), async (cfg) => {
    const calls: string[] = [];
    const error = await assertRejects(() => createDomain(recordingFakeContext(calls), cfg));
    assertEquals(
      error.message,
      `${cfg}: maxmem (256 MiB) > memory (128 MiB): Xen on Arm populates all of maxmem at ` +
        "build time but caps the guest at memory + 1 MiB, so the build cannot succeed " +
        '(xl: "can\'t allocate low memory for domain"); set maxmem = memory',
    );
    assertEquals(calls, []);
  });
});

Deno.test("create: Xen's ENODEV for gic_version = \"v2\" says the host's GIC cannot do it", async () => {
  await withCfg(base('gic_version = "v2"'), async (cfg) => {
    const calls: string[] = [];
    const ctx = recordingFakeContext(calls);
    // A fake Xen answering as a GICv3 host without GICv2 compatibility does (the testbed's).
    ctx.builder = new Proxy(ctx.builder, {
      get(target, prop) {
        if (prop !== "createDomain") return Reflect.get(target, prop);
        return () => {
          calls.push("builder.createDomain");
          throw new XenCallError("xc_domain_create", "creating the domain", "ENODEV");
        };
      },
    });
    const error = await assertRejects(() => createDomain(ctx, cfg));
    assertEquals(
      error.message,
      'gic_version = "v2": the host\'s GIC cannot give the guest a GICv2 ' +
        '(xc_domain_create: ENODEV); use gic_version = "default"',
    );
    assertEquals(calls, ["builder.createDomain"]);
  });
});
