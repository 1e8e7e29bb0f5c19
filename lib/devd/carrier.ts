/**
 * What `xlite devd` needs from the hypervisor to serve virtio-mmio devices of one frontend
 * domain: the guest's memory, and an IOREQ server that routes the guest's accesses to each
 * device's register window and raises each device's SPI. On Xen it is an IOREQ server plus
 * foreign mappings (lib/xen); the daemon's own logic sees only this seam.
 *
 * @module
 */
import type { GuestMemory, InterruptLine, MmioHandler } from "../virtio_backend/mod.ts";

/** The hypervisor side of every device served for one frontend domain. */
export interface FrontendCarrier {
  /** The frontend domain's id. */
  readonly domid: number;
  /** The frontend's RAM, mapped once for every device of this domain. */
  readonly memory: GuestMemory;
  /**
   * Routes the guest's accesses to `[base, base + size)` to `handler` and returns the line that
   * raises SPI `irq`. Throws (with the reason) when the window or the SPI cannot be had.
   */
  addDevice(base: bigint, size: number, irq: number, handler: MmioHandler): InterruptLine;
  /** Stops routing the window at `base` to its handler. */
  removeDevice(base: bigint): void;
  /** Releases everything held for this domain (IOREQ server, mappings, event channels). */
  close(): void;
}

/** Opens the hypervisor side for a frontend domain (one per domain, shared by its devices). */
export type OpenFrontendCarrier = (domid: number) => Promise<FrontendCarrier>;
