/**
 * xl disk specifications: parsing (WASM engine), libxl's JSON, defaults and backend
 * selection, and virtual-disk numbers (spec §1–§2).
 *
 * @module
 */
export { parseDiskSpec, parseDiskSpecs } from "./parse.ts";
export type { DiskGrammar, ParseDiskSpecOptions } from "./parse.ts";
export { DiskSpecError, formatProblem, formatProblems, MAX_MESSAGE } from "./disk_spec_error.ts";
export type { DiskSpecProblem } from "./disk_spec_error.ts";
export { diskToLibxlJson } from "./libxl_json.ts";
export { setDiskDefaults, statTarget } from "./defaults.ts";
export type { DiskDefaultsOptions, TargetKind } from "./defaults.ts";
export { devidToVdev, vdevToDevid } from "./vdev.ts";
export type {
  DiskBackend,
  DiskFormat,
  DiskSpec,
  DiskSpecification,
  DiskTransport,
} from "./types.ts";
export type { XliteError } from "../errors.ts";
