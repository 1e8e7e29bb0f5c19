// `xlite create --dry-run` and `xlite dtb` end to end, on the shipped examples and on edge
// cases written to temp files; DTBs checked with the real dtc.
import { assert, assertEquals, assertMatch, assertStringIncludes } from "../support/assert.ts";
import { runXlite } from "../support/xlite_cli.ts";

const ROOT = new URL("../..", import.meta.url).pathname;
const dec = new TextDecoder();

const xlite = (...args: string[]) => runXlite(args);

async function dtcDts(file: string): Promise<string> {
  const out = await new Deno.Command("dtc", {
    args: [
      "-I",
      "dtb",
      "-O",
      "dts",
      "-W",
      "no-unit_address_vs_reg",
      "-W",
      "no-interrupt_provider",
      file,
    ],
    stdout: "piped",
    stderr: "piped",
  }).output();
  assert(out.success, dec.decode(out.stderr));
  assertEquals(dec.decode(out.stderr), "", "dtc warnings");
  return dec.decode(out.stdout);
}

/** A temp dir removed after `fn`. */
async function withTemp(fn: (dir: string) => Promise<void>): Promise<void> {
  const dir = await Deno.makeTempDir({ prefix: "xlite-arm-" });
  try {
    await fn(dir);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

const EXAMPLES = ["plain", "virtio-disks", "driver-domain", "gicv2", "vuart"];

for (const name of EXAMPLES) {
  Deno.test(`examples/${name}.cfg: --json plan; --dtb == 'dtb -o'; 'dtb --dump' == dtc`, async () => {
    await withTemp(async (dir) => {
      const cfg = `examples/${name}.cfg`;
      const version = name === "driver-domain" ? "4.18" : "4.17";
      const common = ["--seed", "zero", "--xen-version", version];
      const plan = await xlite(
        "create",
        "--dry-run",
        cfg,
        "--json",
        "--dtb",
        `${dir}/a.dtb`,
        ...common,
      );
      assertEquals(plan.code, 0, plan.stderr);
      const json = JSON.parse(plan.stdout);
      assertEquals(json.xen_version, version);
      assertEquals(json.config.c_info.name, name);
      assert(json.dtb.dts.startsWith("/dts-v1/;"));
      assertStringIncludes(json.dtb.dts, `compatible = "xen,xen-${version}\\0xen,xen";`);
      const made = await xlite("dtb", cfg, "-o", `${dir}/b.dtb`, ...common);
      assertEquals(made.code, 0, made.stderr);
      const a = await Deno.readFile(`${dir}/a.dtb`);
      assertEquals(a, await Deno.readFile(`${dir}/b.dtb`));
      assertEquals(json.dtb.size, a.length);
      const dump = await xlite("dtb", "--dump", `${dir}/a.dtb`);
      assertEquals(dump.code, 0, dump.stderr);
      const dts = await dtcDts(`${dir}/a.dtb`);
      assertEquals(dump.stdout, dts);
      assertEquals(json.dtb.dts, dts);
    });
  });
}

Deno.test("text plan has every section, xenstore writes included", async () => {
  const out = await xlite("create", "--dry-run", "examples/virtio-disks.cfg", "--seed", "zero");
  assertEquals(out.code, 0, out.stderr);
  for (
    const section of [
      "domain config (xl -N)",
      "virtio-mmio allocation",
      "memory layout",
      "device tree",
      "xenstore writes",
    ]
  ) {
    assertStringIncludes(out.stdout, `## ${section}`);
  }
  assertMatch(out.stdout, /disk xvda +0x2000000 +33 +0 +0/);
  assertMatch(out.stdout, /disk xvdb +0x2000200 +34 +0 +0/);
  assertStringIncludes(out.stdout, "nr_spis: 3"); // IRQs 33, 34 → 34 − 32 + 1
  assertStringIncludes(out.stdout, '/local/domain/0/backend/virtio_disk/1/51712/base = "33554432"');
  assertStringIncludes(out.stdout, "/local/domain/0/backend/vbd/1/51744/");
});

Deno.test("§3.6 golden via the CLI: 128 MiB + 989,558-byte ramdisk; 160 MiB", async () => {
  await withTemp(async (dir) => {
    await Deno.writeFile(`${dir}/initrd`, new Uint8Array(989_558));
    await Deno.writeTextFile(
      `${dir}/g.cfg`,
      `name = "g"\nkernel = "${ROOT}examples/boot/Image"\nramdisk = "${dir}/initrd"\nmemory = 128\n`,
    );
    const out = await xlite("create", "--dry-run", `${dir}/g.cfg`, "--json");
    assertEquals(out.code, 0, out.stderr);
    const mem = JSON.parse(out.stdout).memory;
    assertEquals(mem.ramdisk, { start: 0x47f0d000, end: 0x47fff000 });
    assertEquals(mem.dtb.start, 0x47fff000);
    const big = JSON.parse(
      (await xlite("create", "--dry-run", `${dir}/g.cfg`, "memory=160", "--json")).stdout,
    );
    assertEquals(big.memory.ramdisk.start, 0x48000000);
  });
});

function diskList(n: number, options = "backend=1,specification=virtio"): string {
  const disks = Array.from(
    { length: n },
    (_, k) => `"/dev/vg/d${k},raw,xvd${String.fromCharCode(97 + k)},rw,${options}"`,
  );
  return `disk = [ ${disks.join(", ")} ]`;
}

Deno.test("11 virtio devices fit (IRQs 33–43); the 12th is libxl's error, nothing written", async () => {
  await withTemp(async (dir) => {
    const base = `name = "v"\nkernel = "${ROOT}examples/boot/Image"\nmemory = 64\n`;
    await Deno.writeTextFile(`${dir}/11.cfg`, base + diskList(11) + "\n");
    const ok = await xlite(
      "create",
      "--dry-run",
      `${dir}/11.cfg`,
      "--json",
      "--xen-version",
      "4.19",
    );
    assertEquals(ok.code, 0, ok.stderr);
    const rows = JSON.parse(ok.stdout).virtio_mmio;
    assertEquals(rows.length, 11);
    assertEquals(rows.at(-1), {
      device: "disk xvdk",
      base: 0x2001400,
      irq: 43,
      backend_domid: 1,
      grant_usage: true,
    });
    assertEquals(JSON.parse(ok.stdout).nr_spis, 12);
    await Deno.writeTextFile(`${dir}/12.cfg`, base + diskList(12) + "\n");
    const bad = await xlite("dtb", `${dir}/12.cfg`, "-o", `${dir}/out.dtb`);
    assertEquals(bad.code, 1);
    assertEquals(bad.stderr.trim(), "Ran out of reserved range for Virtio MMIO IRQ 44");
    assertEquals([...Deno.readDirSync(dir)].map((e) => e.name).sort(), ["11.cfg", "12.cfg"]);
  });
});

Deno.test("passthrough IRQ collisions: pl011 SPI and the virtio range are libxl's errors", async () => {
  await withTemp(async (dir) => {
    const cfg = `${dir}/p.cfg`;
    await Deno.writeTextFile(
      cfg,
      `name = "p"\nkernel = "${ROOT}examples/boot/Image"\nvuart = "sbsa_uart"\n${diskList(3)}\n`,
    );
    const uart = await xlite("create", "--dry-run", cfg, "irqs=[32]");
    assertEquals([uart.code, uart.stderr.trim()], [
      1,
      "Physical IRQ 32 conflicting with pl011 SPI",
    ]);
    const virtio = await xlite("create", "--dry-run", cfg, "irqs=[35]");
    assertEquals([virtio.code, virtio.stderr.trim()], [
      1,
      "Physical IRQ 35 conflicting with Virtio MMIO IRQ range",
    ]);
    const fine = await xlite("create", "--dry-run", cfg, "irqs=[36, 100]", "--json");
    assertEquals(fine.code, 0, fine.stderr);
    assertEquals(JSON.parse(fine.stdout).nr_spis, 69);
  });
});

Deno.test("each Xen version: compatible strings, 4.21's 8 KiB buffer, iommu placement", async () => {
  for (
    const [version, attempts] of [
      ["4.17", [4096]],
      ["4.18", [4096]],
      ["4.19", [4096]],
      ["4.20", [4096]],
      ["4.21", [4096, 8192]],
      ["4.22", [4096, 8192]],
    ] as const
  ) {
    const out = await xlite(
      "create",
      "--dry-run",
      "examples/driver-domain.cfg",
      "--json",
      "--xen-version",
      version,
    );
    assertEquals(out.code, 0, out.stderr);
    const plan = JSON.parse(out.stdout);
    assertStringIncludes(plan.dtb.dts, `model = "XENVM-${version}";`);
    assertEquals(plan.dtb.attempts, attempts);
    // 4.17 has no generic virtio: only the disk, with the IOMMU node before it.
    const nodes = [...plan.dtb.dts.matchAll(/^\t([a-z_@0-9-]+) \{/gm)].map((m) => m[1]);
    assertEquals(
      nodes.slice(-5),
      version === "4.17"
        ? ["timer", "hypervisor", "sbsa-pl011", "xen_iommu", "virtio@2000000"]
        : ["sbsa-pl011", "virtio@2000000", "virtio@2000200", "virtio@2000400", "xen_iommu"],
    );
  }
});

Deno.test("missing kernel: a noted stand-in; missing disk target with a dom0 backend: libxl's error", async () => {
  await withTemp(async (dir) => {
    await Deno.writeTextFile(
      `${dir}/k.cfg`,
      `name = "k"\nkernel = "${dir}/no-Image"\nmemory = 64\n`,
    );
    const out = await xlite("create", "--dry-run", `${dir}/k.cfg`);
    assertEquals(out.code, 0, out.stderr);
    assertStringIncludes(
      out.stdout,
      `note: kernel ${dir}/no-Image not found: laid out as a 4 KiB arm64 Image stand-in`,
    );
    await Deno.writeTextFile(
      `${dir}/d.cfg`,
      `name = "d"\nkernel = "${ROOT}examples/boot/Image"\nmemory = 64\ndisk = [ "${dir}/none.img,raw,xvda,specification=virtio" ]\n`,
    );
    const bad = await xlite("create", "--dry-run", `${dir}/d.cfg`);
    assertEquals(bad.code, 1);
    assertEquals(bad.stderr.trim().split("\n").length, 1);
    assertStringIncludes(bad.stderr, "xvda");
  });
});

Deno.test("create without --dry-run says why; bad flags are usage errors (exit 2)", async () => {
  let haveXen = true;
  try {
    Deno.statSync("/dev/xen/privcmd");
  } catch {
    haveXen = false;
  }
  // On a Xen host this would really create the guest (tests/testbed/scenarios/create.sh
  // covers that); elsewhere it must say why not.
  if (!haveXen) {
    const out = await xlite("create", "examples/plain.cfg");
    assertEquals(out.code, 1);
    assertEquals(out.stderr.trim(), "xlite: create: no Xen hypervisor here; use --dry-run");
  }
  const usage = await xlite("create", "--dry-run", "examples/plain.cfg", "--xen-version", "4.16");
  assertEquals(usage.code, 2);
  assertStringIncludes(usage.stderr, "--xen-version '4.16'");
  const gic = await xlite("dtb", "examples/plain.cfg", "-o", "/dev/null", "--gic", "v4");
  assertEquals([gic.code, gic.stderr.trim()], [2, "xlite: --gic 'v4': expected v2 or v3"]);
  const dump = await xlite("dtb", "--dump", "examples/plain.cfg");
  assertEquals(dump.code, 1);
  assertStringIncludes(dump.stderr, "examples/plain.cfg: not a device tree blob");
});

Deno.test("vCPU limits of the virtual GIC: 8 on GICv2, 128 on GICv3; maxmem > memory warns", async () => {
  const v2 = await xlite("create", "--dry-run", "examples/gicv2.cfg", "maxvcpus=9");
  assertEquals(
    [v2.code, v2.stderr.trim()],
    [1, "xlite: maxvcpus 9: a GICv2 guest has at most 8 vCPUs (Xen refuses to create the domain)"],
  );
  const v3 = await xlite("create", "--dry-run", "examples/plain.cfg", "maxvcpus=129");
  assertEquals(v3.code, 1);
  assertStringIncludes(v3.stderr, "at most 128 vCPUs");
  const big = await xlite(
    "create",
    "--dry-run",
    "examples/plain.cfg",
    "maxvcpus=128",
    "maxmem=256",
    "--json",
  );
  assertEquals(big.code, 0, big.stderr);
  const plan = JSON.parse(big.stdout);
  assertStringIncludes(plan.dtb.dts, "cpu@70f {");
  assert(plan.warnings.some((w: string) => w.includes("populate_guest_memory: Not enough RAM")));
});

Deno.test("host options: --gpaddr-bits caps bank 1, --clock-frequency adds the timer property; 4.21 carves iomem", async () => {
  const out = await xlite(
    "create",
    "--dry-run",
    "examples/plain.cfg",
    'iomem=["c0000,100@80100"]',
    "--json",
    "--xen-version",
    "4.21",
    "--gpaddr-bits",
    "36",
    "--clock-frequency",
    "62500000",
  );
  assertEquals(out.code, 0, out.stderr);
  const plan = JSON.parse(out.stdout);
  assertEquals(plan.memory.hypervisor_reg, [
    { base: 0x38000000, size: 0x1000000 },
    { base: 0x48000000, size: 0x80100000 - 0x48000000 },
    { base: 0x80200000, size: 0x100000000 - 0x80200000 },
    { base: 0x200000000, size: 2 ** 36 - 0x200000000 },
  ]);
  assertStringIncludes(plan.dtb.dts, "clock-frequency = <0x3b9aca0>;");
  const old = JSON.parse(
    (await xlite(
      "create",
      "--dry-run",
      "examples/plain.cfg",
      'iomem=["c0000,100@80100"]',
      "--json",
    )).stdout,
  );
  assertEquals(old.memory.hypervisor_reg.length, 3); // 4.17 ignores iomem for extended regions
});
