/**
 * Virtio-mmio allocation (spec §3.4) and nr_spis (spec §3.5) on configs parsed from xl.cfg
 * text: 11 devices fit, the 12th fails on the IRQ as in libxl, disks come first, passthrough
 * IRQ collisions, and the nr_spis rule of each Xen release.
 */
import { assertEquals, assertThrows } from "../support/assert.ts";
import { parseDomainConfig } from "../../lib/config/mod.ts";
import {
  allocateMmioBase,
  allocateVirtioMmio,
  ArmConfigError,
  computeNrSpis,
  formatMmioTable,
  prepareArmConfig,
} from "../../lib/virtio/mod.ts";
import {
  GUEST_VIRTIO_MMIO_BASE,
  GUEST_VIRTIO_MMIO_SIZE,
  GUEST_VIRTIO_MMIO_SPI_FIRST,
  GUEST_VIRTIO_MMIO_SPI_LAST,
  VIRTIO_MMIO_DEV_SIZE,
} from "../../lib/arm/xen_arch_arm.ts";

const V = (minor: number) => ({ major: 4, minor });

/** A guest with `disks` virtio disks and `generic` generic virtio-mmio devices. */
function guest(
  { disks = 0, generic = 0, extra = "" }: { disks?: number; generic?: number; extra?: string },
) {
  const letters = "abcdefghijklmnop";
  const diskList = Array.from(
    { length: disks },
    (_, i) => `'/dev/vg/d${i},raw,xvd${letters[i]},rw,specification=virtio'`,
  );
  const virtioList = Array.from({ length: generic }, () => `'type=virtio,device22,transport=mmio'`);
  return parseDomainConfig(
    `name = "g"\nkernel = "/k"\ndisk = [${diskList.join(",")}]\nvirtio = [${
      virtioList.join(",")
    }]\n${extra}`,
    { source: "g.cfg", xenVersion: V(19) },
  );
}

Deno.test("constants: the window holds 2048 slots, the SPI range 11 IRQs", () => {
  assertEquals(GUEST_VIRTIO_MMIO_SIZE / VIRTIO_MMIO_DEV_SIZE, 2048n);
  assertEquals(GUEST_VIRTIO_MMIO_SPI_LAST - GUEST_VIRTIO_MMIO_SPI_FIRST + 1, 11);
});

Deno.test("11 virtio devices fit: disks first, then generic devices, in config order", () => {
  const config = guest({ disks: 3, generic: 8 });
  // Put a Xen PV disk and a non-mmio virtio device in between: they get nothing.
  config.disks.splice(1, 0, { ...config.disks[0], specification: "xen", vdev: "xvdz" });
  config.virtios.push({ ...config.virtios[0], transport: "unknown", devid: 8 });
  const rows = allocateVirtioMmio(config);
  assertEquals(rows.length, 11);
  rows.forEach((row, k) => {
    assertEquals(row.base, GUEST_VIRTIO_MMIO_BASE + BigInt(k) * VIRTIO_MMIO_DEV_SIZE);
    assertEquals(row.irq, 33 + k);
  });
  assertEquals(rows.slice(0, 3).map((r) => [r.kind, r.device, r.index]), [
    ["virtio_disk", "xvda", 0],
    ["virtio_disk", "xvdb", 2],
    ["virtio_disk", "xvdc", 3],
  ]);
  assertEquals(rows[3].kind, "virtio");
  assertEquals(rows[10].base, 0x2001400n);
  // Written into the devices, as libxl does.
  assertEquals([config.disks[0].base, config.disks[0].irq], [0x2000000n, 33]);
  assertEquals([config.disks[1].base, config.disks[1].irq], [0n, 0]);
  assertEquals([config.virtios[7].base, config.virtios[7].irq], [0x2001400n, 43]);
  assertEquals([config.virtios[8].base, config.virtios[8].irq], [0n, 0]);
});

Deno.test("the 12th device fails with Xen's error; earlier assignments stay", () => {
  const config = guest({ disks: 4, generic: 8 });
  const error = assertThrows(() => allocateVirtioMmio(config), ArmConfigError);
  assertEquals(error.message, "Ran out of reserved range for Virtio MMIO IRQ 44");
  assertEquals(config.virtios[6].irq, 43);
  assertEquals(config.virtios[7].irq, 0);
});

Deno.test("the MMIO window check exists too (unreachable before the IRQ limit)", () => {
  const cursor = { base: GUEST_VIRTIO_MMIO_BASE + GUEST_VIRTIO_MMIO_SIZE - 0x100n, irq: 33 };
  assertEquals(
    assertThrows(() => allocateMmioBase(cursor), ArmConfigError).message,
    "Ran out of reserved range for Virtio MMIO BASE 0x20fff00",
  );
});

Deno.test("nr_spis examples of spec §3.5", () => {
  const nr = (disks: number, generic: number, extra: string) => {
    const config = guest({ disks, generic, extra });
    return prepareArmConfig(config, V(19)).nrSpis;
  };
  assertEquals(nr(1, 0, "vuart = 'sbsa_uart'\n"), 2); // vuart + 1 virtio
  assertEquals(nr(1, 2, "vuart = 'sbsa_uart'\n"), 4); // vuart + 3 virtio
  assertEquals(nr(5, 6, ""), 12); // no vuart + 11 virtio
  assertEquals(nr(0, 0, "irqs = ['100']\n"), 69); // passthrough IRQ 100
  assertEquals(nr(0, 0, "vuart = 'sbsa_uart'\n"), 1);
  assertEquals(nr(0, 0, "irqs = ['20']\n"), 0); // below 32: ignored
  assertEquals(nr(0, 0, ""), 0);
});

Deno.test("passthrough IRQs may not collide with the pl011 SPI or the virtio range", () => {
  const fail = (config: ReturnType<typeof guest>) =>
    assertThrows(() => prepareArmConfig(config, V(19)), ArmConfigError).message;
  assertEquals(
    fail(guest({ extra: "vuart = 'sbsa_uart'\nirqs = ['32']\n" })),
    "Physical IRQ 32 conflicting with pl011 SPI",
  );
  assertEquals(
    fail(guest({ disks: 1, generic: 2, extra: "irqs = ['35']\n" })),
    "Physical IRQ 35 conflicting with Virtio MMIO IRQ range",
  );
  // Just past the highest allocated IRQ is fine, and without a vuart 32 is fine.
  assertEquals(
    prepareArmConfig(guest({ disks: 1, generic: 2, extra: "irqs = ['36']\n" }), V(19)).nrSpis,
    5,
  );
  assertEquals(prepareArmConfig(guest({ extra: "irqs = ['32']\n" }), V(19)).nrSpis, 1);
});

Deno.test("nr_spis per release: 4.17/4.18 none, 4.19/4.20 max, 4.21+ refuses too small", () => {
  const config = { vuart: "sbsa_uart" as const, irqs: [], nrSpis: 2 };
  const rows = [{ irq: 33 }, { irq: 34 }, { irq: 35 }]; // needs 4
  assertEquals(computeNrSpis(config, rows, V(17)), 4);
  assertEquals(computeNrSpis(config, rows, V(18)), 4);
  assertEquals(computeNrSpis(config, rows, V(19)), 4); // user 2 < 4: ignored
  assertEquals(computeNrSpis({ ...config, nrSpis: 100 }, rows, V(20)), 100);
  assertEquals(computeNrSpis({ ...config, nrSpis: 100 }, rows, V(21)), 100);
  assertEquals(computeNrSpis({ ...config, nrSpis: undefined }, rows, V(21)), 4);
  assertEquals(computeNrSpis({ ...config, nrSpis: 4 }, rows, V(22)), 4);
  assertEquals(
    assertThrows(() => computeNrSpis(config, rows, V(21)), ArmConfigError).message,
    "Provided nr_spis value is too small (minimum required 4)",
  );
});

Deno.test("the allocation table prints one row per device", () => {
  const config = guest({ disks: 1, generic: 1 });
  const table = formatMmioTable(allocateVirtioMmio(config));
  assertEquals(table.split("\n"), [
    "device                     kind         base       irq",
    "xvda                       virtio_disk  0x2000000  33",
    "virtio0 (virtio,device22)  virtio       0x2000200  34",
  ]);
});
