/**
 * The rows `xl block-list` and `xl network-list` print (spec §5): each device of a domain
 * with its connection state (`libxl_device_<kind>_getinfo`). One piece for both kinds.
 *
 * @module
 */
import { XliteError } from "../errors.ts";

/** One row of `xl block-list` / `xl network-list`: a device and its connection state. */
export interface DeviceRow<D, I> {
  /** The device as libxl reads it back. */
  device: D;
  /** `libxl_device_<kind>_getinfo`. */
  info: I;
}

/**
 * The devices listed (`libxl_device_<kind>_list`, whose failure is the caller's), each with
 * its `getinfo`: a device whose state cannot be read is left out silently, as xl does.
 *
 * @example
 * ```ts
 * const rows = await deviceRows(await listNics(xs, 3), (nic) => nicInfo(xs, 3, nic));
 * ```
 */
export async function deviceRows<D, I>(
  devices: D[],
  getinfo: (device: D) => Promise<I>,
): Promise<DeviceRow<D, I>[]> {
  const rows: DeviceRow<D, I>[] = [];
  for (const device of devices) {
    try {
      rows.push({ device, info: await getinfo(device) });
    } catch (error) {
      if (!(error instanceof XliteError)) throw error;
      // libxl_device_<kind>_getinfo failed: xl skips the row silently
    }
  }
  return rows;
}
