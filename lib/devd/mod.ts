/**
 * `xlite devd`, the backend daemon: serves the virtio disks whose backend is this domain
 * (spec §2.5, §2.6, §2.11) and, in a driver domain, runs the PV disks' hotplug scripts.
 *
 * @module
 */
export * from "./backend_error.ts";
export * from "./carrier.ts";
export * from "./carrier_pool.ts";
export * from "./daemon.ts";
export * from "./daemonise.ts";
export * from "./device_model.ts";
export * from "./log.ts";
export * from "./pidfile.ts";
export * from "./task_queue.ts";
export * from "./vbd_hotplug.ts";
export * from "./virtio_disk_config.ts";
export * from "./virtio_disk_server.ts";
// Types the daemon's surface mentions, so its documentation is complete.
export type { XliteError } from "../errors.ts";
export type {
  TransactionOptions,
  WatchEvent,
  XenstoreClient,
  XenstoreOps,
  XenstoreTransaction,
  XenstoreTransactionHandle,
  XenstoreWatch,
  XsAccess,
  XsPermission,
} from "../xenstore/mod.ts";
export type { DeviceRef } from "../devices/mod.ts";
export type { GuestMemory, InterruptLine, MmioHandler } from "../virtio_backend/mod.ts";
