// The guest device tree against spec §4 node by node, and byte for byte against the native
// peer (the same tree written with the system libfdt) for every version and edge case.
import { assert, assertEquals, assertThrows } from "../support/assert.ts";
import { readFdt } from "../../lib/fdt/mod.ts";
import { GuestDtError } from "../../lib/arm/guest_dt.ts";
import {
  buildAll,
  dtc,
  fdtdump,
  genericVirtio,
  guestConfig,
  peerArgs,
  peerDtb,
  virtioDisk,
} from "./fixtures.ts";

const v = (minor: number) => ({ major: 4, minor });
const be32 = (bytes: Uint8Array | undefined) => {
  assert(bytes, "property missing");
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  return Array.from({ length: bytes.length / 4 }, (_, i) => view.getUint32(i * 4));
};
const str = (bytes: Uint8Array | undefined) =>
  new TextDecoder().decode(bytes).split("\0").slice(0, -1);

/** §4.5's example guest. */
const example = guestConfig({
  maxvcpus: 2,
  vcpus: 2,
  memory: 1024,
  maxmem: 1024,
  vuart: "sbsa_uart",
  disks: [virtioDisk(0)],
  virtios: [genericVirtio(1, "virtio,device22", 1)],
});

Deno.test("§4.3/§4.5: node order, property order and values (4.19, GICv3, vuart, disk + i2c)", async () => {
  const built = await buildAll(example, v(19));
  const tree = readFdt(built.finalised.blob);
  assertEquals(tree.root.children.map((n) => n.name), [
    "chosen",
    "cpus",
    "psci",
    "memory@40000000",
    // memory@200000000 is nop'ed: bank 1 is empty
    "interrupt-controller@3001000",
    "timer",
    "hypervisor",
    "sbsa-pl011",
    "virtio@2000000",
    "virtio@2000200",
    "xen_iommu",
  ]);
  assertEquals(tree.root.properties.map((p) => p.name), [
    "model",
    "compatible",
    "interrupt-parent",
    "#address-cells",
    "#size-cells",
  ]);
  assertEquals(str(tree.getProperty("/", "model")), ["XENVM-4.19"]);
  assertEquals(str(tree.getProperty("/", "compatible")), ["xen,xenvm-4.19", "xen,xenvm"]);
  assertEquals(be32(tree.getProperty("/", "interrupt-parent")), [65000]);
  assertEquals(tree.node("/chosen")?.properties.map((p) => p.name), ["bootargs", "rng-seed"]);
  assertEquals(tree.getProperty("/chosen", "rng-seed")?.length, 128);
  assertEquals(tree.node("/cpus")?.children.map((n) => n.name), ["cpu@0", "cpu@1"]);
  assertEquals(tree.node("/cpus/cpu@1")?.properties.map((p) => p.name), [
    "device_type",
    "compatible",
    "enable-method",
    "reg",
  ]);
  assertEquals(be32(tree.getProperty("/cpus/cpu@1", "reg")), [1]);
  assertEquals(str(tree.getProperty("/psci", "compatible")), [
    "arm,psci-1.0",
    "arm,psci-0.2",
    "arm,psci",
  ]);
  assertEquals(be32(tree.getProperty("/psci", "cpu_off")), [1]);
  assertEquals(be32(tree.getProperty("/psci", "cpu_on")), [2]);
  assertEquals(be32(tree.getProperty("/memory@40000000", "reg")), [0, 0x40000000, 0, 0x40000000]);
  const gic = "/interrupt-controller@3001000";
  assertEquals(tree.node(gic)?.properties.map((p) => p.name), [
    "compatible",
    "#interrupt-cells",
    "#address-cells",
    "interrupt-controller",
    "reg",
    "linux,phandle",
    "phandle",
  ]);
  assertEquals(be32(tree.getProperty(gic, "reg")), [
    0,
    0x3001000,
    0,
    0x10000,
    0,
    0x3020000,
    0,
    0x1000000,
  ]);
  assertEquals(tree.getProperty(gic, "interrupt-controller")?.length, 0);
  assertEquals(be32(tree.getProperty("/timer", "interrupts")), [
    1,
    13,
    0xf08,
    1,
    14,
    0xf08,
    1,
    11,
    0xf08,
  ]);
  assertEquals(tree.getProperty("/timer", "clock-frequency"), undefined);
  assertEquals(str(tree.getProperty("/hypervisor", "compatible")), ["xen,xen-4.19", "xen,xen"]);
  assertEquals(be32(tree.getProperty("/hypervisor", "reg")), [
    0,
    0x38000000,
    0,
    0x1000000,
    0,
    0x80000000,
    0,
    0x80000000,
    2,
    0,
    0xfe,
    0,
  ]);
  assertEquals(be32(tree.getProperty("/hypervisor", "interrupts")), [1, 15, 0xf08]);
  assertEquals(be32(tree.getProperty("/sbsa-pl011", "reg")), [0, 0x22000000, 0, 0x1000]);
  assertEquals(be32(tree.getProperty("/sbsa-pl011", "interrupts")), [0, 0, 0xf04]);
  assertEquals(be32(tree.getProperty("/sbsa-pl011", "current-speed")), [115200]);
  assertEquals(tree.node("/virtio@2000000")?.properties.map((p) => p.name), [
    "compatible",
    "reg",
    "interrupts",
    "interrupt-parent",
    "dma-coherent",
  ]);
  assertEquals(be32(tree.getProperty("/virtio@2000000", "reg")), [0, 0x2000000, 0, 0x200]);
  assertEquals(be32(tree.getProperty("/virtio@2000000", "interrupts")), [0, 1, 0xf01]);
  assertEquals(be32(tree.getProperty("/virtio@2000200", "iommus")), [65001, 1]);
  assertEquals(str(tree.getProperty("/virtio@2000200/i2c", "compatible")), ["virtio,device22"]);
  assertEquals(str(tree.getProperty("/xen_iommu", "compatible")), ["xen,grant-dma"]);
  assertEquals(be32(tree.getProperty("/xen_iommu", "#iommu-cells")), [1]);
  assertEquals(be32(tree.getProperty("/xen_iommu", "phandle")), [65001]);
  assertEquals(tree.memoryReservations, []);
});

Deno.test("§4.6 4.17: xen_iommu right before the first non-dom0 virtio disk; generic virtio ignored", async () => {
  const config = guestConfig({
    disks: [virtioDisk(0), virtioDisk(1, 2), virtioDisk(2, 3)],
    virtios: [genericVirtio(3, "virtio,device22")],
  });
  const tree = readFdt((await buildAll(config, v(17))).finalised.blob);
  assertEquals(tree.root.children.map((n) => n.name).slice(-4), [
    "virtio@2000000",
    "xen_iommu",
    "virtio@2000200",
    "virtio@2000400",
  ]);
  assertEquals(be32(tree.getProperty("/virtio@2000400", "iommus")), [65001, 3]);
  assertEquals(str(tree.getProperty("/hypervisor", "compatible"))[0], "xen,xen-4.17");
});

Deno.test("§4.6 4.18 vs 4.19: disk grant_usage=0 with a driver domain only counts from 4.19", async () => {
  const config = guestConfig({ disks: [virtioDisk(0, 1, false)] });
  const t18 = readFdt((await buildAll(config, v(18))).finalised.blob);
  assertEquals(be32(t18.getProperty("/virtio@2000000", "iommus")), [65001, 1]);
  assertEquals(t18.root.children.at(-1)?.name, "xen_iommu");
  const t19 = readFdt((await buildAll(config, v(19))).finalised.blob);
  assertEquals(t19.getProperty("/virtio@2000000", "iommus"), undefined);
  assertEquals(t19.node("/xen_iommu"), undefined);
});

Deno.test("§4.3 gpio subnode; plain virtio,device<N> gets none; a bad type is libxl's error", async () => {
  const config = guestConfig({
    virtios: [genericVirtio(0, "virtio,device29", 0), genericVirtio(1, "virtio,device1a", 0)],
  });
  const tree = readFdt((await buildAll(config, v(18))).finalised.blob);
  const gpio = tree.node("/virtio@2000000/gpio");
  assertEquals(gpio?.properties.map((p) => p.name), [
    "compatible",
    "gpio-controller",
    "#gpio-cells",
    "interrupt-controller",
    "#interrupt-cells",
  ]);
  assertEquals(tree.node("/virtio@2000200")?.children, []);
  assertEquals(tree.node("/xen_iommu"), undefined);
  const bad = guestConfig({ virtios: [genericVirtio(0, "vhost,i2c")] });
  await buildAll(bad, v(18)).then(
    () => assert(false, "expected an error"),
    (error) => {
      assert(error instanceof GuestDtError);
      assertEquals(error.message, "Invalid type for virtio device: vhost,i2c");
    },
  );
});

Deno.test("§4.3: 128 vCPUs are cpu@0…cpu@f, cpu@100…cpu@10f, … cpu@70f", async () => {
  const config = guestConfig({ maxvcpus: 128, vcpus: 4 });
  const tree = readFdt((await buildAll(config, v(17))).finalised.blob);
  const cpus = tree.node("/cpus")!.children;
  assertEquals(cpus.length, 128);
  assertEquals(cpus.slice(14, 18).map((n) => n.name), ["cpu@e", "cpu@f", "cpu@100", "cpu@101"]);
  assertEquals(cpus.at(-1)?.name, "cpu@70f");
  assertEquals(be32(tree.getProperty("/cpus/cpu@100", "reg")), [0x100]);
});

Deno.test("§4.1: buffer starts at 4 KiB and doubles; 4.21's 257-entry placeholder needs 8 KiB", async () => {
  assertEquals((await buildAll(guestConfig(), v(17))).attempts, [4096]);
  const b21 = await buildAll(guestConfig(), v(21));
  assertEquals(b21.attempts, [4096, 8192]);
  assertEquals(b21.unfinalised.length > 4112, true);
  // After finalisation the property shrank but totalsize stays (fdt_setprop keeps it).
  assertEquals(readFdt(b21.finalised.blob).totalSize, b21.unfinalised.length);
  assertEquals((await buildAll(guestConfig({ maxvcpus: 128 }), v(17))).attempts, [
    4096,
    8192,
    16384,
  ]);
});

Deno.test("§4.4: initrd range patched in place; no ramdisk → no initrd properties", async () => {
  const withRd = await buildAll(guestConfig(), v(17), { ramdiskSize: 989_558 });
  const tree = readFdt(withRd.finalised.blob);
  assertEquals(be32(tree.getProperty("/chosen", "linux,initrd-start")), [0, 0x47f0d000]);
  assertEquals(be32(tree.getProperty("/chosen", "linux,initrd-end")), [0, 0x47fff000]);
  const without = readFdt((await buildAll(guestConfig(), v(17))).finalised.blob);
  assertEquals(without.node("/chosen")?.properties.map((p) => p.name), ["bootargs", "rng-seed"]);
});

Deno.test("§4.4: memory spanning both banks keeps both memory nodes", async () => {
  const config = guestConfig({ memory: 4096, maxmem: 4096 });
  const tree = readFdt((await buildAll(config, v(19))).finalised.blob);
  assertEquals(be32(tree.getProperty("/memory@40000000", "reg")), [0, 0x40000000, 0, 0xc0000000]);
  assertEquals(be32(tree.getProperty("/memory@200000000", "reg")), [2, 0, 0, 0x40000000]);
  // Bank 0 is full: the only extended region is bank 1's tail.
  assertEquals(be32(tree.getProperty("/hypervisor", "reg")), [
    0,
    0x38000000,
    0,
    0x1000000,
    2,
    0x40000000,
    0xfd,
    0xc0000000,
  ]);
});

Deno.test("GICv2, optee, clock-frequency, no cmdline", async () => {
  const config = guestConfig({ tee: "optee", cmdline: undefined });
  const tree = readFdt(
    (await buildAll(config, v(17), { gicVersion: "v2", clockFrequency: 62_500_000 })).finalised
      .blob,
  );
  const gic = "/interrupt-controller@3001000";
  assertEquals(str(tree.getProperty(gic, "compatible")), [
    "arm,cortex-a15-gic",
    "arm,cortex-a9-gic",
  ]);
  assertEquals(be32(tree.getProperty(gic, "reg")), [
    0,
    0x3001000,
    0,
    0x1000,
    0,
    0x3002000,
    0,
    0x2000,
  ]);
  assertEquals(be32(tree.getProperty("/timer", "clock-frequency")), [62_500_000]);
  assertEquals(str(tree.getProperty("/firmware/optee", "compatible")), ["linaro,optee-tz"]);
  assertEquals(str(tree.getProperty("/firmware/optee", "method")), ["hvc"]);
  assertEquals(tree.node("/chosen")?.properties.map((p) => p.name), ["rng-seed"]);
});

/** dtc checks Xen's own tree fails (unit names, gpio's missing #address-cells); all others stay on. */
const XEN_OWN_WARNINGS_OFF = ["-W", "no-unit_address_vs_reg", "-W", "no-interrupt_provider"];

/** Cases compared byte for byte with the system libfdt peer. */
const CASES: [
  string,
  ReturnType<typeof guestConfig>,
  number,
  { ramdiskSize?: number; gic?: "v2" | "v3" },
][] = [
  ["plain 4.17", guestConfig(), 17, {}],
  ["§4.5 example 4.19", example, 19, { ramdiskSize: 989_558 }],
  [
    "4.17 mixed backends",
    guestConfig({ vuart: "sbsa_uart", disks: [virtioDisk(0), virtioDisk(1, 1), virtioDisk(2, 2)] }),
    17,
    {},
  ],
  [
    "4.18 gpio + i2c + generic",
    guestConfig({
      virtios: [
        genericVirtio(0, "virtio,device29"),
        genericVirtio(1, "virtio,device22", 0),
        genericVirtio(2, "virtio,device"),
      ],
    }),
    18,
    {},
  ],
  [
    "4.21 eleven devices",
    guestConfig({
      disks: Array.from({ length: 6 }, (_, k) => virtioDisk(k)),
      virtios: Array.from({ length: 5 }, (_, k) => genericVirtio(6 + k, "virtio,device22")),
    }),
    21,
    { ramdiskSize: 5000 },
  ],
  ["128 vCPUs GICv2 optee", guestConfig({ maxvcpus: 128, tee: "optee" }), 17, { gic: "v2" }],
  ["both banks", guestConfig({ memory: 8192, maxmem: 8192 }), 19, {}],
];

for (const [name, config, minor, extra] of CASES) {
  Deno.test(`byte-identical to the system libfdt peer: ${name}`, async () => {
    const built = await buildAll(config, v(minor), {
      ramdiskSize: extra.ramdiskSize,
      gicVersion: extra.gic ?? "v3",
    });
    const native = await peerDtb(peerArgs(config, v(minor), built, extra.gic));
    assertEquals(built.finalised.blob, native);
    const [dts, warnings, ok] = await dtc(built.finalised.blob, ...XEN_OWN_WARNINGS_OFF);
    assert(ok, warnings);
    assertEquals(warnings, "");
    assert(dts.startsWith("/dts-v1/;"));
    const [dump, dumpErrors, dumpOk] = await fdtdump(built.finalised.blob);
    assert(dumpOk, dumpErrors);
    // fdtdump always prints its "low-level debugging tool" banner (lines starting ****).
    assertEquals(dumpErrors.split("\n").filter((l) => l !== "" && !l.startsWith("****")), []);
    assert(!/warning|error/i.test(dump), dump);
  });
}

Deno.test("dtc's only complaints are the ones Xen's own tree earns", async () => {
  const config = guestConfig({
    vuart: "sbsa_uart",
    virtios: [genericVirtio(0, "virtio,device29")],
  });
  const built = await buildAll(config, v(19));
  const [, warnings] = await dtc(built.finalised.blob);
  const lines = warnings.trim().split("\n").map((l) => l.replace(/^<[a-z]+>: /, ""));
  assertEquals(lines.sort(), [
    "Warning (interrupt_provider): /virtio@2000000/gpio: Missing #address-cells in interrupt provider",
    "Warning (unit_address_vs_reg): /hypervisor: node has a reg or ranges property, but no unit name",
    "Warning (unit_address_vs_reg): /sbsa-pl011: node has a reg or ranges property, but no unit name",
  ]);
});

Deno.test("assertThrows sanity: SGIs cannot be encoded", async () => {
  const { gicInterrupt } = await import("../../lib/arm/dt_cells.ts");
  assertThrows(() => gicInterrupt(8, 1), RangeError);
  assertEquals(gicInterrupt(31, 8), [1, 15, 0xf08]);
  assertEquals(gicInterrupt(32, 4), [0, 0, 0xf04]);
});

Deno.test("§4.1: past 1 MiB libxl gives up — fault injected with a writer capped at 1 KiB (a fake: no real guest tree is that big)", async () => {
  const { buildGuestDt } = await import("../../lib/arm/guest_dt.ts");
  const { createFdtWriter, FDT_MAX_SIZE } = await import("../../lib/fdt/mod.ts");
  const tried: number[] = [];
  const cappedWriterFake = (capacity: number) => {
    tried.push(capacity);
    return createFdtWriter(Math.min(capacity, 1024));
  };
  assertThrows(
    () =>
      buildGuestDt(guestConfig(), {
        xenVersion: v(17),
        gicVersion: "v3",
        hasRamdisk: false,
        newWriter: cappedWriterFake,
      }),
    GuestDtError,
    "FDT_ERR_NOSPACE",
  );
  assertEquals(tried, Array.from({ length: 9 }, (_, i) => 4096 << i));
  assertEquals(tried.at(-1), FDT_MAX_SIZE);
});

Deno.test("§4.1: only FdtNoSpaceError restarts the tree; another error naming NOSPACE ends it at once (a fake writer: libfdt cannot throw one)", async () => {
  const { buildGuestDt } = await import("../../lib/arm/guest_dt.ts");
  const { createFdtWriter } = await import("../../lib/fdt/mod.ts");
  const tried: number[] = [];
  const lookalikeFake = (capacity: number) => {
    tried.push(capacity);
    const writer = createFdtWriter(capacity);
    return {
      ...writer,
      endNode() {
        const error = new Error("FDT: fdt_end_node failed: -3 = FDT_ERR_NOSPACE (lookalike)");
        error.name = "FdtNoSpaceError";
        throw error;
      },
    };
  };
  const error = assertThrows(() =>
    buildGuestDt(guestConfig(), {
      xenVersion: v(17),
      gicVersion: "v3",
      hasRamdisk: false,
      newWriter: lookalikeFake,
    })
  );
  assert(!(error instanceof GuestDtError), "not turned into libxl's give-up error");
  assertEquals(
    (error as Error).message,
    "FDT: fdt_end_node failed: -3 = FDT_ERR_NOSPACE (lookalike)",
  );
  assertEquals(tried, [4096]);
});
