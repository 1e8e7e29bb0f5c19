/**
 * Flattened device trees over libfdt compiled to WebAssembly (`wasm/libfdt.wasm`): a
 * sequential writer, a reader, `dtc -I dtb -O dts`-identical source text, and an editor for
 * libxl-style finalisation.
 *
 * @module
 */
export type { FdtWriter } from "./types.ts";
export type { XliteError } from "../errors.ts";
export { FDT_ERR_NOSPACE, FdtError, FdtNoSpaceError } from "./fdt_error.ts";
export * from "./fdt_format.ts";
export {
  createFdtWriter,
  type CreateFdtWriterOptions,
  FDT_WRITER_MAX_SIZE,
  type FdtSequentialWriter,
} from "./fdt_writer.ts";
export {
  buildFdt,
  type BuildFdtOptions,
  type BuiltFdt,
  FDT_INITIAL_SIZE,
  FDT_MAX_SIZE,
} from "./build_fdt.ts";
export {
  type FdtNode,
  type FdtProperty,
  type FdtReservation,
  type FdtTree,
  readFdt,
} from "./fdt_reader.ts";
export { toDts, treeToDts } from "./fdt_dts.ts";
export { editFdt, type FdtEditor } from "./fdt_editor.ts";
export { libfdtHeapTop } from "./libfdt_wasm.ts";
