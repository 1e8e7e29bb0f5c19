/**
 * A `DomainInfo` as libxenctrl would report it, for tests of code that reads domains: a
 * stopped, empty domain 0 unless `overrides` say otherwise.
 *
 * @module
 */
import type { DomainInfo } from "../../lib/xen/domain_info.ts";

/** A `DomainInfo` with every field set: these defaults, then `overrides`. */
export function domainInfo(overrides: Partial<DomainInfo>): DomainInfo {
  return {
    domid: 0,
    uuid: "00000000-0000-0000-0000-000000000000",
    running: false,
    blocked: false,
    paused: false,
    shutdown: false,
    dying: false,
    neverStop: false,
    shutdownReason: -1,
    currentMemkb: 0,
    outstandingMemkb: 0,
    maxMemkb: 0,
    cpuTime: 0,
    vcpuOnline: 1,
    vcpuMaxId: 0,
    cpupool: 0,
    ssidref: 0,
    gpaddrBits: 40,
    ...overrides,
  };
}
