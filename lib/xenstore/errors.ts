/**
 * Typed xenstore errors: every failure names the operation, the path and an errno name.
 *
 * @module
 */
import { XliteError } from "../errors.ts";

/**
 * Where an error came from:
 * - `daemon`: the daemon answered `XS_ERROR` (errno from the reply);
 * - `closed`: the connection dropped (or was closed) before the reply;
 * - `malformed`: the daemon sent bytes that break the protocol;
 * - `limit`: a path or value over the protocol limits, refused before sending;
 * - `invalid`: an argument xlite cannot send (empty path, NUL byte, bad permission);
 * - `timeout`: no reply within the client's timeout;
 * - `unavailable`: no xenstore to connect to.
 */
export type XenstoreErrorKind =
  | "daemon"
  | "closed"
  | "malformed"
  | "limit"
  | "invalid"
  | "timeout"
  | "unavailable";

/** Options for {@linkcode XenstoreError}. */
export interface XenstoreErrorOptions {
  /** Operation (`read`, `write`, `transaction_end`, ...). */
  op: string;
  /** The path the operation was about (empty when none). */
  path?: string;
  /** errno name (`ENOENT`, `EAGAIN`, ...). */
  errno: string;
  /** Where the error came from. */
  kind: XenstoreErrorKind;
  /** Extra detail appended to the message. */
  detail?: string;
}

const ERRNO_TEXT: Record<string, string> = {
  EINVAL: "invalid argument",
  EACCES: "permission denied",
  EEXIST: "already exists",
  EISDIR: "is a directory",
  ENOENT: "no such node",
  ENOMEM: "out of memory",
  ENOSPC: "no space (quota)",
  EIO: "I/O error",
  ENOTEMPTY: "not empty",
  ENOSYS: "not supported by the daemon",
  EROFS: "read-only",
  EBUSY: "busy",
  EAGAIN: "transaction conflict, try again",
  EISCONN: "already connected",
  E2BIG: "too big",
  ECONNRESET: "connection closed",
  EPROTO: "malformed reply",
  ETIMEDOUT: "no reply",
  ECONNREFUSED: "cannot connect",
};

/** An errno name with its meaning, as messages show it: `ENOENT (no such node)`. */
export function describeErrno(errno: string): string {
  const reason = ERRNO_TEXT[errno];
  return reason ? `${errno} (${reason})` : errno;
}

/** A failed xenstore operation. */
export class XenstoreError extends XliteError {
  /** Operation (`read`, `write`, `transaction_end`, ...). */
  readonly op: string;
  /** The path the operation was about (empty when none). */
  readonly path: string;
  /** errno name (`ENOENT`, `EAGAIN`, `ECONNRESET`, ...). */
  readonly errno: string;
  /** Where the error came from. */
  readonly kind: XenstoreErrorKind;
  /** Builds the error and its one-line message from `options`. */
  constructor(options: XenstoreErrorOptions) {
    const what = options.path ? `${options.op} ${options.path}` : options.op;
    super(
      `xenstore ${what}: ${describeErrno(options.errno)}` +
        (options.detail ? `: ${options.detail}` : ""),
    );
    this.name = "XenstoreError";
    this.op = options.op;
    this.path = options.path ?? "";
    this.errno = options.errno;
    this.kind = options.kind;
  }
}

/** True when `error` is a `XenstoreError` with errno `errno`. */
export function isXenstoreErrno(error: unknown, errno: string): error is XenstoreError {
  return error instanceof XenstoreError && error.errno === errno;
}
