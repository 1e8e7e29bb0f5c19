/**
 * The device layer's error: libxl's log text plus the libxl error code it returns.
 *
 * @module
 */
import { XliteError } from "../errors.ts";

/** libxl's error codes the device layer returns (`libxl_types.idl`, `libxl_error`; checked against Debian's `_libxl_types.h`). */
export type LibxlErrorCode =
  | "ERROR_FAIL"
  | "ERROR_INVAL"
  | "ERROR_TIMEDOUT"
  | "ERROR_NOTFOUND"
  | "ERROR_DEVICE_EXISTS";

/** libxl's numeric values for {@linkcode LibxlErrorCode} (xl prints them as `rc=%d`). */
export const LIBXL_ERROR_NUMBERS: Readonly<Record<LibxlErrorCode, number>> = {
  ERROR_FAIL: -3,
  ERROR_INVAL: -6,
  ERROR_TIMEDOUT: -9,
  ERROR_NOTFOUND: -23,
  ERROR_DEVICE_EXISTS: -17,
};

/**
 * A device operation failed the way libxl fails it: `message` is the text libxl logs at
 * ERROR level (e.g. `device already exists in xenstore`), `code` what it returns.
 */
export class DeviceError extends XliteError {
  /** The libxl error code. */
  readonly code: LibxlErrorCode;
  /** The guest the operation was for, when known (libxl prefixes `Domain <id>:`). */
  readonly domid?: number;
  /** False when libxl fails this way without logging anything (xl then prints only its line). */
  readonly logged: boolean;
  /** `message` is libxl's log text; `logged: false` when libxl logs nothing for it. */
  constructor(
    code: LibxlErrorCode,
    message: string,
    options: { domid?: number; logged?: boolean } = {},
  ) {
    super(message);
    this.name = "DeviceError";
    this.code = code;
    this.domid = options.domid;
    this.logged = options.logged ?? true;
  }

  /** The line libxl's logger prints for this error: `libxl: error: Domain 5:<message>`. */
  get logLine(): string {
    const prefix = this.domid === undefined ? "" : `Domain ${this.domid}:`;
    return `libxl: error: ${prefix}${this.message}`;
  }
}

/**
 * The messages of `libxl__device_disk_setdefault` that libxl logs with the guest's domid
 * (`LOGD`, so its line reads `Domain <id>:<message>`); its other messages carry none.
 */
const DOMAIN_LOGGED = new Set([
  "Transport is only supported for specification virtio",
  "Unsupported transport for specification virtio",
  "Hotplug isn't supported for specification virtio",
]);

/**
 * A failure from the disk layer's defaults (an `XliteError` with libxl's text) as the
 * device error libxl reports for guest `domid`.
 */
export function asDeviceError(error: unknown, domid: number): unknown {
  if (!(error instanceof XliteError) || error instanceof DeviceError) return error;
  return new DeviceError("ERROR_INVAL", error.message, {
    domid: DOMAIN_LOGGED.has(error.message) ? domid : undefined,
  });
}

/**
 * What xl prints when a libxl call fails: libxl's log line for the cause, then xl's own line
 * (`libxl_device_disk_add failed.`). Returned as one verbatim `XliteError` for the CLI.
 * Errors that are not `XliteError`s (bugs) are returned unchanged.
 */
export function xlFailure(error: unknown, xlLine: string): unknown {
  if (!(error instanceof XliteError)) return error;
  if (error instanceof DeviceError && !error.logged) {
    return new XliteError(xlLine, { verbatim: true });
  }
  const log = error instanceof DeviceError ? error.logLine : `libxl: error: ${error.message}`;
  return new XliteError(`${log}\n${xlLine}`, { verbatim: true });
}
