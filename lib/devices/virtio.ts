/**
 * How a generic `virtio = [...]` device is written to and read from xenstore, as libxl's
 * `libxl__device_add` + `libxl__set_xenstore_virtio` and `libxl__virtio_from_xenstore` do
 * (spec §2.9).
 *
 * @module
 */
import { VIRTIO_DEVICE_TYPE_GENERIC } from "../arm/mod.ts";
import type { VirtioDevice } from "../config/mod.ts";
import { XenbusStateInitialising } from "../xenstore/mod.ts";
import { cStrtoul } from "./c_numbers.ts";
import { DeviceError } from "./errors.ts";
import { backendPathDomid } from "./paths.ts";
import type { KeyValue } from "./types.ts";

/** C `printf("%#" PRIx64)`: `0x2000000`, but plain `0` for zero. */
function hexWithPrefix(value: bigint): string {
  return value === 0n ? "0" : `0x${value.toString(16)}`;
}

/** The grant_usage default: true iff the backend is not the toolstack domain (spec §2.9). */
export function virtioGrantUsage(device: VirtioDevice): boolean {
  return device.grantUsage ?? device.backendDomid !== 0;
}

/**
 * The backend keys of a generic virtio device in libxl's order, without `frontend` (spec
 * §2.9): `base` is hex with `0x` here, unlike disks.
 */
export function virtioBackendEntries(device: VirtioDevice, domid: number): KeyValue[] {
  return [
    ["frontend-id", String(domid)],
    ["online", "1"],
    ["state", String(XenbusStateInitialising)],
    ["irq", String(device.irq)],
    ["base", hexWithPrefix(device.base)],
    // glibc prints a NULL %s as "(null)", which is what libxl writes for a missing type.
    ["type", device.type ?? "(null)"],
    ["transport", device.transport],
    ["grant_usage", virtioGrantUsage(device) ? "1" : "0"],
  ];
}

/** The frontend keys of a generic virtio device, without `backend` (spec §2.9). */
export function virtioFrontendEntries(device: VirtioDevice): KeyValue[] {
  return [
    ["backend-id", String(device.backendDomid)],
    ["state", String(XenbusStateInitialising)],
  ];
}

/**
 * `libxl__virtio_from_xenstore` (spec §2.9): a device from its backend directory's keys.
 * `backendPath` is the `backend` key of the libxl directory (mandatory).
 */
export function virtioFromEntries(
  backendPath: string | undefined,
  entries: Readonly<Record<string, string>>,
  devid: number,
  libxlPath: string,
): VirtioDevice {
  if (backendPath === undefined) {
    throw new DeviceError(
      "ERROR_FAIL",
      `xenstore read failed: \`${libxlPath}/backend': No such file or directory`,
    );
  }
  const backendDomid = backendPathDomid(backendPath);
  if (backendDomid === undefined) {
    throw new DeviceError("ERROR_FAIL", `internal error: backend path ${backendPath} unparseable!`);
  }
  const device: VirtioDevice = { backendDomid, transport: "unknown", devid, irq: 0, base: 0n };
  if (entries["irq"] !== undefined) device.irq = cStrtoul(entries["irq"], 0);
  if (entries["base"] !== undefined) device.base = BigInt(cStrtoul(entries["base"], 0));
  if (entries["transport"] !== undefined) {
    if (entries["transport"] !== "mmio") {
      throw new DeviceError("ERROR_INVAL", `${backendPath}/transport: not mmio`);
    }
    device.transport = "mmio";
  }
  if (entries["grant_usage"] !== undefined) {
    device.grantUsage = cStrtoul(entries["grant_usage"], 0) !== 0;
  }
  if (entries["type"] !== undefined) {
    if (!entries["type"].startsWith(VIRTIO_DEVICE_TYPE_GENERIC)) {
      throw new DeviceError(
        "ERROR_INVAL",
        `${backendPath}/type: does not start with ${VIRTIO_DEVICE_TYPE_GENERIC}`,
      );
    }
    device.type = entries["type"];
  }
  return device;
}
