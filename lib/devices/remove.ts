/**
 * Removing a device the way libxl does (spec §2.6): one transaction writes backend
 * `online=0` and `state=5`, then the backend must reach `state=6` within 10 s; afterwards
 * (or when forced) the frontend, libxl and — for the toolstack's own backends — backend
 * directories are cleaned in one transaction (`libxl__initiate_device_generic_remove`,
 * `device_backend_callback`, `device_hotplug_done`, `libxl__device_destroy`).
 *
 * @module
 */
import {
  XenbusStateClosed,
  XenbusStateClosing,
  type XenstoreClient,
  type XenstoreOps,
} from "../xenstore/mod.ts";
import { LIBXL_DEVICE_TIMEOUT_MS, waitForRemoval, waitForState } from "./backend_state.ts";
import { cAtoi } from "./c_numbers.ts";
import { deviceKindByBackend } from "./device_kinds.ts";
import { runHotplugScript } from "./hotplug.ts";
import { DeviceError } from "./errors.ts";
import { devicePaths } from "./paths.ts";
import type { DeviceRef } from "./types.ts";

/**
 * libxl's force modes: `off` (`*_safe_remove`, `xl block-detach`): a backend that never
 * closes is an error and nothing is cleaned; `auto` (`*_remove`): on timeout, retry forced;
 * `on` (`*_destroy`, `xl block-detach -f`): the frontend goes first and everything is
 * cleaned even when the backend never answers (the timeout is still reported).
 */
export type ForceMode = "off" | "auto" | "on";

/** Options for {@linkcode removeDevice}. */
export interface RemoveOptions {
  /** See {@linkcode ForceMode} (default `off`). */
  force?: ForceMode;
  /** How long the backend gets to reach `state=6` (default 10 s). */
  timeoutMs?: number;
  /** The domain xlite runs in (default 0, the toolstack domain). */
  toolstackDomid?: number;
  /** Run the hotplug script (`remove`) of kinds that have one (default true). */
  hotplugScripts?: boolean;
}

/**
 * `libxl__xs_path_cleanup`: removes `path`, then each parent left empty, inside `tx`.
 * Errors are ignored as libxl ignores them.
 */
export async function pathCleanup(tx: XenstoreOps, path: string): Promise<void> {
  try {
    await tx.rm(path);
  } catch {
    return;
  }
  for (let p = path.slice(0, path.lastIndexOf("/")); p !== ""; p = p.slice(0, p.lastIndexOf("/"))) {
    let children: string[];
    try {
      children = await tx.directory(p);
    } catch {
      return;
    }
    if (children.length !== 0) return;
    try {
      await tx.rm(p);
    } catch {
      return;
    }
  }
}

/**
 * `libxl__device_destroy`: in one transaction, the toolstack removes the frontend and libxl
 * directories, and the backend directory when it serves the device itself.
 */
export async function destroyDevice(
  xs: XenstoreClient,
  device: DeviceRef,
  toolstackDomid = 0,
): Promise<void> {
  const paths = devicePaths(device);
  await xs.transaction(async (tx) => {
    if (toolstackDomid === 0) {
      await pathCleanup(tx, paths.frontend);
      await pathCleanup(tx, paths.libxl);
    }
    if (device.backendDomid === toolstackDomid) await pathCleanup(tx, paths.backend);
  });
}

/** One pass of `libxl__initiate_device_generic_remove`; "gone" when no backend state. */
async function closeBackend(
  xs: XenstoreClient,
  device: DeviceRef,
  forceFrontend: boolean,
): Promise<"closing" | "gone"> {
  const paths = devicePaths(device);
  return await xs.transaction(async (tx) => {
    if (forceFrontend) await pathCleanup(tx, paths.frontend);
    const state = await tx.tryRead(`${paths.backend}/state`);
    // No backend state: the backend is assumed gone; libxl aborts this transaction.
    if (state === undefined) throw new BackendGone();
    await tx.write(`${paths.backend}/online`, "0");
    if (cAtoi(state) !== XenbusStateClosed) {
      await tx.write(`${paths.backend}/state`, String(XenbusStateClosing));
    }
    return "closing" as const;
  }).catch((error) => {
    if (error instanceof BackendGone) return "gone" as const;
    throw error;
  });
}

/** Internal marker: aborts the closing transaction when the backend has no state. */
class BackendGone extends Error {}

/**
 * Removes `device` as libxl's generic remove does; throws {@linkcode DeviceError} with
 * libxl's message (`unable to remove device with path <backend>`) when the backend does not
 * close in time (after cleaning everything if `force` is `on` or became `on`).
 */
export async function removeDevice(
  xs: XenstoreClient,
  device: DeviceRef,
  options: RemoveOptions = {},
): Promise<void> {
  let force = options.force ?? "off";
  const timeoutMs = options.timeoutMs ?? LIBXL_DEVICE_TIMEOUT_MS;
  const toolstackDomid = options.toolstackDomid ?? 0;
  const paths = devicePaths(device);
  let failure: DeviceError | undefined;
  for (;;) {
    if ((await closeBackend(xs, device, force === "on")) === "gone") break;
    let outcome = await waitForState(xs, `${paths.backend}/state`, XenbusStateClosed, timeoutMs);
    // A driver domain that cleans up quickly can remove its whole backend directory before
    // our read of state=6 lands. libxl reports "unable to remove device" in that race; the
    // directory being gone is exactly what the wait below is for, so xlite takes it as closed.
    if (outcome === "removed" && device.backendDomid !== toolstackDomid) outcome = "reached";
    if (outcome === "timeout" && force === "auto") {
      force = "on"; // "Timeout reached, initiating forced remove"
      continue;
    }
    if (outcome !== "reached") {
      failure = new DeviceError(
        outcome === "timeout" ? "ERROR_TIMEDOUT" : "ERROR_INVAL",
        `unable to remove device with path ${paths.backend}`,
        { domid: device.domid },
      );
      break;
    }
    if (device.backendDomid === toolstackDomid) {
      const kind = deviceKindByBackend(device.backendKind);
      if (kind?.runsHotplugScript && (options.hotplugScripts ?? true)) {
        // libxl logs a failing remove script and carries on.
        await runHotplugScript(xs, device, "remove").catch(() => {});
      }
    } else {
      // A driver domain cleans its own backend directory; libxl waits for that.
      if ((await waitForRemoval(xs, paths.backend, timeoutMs)) === "timeout") {
        failure = new DeviceError(
          "ERROR_TIMEDOUT",
          `timed out while waiting for ${paths.backend} to be removed`,
          { domid: device.domid },
        );
      }
    }
    break;
  }
  if (!failure || force === "on") await destroyDevice(xs, device, toolstackDomid);
  if (failure) throw failure;
}
