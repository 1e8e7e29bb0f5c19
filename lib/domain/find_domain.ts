/**
 * xl's `find_domain`: the `DOM` argument of pause, unpause, shutdown, destroy and list as a
 * domid, failing with xl's own line `<DOM> is an invalid domain identifier (rc=<rc>)`.
 *
 * @module
 */
import type { XenstoreOps } from "../xenstore/mod.ts";
import { XliteError } from "../errors.ts";
import { DomainQualifierError, resolveDomain } from "./resolve.ts";

/** Resolves `qualifier` (digits: a domid as is; else a name) the way xl's `find_domain` does. */
export async function findDomain(xs: XenstoreOps, qualifier: string): Promise<number> {
  try {
    return await resolveDomain(xs, qualifier);
  } catch (error) {
    if (!(error instanceof DomainQualifierError)) throw error;
    throw new XliteError(`${qualifier} is an invalid domain identifier (rc=${error.rc})`, {
      verbatim: true,
    });
  }
}
