/**
 * The JSON libxl prints for a disk (`libxl_device_disk_to_json`, as `xl block-attach -N`
 * and `xl create -N` show it): yajl with beautify on (4-space indent, a newline at the
 * end), fields in IDL order, every field at its default omitted (spec §2.1).
 *
 * @module
 */
import type { DiskSpec } from "./types.ts";
import { yajlString as jsonString } from "../json/mod.ts";

/** libxl_defbool_to_string: "True" / "False" (the default is omitted). */
function defbool(b: boolean): string {
  return b ? '"True"' : '"False"';
}

/**
 * The JSON `libxl_device_disk_to_json` returns for `disk` (Xen 4.19+ field set, so
 * `grant_usage` appears when set), byte for byte, including the final newline.
 *
 * @example
 * ```ts
 * diskToLibxlJson(parseDiskSpec("/dev/vg/d1,raw,xvda"));
 * // '{\n    "pdev_path": "/dev/vg/d1",\n    "vdev": "xvda",\n    "format": "raw",\n    "readwrite": 1\n}\n'
 * ```
 */
export function diskToLibxlJson(disk: DiskSpec): string {
  const fields: string[] = [];
  const put = (key: string, value: string) => fields.push(`    "${key}": ${value}`);
  const str = (key: string, v: string | undefined) => {
    if (v !== undefined) put(key, jsonString(v));
  };
  const int = (key: string, v: number | bigint) => {
    if (v) put(key, String(v));
  };
  const enm = (key: string, v: string) => {
    if (v !== "unknown") put(key, `"${v}"`);
  };
  const dbool = (key: string, v: boolean | undefined) => {
    if (v !== undefined) put(key, defbool(v));
  };
  int("backend_domid", disk.backendDomid);
  str("backend_domname", disk.backendDomname);
  str("pdev_path", disk.pdevPath);
  str("vdev", disk.vdev);
  enm("backend", disk.backend);
  enm("format", disk.format);
  str("script", disk.script);
  int("removable", disk.removable);
  int("readwrite", disk.readwrite);
  int("is_cdrom", disk.isCdrom);
  if (disk.directIoSafe) put("direct_io_safe", "true");
  dbool("discard_enable", disk.discardEnable);
  enm("specification", disk.specification);
  enm("transport", disk.transport);
  int("irq", disk.irq);
  int("base", disk.base);
  dbool("colo_enable", disk.coloEnable);
  dbool("colo_restore_enable", disk.coloRestoreEnable);
  str("colo_host", disk.coloHost);
  int("colo_port", disk.coloPort);
  str("colo_export", disk.coloExport);
  str("active_disk", disk.activeDisk);
  str("hidden_disk", disk.hiddenDisk);
  dbool("trusted", disk.trusted);
  dbool("grant_usage", disk.grantUsage);
  return fields.length === 0 ? "{\n\n}\n" : `{\n${fields.join(",\n")}\n}\n`;
}
