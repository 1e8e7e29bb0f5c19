/**
 * `xl destroy`: tear a domain down the way `libxl_domain_destroy` does (`libxl__destroy_domid`,
 * `devices_destroy_cb`): pause it; remove every device listed under `/libxl/<domid>/device`
 * (backend `online=0`, `state=5`, wait for `state=6` up to 10 s each, then clean the
 * directories even when a backend never answers); remove `/vm/<uuid>`, `/local/domain/<domid>`,
 * `/libxl/<domid>` and the stored userdata files; then `xc_domain_destroy`. Block hotplug
 * scripts are not run (libxl runs the `block` script's `remove` for a PV disk; on the testbed
 * a file-backed disk's loop device is released all the same once blkback lets go of it).
 *
 * @module
 */
import type { XenCtrl } from "../xen/mod.ts";
import type { XenstoreClient } from "../xenstore/mod.ts";
import { destroyDevice, parseBackendPath, removeDevice } from "../devices/mod.ts";
import type { DeviceRef } from "../devices/mod.ts";
import { DomainNotFoundError } from "./domain_errors.ts";

/** Options for {@linkcode destroyDomain}. */
export interface DestroyOptions {
  /** How long each backend gets to close (default libxl's 10 s). */
  deviceTimeoutMs?: number;
  /** Where libxl keeps userdata files (default `/var/lib/xen`). */
  userdataDir?: string;
}

/** The devices libxl recorded for `domid` (`/libxl/<domid>/device/<kind>/<devid>/backend`). */
export async function recordedDevices(xs: XenstoreClient, domid: number): Promise<DeviceRef[]> {
  const devices: DeviceRef[] = [];
  for (const kind of await xs.tryDirectory(`/libxl/${domid}/device`)) {
    for (const devid of await xs.tryDirectory(`/libxl/${domid}/device/${kind}`)) {
      const backend = await xs.tryRead(`/libxl/${domid}/device/${kind}/${devid}/backend`);
      const parsed = backend === undefined ? undefined : parseBackendPath(backend);
      if (!parsed) continue; // libxl skips entries it cannot parse
      devices.push({
        domid,
        devid: Number(devid),
        backendDomid: parsed.backendDomid,
        kind,
        backendKind: parsed.backendKind,
      });
    }
  }
  return devices;
}

/**
 * Destroys domain `domid`. Device removals that time out do not stop the destruction (libxl
 * reports them and carries on); their messages are returned.
 */
export async function destroyDomain(
  xc: XenCtrl,
  xs: XenstoreClient,
  domid: number,
  options: DestroyOptions = {},
): Promise<string[]> {
  const info = xc.domainInfo(domid);
  if (!info) throw new DomainNotFoundError(domid, "destroy");
  const problems: string[] = [];
  try {
    xc.pause(domid);
  } catch (error) {
    problems.push((error as Error).message);
  }
  const devices = await recordedDevices(xs, domid);
  // Consoles are removed at once, without the backend handshake (libxl__devices_destroy).
  const results = await Promise.allSettled(
    devices.map((device) =>
      device.backendKind === "console"
        ? destroyDevice(xs, device)
        : removeDevice(xs, device, { force: "on", timeoutMs: options.deviceTimeoutMs })
    ),
  );
  for (const result of results) {
    if (result.status === "rejected") problems.push((result.reason as Error).message);
  }
  const domainPath = `/local/domain/${domid}`;
  const vm = await xs.tryRead(`${domainPath}/vm`);
  if (vm) await xs.tryRm(vm);
  await xs.tryRm(domainPath);
  await xs.tryRm(`/libxl/${domid}`);
  await removeUserdata(domid, options.userdataDir ?? "/var/lib/xen");
  xc.destroy(domid);
  return problems;
}

/** `libxl__userdata_destroyall`: removes `userdata-d.<domid>.*` files. */
async function removeUserdata(domid: number, dir: string): Promise<void> {
  try {
    for await (const entry of Deno.readDir(dir)) {
      if (entry.name.startsWith(`userdata-d.${domid}.`)) await Deno.remove(`${dir}/${entry.name}`);
    }
  } catch (error) {
    if (!(error instanceof Deno.errors.NotFound)) throw error;
  }
}
