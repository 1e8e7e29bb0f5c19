/**
 * The Xen version xlite emulates (`--xen-version`): what the guest device tree, the xl.cfg
 * keys and the xenstore device layout depend on (spec §4.6). Below lib/config, lib/arm and
 * lib/devices, which all ask it.
 *
 * @module
 */
import { UsageError } from "../errors.ts";

/** A Xen release, `major.minor`. */
export interface XenVersion {
  /** Major version (4). */
  major: number;
  /** Minor version (17 for 4.17). */
  minor: number;
}

/** The version xlite emulates when none is given: Debian bookworm's Xen 4.17. */
export const DEFAULT_XEN_VERSION: XenVersion = { major: 4, minor: 17 };

/** Oldest release with virtio-mmio support in libxl (spec §0: `2128143c11`). */
const OLDEST: XenVersion = { major: 4, minor: 17 };

/**
 * Parses `4.17`-style text; versions before 4.17 (no virtio in libxl) are refused.
 *
 * @example
 * ```ts
 * parseXenVersion("4.19"); // { major: 4, minor: 19 }
 * ```
 */
export function parseXenVersion(text: string): XenVersion {
  const match = /^(\d+)\.(\d+)$/.exec(text.trim());
  if (!match) throw new UsageError(`--xen-version '${text}': expected MAJOR.MINOR, e.g. 4.17`);
  const version = { major: Number(match[1]), minor: Number(match[2]) };
  if (compareXenVersion(version, OLDEST) < 0) {
    throw new UsageError(
      `--xen-version '${text}': xlite emulates Xen 4.17 and later (virtio-mmio came in 4.17)`,
    );
  }
  return version;
}

/** Negative, zero or positive as `a` is older than, equal to or newer than `b`. */
export function compareXenVersion(a: XenVersion, b: XenVersion): number {
  return a.major !== b.major ? a.major - b.major : a.minor - b.minor;
}

/** True when `version` is `major.minor` or newer. */
export function atLeast(version: XenVersion, major: number, minor: number): boolean {
  return compareXenVersion(version, { major, minor }) >= 0;
}

/** `4.17`. */
export function formatXenVersion(version: XenVersion): string {
  return `${version.major}.${version.minor}`;
}
