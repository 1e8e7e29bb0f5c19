/**
 * Turning the `DOM` argument of a command into a domid the way xl does
 * (`libxl_domain_qualifier_to_domid`): all digits is a domid, anything else a domain name
 * looked up in xenstore (`/local/domain/<domid>/name`).
 *
 * @module
 */
import { XliteError } from "../errors.ts";
import type { XenstoreOps } from "../xenstore/mod.ts";

/** libxl's `ERROR_INVAL`: what a name that matches no domain returns (`rc=-6` in xl). */
export const ERROR_INVAL: number = -6;

/** A `DOM` argument that names no domain; `rc` is libxl's return code. */
export class DomainQualifierError extends XliteError {
  /** The argument as given. */
  readonly qualifier: string;
  /** libxl's return code (`ERROR_INVAL`). */
  readonly rc: number;
  /** `qualifier` as the user gave it; `rc` what libxl returned. */
  constructor(qualifier: string, rc = ERROR_INVAL) {
    super(`${qualifier} is an invalid domain identifier`, { verbatim: true });
    this.name = "DomainQualifierError";
    this.qualifier = qualifier;
    this.rc = rc;
  }
}

/** The domids xenstore knows: the children of `/local/domain` that are numbers. */
export async function listDomids(xs: XenstoreOps): Promise<number[]> {
  const names = await xs.tryDirectory("/local/domain");
  return names.filter((name) => /^\d+$/.test(name)).map(Number).sort((a, b) => a - b);
}

/** `libxl_domid_to_name`: `/local/domain/<domid>/name`, if any. */
export async function domainName(xs: XenstoreOps, domid: number): Promise<string | undefined> {
  return await xs.tryRead(`/local/domain/${domid}/name`);
}

/** True when xenstore has a `/local/domain/<domid>` directory (xlite's "domain exists"). */
export async function domainExists(xs: XenstoreOps, domid: number): Promise<boolean> {
  return await xs.exists(`/local/domain/${domid}`);
}

/**
 * The domid of an all-digit qualifier, without asking xenstore (`undefined` for a name):
 * C `strtoul(text, NULL, 10)` stored into a `uint32_t` (saturates, then wraps). libxl's
 * digit loop also accepts the empty string, as domid 0.
 */
export function numericDomid(qualifier: string): number | undefined {
  if (!/^[0-9]*$/.test(qualifier)) return undefined;
  if (qualifier === "") return 0;
  const value = BigInt(qualifier);
  const ulong = value > 0xffff_ffff_ffff_ffffn ? 0xffff_ffff_ffff_ffffn : value;
  return Number(ulong & 0xffff_ffffn);
}

/**
 * `libxl_domain_qualifier_to_domid`: digits (even none: libxl's loop accepts the empty
 * string as domid 0) are the domid as is, unchecked; otherwise the first domain, in domid
 * order, whose xenstore `name` equals `qualifier`. Throws {@linkcode DomainQualifierError}.
 *
 * @example
 * ```ts
 * const domid = await resolveDomain(xs, "guest1"); // 5
 * ```
 */
export async function resolveDomain(xs: XenstoreOps, qualifier: string): Promise<number> {
  const numeric = numericDomid(qualifier);
  if (numeric !== undefined) return numeric;
  const domids = await listDomids(xs);
  const names = await Promise.all(domids.map((domid) => domainName(xs, domid))); // pipelined
  const index = names.indexOf(qualifier);
  if (index >= 0) return domids[index];
  throw new DomainQualifierError(qualifier);
}
