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
import { dtcCompile } from "../fdt/dtc_tools.ts";

const ROOT = new URL("../../", import.meta.url).pathname;

/** A fake whose every method records its name and throws: nothing may be called. */
function trapOf(what: string, calls: string[]): unknown {
  return new Proxy({}, {
    get(_t, prop) {
      return () => {
        calls.push(`${what}.${String(prop)}`);
        throw new Error(`unexpected call ${what}.${String(prop)}`);
      };
    },
  });
}

/** A context whose every method records its name and throws: nothing may be called. */
function recordingFakeContext(calls: string[]): CreateContext {
  const trap = (what: string) => trapOf(what, calls);
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

Deno.test("create: passthrough config errors end the create before any hypercall", async () => {
  const dir = await Deno.makeTempDir({ prefix: "xlite-pt-" });
  try {
    const noPassthrough = `${dir}/nopt.dtb`;
    await Deno.writeFile(noPassthrough, await dtcCompile("/dts-v1/;\n/ { passthrough@0 { }; };"));
    const notFdt = `${dir}/junk.dtb`;
    await Deno.writeTextFile(notFdt, "not a device tree");
    const cases: [string, string][] = [
      [
        `device_tree = "${noPassthrough}"`,
        'Can\'t copy the node "/passthrough" from the partial FDT',
      ],
      [`device_tree = "${notFdt}"`, "Partial FDT is not a valid Flat Device Tree"],
      [
        `device_tree = "${dir}/missing.dtb"`,
        `failed to read the partial device file ${dir}/missing.dtb: No such file or directory`,
      ],
      ['iomem = [ "0x9010,1@0x40000" ]', "overlaps the guest's RAM bank 0"],
      ['iomem = [ "0x9010,1@0x3001" ]', "overlaps the guest's GIC"],
    ];
    for (const [line, text] of cases) {
      await withCfg(base(`irqs = [ 34 ]\n${line}`), async (cfg) => {
        const calls: string[] = [];
        const ctx = { ...recordingFakeContext(calls), passthrough: trapOf("passthrough", calls) };
        const error = await assertRejects(() => createDomain(ctx as CreateContext, cfg));
        assertStringIncludes(error.message, text);
        assertEquals(calls, []);
      });
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("create: dtdev without an IOMMU is libxl's refusal, before xc_domain_create", async () => {
  await withCfg(base('dtdev = [ "/pl061@9030000" ]'), async (cfg) => {
    const calls: string[] = [];
    // a fake host without XEN_SYSCTL_PHYSCAP_directio (the testbed checks the real one)
    const passthrough = { hasDirectIo: () => (calls.push("pt.hasDirectIo"), false) };
    const ctx = { ...recordingFakeContext(calls), passthrough };
    const error = await assertRejects(() => createDomain(ctx as unknown as CreateContext, cfg));
    assertEquals(error.message, "passthrough not supported on this platform");
    assertEquals(calls, ["pt.hasDirectIo"]);
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
