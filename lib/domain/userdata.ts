/**
 * The domain config libxl keeps for each domain it built: the userdata file
 * `/var/lib/xen/userdata-d.<domid>.<uuid>.libxl-json` (`libxl__set_domain_configuration`),
 * which `xl list -l`, `xl block-attach` and friends read back — as does xlite's
 * `retrieve_config.ts`. Writing it makes an xlite guest manageable by xl.
 *
 * @module
 */
import type { DomainConfig } from "../config/mod.ts";
import type { JsonValue } from "../json/mod.ts";
import { yajlBeautify } from "../json/mod.ts";
import { XliteError } from "../errors.ts";
import { domainConfigToXlJson, toPlain } from "./xl_json.ts";
import { type JsonObject, setOrdered, userdataPath } from "./retrieve_config.ts";

/** `INVALID_DOMID` (libxl.h): xl leaves `c_info.domid` at it unless a domid is asked for. */
const INVALID_DOMID = 4294967295;

/** Inserts `key` right after `after` (libxl's IDL order), or replaces its value. */
function insertAfter(object: JsonObject, after: string, key: string, value: JsonValue): JsonObject {
  if (key in object) return { ...object, [key]: value };
  const entries = Object.entries(object);
  const at = entries.findIndex(([k]) => k === after);
  entries.splice(at < 0 ? entries.length : at + 1, 0, [key, value]);
  return Object.fromEntries(entries);
}

/**
 * The text libxl stores for a domain built from `config`: the config as the user gave it
 * (what `xl -N` prints), plus what libxl filled in (`libxl__update_domain_configuration`):
 * the uuid, `c_info.domid` (`INVALID_DOMID`), `b_info.video_memkb` (0 for PVH) and each
 * disk's `colo_restore_enable` (false), as the golden `xl list -l` files show. yajl's
 * beautified layout, a final newline and the terminating NUL libxl stores with it.
 */
export function domainUserdataJson(config: DomainConfig, uuid: string): string {
  const disks = config.disks.map((disk) => ({
    ...disk,
    coloRestoreEnable: disk.coloRestoreEnable ?? false,
  }));
  const plain = toPlain(domainConfigToXlJson({ ...config, disks }, uuid)) as JsonObject;
  plain.c_info = setOrdered(plain.c_info as JsonObject, "domid", INVALID_DOMID, [
    "name",
    "domid",
    "uuid",
  ]);
  plain.c_info = setOrdered(plain.c_info as JsonObject, "uuid", uuid, ["uuid"]);
  plain.b_info = insertAfter(plain.b_info as JsonObject, "target_memkb", "video_memkb", 0);
  return `${yajlBeautify(plain)}\n\0`;
}

/**
 * Stores `config` as libxl's userdata for domain `domid` (mode 0600, written to a temp file
 * and renamed into place, as `libxl__userdata_store` does). Returns the path.
 */
export async function writeDomainUserdata(
  domid: number,
  uuid: string,
  config: DomainConfig,
  dir = "/var/lib/xen",
): Promise<string> {
  const path = dir === "/var/lib/xen"
    ? userdataPath(domid, uuid)
    : `${dir}/userdata-d.${domid}.${uuid}.libxl-json`;
  const tmp = `${path}.new`;
  try {
    await Deno.writeTextFile(tmp, domainUserdataJson(config, uuid), { mode: 0o600 });
    await Deno.rename(tmp, path);
  } catch (error) {
    await Deno.remove(tmp).catch(() => {});
    throw new XliteError(`cannot store the domain config in ${path}: ${(error as Error).message}`);
  }
  return path;
}
