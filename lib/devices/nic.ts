/**
 * How a network interface (`vif`) is written to and read from xenstore, as libxl's
 * `libxl_nic.c` does it (spec §2.5): `libxl__device_nic_setdefault` (MAC `00:16:3e` + random,
 * bridge `xenbr0`, script `vif-bridge`, MTU 1500), `libxl__set_xenstore_nic` (the netback
 * layout) and `libxl__nic_from_xenstore`.
 *
 * @module
 */
import type { VifDevice } from "../config/types.ts";
import { yajlString } from "../json/mod.ts";
import { XenbusStateInitialising } from "../xenstore/mod.ts";
import { cAtoi } from "./c_numbers.ts";
import { XEN_SCRIPT_DIR } from "./device_kinds.ts";
import { DeviceError } from "./errors.ts";
import { backendPathDomid } from "./paths.ts";
import type { DeviceRef, KeyValue } from "./types.ts";

/** `LIBXL_DEVICE_NIC_MTU_DEFAULT` */
export const NIC_MTU_DEFAULT = 1500;

/** Xen's OUI, the first three bytes of every MAC libxl makes up. */
export const XEN_OUI: readonly number[] = [0x00, 0x16, 0x3e];

/** `LIBXL_MAC_FMT`: six lower-case hex bytes joined by `:`. */
export function formatMac(mac: readonly number[]): string {
  return mac.map((b) => b.toString(16).padStart(2, "0")).join(":");
}

/**
 * `libxl__parse_mac`: exactly six two-digit hex bytes separated by `:`; `undefined` when the
 * text is not one (libxl's `ERROR_INVAL`).
 */
export function parseMac(text: string): number[] | undefined {
  const m =
    /^([0-9a-fA-F]{2}):([0-9a-fA-F]{2}):([0-9a-fA-F]{2}):([0-9a-fA-F]{2}):([0-9a-fA-F]{2}):([0-9a-fA-F]{2})(:.*)?$/
      .exec(text);
  return m ? m.slice(1, 7).map((h) => parseInt(h, 16)) : undefined;
}

/** Options of {@linkcode setNicDefaults}. */
export interface NicDefaultsOptions {
  /** The guest (libxl logs refusals with it). */
  domid?: number;
  /** Three random bytes for a generated MAC (default: `crypto.getRandomValues`). */
  randomBytes?: () => Uint8Array;
}

/**
 * `libxl__device_nic_setdefault` for an Arm (PVH) guest, on a copy: MTU 1500, model
 * `rtl8139`, a MAC `00:16:3e:xx:xx:xx` (the fourth byte's top bit clear) when none was given,
 * bridge `xenbr0`, script `/etc/xen/scripts/vif-bridge`, type `vif`, trusted. `type=ioemu`
 * is refused as libxl refuses it for PV and PVH guests. The backend must be resolved already.
 */
export function setNicDefaults(nic: VifDevice, options: NicDefaultsOptions = {}): VifDevice {
  const out: VifDevice = { ...nic, mac: [...nic.mac] };
  if (!out.mtu) out.mtu = NIC_MTU_DEFAULT;
  out.model ??= "rtl8139";
  if (out.mac.every((b) => b === 0)) {
    // libxl takes the first bytes of a fresh random UUID.
    const r = options.randomBytes?.() ?? crypto.getRandomValues(new Uint8Array(3));
    out.mac = [...XEN_OUI, r[0] & 0x7f, r[1], r[2]];
  }
  out.bridge ??= "xenbr0";
  out.script ??= `${XEN_SCRIPT_DIR}/vif-bridge`;
  if (out.nictype === "vif_ioemu") {
    throw new DeviceError(
      "ERROR_INVAL",
      "trying to create PV or PVH guest with an emulated interface",
      { domid: options.domid },
    );
  }
  out.nictype = "vif";
  out.trusted ??= true;
  return out;
}

/** `libxl__abs_path`: a script name relative to Xen's script directory. */
function scriptPath(script: string): string {
  return script.startsWith("/") ? script : `${XEN_SCRIPT_DIR}/${script}`;
}

/**
 * The backend keys of a defaulted nic in libxl's order (spec §2.5): the generic
 * `frontend-id`, `online`, `state` (`libxl__device_add_async`), then `libxl__set_xenstore_nic`'s
 * `script`, `vifname`, `mac`, `ip`, `gatewaydev`, `rate`, `mtu` (only when not 1500),
 * `bridge`, `handle`, `type` and an empty `hotplug-status` (netback then waits for the
 * hotplug script before it connects).
 */
export function nicBackendEntries(nic: VifDevice, domid: number): KeyValue[] {
  const back: KeyValue[] = [
    ["frontend-id", String(domid)],
    ["online", "1"],
    ["state", String(XenbusStateInitialising)],
  ];
  if (nic.script !== undefined) back.push(["script", scriptPath(nic.script)]);
  if (nic.ifname !== undefined) back.push(["vifname", nic.ifname]);
  back.push(["mac", formatMac(nic.mac)]);
  if (nic.ip !== undefined) back.push(["ip", nic.ip]);
  if (nic.gatewaydev !== undefined) back.push(["gatewaydev", nic.gatewaydev]);
  if (nic.rate && nic.rate.intervalUsecs > 0) {
    back.push(["rate", `${nic.rate.bytesPerInterval},${nic.rate.intervalUsecs}`]);
  }
  if (nic.mtu !== NIC_MTU_DEFAULT) back.push(["mtu", String(nic.mtu)]);
  back.push(
    ["bridge", nic.bridge ?? "(null)"],
    ["handle", String(nic.devid)],
    ["type", nic.nictype ?? "vif"],
    ["hotplug-status", ""],
  );
  return back;
}

/** The frontend keys the guest may write (`backend-id`, `state`, `handle`, `mac`, `trusted`). */
export function nicFrontendEntries(nic: VifDevice): KeyValue[] {
  return [
    ["backend-id", String(nic.backendDomid)],
    ["state", String(XenbusStateInitialising)],
    ["handle", String(nic.devid)],
    ["mac", formatMac(nic.mac)],
    ["trusted", nic.trusted === false ? "0" : "1"],
  ];
}

/** The frontend keys owned by the backend, read-only to the guest (`mtu`). */
export function nicReadOnlyFrontendEntries(nic: VifDevice): KeyValue[] {
  return [["mtu", String(nic.mtu)]];
}

/** `NETBACK_NIC_NAME`: the interface netback makes for devid `devid` of `domid`. */
export function nicDevname(domid: number, devid: number): string {
  return `vif${domid}.${devid}`;
}

/**
 * The extra environment libxl gives a vif's hotplug script (`get_hotplug_env`, PV vif):
 * `netdev` (the backend's `gatewaydev`, or empty) and `vif` (the netback interface).
 */
export function nicHotplugEnv(device: DeviceRef, gatewaydev?: string): Record<string, string> {
  return { netdev: gatewaydev ?? "", vif: nicDevname(device.domid, device.devid) };
}

/**
 * `libxl__nic_from_xenstore` (spec §2.7): a nic from the keys under its libxl directory.
 * Throws {@linkcode DeviceError} as libxl fails: no backend path, a bad MTU, a bad MAC.
 */
export function nicFromEntries(
  entries: Readonly<Record<string, string>>,
  libxlPath: string,
): VifDevice {
  const handle = entries["handle"];
  const nic: VifDevice = {
    spec: "",
    devid: handle === undefined ? 0 : cAtoi(handle),
    backendDomid: 0,
    mtu: NIC_MTU_DEFAULT,
    mac: [0, 0, 0, 0, 0, 0],
  };
  const backend = entries["backend"];
  if (backend === undefined) {
    throw new DeviceError("ERROR_FAIL", `nic ${libxlPath} does not exist (no backend path)`);
  }
  const backendDomid = backendPathDomid(backend);
  if (backendDomid === undefined) {
    throw new DeviceError("ERROR_FAIL", `internal error: backend path ${backend} unparseable!`);
  }
  nic.backendDomid = backendDomid;
  const mtu = entries["mtu"];
  if (mtu !== undefined) {
    // strtol with an end check: digits only (after optional space and sign).
    if (!/^[ \t\n\v\f\r]*[+-]?[0-9]+$/.test(mtu)) {
      throw new DeviceError("ERROR_INVAL", `${libxlPath}/mtu: not a number`, { logged: false });
    }
    nic.mtu = Number(mtu.trim());
  }
  const mac = entries["mac"];
  if (mac !== undefined) {
    const bytes = parseMac(mac);
    if (!bytes) {
      throw new DeviceError("ERROR_INVAL", `${libxlPath}/mac: bad MAC`, { logged: false });
    }
    nic.mac = bytes;
  }
  for (const [key, field] of [["ip", "ip"], ["bridge", "bridge"], ["script", "script"]] as const) {
    if (entries[key] !== undefined) nic[field] = entries[key];
  }
  const type = entries["type"];
  if (type === undefined || type.toLowerCase() === "vif") nic.nictype = "vif";
  else if (type.toLowerCase() === "vif_ioemu") nic.nictype = "vif_ioemu";
  else throw new DeviceError("ERROR_INVAL", `${libxlPath}/type: bad nic type`, { logged: false });
  return nic;
}

/**
 * The JSON `libxl_device_nic_to_json` returns for `nic` (what `xl network-attach -N`
 * prints after `vif: `): yajl beautified, fields in IDL order, defaults omitted.
 *
 * @example
 * ```ts
 * nicToLibxlJson(parseVifWords(["bridge=xenbr0"])); // '{\n    "bridge": "xenbr0"\n}\n'
 * ```
 */
export function nicToLibxlJson(nic: VifDevice): string {
  const fields: string[] = [];
  const put = (key: string, value: string) => fields.push(`    "${key}": ${value}`);
  const str = (key: string, v: string | undefined) => {
    if (v !== undefined) put(key, yajlString(v));
  };
  if (nic.backendDomid) put("backend_domid", String(nic.backendDomid));
  str("backend_domname", nic.backendDomname);
  if (nic.devid !== -1) put("devid", String(nic.devid));
  if (nic.mtu) put("mtu", String(nic.mtu));
  str("model", nic.model);
  if (nic.mac.some((b) => b !== 0)) put("mac", yajlString(formatMac(nic.mac)));
  str("ip", nic.ip);
  str("bridge", nic.bridge);
  str("ifname", nic.ifname);
  str("script", nic.script);
  if (nic.nictype !== undefined) put("nictype", `"${nic.nictype}"`);
  if (nic.rate?.bytesPerInterval) put("rate_bytes_per_interval", String(nic.rate.bytesPerInterval));
  if (nic.rate?.intervalUsecs) put("rate_interval_usecs", String(nic.rate.intervalUsecs));
  str("gatewaydev", nic.gatewaydev);
  if (nic.trusted !== undefined) put("trusted", nic.trusted ? '"True"' : '"False"');
  return fields.length === 0 ? "{\n\n}\n" : `{\n${fields.join(",\n")}\n}\n`;
}
