/**
 * Serving one virtio disk (spec §2.6's "serve" step): open the image, get the frontend's
 * carrier, make the virtio-blk device and route its window to it. Only when this returns is
 * the device ready for the guest, so the daemon writes InitWait (2) after it. The device
 * sits behind a guard: if the device model throws on a guest access, the access reads as 0,
 * the device stops answering, and one line is reported; the daemon and the other devices
 * carry on.
 *
 * @module
 */
import type { InterruptLine, MmioHandler } from "../virtio_backend/mod.ts";
import { VIRTIO_MMIO_DEV_SIZE } from "../arm/mod.ts";
import type { CarrierPool } from "./carrier_pool.ts";
import type { BlockImage, DevdParts, VirtioMmioDevice } from "./device_model.ts";
import {
  BackendConfigError,
  ERRNO,
  errnoOf,
  type VirtioDiskBackend,
} from "./virtio_disk_config.ts";

/** A disk being served. */
export interface ServedDisk {
  /** What is served. */
  readonly disk: VirtioDiskBackend;
  /** The image's size in bytes. */
  readonly sizeBytes: bigint;
  /** Set once the device model threw: its accesses are ignored from then on. */
  readonly faulted: boolean;
  /** Stops routing the window, closes device and image, gives the carrier back. */
  stop(): void;
}

/** Hooks of {@linkcode serveVirtioDisk}. */
export interface ServeHooks {
  /** The device model threw on a guest access (called once per device). */
  onFault(error: unknown): void;
  /** The device model's own one-line complaints (bad requests from the guest). */
  deviceLog(line: string): void;
}

function message(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/**
 * The first line of `error`'s message, prefixed with `what` unless it already names
 * `subject` (the device model's image errors name their path).
 */
function failure(
  what: string,
  error: unknown,
  errno?: number,
  subject?: string,
): BackendConfigError {
  if (error instanceof BackendConfigError) return error;
  // Deno's "No such file or directory (os error 2): open '/x'" → "No such file or directory"
  const text = message(error).split("\n")[0].replace(/ \(os error \d+\).*$/, "");
  const line = subject !== undefined && text.includes(subject) ? text : `${what}: ${text}`;
  return new BackendConfigError(errno ?? errnoOf(error), line);
}

/**
 * Serves `disk` on its frontend's carrier; throws {@linkcode BackendConfigError} (image not
 * openable, carrier not available, window or SPI taken) after undoing what it did.
 */
export async function serveVirtioDisk<I extends BlockImage>(
  disk: VirtioDiskBackend,
  pool: CarrierPool,
  parts: DevdParts<I>,
  hooks: ServeHooks,
): Promise<ServedDisk> {
  const { frontendDomid: domid, base, irq } = disk;
  let image: I;
  try {
    image = parts.openImage(disk.params, { readOnly: disk.readOnly });
  } catch (error) {
    throw failure(`cannot open ${disk.params}`, error, undefined, disk.params);
  }
  let carrier;
  try {
    carrier = await pool.acquire(domid, base, irq);
  } catch (error) {
    image.close();
    throw failure(`cannot serve domain ${domid}`, error);
  }
  let line: InterruptLine | undefined;
  let device: VirtioMmioDevice;
  try {
    device = parts.createDevice({
      memory: carrier.memory,
      interrupt: { raise: () => line?.raise() },
      image,
      discard: disk.discard,
      log: hooks.deviceLog,
    });
  } catch (error) {
    pool.release(domid, base, irq);
    image.close();
    throw failure("cannot create the virtio-blk device", error, ERRNO.EIO);
  }
  let faulted = false;
  const fault = (error: unknown) => {
    if (faulted) return;
    faulted = true;
    hooks.onFault(error);
  };
  const guarded: MmioHandler = {
    read(offset, size) {
      if (faulted) return 0n;
      try {
        return device.read(offset, size);
      } catch (error) {
        fault(error);
        return 0n;
      }
    },
    write(offset, size, value) {
      if (faulted) return;
      try {
        device.write(offset, size, value);
      } catch (error) {
        fault(error);
      }
    },
  };
  try {
    line = carrier.addDevice(base, Number(VIRTIO_MMIO_DEV_SIZE), irq, guarded);
  } catch (error) {
    closeQuietly(device, image);
    pool.release(domid, base, irq);
    throw failure(`cannot route base 0x${base.toString(16)} irq ${irq}`, error, ERRNO.EIO);
  }
  let stopped = false;
  return {
    disk,
    sizeBytes: image.sizeBytes,
    get faulted() {
      return faulted;
    },
    stop() {
      if (stopped) return;
      stopped = true;
      faulted = true; // no access reaches the device once it is being closed
      try {
        carrier.removeDevice(base);
      } catch {
        // the carrier may be gone with its domain; the device is closed anyway
      }
      closeQuietly(device, image);
      pool.release(domid, base, irq);
    },
  };
}

function closeQuietly(device: VirtioMmioDevice, image: BlockImage): void {
  try {
    device.close();
  } catch {
    // a device that throws on close is still dropped
  }
  try {
    image.close();
  } catch {
    // already closed
  }
}
