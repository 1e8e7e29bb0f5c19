/**
 * Numbers from the virtio 1.2 specification (OASIS, virtio-v1.2-cs01) and Linux's
 * `include/uapi/linux/virtio_{config,ring,mmio,blk}.h`, named as those headers name them.
 * Everything a virtio device model and its transport agree on with a guest's driver.
 *
 * @module
 */

/** `virtio_mmio.h`: register offsets of the virtio-mmio transport, version 2 (spec §4.2.2). */
export const VIRTIO_MMIO = {
  MAGIC_VALUE: 0x000,
  VERSION: 0x004,
  DEVICE_ID: 0x008,
  VENDOR_ID: 0x00c,
  DEVICE_FEATURES: 0x010,
  DEVICE_FEATURES_SEL: 0x014,
  DRIVER_FEATURES: 0x020,
  DRIVER_FEATURES_SEL: 0x024,
  QUEUE_SEL: 0x030,
  QUEUE_NUM_MAX: 0x034,
  QUEUE_NUM: 0x038,
  QUEUE_READY: 0x044,
  QUEUE_NOTIFY: 0x050,
  INTERRUPT_STATUS: 0x060,
  INTERRUPT_ACK: 0x064,
  STATUS: 0x070,
  QUEUE_DESC_LOW: 0x080,
  QUEUE_DESC_HIGH: 0x084,
  QUEUE_AVAIL_LOW: 0x090,
  QUEUE_AVAIL_HIGH: 0x094,
  QUEUE_USED_LOW: 0x0a0,
  QUEUE_USED_HIGH: 0x0a4,
  SHM_SEL: 0x0ac,
  SHM_LEN_LOW: 0x0b0,
  SHM_LEN_HIGH: 0x0b4,
  SHM_BASE_LOW: 0x0b8,
  SHM_BASE_HIGH: 0x0bc,
  QUEUE_RESET: 0x0c0,
  CONFIG_GENERATION: 0x0fc,
  CONFIG: 0x100,
} as const;

/** The virtio-mmio window's size as libxl allocates it (spec §3.4: `VIRTIO_MMIO_DEV_SIZE`). */
export const VIRTIO_MMIO_WINDOW_SIZE = 0x200;

/** `MagicValue`: "virt" in little-endian. */
export const VIRTIO_MMIO_MAGIC = 0x74726976;

/** `Version`: 2 is the virtio 1.x (non-legacy) register layout. */
export const VIRTIO_MMIO_VERSION = 2;

/** `InterruptStatus` bits (spec §4.2.2). */
export const VIRTIO_MMIO_INT_VRING = 1;
/** `InterruptStatus`: the configuration changed (also: the device needs a reset). */
export const VIRTIO_MMIO_INT_CONFIG = 2;

/** `virtio_config.h`: device status bits (spec §2.1). */
export const VIRTIO_CONFIG_S = {
  ACKNOWLEDGE: 1,
  DRIVER: 2,
  DRIVER_OK: 4,
  FEATURES_OK: 8,
  NEEDS_RESET: 0x40,
  FAILED: 0x80,
} as const;

/** Device-independent feature bits (spec §6). */
export const VIRTIO_F = {
  RING_INDIRECT_DESC: 28,
  RING_EVENT_IDX: 29,
  VERSION_1: 32,
  ACCESS_PLATFORM: 33,
  RING_PACKED: 34,
} as const;

/** `virtio_ring.h`: descriptor flags (spec §2.7.5). */
export const VRING_DESC_F_NEXT = 1;
/** The buffer is device-writable (otherwise device-readable). */
export const VRING_DESC_F_WRITE = 2;
/** The buffer holds a table of indirect descriptors (spec §2.7.5.3). */
export const VRING_DESC_F_INDIRECT = 4;
/** `avail->flags`: the driver does not want interrupts (ignored once EVENT_IDX is on). */
export const VRING_AVAIL_F_NO_INTERRUPT = 1;
/** Size of one split-ring descriptor: addr u64, len u32, flags u16, next u16. */
export const VRING_DESC_SIZE = 16;

/** `virtio_ids.h`: the block device. */
export const VIRTIO_ID_BLOCK = 2;

/** `virtio_blk.h`: feature bits of the block device (spec §5.2.3). */
export const VIRTIO_BLK_F = {
  SIZE_MAX: 1,
  SEG_MAX: 2,
  GEOMETRY: 4,
  RO: 5,
  BLK_SIZE: 6,
  FLUSH: 9,
  TOPOLOGY: 10,
  CONFIG_WCE: 11,
  MQ: 12,
  DISCARD: 13,
  WRITE_ZEROES: 14,
} as const;

/** `virtio_blk.h`: request types (spec §5.2.6). */
export const VIRTIO_BLK_T = {
  IN: 0,
  OUT: 1,
  FLUSH: 4,
  GET_ID: 8,
  GET_LIFETIME: 10,
  DISCARD: 11,
  WRITE_ZEROES: 13,
  SECURE_ERASE: 14,
} as const;

/** `virtio_blk.h`: request status byte values. */
export const VIRTIO_BLK_S = { OK: 0, IOERR: 1, UNSUPP: 2 } as const;

/** `virtio_blk.h`: bytes of the GET_ID answer. */
export const VIRTIO_BLK_ID_BYTES = 20;

/** `virtio_blk.h`: `VIRTIO_BLK_WRITE_ZEROES_FLAG_UNMAP`. */
export const VIRTIO_BLK_WRITE_ZEROES_FLAG_UNMAP = 1;

/** virtio-blk sectors are 512 bytes whatever the block size (spec §5.2.6). */
export const VIRTIO_BLK_SECTOR_SIZE = 512;

/** `virtio_blk.h` `struct virtio_blk_config`: field offsets in the config space (spec §5.2.4). */
export const VIRTIO_BLK_CONFIG = {
  CAPACITY: 0x00,
  SIZE_MAX: 0x08,
  SEG_MAX: 0x0c,
  BLK_SIZE: 0x14,
  MAX_DISCARD_SECTORS: 0x24,
  MAX_DISCARD_SEG: 0x28,
  DISCARD_SECTOR_ALIGNMENT: 0x2c,
  MAX_WRITE_ZEROES_SECTORS: 0x30,
  MAX_WRITE_ZEROES_SEG: 0x34,
  WRITE_ZEROES_MAY_UNMAP: 0x38,
  /** Bytes up to and including the write-zeroes fields (later fields read 0). */
  SIZE: 0x3c,
} as const;
