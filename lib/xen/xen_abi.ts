/**
 * What differs between the Xen releases xlite drives, for the calls it makes (one row per
 * release): the library sonames, the domctl/sysctl interface versions, and the layout of
 * `struct xen_domctl_createdomain`. Every number here was read from C compiled for aarch64
 * against that release's public headers (`offsetof`/`sizeof` in `xen/include/public`):
 * 4.17 from Debian bookworm's `libxen-dev` 4.17, 4.20 from Debian trixie's `libxen-dev`
 * 4.20.4, 4.18 and 4.19 from the upstream tree at `RELEASE-4.18.0` / `RELEASE-4.19.0`.
 * `struct xen_domctl_getdomaininfo` (120 bytes on Arm) and `struct xen_domctl` (144, `u` at
 * 16) are the same in all four, and so are the libxenctrl/libxenguest prototypes xlite binds.
 *
 * @module
 */
import { formatXenVersion, type XenVersion } from "../xen_version/mod.ts";
import { XliteError } from "../errors.ts";

/** Byte offsets in `struct xen_domctl_createdomain` (Arm), and its size. */
export interface CreateDomainLayout {
  /** `ssidref`. */
  ssidref: number;
  /** `handle` (16 bytes). */
  handle: number;
  /** `flags`. */
  flags: number;
  /** `iommu_opts`. */
  iommu_opts: number;
  /** `max_vcpus`. */
  max_vcpus: number;
  /** `max_evtchn_port`. */
  max_evtchn_port: number;
  /** `max_grant_frames`. */
  max_grant_frames: number;
  /** `max_maptrack_frames`. */
  max_maptrack_frames: number;
  /** `grant_opts`. */
  grant_opts: number;
  /** `altp2m_opts` (4.19+; x86 only in effect, left 0 on Arm). */
  altp2m_opts?: number;
  /** `vmtrace_size`. */
  vmtrace_size: number;
  /** `cpupool_id`. */
  cpupool_id: number;
  /** `arch` (`struct xen_arch_domainconfig`, 12 bytes on Arm). */
  arch: number;
  /** `sizeof(struct xen_domctl_createdomain)`. */
  size: number;
}

/** One Xen release as xlite's hypercalls see it. */
export interface XenAbi {
  /** The release. */
  version: XenVersion;
  /** libxenctrl names tried in order. */
  xenctrlSonames: string[];
  /** libxenguest names tried in order. */
  xenguestSonames: string[];
  /** `XEN_DOMCTL_INTERFACE_VERSION` (checked by Xen on every raw `xc_domctl`). */
  domctlInterfaceVersion: number;
  /** `XEN_SYSCTL_INTERFACE_VERSION`. */
  sysctlInterfaceVersion: number;
  /** `struct xen_domctl_createdomain`. */
  createDomain: CreateDomainLayout;
  /** `XEN_DOMCTL_CONFIG_TEE_FFA` exists (`tee = "ffa"`, arch-arm.h 4.18+). */
  teeFfa: boolean;
}

/** 4.17 and 4.18: no `altp2m_opts`. */
const CREATEDOMAIN_4_17: CreateDomainLayout = {
  ssidref: 0,
  handle: 4,
  flags: 20,
  iommu_opts: 24,
  max_vcpus: 28,
  max_evtchn_port: 32,
  max_grant_frames: 36,
  max_maptrack_frames: 40,
  grant_opts: 44,
  vmtrace_size: 48,
  cpupool_id: 52,
  arch: 56,
  size: 68,
};

/** 4.19 and 4.20: `altp2m_opts` after `grant_opts` moves the rest down 4 bytes. */
const CREATEDOMAIN_4_19: CreateDomainLayout = {
  ...CREATEDOMAIN_4_17,
  altp2m_opts: 48,
  vmtrace_size: 52,
  cpupool_id: 56,
  arch: 60,
  size: 72,
};

const abi = (
  minor: number,
  domctl: number,
  createDomain: CreateDomainLayout,
): XenAbi => ({
  version: { major: 4, minor },
  xenctrlSonames: [`libxenctrl.so.4.${minor}`],
  xenguestSonames: [`libxenguest.so.4.${minor}`],
  domctlInterfaceVersion: domctl,
  sysctlInterfaceVersion: 0x15,
  createDomain,
  teeFfa: minor >= 18,
});

/** The releases xlite drives, oldest first. */
export const XEN_ABIS: readonly XenAbi[] = [
  abi(17, 0x15, CREATEDOMAIN_4_17),
  abi(18, 0x16, CREATEDOMAIN_4_17),
  abi(19, 0x17, CREATEDOMAIN_4_19),
  abi(20, 0x17, CREATEDOMAIN_4_19),
];

/** The range xlite drives, as the refusal says it: `4.17–4.20`. */
export const SUPPORTED_XEN_RANGE = `${formatXenVersion(XEN_ABIS[0].version)}–${
  formatXenVersion(XEN_ABIS[XEN_ABIS.length - 1].version)
}`;

/** The host runs a Xen release whose hypercall interface xlite does not know. */
export class UnsupportedXenError extends XliteError {
  /** The host's release. */
  readonly version: XenVersion;
  /** `version` is what the hypervisor reported. */
  constructor(version: XenVersion) {
    super(
      `Xen ${formatXenVersion(version)} is not supported by this xlite: ${SUPPORTED_XEN_RANGE}`,
    );
    this.name = "UnsupportedXenError";
    this.version = version;
  }
}

/** The row for `version`; {@linkcode UnsupportedXenError} for any other release. */
export function xenAbi(version: XenVersion): XenAbi {
  const found = XEN_ABIS.find((a) =>
    a.version.major === version.major && a.version.minor === version.minor
  );
  if (!found) throw new UnsupportedXenError(version);
  return found;
}
