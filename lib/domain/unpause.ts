/**
 * `xl unpause`: let a paused domain run again (`libxl_domain_unpause`: `xc_domain_unpause`).
 *
 * @module
 */
import type { XenCtrl } from "../xen/mod.ts";
import { DomainNotFoundError } from "./domain_errors.ts";

/** Unpauses domain `domid`; {@linkcode DomainNotFoundError} when there is no such domain. */
export function unpauseDomain(xc: XenCtrl, domid: number): void {
  if (!xc.domainInfo(domid)) throw new DomainNotFoundError(domid, "unpause");
  xc.unpause(domid);
}
