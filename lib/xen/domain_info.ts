/**
 * What Xen reports about one domain (`XEN_DOMCTL_getdomaininfo`), decoded the way libxl's
 * `libxl_dominfo` presents it (`xcinfo2xlinfo`): memory in KiB, flags as booleans.
 *
 * @module
 */
import {
  GETDOMAININFO as F,
  XC_PAGE_SIZE,
  XEN_DOMINF_blocked,
  XEN_DOMINF_dying,
  XEN_DOMINF_paused,
  XEN_DOMINF_running,
  XEN_DOMINF_shutdown,
  XEN_DOMINF_shutdownmask,
  XEN_DOMINF_shutdownshift,
  XEN_DOMINF_xs_domain,
} from "./domctl.ts";

/** One domain, as `libxl_dominfo` has it. */
export interface DomainInfo {
  /** Domain id. */
  domid: number;
  /** The domain handle as a UUID string (lower-case hex, 8-4-4-4-12). */
  uuid: string;
  /** Currently running on a CPU. */
  running: boolean;
  /** Blocked, waiting for an event. */
  blocked: boolean;
  /** Paused by the toolstack. */
  paused: boolean;
  /** The guest has shut down (see `shutdownReason`). */
  shutdown: boolean;
  /** Being destroyed. */
  dying: boolean;
  /** A xenstore domain (never stopped by `shutdown -a`). */
  neverStop: boolean;
  /** Guest-supplied shutdown code (`SHUTDOWN_*`) when `shutdown`, else -1. */
  shutdownReason: number;
  /** Memory the domain has now, KiB. */
  currentMemkb: number;
  /** Memory claimed but not yet allocated, KiB. */
  outstandingMemkb: number;
  /** Maximum memory, KiB. */
  maxMemkb: number;
  /** CPU time used, nanoseconds. */
  cpuTime: number;
  /** vCPUs online. */
  vcpuOnline: number;
  /** Highest vCPU id (0xffffffff when none). */
  vcpuMaxId: number;
  /** CPU pool id. */
  cpupool: number;
  /** XSM security id. */
  ssidref: number;
  /** Guest physical address bits Xen gives the domain. */
  gpaddrBits: number;
}

const KIB_PER_PAGE = XC_PAGE_SIZE / 1024;

/** Decodes one `struct xen_domctl_getdomaininfo` at `offset` of `view`. */
export function decodeDomainInfo(view: DataView, offset = 0): DomainInfo {
  const u32 = (at: number) => view.getUint32(offset + at, true);
  const u64 = (at: number) => Number(view.getBigUint64(offset + at, true));
  const flags = u32(F.flags);
  const shutdown = (flags & XEN_DOMINF_shutdown) !== 0;
  const handle = new Uint8Array(view.buffer, view.byteOffset + offset + F.handle, 16);
  return {
    domid: view.getUint16(offset + F.domain, true),
    uuid: formatUuid(handle),
    running: (flags & XEN_DOMINF_running) !== 0,
    blocked: (flags & XEN_DOMINF_blocked) !== 0,
    paused: (flags & XEN_DOMINF_paused) !== 0,
    shutdown,
    dying: (flags & XEN_DOMINF_dying) !== 0,
    neverStop: (flags & XEN_DOMINF_xs_domain) !== 0,
    shutdownReason: shutdown ? (flags >>> XEN_DOMINF_shutdownshift) & XEN_DOMINF_shutdownmask : -1,
    currentMemkb: u64(F.tot_pages) * KIB_PER_PAGE,
    outstandingMemkb: u64(F.outstanding_pages) * KIB_PER_PAGE,
    maxMemkb: u64(F.max_pages) * KIB_PER_PAGE,
    cpuTime: u64(F.cpu_time),
    vcpuOnline: u32(F.nr_online_vcpus),
    vcpuMaxId: u32(F.max_vcpu_id),
    cpupool: u32(F.cpupool),
    ssidref: u32(F.ssidref),
    gpaddrBits: view.getUint8(offset + F.gpaddr_bits),
  };
}

/** Formats 16 bytes as libxl's `LIBXL_UUID_FMT` (lower-case 8-4-4-4-12). */
export function formatUuid(bytes: Uint8Array): string {
  const hex = Array.from(bytes, (b) => b.toString(16).padStart(2, "0")).join("");
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${
    hex.slice(20)
  }`;
}
