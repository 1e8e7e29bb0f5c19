/**
 * The frontend carrier on real Xen: for one guest, an IOREQ server (lib/xen/ioreq_server.ts)
 * that routes each virtio-mmio window to its device, the guest's RAM mapped once
 * (lib/xen/guest_ram.ts), and `set_irq_level` pulses for the devices' SPIs.
 *
 * @example
 * ```ts
 * const carrier = await openXenFrontendCarrier(3);
 * const irq = carrier.addDevice(0x2000000n, 0x200, 33, handler); // before backend state 2
 * irq.raise();
 * carrier.close();
 * ```
 *
 * @module
 */
import { ramBanks } from "../arm/mod.ts";
import type { InterruptLine, MmioHandler } from "../virtio_backend/mod.ts";
import { mapGuestRam } from "../xen/mod.ts";
import { startIoreqServer } from "../xen/mod.ts";
import { XenCallError } from "../xen/mod.ts";
import { openXenCtrl } from "../xen/mod.ts";
import type { FrontendCarrier, OpenFrontendCarrier } from "./carrier.ts";

/** Options of the Xen carrier. */
export interface XenCarrierOptions {
  /** Receives one line per refused request or failed interrupt; default `console.error`. */
  log?: (line: string) => void;
}

/** Returns an {@linkcode OpenFrontendCarrier} for real Xen that logs through `options.log`. */
export function xenFrontendCarrierOpener(options: XenCarrierOptions = {}): OpenFrontendCarrier {
  return (domid) => Promise.resolve(openCarrier(domid, options));
}

/**
 * Opens the carrier for frontend domain `domid` on real Xen, logging to stderr. Throws
 * `NoXenError` without Xen, `IoreqUnsupportedError` when the hypervisor has no IOREQ servers.
 */
export const openXenFrontendCarrier: OpenFrontendCarrier = xenFrontendCarrierOpener();

function openCarrier(domid: number, options: XenCarrierOptions): FrontendCarrier {
  const log = options.log ?? ((line: string) => console.error(line));
  const xc = openXenCtrl();
  let info;
  try {
    info = xc.domainInfo(domid);
  } finally {
    xc.close();
  }
  if (!info) throw new XenCallError("xc_domain_getinfolist", `finding domain ${domid}`, "ESRCH");
  // RAM is the domain's maximum memory split over the banks (spec §3.6); what lies past the
  // populated RAM (libxl's +1 MiB slack) is refused by Xen page by page and becomes a hole.
  const memory = mapGuestRam(domid, ramBanks(BigInt(info.maxMemkb) * 1024n));
  let server;
  try {
    // IOREQ_TYPE_INVALIDATE: the guest's p2m changed, its RAM is remapped in place
    server = startIoreqServer(domid, info.vcpuMaxId + 1, {
      log,
      onInvalidate: () => memory.invalidate(),
    });
  } catch (error) {
    memory.close();
    throw error;
  }
  const ioreq = server;
  let irqErrors = 0;
  return {
    domid,
    memory,
    addDevice(base: bigint, size: number, irq: number, handler: MmioHandler): InterruptLine {
      ioreq.addMmioWindow(base, size, handler);
      try {
        // lowering the line is harmless and proves Xen lets us drive this SPI (Arm dm.c takes
        // only SPIs below the domain's nr_spis that Xen has not allocated itself)
        ioreq.setIrqLevel(irq, 0);
      } catch (error) {
        ioreq.removeMmioWindow(base);
        throw error;
      }
      return {
        raise() {
          // virtio-mmio SPIs are edge-rising (spec §4.3, flags 0xf01): a pulse
          try {
            ioreq.setIrqLevel(irq, 1);
            ioreq.setIrqLevel(irq, 0);
          } catch (error) {
            if (irqErrors++ < 10) {
              log(`domain ${domid}: SPI ${irq}: ${error instanceof Error ? error.message : error}`);
            }
          }
        },
      };
    },
    removeDevice(base: bigint) {
      ioreq.removeMmioWindow(base);
    },
    close() {
      ioreq.close();
      memory.close();
    },
  };
}
