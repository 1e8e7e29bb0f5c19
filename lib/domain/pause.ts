/**
 * `xl pause`: stop a domain's vCPUs (`libxl_domain_pause`: `xc_domain_pause`; Arm guests have
 * no device model to pause). Pauses nest: each pause needs its own unpause.
 *
 * @module
 */
import type { XenCtrl } from "../xen/mod.ts";
import { DomainNotFoundError } from "./domain_errors.ts";

/** Pauses domain `domid`; {@linkcode DomainNotFoundError} when there is no such domain. */
export function pauseDomain(xc: XenCtrl, domid: number): void {
  if (!xc.domainInfo(domid)) throw new DomainNotFoundError(domid, "pause");
  xc.pause(domid);
}
