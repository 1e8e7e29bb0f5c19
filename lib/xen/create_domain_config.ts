/**
 * `struct xen_domctl_createdomain` (public `domctl.h`; its layout by release in `xen_abi.ts`)
 * with the Arm `struct xen_arch_domainconfig` (`arch-arm.h`), encoded for `xc_domain_create`,
 * and the constants libxl fills it with (spec §3.5).
 *
 * @module
 */
import type { CreateDomainLayout } from "./xen_abi.ts";
import { XEN_ABIS } from "./xen_abi.ts";

/** `XEN_DOMCTL_CDF_hvm`: every Arm guest. */
export const XEN_DOMCTL_CDF_hvm = 1 << 0;
/** `XEN_DOMCTL_CDF_hap`: hardware-assisted paging (libxl's default on Arm). */
export const XEN_DOMCTL_CDF_hap = 1 << 1;
/** `XEN_DOMCTL_CDF_iommu`: the domain gets passthrough devices. */
export const XEN_DOMCTL_CDF_iommu = 1 << 5;
/** `XEN_DOMCTL_CDF_vpmu`. */
export const XEN_DOMCTL_CDF_vpmu = 1 << 7;

/** `XEN_DOMCTL_CONFIG_GIC_NATIVE`: Xen picks the host's GIC. */
export const XEN_DOMCTL_CONFIG_GIC_NATIVE = 0;
/** `XEN_DOMCTL_CONFIG_GIC_V2`. */
export const XEN_DOMCTL_CONFIG_GIC_V2 = 1;
/** `XEN_DOMCTL_CONFIG_GIC_V3`. */
export const XEN_DOMCTL_CONFIG_GIC_V3 = 2;
/** `XEN_DOMCTL_CONFIG_TEE_NONE`. */
export const XEN_DOMCTL_CONFIG_TEE_NONE = 0;
/** `XEN_DOMCTL_CONFIG_TEE_OPTEE`. */
export const XEN_DOMCTL_CONFIG_TEE_OPTEE = 1;
/** `XEN_DOMCTL_CONFIG_TEE_FFA` (Xen 4.18+). */
export const XEN_DOMCTL_CONFIG_TEE_FFA = 2;

/** Byte offsets in `struct xen_domctl_createdomain` of Xen 4.17 (the default layout). */
export const CREATEDOMAIN: CreateDomainLayout = XEN_ABIS[0].createDomain;

/** Byte offsets in the Arm `struct xen_arch_domainconfig` (12 bytes). */
export const ARCH_DOMAINCONFIG_ARM = {
  gic_version: 0,
  tee_type: 2,
  nr_spis: 4,
  clock_frequency: 8,
} as const;

/** The IN fields of a domain creation request, named as Xen names them. */
export interface CreateDomainConfig {
  /** `ssidref` (XSM label; 0). */
  ssidref: number;
  /** `handle`: the 16-byte domain UUID. */
  handle: Uint8Array;
  /** `flags`: `XEN_DOMCTL_CDF_*`. */
  flags: number;
  /** `iommu_opts`. */
  iommuOpts: number;
  /** `max_vcpus`. */
  maxVcpus: number;
  /** `max_evtchn_port` (libxl: `event_channels`, default 1023). */
  maxEvtchnPort: number;
  /** `max_grant_frames` (< 0: the hypervisor's default). */
  maxGrantFrames: number;
  /** `max_maptrack_frames` (< 0: the hypervisor's default). */
  maxMaptrackFrames: number;
  /** `grant_opts`: `XEN_DOMCTL_GRANT_version(v)` in the low 4 bits. */
  grantOpts: number;
  /** `vmtrace_size` (0: off). */
  vmtraceSize: number;
  /** `cpupool_id` (0: Pool-0). */
  cpupoolId: number;
  /** `arch.gic_version`: `XEN_DOMCTL_CONFIG_GIC_*`. */
  gicVersion: number;
  /** `arch.tee_type`: `XEN_DOMCTL_CONFIG_TEE_*`. */
  teeType: number;
  /** `arch.nr_spis`. */
  nrSpis: number;
}

/** What Xen writes back into the request (the OUT fields). */
export interface CreatedDomainArch {
  /** `arch.gic_version` as Xen chose it (`XEN_DOMCTL_CONFIG_GIC_V2`/`_V3`). */
  gicVersion: number;
  /** `arch.clock_frequency`: the host timer's `clock-frequency`, 0 when firmware set none. */
  clockFrequency: number;
}

/**
 * Encodes a request as `xc_domain_create` takes it (little-endian, as on Arm), in the host
 * release's layout (`altp2m_opts`, 4.19+, stays 0: altp2m is x86-only).
 */
export function encodeCreateDomain(
  config: CreateDomainConfig,
  layout: CreateDomainLayout = CREATEDOMAIN,
): Uint8Array {
  if (config.handle.length !== 16) throw new RangeError("domain handle must be 16 bytes");
  const L = layout;
  const bytes = new Uint8Array(L.size);
  const v = new DataView(bytes.buffer);
  v.setUint32(L.ssidref, config.ssidref, true);
  bytes.set(config.handle, L.handle);
  v.setUint32(L.flags, config.flags, true);
  v.setUint32(L.iommu_opts, config.iommuOpts, true);
  v.setUint32(L.max_vcpus, config.maxVcpus, true);
  v.setUint32(L.max_evtchn_port, config.maxEvtchnPort, true);
  v.setInt32(L.max_grant_frames, config.maxGrantFrames, true);
  v.setInt32(L.max_maptrack_frames, config.maxMaptrackFrames, true);
  v.setUint32(L.grant_opts, config.grantOpts, true);
  v.setUint32(L.vmtrace_size, config.vmtraceSize, true);
  v.setUint32(L.cpupool_id, config.cpupoolId, true);
  const a = L.arch;
  v.setUint8(a + ARCH_DOMAINCONFIG_ARM.gic_version, config.gicVersion);
  v.setUint16(a + ARCH_DOMAINCONFIG_ARM.tee_type, config.teeType, true);
  v.setUint32(a + ARCH_DOMAINCONFIG_ARM.nr_spis, config.nrSpis, true);
  return bytes;
}

/** Reads the OUT fields back after `xc_domain_create` (the layout it was encoded in). */
export function decodeCreatedArch(
  bytes: Uint8Array,
  layout: CreateDomainLayout = CREATEDOMAIN,
): CreatedDomainArch {
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const a = layout.arch;
  return {
    gicVersion: v.getUint8(a + ARCH_DOMAINCONFIG_ARM.gic_version),
    clockFrequency: v.getUint32(a + ARCH_DOMAINCONFIG_ARM.clock_frequency, true),
  };
}
