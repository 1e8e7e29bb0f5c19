/**
 * The error of a domain config value xl (or xlite, where xl would carry on wrongly) refuses.
 *
 * @module
 */
import { XliteError } from "../errors.ts";

/** A value xl (or xlite, where xl would carry on wrongly) refuses. */
export class DomainConfigError extends XliteError {
  /** Makes the error; `message` is printed as is. */
  constructor(message: string) {
    super(message, { verbatim: true });
    this.name = "DomainConfigError";
  }
}
