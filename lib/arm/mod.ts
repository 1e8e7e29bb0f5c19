/**
 * The Arm guest: Xen's guest memory map (`xen_arch_arm.ts`, arch-arm.h), the kernel image
 * probe, the memory layout, the guest device tree libxl builds (one function per node) and
 * its finalisation once the memory is placed (spec §3–§4).
 *
 * @module
 */
export * from "./dt_cells.ts";
export * from "./finalise.ts";
export * from "./guest_dt.ts";
export * from "./kernel_image.ts";
export * from "./memory_layout.ts";
export * from "./partial_dt.ts";
export * from "./virtio_device_types.ts";
export * from "./xen_arch_arm.ts";
export type { DomainConfig, IomemRange } from "../config/mod.ts";
export type { XliteError } from "../errors.ts";
export type { FdtNode, FdtProperty, FdtWriter } from "../fdt/mod.ts";
export type { XenVersion } from "../xen_version/mod.ts";
