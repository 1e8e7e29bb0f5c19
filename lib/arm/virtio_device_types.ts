/**
 * The `type` strings libxl gives generic virtio devices (`VIRTIO_DEVICE_TYPE_*`,
 * tools/libs/light/libxl_internal.h; spec §2.9): the guest device tree names a node's
 * `compatible` from them and the device layer checks a backend's `type` against them.
 *
 * @module
 */

/** `VIRTIO_DEVICE_TYPE_GENERIC`: what every generic virtio `type` starts with. */
export const VIRTIO_DEVICE_TYPE_GENERIC = "virtio,device";
/** `VIRTIO_DEVICE_TYPE_I2C`: a virtio I2C adapter (virtio device id 34). */
export const VIRTIO_DEVICE_TYPE_I2C = "virtio,device22";
/** `VIRTIO_DEVICE_TYPE_GPIO`: a virtio GPIO controller (virtio device id 41). */
export const VIRTIO_DEVICE_TYPE_GPIO = "virtio,device29";
