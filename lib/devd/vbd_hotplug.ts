/**
 * PV disks (`vbd`) served by this domain's blkback, as `xl devd` handles them in a driver
 * domain (libxl_device.c `backend_watch_callback`, RELEASE-4.17.0): a new device is tracked
 * and, once blkback reached InitWait (2, within 10 s), its `script` runs with `add`
 * (lib/devices/hotplug.ts: env `script`, `XENBUS_TYPE`, `XENBUS_PATH`, `XENBUS_BASE_PATH`;
 * the script itself writes `hotplug-status`, or `hotplug-error` when it fails). When the
 * toolstack removes it (`state=6` and `online=0`), the script runs with `remove` (errors
 * ignored, as libxl does) and the driver domain removes the backend directory
 * (`libxl__device_destroy`), which the toolstack's removal waits for (spec §2.6).
 *
 * In dom0 the toolstack (`xl`/`xlite create`, `block-attach`) runs these scripts itself, so
 * the daemon leaves them alone there (libxl runs them where backend domid = own domid).
 *
 * @module
 */
import type { XenstoreClient } from "../xenstore/mod.ts";
import { cAtoi } from "../devices/mod.ts";
import { LIBXL_DEVICE_TIMEOUT_MS, waitForState } from "../devices/mod.ts";
import { XenbusStateClosed, XenbusStateInitWait } from "../xenstore/mod.ts";
import { LIBXL_HOTPLUG_TIMEOUT_MS, runHotplugScript } from "../devices/mod.ts";
import { destroyDevice } from "../devices/mod.ts";
import type { DeviceRef } from "../devices/mod.ts";
import type { DevdLog } from "./log.ts";

/** The disk backend kinds whose hotplug script libxl runs (`vbd3` is 4.19's tap kind). */
export const HOTPLUG_DISK_KINDS = ["vbd", "vbd3"] as const;

/** The PV disks of one driver domain, tracked as `xl devd` does. */
export interface VbdHotplug {
  /** Looks at the device at `backendPath` again (after a watch event on it). */
  update(backendPath: string, device: DeviceRef): Promise<void>;
  /** The backend paths whose `add` script ran successfully. */
  added(): string[];
  /** Settles when no add is in progress. */
  settled(): Promise<void>;
}

/** Timeouts (libxl's defaults when absent). */
export interface VbdHotplugOptions {
  /** Wait for InitWait (`LIBXL_INIT_TIMEOUT`). */
  initTimeoutMs?: number;
  /** A script's run time (`LIBXL_HOTPLUG_TIMEOUT`). */
  scriptTimeoutMs?: number;
}

interface Tracked {
  device: DeviceRef;
  adding: Promise<void>;
  added: boolean;
}

/** Tracks the PV disks of driver domain `domid`. */
export function createVbdHotplug(
  xs: XenstoreClient,
  domid: number,
  log: DevdLog,
  options: VbdHotplugOptions = {},
): VbdHotplug {
  const tracked = new Map<string, Tracked>();
  const initTimeoutMs = options.initTimeoutMs ?? LIBXL_DEVICE_TIMEOUT_MS;
  const scriptTimeoutMs = options.scriptTimeoutMs ?? LIBXL_HOTPLUG_TIMEOUT_MS;
  const fields = (path: string, device: DeviceRef) => ({
    domid: device.domid,
    devid: device.devid,
    backend: path,
  });

  const add = async (path: string, entry: Tracked) => {
    const outcome = await waitForState(xs, `${path}/state`, XenbusStateInitWait, initTimeoutMs);
    if (outcome !== "reached") {
      log.error(
        `${path}: unable to add device (backend state 2 ${outcome})`,
        fields(path, entry.device),
      );
      return;
    }
    try {
      await runHotplugScript(xs, entry.device, "add", scriptTimeoutMs);
      entry.added = true;
      log.info(`${path}: hotplug script add done`, fields(path, entry.device));
    } catch (error) {
      log.error(
        `${path}: hotplug script add failed: ${(error as Error).message}`,
        fields(path, entry.device),
      );
    }
  };

  const remove = async (path: string, entry: Tracked) => {
    tracked.delete(path);
    await entry.adding;
    try {
      await runHotplugScript(xs, entry.device, "remove", scriptTimeoutMs);
    } catch (error) {
      // libxl ignores a failing remove and goes on with the removal
      log.warn(
        `${path}: hotplug script remove failed: ${(error as Error).message}`,
        fields(path, entry.device),
      );
    }
    await destroyDevice(xs, entry.device, domid);
    log.info(`${path}: removed`, fields(path, entry.device));
  };

  return {
    async update(path, device) {
      const [state, online] = await Promise.all([
        xs.tryRead(`${path}/state`),
        xs.tryRead(`${path}/online`),
      ]);
      // libxl skips events until both nodes exist
      if (state === undefined || online === undefined) return;
      const entry = tracked.get(path);
      const closed = cAtoi(state) === XenbusStateClosed;
      if (entry === undefined) {
        if (closed) return; // spurious: already disconnected or never attached
        const fresh: Tracked = { device, adding: Promise.resolve(), added: false };
        tracked.set(path, fresh);
        fresh.adding = add(path, fresh);
        return;
      }
      if (closed && cAtoi(online) === 0) await remove(path, entry);
    },
    added: () => [...tracked].filter(([, t]) => t.added).map(([p]) => p),
    async settled() {
      await Promise.all([...tracked.values()].map((t) => t.adding));
    },
  };
}
