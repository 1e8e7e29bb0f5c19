/**
 * libxl-compatible devices in xenstore (spec §2.4–§2.9): the device table, the pure plan of
 * every write, and the generic add / remove / read / list paths that execute it.
 *
 * Layering (krata-style): this module uses `lib/xenstore` (the client) and `lib/disk`
 * (disk defaults, vdev numbers); the CLI commands `block-attach`, `block-detach` and
 * `block-list` sit on top.
 *
 * @module
 */
export * from "./add.ts";
export * from "./backend_state.ts";
export * from "./c_numbers.ts";
export * from "./device_kinds.ts";
export * from "./disk.ts";
export * from "./errors.ts";
export * from "./hotplug.ts";
export * from "./list.ts";
export * from "./nic.ts";
export * from "./paths.ts";
export * from "./plan.ts";
export * from "./read.ts";
export * from "./remove.ts";
export * from "./types.ts";
export * from "./virtio.ts";
export type { DomainConfig, NicType, VifDevice, VifRate, VirtioDevice } from "../config/mod.ts";
export type { DiskBackend, DiskSpec } from "../disk/mod.ts";
export type { XliteError } from "../errors.ts";
export type { XenVersion } from "../xen_version/mod.ts";
export type { XenstoreClient, XenstoreOp, XenstoreOps, XenstoreWrite } from "../xenstore/mod.ts";
