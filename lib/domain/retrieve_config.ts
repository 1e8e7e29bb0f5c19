/**
 * A domain's configuration as `xl list -l` shows it (`libxl_retrieve_domain_configuration`):
 * the JSON libxl stored when it built the domain (userdata `libxl-json`), refreshed with what
 * is true now: the name (xenstore), the memory target (+ `video_memkb`) and maximum (xenstore
 * `memory/`), the online vCPUs (xenstore `cpu/<n>/availability`) and the scheduler
 * parameters (the hypervisor). Device lists are shown as stored.
 *
 * @module
 */
import type { DomainInfo } from "../xen/mod.ts";
import type { XenCtrl } from "../xen/mod.ts";
import { SCHEDULER_NAMES, XEN_SCHEDULER_CREDIT, XEN_SCHEDULER_CREDIT2 } from "../xen/mod.ts";
import type { XenstoreOps } from "../xenstore/mod.ts";
import type { JsonValue } from "../json/mod.ts";

/** A JSON object (keys in order). */
export type JsonObject = { [key: string]: JsonValue };

/** Where libxl keeps a domain's stored data (`libxl__userdata_path`). */
export function userdataPath(domid: number, uuid: string, key = "libxl-json"): string {
  return `/var/lib/xen/userdata-d.${domid}.${uuid}.${key}`;
}

// Field order of libxl_domain_create_info / libxl_domain_build_info (libxl_types.idl, 4.17),
// so a field libxl adds lands where its JSON generator would print it.
const C_INFO_ORDER = ["type", "hap", "oos", "ssidref", "ssid_label", "name", "domid", "uuid"];
const B_INFO_ORDER = [
  "max_vcpus",
  "avail_vcpus",
  "cpumap",
  "nodemap",
  "vcpu_hard_affinity",
  "vcpu_soft_affinity",
  "numa_placement",
  "tsc_mode",
  "max_memkb",
  "target_memkb",
  "video_memkb",
  "shadow_memkb",
  "iommu_memkb",
  "rtc_timeoffset",
  "exec_ssidref",
  "exec_ssid_label",
  "localtime",
  "disable_migrate",
  "cpuid",
  "blkdev_start",
  "vnuma_nodes",
  "max_grant_frames",
  "max_maptrack_frames",
  "max_grant_version",
  "device_model_version",
  "device_model_stubdomain",
  "stubdomain_memkb",
  "stubdomain_kernel",
  "stubdomain_ramdisk",
  "device_model",
  "device_model_ssidref",
  "device_model_ssid_label",
  "device_model_user",
  "extra",
  "extra_pv",
  "extra_hvm",
  "sched_params",
];

/** Sets `key` in `object`, keeping `order` for a key that was not there yet. */
export function setOrdered(
  object: JsonObject,
  key: string,
  value: JsonValue,
  order: string[],
): JsonObject {
  if (key in object) {
    object[key] = value;
    return object;
  }
  const after = order.slice(order.indexOf(key) + 1);
  const entries = Object.entries(object);
  let at = entries.findIndex(([k]) => after.includes(k));
  if (order.indexOf(key) < 0 || at < 0) at = entries.length;
  entries.splice(at, 0, [key, value]);
  return Object.fromEntries(entries);
}

/** `libxl_domain_sched_params` as libxl prints it for the domain's scheduler. */
export function schedParams(xc: XenCtrl, domid: number): JsonObject | undefined {
  const id = xc.schedulerId();
  const sched = SCHEDULER_NAMES[id];
  if (sched === undefined) return undefined;
  if (id !== XEN_SCHEDULER_CREDIT && id !== XEN_SCHEDULER_CREDIT2) return { sched };
  const { weight, cap } = xc.creditParams(domid, id === XEN_SCHEDULER_CREDIT2);
  return { sched, weight, cap };
}

/**
 * The refreshed configuration of `info`'s domain, or `undefined` when libxl stored none
 * (such domains are left out of `xl list -l`).
 */
export async function retrieveDomainConfig(
  xc: XenCtrl,
  xs: XenstoreOps,
  info: DomainInfo,
): Promise<JsonValue | undefined> {
  let text: string;
  try {
    text = await Deno.readTextFile(userdataPath(info.domid, info.uuid));
  } catch {
    return undefined;
  }
  // libxl stores the JSON text with its terminating NUL.
  const config = JSON.parse(text.replace(/\0+$/, "")) as JsonObject;
  const name = await xs.tryRead(`/local/domain/${info.domid}/name`);
  const cInfo = (config.c_info ?? {}) as JsonObject;
  if (name !== undefined) config.c_info = setOrdered(cInfo, "name", name, C_INFO_ORDER);
  let bInfo = (config.b_info ?? {}) as JsonObject;
  const target = await xs.tryRead(`/local/domain/${info.domid}/memory/target`);
  const max = await xs.tryRead(`/local/domain/${info.domid}/memory/static-max`);
  if (target !== undefined && max !== undefined) {
    // libxl adds video_memkb to the target; unset, it is LIBXL_MEMKB_DEFAULT (~0 = -1).
    const video = typeof bInfo.video_memkb === "number" ? bInfo.video_memkb : -1;
    bInfo = setOrdered(bInfo, "max_memkb", Number(max), B_INFO_ORDER);
    bInfo = setOrdered(bInfo, "target_memkb", Number(target) + video, B_INFO_ORDER);
  }
  // Online vCPUs as the guest set them (libxl__update_avail_vcpus_xenstore, PV/PVH).
  if (typeof bInfo.max_vcpus === "number") {
    const online: number[] = [];
    for (let cpu = 0; cpu < bInfo.max_vcpus; cpu++) {
      const path = `/local/domain/${info.domid}/cpu/${cpu}/availability`;
      if ((await xs.tryRead(path)) === "online") online.push(cpu);
    }
    bInfo = setOrdered(bInfo, "avail_vcpus", online, B_INFO_ORDER);
  }
  const sched = schedParams(xc, info.domid);
  if (sched) bInfo = setOrdered(bInfo, "sched_params", sched, B_INFO_ORDER);
  config.b_info = bInfo;
  return config;
}
