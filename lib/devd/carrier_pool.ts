/**
 * One hypervisor carrier per frontend domain, shared by that domain's devices: opened by the
 * first device, closed with the last one or when the domain dies. It also keeps each
 * domain's windows and SPIs apart, so a second device on a taken base or irq fails alone.
 *
 * @module
 */
import type { FrontendCarrier, OpenFrontendCarrier } from "./carrier.ts";
import { BackendConfigError, ERRNO } from "./virtio_disk_config.ts";

/** The carriers of every frontend domain the daemon serves. */
export interface CarrierPool {
  /**
   * The carrier for `domid` (opened on first use; concurrent callers share one open) with
   * `base` and `irq` reserved for the caller. Throws when the carrier cannot be opened or
   * the window or SPI is taken; nothing stays reserved then.
   */
  acquire(domid: number, base: bigint, irq: number): Promise<FrontendCarrier>;
  /** Gives back `base`/`irq` of `domid`; closes its carrier when it was the last device. */
  release(domid: number, base: bigint, irq: number): void;
  /** Closes the carrier of `domid` now, whatever still uses it (the domain died). */
  closeDomain(domid: number): void;
  /** The domains with an open (or opening) carrier. */
  domids(): number[];
  /** Closes every carrier. */
  closeAll(): void;
}

interface Entry {
  carrier: Promise<FrontendCarrier>;
  bases: Set<bigint>;
  irqs: Set<number>;
}

/** Makes a pool over `open`; `onCloseError` hears about a carrier that failed to close. */
export function createCarrierPool(
  open: OpenFrontendCarrier,
  onCloseError: (domid: number, error: unknown) => void = () => {},
): CarrierPool {
  const entries = new Map<number, Entry>();
  const closeEntry = (domid: number, entry: Entry) => {
    if (entries.get(domid) === entry) entries.delete(domid);
    entry.carrier.then((c) => c.close()).catch((error) => onCloseError(domid, error));
  };
  return {
    async acquire(domid, base, irq) {
      let entry = entries.get(domid);
      if (entry === undefined) {
        entry = { carrier: open(domid), bases: new Set(), irqs: new Set() };
        entries.set(domid, entry);
        // A failed open is forgotten, so the next device of this domain tries again.
        const failed = entry;
        entry.carrier.catch(() => {
          if (entries.get(domid) === failed) entries.delete(domid);
        });
      }
      if (entry.bases.has(base)) {
        throw new BackendConfigError(
          ERRNO.EBUSY,
          `base 0x${base.toString(16)} is already served for domain ${domid}`,
        );
      }
      if (entry.irqs.has(irq)) {
        throw new BackendConfigError(
          ERRNO.EBUSY,
          `irq ${irq} is already served for domain ${domid}`,
        );
      }
      entry.bases.add(base);
      entry.irqs.add(irq);
      try {
        return await entry.carrier;
      } catch (error) {
        entry.bases.delete(base);
        entry.irqs.delete(irq);
        throw error;
      }
    },
    release(domid, base, irq) {
      const entry = entries.get(domid);
      if (entry === undefined) return;
      entry.bases.delete(base);
      entry.irqs.delete(irq);
      if (entry.bases.size === 0) closeEntry(domid, entry);
    },
    closeDomain(domid) {
      const entry = entries.get(domid);
      if (entry !== undefined) closeEntry(domid, entry);
    },
    domids: () => [...entries.keys()],
    closeAll() {
      for (const [domid, entry] of [...entries]) closeEntry(domid, entry);
    },
  };
}
