/**
 * Disk defaulting and backend selection as libxl does them before adding a disk:
 * `libxl__device_disk_setdefault` (spec §2.2, steps 1 and 3–6) and
 * `libxl__device_disk_set_backend` (spec §2.3).
 *
 * Step 2 (resolving `backendDomname` to `backendDomid`) is the caller's job: it needs a
 * domain list. Resolve it first and set `backendDomid`; this function only reads the id.
 * Step 7 (HVM CD-ROM rules, the empty-CD-ROM placeholder file) does not apply on Arm and
 * is not done here.
 *
 * @module
 */
import type { DiskBackend, DiskSpec } from "./types.ts";
import { XliteError } from "../errors.ts";

/** libxl's placeholder target for an empty CD-ROM (`LIBXL_STUBDOM_EMPTY_CDROM`, `.<domid>` added). */
export const EMPTY_CDROM = "/var/run/xen/empty-cdrom";

/** What `stat(2)` says about a target path. */
export type TargetKind = "block" | "file" | "other" | "missing";

/** Options of `setDiskDefaults`. */
export interface DiskDefaultsOptions {
  /** True for a hot-plug (`xl block-attach`), false during domain creation. */
  hotplug: boolean;
  /** Classifies a target path; the default uses `Deno.statSync`. */
  statTarget?: (path: string) => TargetKind;
}

/** The default `statTarget`: `Deno.statSync`, following symlinks as stat(2) does. */
export function statTarget(path: string): TargetKind {
  try {
    const info = Deno.statSync(path);
    if (info.isBlockDevice) return "block";
    if (info.isFile) return "file";
    return "other";
  } catch {
    return "missing";
  }
}

/**
 * Returns a copy of `disk` with libxl's defaults applied and a backend chosen. Throws an
 * `XliteError` with libxl's text where libxl fails.
 *
 * @example
 * ```ts
 * const disk = setDiskDefaults(parseDiskSpec("/dev/vg/d1,raw,xvda,specification=virtio"), {
 *   hotplug: false,
 * });
 * disk.backend; // "standalone" (when /dev/vg/d1 exists)
 * ```
 */
export function setDiskDefaults(disk: DiskSpec, options: DiskDefaultsOptions): DiskSpec {
  const d: DiskSpec = { ...disk };
  // step 1
  d.discardEnable ??= d.readwrite !== 0;
  d.coloEnable ??= false;
  d.coloRestoreEnable ??= false;
  d.trusted ??= true;
  // step 3
  if (d.specification === "unknown") d.specification = "xen";
  // step 4
  if (d.specification === "xen" && d.transport !== "unknown") {
    throw new XliteError("Transport is only supported for specification virtio");
  }
  // step 5
  if (d.specification === "virtio") {
    if (d.transport !== "unknown" && d.transport !== "mmio") {
      throw new XliteError("Unsupported transport for specification virtio");
    }
    d.transport = "mmio";
    d.grantUsage ??= d.backendDomid !== 0;
  }
  // step 6
  if (options.hotplug && d.specification === "virtio") {
    throw new XliteError("Hotplug isn't supported for specification virtio");
  }
  d.backend = selectBackend(d, options.statTarget ?? statTarget);
  return d;
}

/** `libxl__device_disk_set_backend` (spec §2.3). */
function selectBackend(d: DiskSpec, stat: (path: string) => TargetKind): DiskBackend {
  const vdev = d.vdev ?? "(null)";
  let kind: TargetKind = "other";
  if (d.format === "empty") {
    if (!d.isCdrom) throw new XliteError(`Disk vdev=${vdev} is empty but not cdrom`);
    if (
      d.pdevPath !== undefined && d.pdevPath !== "" && !d.pdevPath.startsWith(EMPTY_CDROM)
    ) {
      throw new XliteError(
        `Disk vdev=${vdev} is empty but an image has been provided: ${d.pdevPath}`,
      );
    }
  } else if (
    (d.backend === "unknown" || d.backend === "phy" || d.backend === "standalone") &&
    d.backendDomid === 0 && d.script === undefined
  ) {
    kind = d.pdevPath === undefined ? "missing" : stat(d.pdevPath);
    if (kind === "missing") {
      throw new XliteError(
        `Disk vdev=${vdev} failed to stat: ${d.pdevPath ?? "(null)"}: No such file or directory`,
      );
    }
  }
  const order: DiskBackend[] = d.backend !== "unknown"
    ? [d.backend]
    : ["phy", "qdisk", "tap", "standalone"];
  for (const backend of order) {
    if (tryBackend(d, backend, kind)) return backend;
  }
  throw new XliteError(`no suitable backend for disk ${vdev}`);
}

/** `disk_try_backend` (Xen 4.19+ rules, spec §2.3). */
function tryBackend(d: DiskSpec, backend: DiskBackend, kind: TargetKind): boolean {
  const virtio = d.specification === "virtio";
  if (virtio !== (backend === "standalone")) return false;
  const colo = d.coloEnable === true;
  const blockOrFile = kind === "block" || kind === "file";
  switch (backend) {
    case "phy":
      if (colo) return false;
      if (d.isCdrom && d.format === "empty") return true;
      if (d.format !== "raw") return false;
      if (d.backendDomid !== 0 || d.script !== undefined) return true;
      return blockOrFile;
    case "tap":
      return (d.format === "raw" || d.format === "vhd") && !colo;
    case "qdisk":
      return d.script === undefined;
    case "standalone":
      if (d.format !== "raw" || d.script !== undefined || colo) return false;
      return d.backendDomid !== 0 || blockOrFile;
    default:
      return false;
  }
}
