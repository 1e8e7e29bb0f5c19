/**
 * xl configuration: the `xl.cfg` language (libxlutil-compatible reader, overrides,
 * getters) and the Arm guest's {@linkcode DomainConfig} built from it.
 *
 * @module
 */
export {
  findSetting,
  getList,
  getLong,
  getString,
  getStringList,
  parseXlCfg,
  parseXlCfgFile,
  readXlCfg,
  strtol,
  withOverrides,
  XlCfgError,
} from "./xl_cfg.ts";
export type {
  Lookup,
  ParseXlCfgOptions,
  XlCfgReadResult,
  XlCfgSetting,
  XlCfgValue,
  XlConfig,
} from "./xl_cfg.ts";
export { DomainConfigError, parseDomainConfig, readDomainConfig } from "./domain_config.ts";
export type { ParseDomainConfigOptions } from "./domain_config.ts";
export { parseVirtioSpec, VirtioSpecError } from "./virtio_spec.ts";
export type { VirtioSpecOptions } from "./virtio_spec.ts";
export {
  applyVifSetting,
  emptyVif,
  parseVifRate,
  parseVifSpec,
  parseVifWords,
  VifSpecError,
} from "./vif_spec.ts";
export { KNOWN_XL_KEYS } from "./xl_keys.ts";
export type * from "./types.ts";
export type { XenVersion } from "../xen_version/mod.ts";
export type {
  DiskBackend,
  DiskFormat,
  DiskSpec,
  DiskSpecification,
  DiskTransport,
} from "../disk/mod.ts";
export type { XliteError } from "../errors.ts";
