/**
 * Where a device lives in xenstore: libxl's path templates (spec §2.4, `libxl_device.c`).
 *
 * @module
 */
import type { DevicePaths, DeviceRef } from "./types.ts";

/** `/local/domain/<domid>`: what `xs_get_domain_path` returns for a domain. */
export function domainPath(domid: number): string {
  return `/local/domain/${domid}`;
}

/** `/libxl/<domid>`: libxl's private directory for a domain. */
export function libxlDomainPath(domid: number): string {
  return `/libxl/${domid}`;
}

/** The frontend, backend and libxl directories of `device` (spec §2.4). */
export function devicePaths(device: DeviceRef): DevicePaths {
  const { domid, devid, backendDomid, kind, backendKind } = device;
  return {
    frontend: `${domainPath(domid)}/device/${kind}/${devid}`,
    backend: `${domainPath(backendDomid)}/backend/${backendKind}/${domid}/${devid}`,
    libxl: `${libxlDomainPath(domid)}/device/${kind}/${devid}`,
  };
}

/**
 * The backend domid of a backend path, as `libxl__backendpath_parse_domid` reads it
 * (`/local/domain/%u` followed by `/`); `undefined` when it does not parse.
 */
export function backendPathDomid(backendPath: string): number | undefined {
  const match = /^\/local\/domain\/\+?(\d+)\//.exec(backendPath);
  if (!match) return undefined;
  const domid = Number(match[1]);
  return domid <= 0xffffffff ? domid : undefined;
}

/**
 * Splits a backend path `/local/domain/<b>/backend/<kind>/<domid>/<devid>` as
 * `libxl__parse_backend_path` does (kind at most 15 characters); `undefined` when it does not
 * parse.
 */
export function parseBackendPath(
  backendPath: string,
): { backendDomid: number; backendKind: string; domid: number; devid: number } | undefined {
  const match = /^\/local\/domain\/(\d+)\/backend\/([^/]{1,15})\/(\d+)\/(-?\d+)/.exec(backendPath);
  if (!match) return undefined;
  return {
    backendDomid: Number(match[1]),
    backendKind: match[2],
    domid: Number(match[3]),
    devid: Number(match[4]),
  };
}
