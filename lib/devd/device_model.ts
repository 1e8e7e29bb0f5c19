/**
 * What `xlite devd` needs from the virtio device model (lib/virtio_backend): an image opener
 * and a virtio-blk device factory. The daemon takes them as parameters, so tests and the
 * production wiring (lib/cli/devd.ts) choose the implementation; the shapes match
 * lib/virtio_backend's `openBlockImage` and `createVirtioBlkDevice`.
 *
 * @module
 */
import type { GuestMemory, InterruptLine, MmioHandler } from "../virtio_backend/mod.ts";
import type { OpenFrontendCarrier } from "./carrier.ts";

/** A disk image opened for a backend (raw file or block device). */
export interface BlockImage {
  /** The path it was opened from (the backend's `params`). */
  readonly path: string;
  /** Its size in bytes (the virtio-blk capacity is this / 512). */
  readonly sizeBytes: bigint;
  /** Opened read-only (`mode=r`). */
  readonly readOnly: boolean;
  /** Closes the image. */
  close(): void;
}

/** Opens `path`; throws an error with one line for the user when it cannot be opened. */
export type OpenBlockImage<I extends BlockImage = BlockImage> = (
  path: string,
  options: { readOnly: boolean },
) => I;

/** A virtio-mmio device: its register window, plus reset and close. */
export interface VirtioMmioDevice extends MmioHandler {
  /** Back to the state after creation (the driver wrote 0 to Status). */
  reset(): void;
  /** Stops the device; it touches neither guest memory nor the image afterwards. */
  close(): void;
}

/** What a virtio-blk device is made of (`I`: the image type the opener returns). */
export interface VirtioBlkOptions<I extends BlockImage = BlockImage> {
  /** The frontend's RAM. */
  memory: GuestMemory;
  /** The device's SPI. */
  interrupt: InterruptLine;
  /** The image served (the device may close it on `close()`). */
  image: I;
  /** `discard-enable=1`: offer DISCARD and WRITE_ZEROES. */
  discard: boolean;
  /** The GET_ID answer (at most 20 bytes). */
  serial?: string;
  /** Where the device's one-line complaints go. */
  log?: (line: string) => void;
}

/** Makes a virtio-blk device over `options.image`. */
export type CreateVirtioBlkDevice<I extends BlockImage = BlockImage> = (
  options: VirtioBlkOptions<I>,
) => VirtioMmioDevice;

/**
 * Everything the daemon gets from outside: the hypervisor side and the device model. The
 * image the opener returns is the one the device gets, so `I` ties the two together.
 */
export interface DevdParts<I extends BlockImage = BlockImage> {
  /** Opens the hypervisor side for one frontend domain (lib/devd/xen_carrier.ts on Xen). */
  openCarrier: OpenFrontendCarrier;
  /** Opens a disk image (lib/virtio_backend's `openBlockImage`). */
  openImage: OpenBlockImage<I>;
  /** Makes a virtio-blk device (lib/virtio_backend's `createVirtioBlkDevice`). */
  createDevice: CreateVirtioBlkDevice<I>;
}
