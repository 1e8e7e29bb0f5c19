/**
 * The Xen version xlite emulates (`--xen-version`, spec §4.6), one vocabulary for every
 * layer that depends on it.
 *
 * @module
 */
export {
  atLeast,
  compareXenVersion,
  DEFAULT_XEN_VERSION,
  formatXenVersion,
  parseXenVersion,
} from "./xen_version.ts";
export type { XenVersion } from "./xen_version.ts";
export {
  defaultXenVersion,
  readHostXenVersion,
  SYS_HYPERVISOR,
  xenVersionOption,
} from "./host_version.ts";
export type { HostXenVersion } from "./host_version.ts";
