/**
 * Xen's control libraries through Deno FFI, loaded at run time: libxenctrl (domain list,
 * pause, unpause, shutdown, destroy) and libxenforeignmemory (reading guest memory).
 *
 * @module
 */
export * from "./errors.ts";
export * from "./domctl.ts";
export * from "./domain_info.ts";
export type { XliteError } from "../errors.ts";
export * from "./library.ts";
export * from "./xenctrl.ts";
export * from "./host_control.ts";
export * from "./foreign_memory.ts";
export * from "./create_domain_config.ts";
export * from "./xen_abi.ts";
export * from "./host_abi.ts";
export * from "./domain_builder.ts";
export * from "./passthrough.ts";
export * from "./zlib.ts";
export * from "./devicemodel.ts";
export * from "./evtchn.ts";
export * from "./foreign_mapping.ts";
export * from "./guest_ram.ts";
export * from "./ioreq.ts";
export * from "./ioreq_server.ts";
export type { GuestMemory, MmioHandler } from "../virtio_backend/mod.ts";
