/**
 * Typed errors of the FDT layer. Messages follow libxl's log line for a failed libfdt call,
 * `FDT: <call> failed: <n> = <fdt_strerror(n)>` (spec §4.1), or name the misuse instead.
 *
 * @module
 */
import { XliteError } from "../errors.ts";

/** libfdt's `-FDT_ERR_NOSPACE`. */
export const FDT_ERR_NOSPACE = 3;

/** A failed libfdt call or a misuse of the writer, reader or editor. */
export class FdtError extends XliteError {
  /** The libfdt call (or writer method) that failed, e.g. `fdt_begin_node`. */
  readonly call: string;
  /** libfdt's negative error code, when libfdt reported the failure. */
  readonly code: number | undefined;
  /** `call` failed for `reason`; `code` is libfdt's negative error, if any. */
  constructor(call: string, reason: string, code?: number) {
    super(`FDT: ${call} failed: ${reason}`);
    this.name = "FdtError";
    this.call = call;
    this.code = code;
  }
}

/**
 * libfdt ran out of buffer space (`-FDT_ERR_NOSPACE`). libxl restarts the whole tree with
 * twice the buffer size until 1 MiB (spec §4.1).
 */
export class FdtNoSpaceError extends FdtError {
  /** The buffer size that was too small, in bytes. */
  readonly size: number;
  /** `call` ran out of room in a `size`-byte buffer. */
  constructor(call: string, reason: string, size: number) {
    super(call, reason, -FDT_ERR_NOSPACE);
    this.name = "FdtNoSpaceError";
    this.size = size;
  }
}
