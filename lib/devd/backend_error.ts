/**
 * How a backend tells the toolstack that a device failed, as Linux's backends do through
 * `xenbus_dev_fatal` (drivers/xen/xenbus/xenbus_client.c): the text `<errno> <reason>` goes to
 * the node `error` of `error/<nodename>` in the backend domain's home
 * (`/local/domain/<b>/error/backend/virtio_disk/<fe>/<devid>/error`), and the backend switches
 * to Closing (5). libxl's add wait then times out as for a failed blkback (spec §2.6), and its
 * removal (online=0) gets Closed (6) from the daemon.
 *
 * @module
 */
import type { XenstoreClient } from "../xenstore/mod.ts";
import { pathCleanup } from "../devices/mod.ts";
import { XenbusStateClosing } from "../xenstore/mod.ts";

/** Where `xenbus_dev_error` writes for the backend at `backendPath` (absolute). */
export function backendErrorPath(backendPath: string): string {
  const match = /^(\/local\/domain\/\d+)\/(backend\/.+)$/.exec(backendPath);
  if (!match) throw new Error(`not a backend path: ${backendPath}`);
  return `${match[1]}/error/${match[2]}/error`;
}

/**
 * `xenbus_dev_fatal`: writes `<errno> <message>` to the error node and, if the backend
 * directory still exists, `state=5` (never recreating a directory the toolstack removed),
 * in one transaction.
 */
export async function reportBackendFatal(
  xs: XenstoreClient,
  backendPath: string,
  errno: number,
  message: string,
): Promise<void> {
  // one transaction, so whoever sees the error node also sees the state
  await xs.transaction(async (tx) => {
    await tx.write(backendErrorPath(backendPath), `${errno} ${message}`);
    if ((await tx.tryRead(`${backendPath}/state`)) === undefined) return;
    await tx.write(`${backendPath}/state`, String(XenbusStateClosing));
  });
}

/** Removes the device's error node (and its parents once empty), e.g. when it is re-added. */
export async function clearBackendError(xs: XenstoreClient, backendPath: string): Promise<void> {
  const node = backendErrorPath(backendPath);
  if (!(await xs.exists(node))) return;
  await xs.transaction((tx) => pathCleanup(tx, node.slice(0, -"/error".length)));
}
