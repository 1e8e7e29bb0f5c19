/**
 * `xl rename` (`libxl_domain_rename` in `tools/libs/light/libxl_domain.c`): a new, unique
 * name in `/local/domain/<domid>/name` and `/vm/<uuid>/name`, in one transaction. The stored
 * configuration (`xl list -l`) is left as libxl leaves it.
 *
 * @module
 */
import type { XenCtrl } from "../xen/xenctrl.ts";
import type { XenstoreClient } from "../xenstore/mod.ts";
import { XliteError } from "../errors.ts";
import { domainName } from "./resolve.ts";

/** xl's `Can't rename domain '<DOM>'.` after libxl's reason. */
export class RenameError extends XliteError {
  /** `dom` as the user gave it; `reason` libxl's log line. */
  constructor(dom: string, reason: string) {
    super(`libxl: error: ${reason}\nCan't rename domain '${dom}'.`, { verbatim: true });
    this.name = "RenameError";
  }
}

/** `libxl_name_to_domid`: the first domain Xen lists whose xenstore name is `name`. */
export async function nameToDomid(
  xc: XenCtrl,
  xs: XenstoreClient,
  name: string,
): Promise<number | undefined> {
  const domids = xc.listDomains().map((d) => d.domid);
  const names = await Promise.all(domids.map((domid) => domainName(xs, domid)));
  const index = names.indexOf(name);
  return index >= 0 ? domids[index] : undefined;
}

/** Renames domain `domid` (named `dom` by the user) to `newName`. */
export async function renameDomain(
  xc: XenCtrl,
  xs: XenstoreClient,
  domid: number,
  dom: string,
  newName: string,
): Promise<void> {
  if (newName !== "") {
    const holder = await nameToDomid(xc, xs, newName);
    if (holder !== undefined && holder !== domid) {
      throw new RenameError(dom, `Domain with name "${newName}" already exists.`);
    }
  }
  const info = xc.domainInfo(domid);
  if (!info) throw new RenameError(dom, `domain ${domid} does not exist`);
  await xs.transaction(async (tx) => {
    await tx.write(`/local/domain/${domid}/name`, newName);
    await tx.write(`/vm/${info.uuid}/name`, newName);
  });
}
