/**
 * `nr_spis`, the number of SPIs the guest's virtual GIC gets, computed as libxl's
 * `libxl__arch_domain_prepare_config` does (spec §3.5), with the per-release handling of
 * the user's `nr_spis=`: none before 4.19, `max(computed, user)` in 4.19/4.20, and from
 * 4.21 the user's value, refused when smaller than needed.
 *
 * @module
 */
import { atLeast, type XenVersion } from "../xen_version/mod.ts";
import { GUEST_VIRTIO_MMIO_SPI_FIRST, GUEST_VPL011_SPI } from "../arm/mod.ts";
import type { DomainConfig } from "../config/mod.ts";
import { ArmConfigError, type MmioAllocation } from "./mmio_alloc.ts";

/** What the SPI count depends on. */
export type NrSpisInput = Pick<DomainConfig, "vuart" | "irqs" | "nrSpis">;

/**
 * The `nr_spis` Xen is asked for. `allocations` is the virtio-mmio table (its highest IRQ
 * counts); passthrough `irqs` may not collide with the vpl011 SPI or the virtio range.
 *
 * @example
 * ```ts
 * computeNrSpis({ vuart: "sbsa_uart", irqs: [] }, rows, { major: 4, minor: 19 }); // 2 with one device
 * ```
 */
export function computeNrSpis(
  config: NrSpisInput,
  allocations: readonly Pick<MmioAllocation, "irq">[],
  version: XenVersion,
): number {
  let nrSpis = 0;
  const vuartIrq = config.vuart === "sbsa_uart" ? GUEST_VPL011_SPI : undefined;
  if (vuartIrq !== undefined) nrSpis += vuartIrq - 32 + 1;

  const highestVirtioIrq = allocations.length > 0
    ? Math.max(...allocations.map((a) => a.irq))
    : undefined;
  if (highestVirtioIrq !== undefined) nrSpis = Math.max(nrSpis, highestVirtioIrq - 32 + 1);

  for (const irq of config.irqs) {
    if (vuartIrq !== undefined && irq === vuartIrq) {
      throw new ArmConfigError(`Physical IRQ ${irq} conflicting with pl011 SPI`);
    }
    if (
      highestVirtioIrq !== undefined && irq >= GUEST_VIRTIO_MMIO_SPI_FIRST &&
      irq <= highestVirtioIrq
    ) {
      throw new ArmConfigError(`Physical IRQ ${irq} conflicting with Virtio MMIO IRQ range`);
    }
    if (irq < 32) continue;
    nrSpis = Math.max(nrSpis, irq - 32 + 1);
  }

  if (!atLeast(version, 4, 19)) return nrSpis; // no nr_spis option yet
  if (!atLeast(version, 4, 21)) return Math.max(nrSpis, config.nrSpis ?? 0);
  if (config.nrSpis === undefined) return nrSpis; // LIBXL_NR_SPIS_DEFAULT
  if (nrSpis > config.nrSpis) {
    throw new ArmConfigError(
      `Provided nr_spis value is too small (minimum required ${nrSpis})`,
    );
  }
  return config.nrSpis;
}
