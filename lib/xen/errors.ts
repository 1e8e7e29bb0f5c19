/**
 * Errors from the Xen control libraries: no hypervisor at all, or a failed call.
 *
 * @module
 */
import { XliteError } from "../errors.ts";

/** The text every "this host has no Xen" error starts with. */
export const NO_XEN_MESSAGE = "no Xen hypervisor here; use --dry-run";

/**
 * This host cannot talk to Xen: the control libraries or `/dev/xen/privcmd` are missing.
 * `reason` names what was missing.
 */
export class NoXenError extends XliteError {
  /** What was missing (a library, a device). */
  readonly reason: string;
  /** `reason` names what is missing, e.g. "/dev/xen/privcmd not found". */
  constructor(reason: string) {
    super(`${NO_XEN_MESSAGE} (${reason})`);
    this.name = "NoXenError";
    this.reason = reason;
  }
}

/** A Xen control call failed; `errno` is the C errno name when known (`ESRCH`, `EPERM`, ...). */
export class XenCallError extends XliteError {
  /** The library function that failed (`xc_domain_pause`, ...). */
  readonly call: string;
  /** errno name, or `""` when not known. */
  readonly errno: string;
  /** `call` failed while doing `what` (e.g. "pausing domain 3") with errno name `errno`. */
  constructor(call: string, what: string, errno: string) {
    super(`${what} failed: ${call}: ${errno ? `${errno} (${errnoText(errno)})` : "error"}`);
    this.name = "XenCallError";
    this.call = call;
    this.errno = errno;
  }
}

const ERRNO_NAMES: Record<number, string> = {
  1: "EPERM",
  2: "ENOENT",
  3: "ESRCH",
  5: "EIO",
  11: "EAGAIN",
  12: "ENOMEM",
  13: "EACCES",
  14: "EFAULT",
  16: "EBUSY",
  17: "EEXIST",
  22: "EINVAL",
  28: "ENOSPC",
  38: "ENOSYS",
  95: "EOPNOTSUPP",
};

const ERRNO_TEXTS: Record<string, string> = {
  EPERM: "operation not permitted",
  ENOENT: "no such file or directory",
  ESRCH: "no such domain",
  EIO: "I/O error",
  EAGAIN: "try again",
  ENOMEM: "out of memory",
  EACCES: "permission denied",
  EFAULT: "bad address",
  EBUSY: "busy",
  EEXIST: "already exists",
  EINVAL: "invalid argument",
  ENOSPC: "no space",
  ENOSYS: "not implemented by this Xen",
  EOPNOTSUPP: "not supported",
};

/** The errno name for a Linux errno number (`E<n>` when not in the table). */
export function errnoName(errno: number): string {
  return ERRNO_NAMES[errno] ?? `E${errno}`;
}

function errnoText(name: string): string {
  return ERRNO_TEXTS[name] ?? "error";
}
