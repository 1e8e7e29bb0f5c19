/**
 * Xenstore node permissions: the strings `n0`, `r1`, `w2`, `b3` (none / read / write /
 * both, then a domid). The first entry names the owner and what every other domain may do;
 * later entries grant one domain its access (docs/misc/xenstore.txt, "PERMISSIONS").
 *
 * @module
 */
import { XenstoreError } from "./errors.ts";

/** Access letter: none, read, write, both. */
export type XsAccess = "n" | "r" | "w" | "b";

/** One permission entry. */
export interface XsPermission {
  /** The domain this entry is about (the owner for the first entry). */
  domid: number;
  /** What it may do. */
  access: XsAccess;
}

/** Parses one permission string such as `r5`; throws `XenstoreError` (kind `invalid`). */
export function parsePermission(text: string, path = ""): XsPermission {
  const m = /^([nrwb])(\d+)$/.exec(text);
  const domid = m ? Number(m[2]) : NaN;
  if (!m || domid > 0xffff) {
    throw new XenstoreError({
      op: "set_perms",
      path,
      errno: "EINVAL",
      kind: "invalid",
      detail: `bad permission '${text}' (want n|r|w|b followed by a domid)`,
    });
  }
  return { access: m[1] as XsAccess, domid };
}

/** Formats an entry as the wire and the tools write it: `b0`. */
export function formatPermission(perm: XsPermission): string {
  return `${perm.access}${perm.domid}`;
}
