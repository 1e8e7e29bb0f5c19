/**
 * How a disk is written to and read from xenstore: one writer for every disk kind (`vbd`,
 * `qdisk`, `vbd3`, `virtio_disk`), driven by the kind's row in the device table, as libxl's
 * `device_disk_add` and `libxl__disk_from_xenstore` do (spec §2.5, §2.7).
 *
 * @module
 */
import type { DiskBackend, DiskFormat, DiskSpec } from "../disk/mod.ts";
import { atLeast, type XenVersion } from "../xen_version/mod.ts";
import { XenbusStateInitialising } from "../xenstore/mod.ts";
import { type DeviceKind, XEN_SCRIPT_DIR } from "./device_kinds.ts";
import { DeviceError } from "./errors.ts";
import { cAtoi, cStrtoul } from "./c_numbers.ts";
import { backendPathDomid } from "./paths.ts";
import type { KeyValue } from "./types.ts";

/** `libxl__device_disk_string_of_format`: the prefix of a QDISK/TAP `params`. */
function formatPrefix(format: DiskFormat): string {
  switch (format) {
    case "raw":
    case "empty":
      return "aio";
    case "qcow":
    case "qcow2":
    case "vhd":
    case "qed":
      return format;
    default:
      return "(null)"; // glibc prints a NULL %s this way; libxl never gets here after defaults
  }
}

/** `libxl__abs_path`: a script name relative to Xen's script directory. */
function scriptPath(script: string): string {
  return script.startsWith("/") ? script : `${XEN_SCRIPT_DIR}/${script}`;
}

const bit = (value: boolean | undefined): string => (value ? "1" : "0");

/**
 * The backend keys of a defaulted disk, in libxl's order (spec §2.5), without `frontend`
 * (which `libxl__device_generic_add` writes first).
 */
export function diskBackendEntries(
  disk: DiskSpec,
  kind: DeviceKind,
  domid: number,
  release: XenVersion,
): KeyValue[] {
  const back: KeyValue[] = [];
  const target = disk.pdevPath ?? "";
  back.push([
    "params",
    kind.params === "format-prefixed" ? `${formatPrefix(disk.format)}:${target}` : target,
  ]);
  if (kind.defaultScript !== undefined) {
    back.push(["script", scriptPath(disk.script ?? kind.defaultScript)]);
  }
  if (kind.backendKind === "qdisk" && disk.coloEnable) {
    back.push(
      ["colo-host", disk.coloHost ?? "(null)"],
      ["colo-port", String(disk.coloPort)],
      ["colo-export", disk.coloExport ?? "(null)"],
      ["active-disk", disk.activeDisk ?? "(null)"],
      ["hidden-disk", disk.hiddenDisk ?? "(null)"],
    );
  }
  back.push(
    ["frontend-id", String(domid)],
    ["online", "1"],
    ["removable", disk.removable ? "1" : "0"],
    ["bootable", "1"],
    ["state", String(XenbusStateInitialising)],
    ["dev", disk.vdev ?? ""],
    ["type", kind.typeString ?? ""],
    ["mode", disk.readwrite ? "w" : "r"],
    ["device-type", disk.isCdrom ? "cdrom" : "disk"],
  );
  if (disk.directIoSafe) back.push(["direct-io-safe", "1"]);
  back.push(["discard-enable", bit(disk.discardEnable)]);
  back.push(["specification", disk.specification]);
  if (disk.specification === "virtio") {
    back.push(
      ["transport", disk.transport],
      ["base", disk.base.toString(10)], // decimal for disks (PRIu64)
      ["irq", String(disk.irq)],
    );
    // spec §2.5: grant_usage for virtio disks arrived in 4.19 (1eb013ef97).
    if (atLeast(release, 4, 19)) {
      back.push(["grant_usage", bit(disk.grantUsage)]);
    }
  }
  return back;
}

/**
 * The frontend keys of a defaulted disk, in libxl's order (spec §2.5), without `backend`.
 * `protocol` is never written on Arm (guests are PVH).
 */
export function diskFrontendEntries(disk: DiskSpec, devid: number): KeyValue[] {
  return [
    ["backend-id", String(disk.backendDomid)],
    ["state", String(XenbusStateInitialising)],
    ["virtual-device", String(devid)],
    ["device-type", disk.isCdrom ? "cdrom" : "disk"],
    ["trusted", bit(disk.trusted ?? true)],
  ];
}

/** `libxl_device_disk_init`: every field at its "unset" value. */
export function emptyDisk(): DiskSpec {
  return {
    backendDomid: 0,
    backend: "unknown",
    format: "unknown",
    removable: 0,
    readwrite: 0,
    isCdrom: 0,
    directIoSafe: false,
    specification: "unknown",
    transport: "unknown",
    irq: 0,
    base: 0n,
    coloPort: 0,
  };
}

/**
 * `libxl_string_to_backend` (spec §2.4): exact names; `tap` is refused (the caller ignores
 * the refusal, as libxl's read-back does) and anything else leaves `current` unchanged.
 */
export function backendFromTypeString(type: string, current: DiskBackend): DiskBackend {
  switch (type) {
    case "phy":
      return "phy";
    case "file":
    case "vbd3":
      return "tap";
    case "qdisk":
      return "qdisk";
    case "standalone":
      return "standalone";
    default:
      return current;
  }
}

/**
 * `libxl__disk_from_xenstore` (spec §2.7): a disk from the keys under its libxl directory
 * `libxlPath`. Throws {@linkcode DeviceError} with libxl's message when a mandatory key is
 * missing or unparseable.
 */
export function diskFromEntries(
  entries: Readonly<Record<string, string>>,
  libxlPath: string,
): DiskSpec {
  const disk = emptyDisk();
  const missing = (key: string) =>
    new DeviceError("ERROR_FAIL", `Missing xenstore node ${libxlPath}/${key}`);
  const backendPath = entries["backend"];
  if (backendPath === undefined) {
    // libxl's text really lacks the closing parenthesis.
    throw new DeviceError("ERROR_FAIL", `disk ${libxlPath} does not exist (no backend path`);
  }
  const backendDomid = backendPathDomid(backendPath);
  if (backendDomid === undefined) {
    throw new DeviceError(
      "ERROR_FAIL",
      `internal error: backend path ${backendPath} unparseable!`,
    );
  }
  disk.backendDomid = backendDomid;
  const params = entries["params"];
  if (params !== undefined) {
    const colon = params.indexOf(":");
    disk.pdevPath = colon >= 0 ? params.slice(colon + 1) : params;
  }
  if (entries["colo-host"] !== undefined) {
    disk.coloEnable = true;
    disk.coloHost = entries["colo-host"];
    if (entries["colo-port"] === undefined) throw missing("colo-port");
    disk.coloPort = cAtoi(entries["colo-port"]);
    for (
      const [key, field] of [
        ["colo-export", "coloExport"],
        ["active-disk", "activeDisk"],
        ["hidden-disk", "hiddenDisk"],
      ] as const
    ) {
      if (entries[key] === undefined) throw missing(key);
      disk[field] = entries[key];
    }
  } else {
    disk.coloEnable = false;
  }
  const type = entries["type"];
  if (type === undefined) throw missing("type");
  disk.backend = backendFromTypeString(type, disk.backend);
  const specification = entries["specification"];
  if (specification === undefined) {
    disk.specification = "xen"; // libxl logs this at DEBUG only
  } else {
    const lower = specification.toLowerCase();
    if (lower !== "xen" && lower !== "virtio" && lower !== "unknown") {
      throw new DeviceError(
        "ERROR_FAIL",
        `Unable to parse xenstore node ${libxlPath}/specification`,
      );
    }
    disk.specification = lower;
  }
  if (disk.specification === "virtio") {
    const transport = entries["transport"];
    if (transport === undefined) throw missing("transport");
    const lower = transport.toLowerCase();
    if (lower !== "mmio" && lower !== "unknown") {
      throw new DeviceError("ERROR_FAIL", `Unable to parse xenstore node ${libxlPath}/transport`);
    }
    if (lower !== "mmio") {
      throw new DeviceError(
        "ERROR_FAIL",
        "Only transport mmio is expected for specification virtio",
      );
    }
    disk.transport = "mmio";
    if (entries["base"] === undefined) throw missing("base");
    disk.base = BigInt(cStrtoul(entries["base"], 10));
    if (entries["irq"] === undefined) throw missing("irq");
    disk.irq = cStrtoul(entries["irq"], 10);
    const grantUsage = entries["grant_usage"];
    disk.grantUsage = grantUsage === undefined
      ? disk.backendDomid !== 0
      : cStrtoul(grantUsage, 0) !== 0;
  }
  if (entries["dev"] === undefined) throw missing("dev");
  disk.vdev = entries["dev"];
  if (entries["removable"] === undefined) throw missing("removable");
  disk.removable = cAtoi(entries["removable"]);
  if (entries["mode"] === undefined) throw missing("mode");
  disk.readwrite = entries["mode"] === "w" ? 1 : 0;
  if (entries["device-type"] === undefined) throw missing("device-type");
  disk.isCdrom = entries["device-type"] === "cdrom" ? 1 : 0;
  disk.format = "unknown";
  return disk;
}
