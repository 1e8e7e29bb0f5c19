/**
 * Errors of the lifecycle operations, with xl's texts where xl has one.
 *
 * @module
 */
import { XliteError } from "../errors.ts";

/** libxl's `ERROR_DOMAIN_NOTFOUND`. */
export const ERROR_DOMAIN_NOTFOUND: number = -21;

/** The hypervisor has no domain with this id. */
export class DomainNotFoundError extends XliteError {
  /** The domain id asked for. */
  readonly domid: number;
  /** `what` is the operation (`pause`, `destroy`, ...). */
  constructor(domid: number, what: string) {
    super(`${what}: domain ${domid} does not exist`);
    this.name = "DomainNotFoundError";
    this.domid = domid;
  }
}
