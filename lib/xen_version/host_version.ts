/**
 * The Xen release this host runs, as the hypervisor reports it (`XENVER_version`: major and
 * minor; `XENVER_extraversion`: the rest, e.g. `.4` or `.4-pre`). Linux asks Xen on each
 * read of `/sys/hypervisor/version/{major,minor,extra}` (drivers/xen/sys-hypervisor.c), so
 * no Xen library and no privilege are needed; a host without Xen has no such files.
 *
 * @module
 */
import { DEFAULT_XEN_VERSION, parseXenVersion, type XenVersion } from "./xen_version.ts";

/** Where Linux shows the hypervisor's answers. */
export const SYS_HYPERVISOR = "/sys/hypervisor";

/** The host's Xen release: `major.minor` and the extraversion text. */
export interface HostXenVersion extends XenVersion {
  /** `XENVER_extraversion`, e.g. `.4` (Debian trixie's 4.20.4). */
  extra: string;
}

function read(path: string): string | undefined {
  try {
    return Deno.readTextFileSync(path).trim();
  } catch {
    return undefined;
  }
}

/**
 * The release Xen reports, or `undefined` when this host runs no Xen (or Linux shows no
 * `/sys/hypervisor`).
 *
 * @example
 * ```ts
 * const host = readHostXenVersion(); // { major: 4, minor: 20, extra: ".4" } on trixie
 * ```
 */
export function readHostXenVersion(root: string = SYS_HYPERVISOR): HostXenVersion | undefined {
  if (read(`${root}/type`) !== "xen") return undefined;
  const major = read(`${root}/version/major`);
  const minor = read(`${root}/version/minor`);
  if (!major || !minor || !/^\d+$/.test(major) || !/^\d+$/.test(minor)) return undefined;
  return { major: Number(major), minor: Number(minor), extra: read(`${root}/version/extra`) ?? "" };
}

/**
 * What `--xen-version` defaults to: the host's release on a Xen host (`major.minor` of
 * {@linkcode readHostXenVersion}), {@linkcode DEFAULT_XEN_VERSION} (4.17) elsewhere.
 */
export function defaultXenVersion(root: string = SYS_HYPERVISOR): XenVersion {
  const host = readHostXenVersion(root);
  return host ? { major: host.major, minor: host.minor } : DEFAULT_XEN_VERSION;
}

/**
 * The release a `--xen-version` flag names, or the host's ({@linkcode defaultXenVersion}) when
 * the flag is absent or empty: the one rule every command with the flag follows.
 *
 * @example
 * ```ts
 * xenVersionOption(undefined); // the host's release (4.17 off Xen)
 * xenVersionOption("4.20"); // { major: 4, minor: 20 }
 * ```
 */
export function xenVersionOption(flag: unknown, root: string = SYS_HYPERVISOR): XenVersion {
  return flag === undefined || flag === ""
    ? defaultXenVersion(root)
    : parseXenVersion(String(flag));
}
