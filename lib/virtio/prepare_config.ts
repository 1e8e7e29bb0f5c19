/**
 * libxl's `libxl__arch_domain_prepare_config` for what xlite decides before Xen is
 * involved: the virtio-mmio allocation (spec §3.4) then `nr_spis` (§3.5), in that order.
 *
 * @module
 */
import type { XenVersion } from "../xen_version/mod.ts";
import type { DomainConfig } from "../config/mod.ts";
import { allocateVirtioMmio, type MmioAllocation } from "./mmio_alloc.ts";
import { computeNrSpis } from "./nr_spis.ts";

/** The allocation table and the SPI count for one guest. */
export interface ArmConfigPlan {
  /** The virtio-mmio table, in allocation order. */
  allocations: MmioAllocation[];
  /** What Xen is asked for as `nr_spis`. */
  nrSpis: number;
}

/**
 * Allocates virtio-mmio resources into `config` (base/irq of its devices) and computes
 * `nr_spis` for Xen `version`. Throws `ArmConfigError` with libxl's text on failure.
 */
export function prepareArmConfig(config: DomainConfig, version: XenVersion): ArmConfigPlan {
  const allocations = allocateVirtioMmio(config);
  return { allocations, nrSpis: computeNrSpis(config, allocations, version) };
}
