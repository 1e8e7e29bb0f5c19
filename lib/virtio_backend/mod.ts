/**
 * The virtio device model of `xlite devd`, host side: the virtio-mmio transport, split
 * virtqueues and virtio-blk over raw images, behind the seams in `interfaces.ts` (guest memory,
 * interrupt line, MMIO window) that the Xen side (IOREQ server, foreign mappings) fills in.
 *
 * What a driver gets: virtio 1.x only (VIRTIO_F_VERSION_1 required), one queue of up to 256
 * entries, indirect descriptors, EVENT_IDX, SIZE_MAX (1 MiB), SEG_MAX (queue size - 2),
 * BLK_SIZE (512), FLUSH (fdatasync), RO for a read-only image, DISCARD and WRITE_ZEROES with
 * discard enabled; no VIRTIO_F_ACCESS_PLATFORM (guest memory is mapped directly, not through
 * grants). Requests are served inside the QueueNotify write (see `virtio_mmio.ts`).
 *
 * @example
 * ```ts
 * import { createVirtioBlkDevice, memoryGuestRam, openBlockImage } from "./mod.ts";
 * const memory = memoryGuestRam(0x40000000n, new Uint8Array(1 << 20));
 * const image = openBlockImage("/srv/disk.img", { readOnly: false });
 * const device = createVirtioBlkDevice({ memory, interrupt: { raise() {} }, image, discard: true });
 * device.read(0, 4); // 0x74726976n ("virt")
 * device.close();
 * ```
 *
 * @module
 */
export type { GuestMemory, InterruptLine, MmioHandler } from "./interfaces.ts";
export type { XliteError } from "../errors.ts";
export {
  type BlockImage,
  BlockImageError,
  memoryBlockImage,
  openBlockImage,
} from "./block_image.ts";
export { memoryGuestRam } from "./guest_ram.ts";
export { createVirtioBlkDevice, type VirtioBlkOptions } from "./virtio_blk.ts";
export {
  DEFAULT_QUEUE_SIZE,
  type VirtioMmioDevice,
  XLITE_VIRTIO_VENDOR_ID,
} from "./virtio_mmio.ts";
export { VIRTIO_MMIO_WINDOW_SIZE } from "./virtio_constants.ts";
