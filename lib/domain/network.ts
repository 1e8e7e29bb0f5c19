/**
 * Network interfaces of a running domain, as libxl handles them for `xl network-attach`,
 * `network-detach` and `network-list` (spec §5; `libxl_nic.c`, `xl_nic.c`): domain lookup,
 * backend resolution, nic defaults, the next free devid, the plan and its transaction
 * (`lib/devices`), the hotplug script, and xl's error lines. The CLI only parses and prints.
 *
 * @module
 */
import type { VifDevice } from "../config/types.ts";
import {
  addDevice,
  cStrtoul,
  DeviceError,
  listNics as listDomainNics,
  nicDeviceRef,
  type NicInfo,
  nicInfo,
  parseMac,
  planNicAdd,
  removeDevice,
  setNicDefaults,
  xlFailure,
} from "../devices/mod.ts";
import { XliteError } from "../errors.ts";
import type { XenstoreClient, XenstoreOps } from "../xenstore/mod.ts";
import { DEFAULT_XEN_VERSION, type XenVersion } from "../xen_version/mod.ts";
import { type DeviceRow, deviceRows } from "./device_rows.ts";
import { domainExists, DomainQualifierError, resolveDomain } from "./resolve.ts";

/** Options of {@linkcode attachNic}. */
export interface AttachNicOptions {
  /** The Xen release whose xenstore layout to write (default 4.17). */
  release?: XenVersion;
  /** How long the backend gets to reach state 2 (default libxl's 10 s). */
  timeoutMs?: number;
}

/**
 * `libxl__device_nextid`: one more than the last entry of `/libxl/<domid>/device/vif`
 * (xenstore's order), or 0 when there is none.
 */
export async function nextNicDevid(xs: XenstoreOps, domid: number): Promise<number> {
  const names = await xs.tryDirectory(`/libxl/${domid}/device/vif`);
  return names.length === 0 ? 0 : cStrtoul(names[names.length - 1], 10) + 1;
}

/**
 * `libxl_device_nic_add` for the running domain `domid`: backend resolved, defaults set
 * (a MAC made up when none was given), devid chosen, written in one transaction, then the
 * wait for the backend and the hotplug script. Failures are the lines xl prints
 * (`libxl_device_nic_add failed.`); a failed add leaves no xenstore node behind. Returns the
 * nic as added.
 *
 * @example
 * ```ts
 * await attachNic(xs, 3, parseVifWords(["bridge=xenbr0", "mac=00:16:3e:00:00:07"]));
 * ```
 */
export async function attachNic(
  xs: XenstoreClient,
  domid: number,
  nic: VifDevice,
  options: AttachNicOptions = {},
): Promise<VifDevice> {
  try {
    if (!(await domainExists(xs, domid))) {
      throw new DeviceError("ERROR_FAIL", `unable to get domain type for domid=${domid}`);
    }
    let resolved = nic;
    if (nic.backendDomname !== undefined) {
      try {
        resolved = { ...nic, backendDomid: await resolveDomain(xs, nic.backendDomname) };
      } catch (error) {
        if (!(error instanceof DomainQualifierError)) throw error;
        // libxl__resolve_domid fails silently; only the ao completion logs.
        throw new DeviceError("ERROR_INVAL", "unable to add device");
      }
    }
    const defaulted = setNicDefaults(resolved, { domid });
    if (defaulted.devid === -1) defaulted.devid = await nextNicDevid(xs, domid);
    const plan = planNicAdd(defaulted, domid, { release: options.release ?? DEFAULT_XEN_VERSION });
    await addDevice(xs, plan, { timeoutMs: options.timeoutMs });
    return defaulted;
  } catch (error) {
    throw xlFailure(error, "libxl_device_nic_add failed.");
  }
}

/** Options of {@linkcode detachNic}. */
export interface DetachNicOptions {
  /** How long the backend gets to reach state 6 (default libxl's 10 s). */
  timeoutMs?: number;
}

/**
 * The nic `which` of `domid` as `xl network-detach` finds it: a devid (C `atoi`) unless the
 * text has a `:`, then a MAC (`libxl_mac_to_device_nic`). `undefined` when there is none (or
 * the list or the MAC cannot be read).
 */
export async function findNic(
  xs: XenstoreOps,
  domid: number,
  which: string,
): Promise<VifDevice | undefined> {
  let nics: VifDevice[];
  try {
    nics = await listDomainNics(xs, domid);
  } catch (error) {
    if (error instanceof XliteError) return undefined;
    throw error;
  }
  if (!which.includes(":")) {
    const devid = cStrtoul(which, 10) | 0;
    return nics.find((nic) => nic.devid === devid);
  }
  const mac = parseMac(which);
  if (!mac) return undefined;
  return nics.find((nic) => nic.mac.every((b, i) => b === mac[i]));
}

/**
 * `xl network-detach DOM DEVID|MAC`: finds the domain and the nic, then
 * `libxl_device_nic_remove` (libxl's automatic force: a backend that does not close in time
 * is removed by force). Failures are the lines xl prints (`Unknown device <x>.`,
 * `libxl_device_nic_del failed.`).
 *
 * @example
 * ```ts
 * await detachNic(xs, "guest1", "00:16:3e:00:00:07");
 * ```
 */
export async function detachNic(
  xs: XenstoreClient,
  qualifier: string,
  which: string,
  options: DetachNicOptions = {},
): Promise<void> {
  let domid: number;
  try {
    domid = await resolveDomain(xs, qualifier);
  } catch (error) {
    if (!(error instanceof DomainQualifierError)) throw error;
    throw new XliteError(`${error.message} (rc=${error.rc})`, { verbatim: true });
  }
  const nic = await findNic(xs, domid, which);
  if (!nic) throw new XliteError(`Unknown device ${which}.`, { verbatim: true });
  try {
    await removeDevice(xs, nicDeviceRef(nic, domid), {
      force: "auto",
      timeoutMs: options.timeoutMs,
    });
  } catch (error) {
    throw xlFailure(error, "libxl_device_nic_del failed.");
  }
}

/** One row of `xl network-list`: a nic and its connection state. */
export type NicRow = DeviceRow<VifDevice, NicInfo>;

/**
 * The nics of the domain `domid` with their connection state, as `xl network-list` lists
 * them: a nic whose state cannot be read is left out silently, as xl does. Throws
 * `DeviceError` when the domain's nics cannot be listed (xl then prints no row for it).
 */
export async function listNics(xs: XenstoreClient, domid: number): Promise<NicRow[]> {
  return await deviceRows(await listDomainNics(xs, domid), (nic) => nicInfo(xs, domid, nic));
}
