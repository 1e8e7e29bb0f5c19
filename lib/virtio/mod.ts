/**
 * Virtio-mmio on Arm guests: resource allocation (spec §3.4) and the SPI count (§3.5).
 *
 * @module
 */
export {
  allocateMmioBase,
  allocateMmioIrq,
  allocateVirtioMmio,
  ArmConfigError,
  formatMmioTable,
  newMmioCursor,
} from "./mmio_alloc.ts";
export type { MmioAllocation, MmioCursor } from "./mmio_alloc.ts";
export { computeNrSpis } from "./nr_spis.ts";
export type { NrSpisInput } from "./nr_spis.ts";
export { prepareArmConfig } from "./prepare_config.ts";
export type { ArmConfigPlan } from "./prepare_config.ts";
export type { XenVersion } from "../xen_version/mod.ts";
export type { DomainConfig } from "../config/mod.ts";
export type { XliteError } from "../errors.ts";
