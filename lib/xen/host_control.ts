/**
 * Deno FFI bindings for the libxenctrl calls behind xl's query and tuning commands (`info`,
 * `dmesg`, `vcpu-list`, `vcpu-pin`, `mem-max`, `mem-set`): `xc_physinfo`, `xc_version`,
 * `xc_readconsolering`, `xc_cpupool_freeinfo`, `xc_vcpu_getinfo`, `xc_vcpu_get/setaffinity`
 * and `xc_domain_setmaxmem`, as libxl 4.17 makes them. Struct layouts are Xen 4.17's public
 * `sysctl.h`, `domctl.h` and `version.h`.
 *
 * @example
 * ```ts
 * const hc = openHostControl();
 * try {
 *   console.log(hc.physinfo().nrCpus, hc.versionInfo().capabilities);
 * } finally {
 *   hc.close();
 * }
 * ```
 *
 * @module
 */
import { errnoName, XenCallError } from "./errors.ts";
import { lastErrno, openLibrary, requirePrivcmd } from "./library.ts";
import { openXcInterface, XC_INTERFACE_SYMBOLS } from "./xenctrl.ts";
import { hostXenAbi } from "./host_abi.ts";

/** `XENVER_*` sub-commands of `xc_version` (public/version.h). */
export const XENVER = {
  version: 0,
  extraversion: 1,
  compile_info: 2,
  capabilities: 3,
  changeset: 4,
  platform_parameters: 5,
  pagesize: 7,
  commandline: 9,
  build_id: 10,
} as const;

/** `XEN_VCPUAFFINITY_HARD` (domctl.h). */
export const XEN_VCPUAFFINITY_HARD = 1 << 0;
/** `XEN_VCPUAFFINITY_SOFT` (domctl.h). */
export const XEN_VCPUAFFINITY_SOFT = 1 << 1;
/** `XEN_VCPUAFFINITY_FORCE` (domctl.h). */
export const XEN_VCPUAFFINITY_FORCE = 1 << 2;

/** `XEN_SYSCTL_PHYSCAP_*` bits of `xen_sysctl_physinfo.capabilities` (sysctl.h). */
export const XEN_SYSCTL_PHYSCAP = {
  hvm: 1 << 0,
  pv: 1 << 1,
  directio: 1 << 2,
  hap: 1 << 3,
  shadow: 1 << 4,
  iommu_hap_pt_share: 1 << 5,
  vmtrace: 1 << 6,
  vpmu: 1 << 7,
  gnttab_v1: 1 << 8,
  gnttab_v2: 1 << 9,
} as const;

/** `struct xen_sysctl_physinfo` (112 bytes), as `libxl_physinfo` presents it. */
export interface PhysInfo {
  /** Threads per core. */
  threadsPerCore: number;
  /** Cores per socket. */
  coresPerSocket: number;
  /** CPUs online. */
  nrCpus: number;
  /** Largest possible CPU id. */
  maxCpuId: number;
  /** NUMA nodes online. */
  nrNodes: number;
  /** CPU frequency, kHz. */
  cpuKhz: number;
  /** `XEN_SYSCTL_PHYSCAP_*` bits. */
  capabilities: number;
  /** `arch_capabilities`: on Arm, the SVE vector length / 128 in bits 0-4. */
  archCapabilities: number;
  /** Pages of host RAM. */
  totalPages: bigint;
  /** Free pages. */
  freePages: bigint;
  /** Pages waiting to be scrubbed. */
  scrubPages: bigint;
  /** Pages claimed but not allocated. */
  outstandingPages: bigint;
  /** The eight `hw_cap` words. */
  hwCap: number[];
}

/** `libxl_version_info`: what `xc_version` reports, as strings where Xen gives strings. */
export interface VersionInfo {
  /** `XENVER_version >> 16`. */
  major: number;
  /** `XENVER_version & 0xff`. */
  minor: number;
  /** `XENVER_extraversion` (".7" style). */
  extra: string;
  /** `XENVER_capabilities`. */
  capabilities: string;
  /** `XENVER_changeset`. */
  changeset: string;
  /** `XENVER_platform_parameters.virt_start`. */
  virtStart: bigint;
  /** `XENVER_pagesize`. */
  pagesize: number;
  /** `XENVER_commandline`. */
  commandline: string;
  /** `xen_compile_info.compiler`. */
  compiler: string;
  /** `xen_compile_info.compile_by`. */
  compileBy: string;
  /** `xen_compile_info.compile_domain`. */
  compileDomain: string;
  /** `xen_compile_info.compile_date`. */
  compileDate: string;
  /** `XENVER_build_id` in lower-case hex ("" when Xen has none or refuses). */
  buildId: string;
}

/** `struct xen_domctl_getvcpuinfo` plus the vCPU's affinity, as `libxl_vcpuinfo`. */
export interface VcpuInfo {
  /** vCPU id. */
  vcpuid: number;
  /** Online (not hot-unplugged). */
  online: boolean;
  /** Blocked waiting for an event. */
  blocked: boolean;
  /** Running on its CPU now. */
  running: boolean;
  /** CPU time, ns. */
  cpuTime: number;
  /** Physical CPU it is on. */
  cpu: number;
  /** Hard affinity, one bit per physical CPU. */
  hard: Uint8Array;
  /** Soft affinity, one bit per physical CPU. */
  soft: Uint8Array;
}

/** An open libxenctrl handle for the query and tuning calls. All throw `XenCallError`. */
export interface HostControl {
  /** `xc_physinfo`. */
  physinfo(): PhysInfo;
  /** `xc_sharing_freed_pages` and `xc_sharing_used_frames` (0 where Xen has no sharing). */
  sharingPages(): { freed: bigint; used: bigint };
  /** `libxl_get_version_info`. */
  versionInfo(): VersionInfo;
  /** `xc_get_max_cpus`: the size of a CPU bitmap, in bits. */
  maxCpus(): number;
  /** `xc_cpupool_freeinfo`: CPUs in no pool, one bit each. */
  freeCpus(): Uint8Array;
  /**
   * `libxl_xen_console_read_line`'s loop over `xc_readconsolering` (16 KiB reads, incremental):
   * each chunk of the hypervisor's console ring in turn; `clear` empties the ring.
   */
  readConsoleRing(clear: boolean): Uint8Array[];
  /** `xc_vcpu_getinfo` and `xc_vcpu_getaffinity` (hard and soft) of one vCPU. */
  vcpuInfo(domid: number, vcpu: number): VcpuInfo;
  /**
   * `xc_vcpu_setaffinity`: `hard` / `soft` (or `null` to leave one alone); `flags` may add
   * `XEN_VCPUAFFINITY_FORCE`.
   */
  setVcpuAffinity(
    domid: number,
    vcpu: number,
    hard: Uint8Array | null,
    soft: Uint8Array | null,
    flags?: number,
  ): void;
  /** `xc_domain_setmaxmem` (KiB). */
  setMaxMem(domid: number, maxKb: number): void;
  /** Closes the handle and the library. */
  close(): void;
}

const SYMBOLS = {
  ...XC_INTERFACE_SYMBOLS,
  xc_physinfo: { parameters: ["pointer", "buffer"], result: "i32" },
  xc_version: { parameters: ["pointer", "i32", "buffer"], result: "i32" },
  xc_sharing_freed_pages: { parameters: ["pointer"], result: "i64" },
  xc_sharing_used_frames: { parameters: ["pointer"], result: "i64" },
  xc_get_max_cpus: { parameters: ["pointer"], result: "i32" },
  xc_get_cpumap_size: { parameters: ["pointer"], result: "i32" },
  xc_cpupool_freeinfo: { parameters: ["pointer"], result: "pointer" },
  xc_readconsolering: {
    parameters: ["pointer", "buffer", "buffer", "i32", "i32", "buffer"],
    result: "i32",
  },
  xc_vcpu_getinfo: { parameters: ["pointer", "u32", "u32", "buffer"], result: "i32" },
  xc_vcpu_getaffinity: {
    parameters: ["pointer", "u32", "i32", "buffer", "buffer", "u32"],
    result: "i32",
  },
  xc_vcpu_setaffinity: {
    parameters: ["pointer", "u32", "i32", "buffer", "buffer", "u32"],
    result: "i32",
  },
  xc_domain_setmaxmem: { parameters: ["pointer", "u32", "u64"], result: "i32" },
} as const satisfies Deno.ForeignLibraryInterface;

/** `sizeof(struct xen_sysctl_physinfo)`. */
export const PHYSINFO_SIZE = 112;
/** `sizeof(struct xen_domctl_getvcpuinfo)`. */
export const GETVCPUINFO_SIZE = 24;
/** libxl's console reader buffer (`libxl_xen_console_read_start`). */
export const CONSOLE_READ_SIZE = 16384;

/** Decodes a `struct xen_sysctl_physinfo`. */
export function decodePhysinfo(view: DataView): PhysInfo {
  const u32 = (at: number) => view.getUint32(at, true);
  const u64 = (at: number) => view.getBigUint64(at, true);
  return {
    threadsPerCore: u32(0),
    coresPerSocket: u32(4),
    nrCpus: u32(8),
    maxCpuId: u32(12),
    nrNodes: u32(16),
    cpuKhz: u32(24),
    capabilities: u32(28),
    archCapabilities: u32(32),
    totalPages: u64(40),
    freePages: u64(48),
    scrubPages: u64(56),
    outstandingPages: u64(64),
    hwCap: Array.from({ length: 8 }, (_, i) => u32(80 + 4 * i)),
  };
}

/** A C string (up to the first NUL) from `bytes`. */
export function cString(bytes: Uint8Array): string {
  const end = bytes.indexOf(0);
  return new TextDecoder().decode(end < 0 ? bytes : bytes.subarray(0, end));
}

/** Opens libxenctrl for the query calls; `NoXenError` without Xen. */
export function openHostControl(): HostControl {
  requirePrivcmd();
  const lib = openLibrary(hostXenAbi().xenctrlSonames, SYMBOLS);
  const s = lib.symbols;
  const xch = openXcInterface(s, () => lib.close());
  const check = (rc: number, call: string, what: string) => {
    if (rc < 0) throw new XenCallError(call, what, errnoName(lastErrno()));
  };
  const mapBytes = () => {
    const size = s.xc_get_cpumap_size(xch);
    check(size, "xc_get_cpumap_size", "reading the CPU map size");
    return size;
  };
  const versionString = (cmd: number, size: number) => {
    const buf = new Uint8Array(size);
    s.xc_version(xch, cmd, buf); // libxl ignores these return codes too
    return buf;
  };
  return {
    physinfo() {
      const buf = new Uint8Array(PHYSINFO_SIZE);
      check(s.xc_physinfo(xch, buf), "xc_physinfo", "reading the host's physical info");
      return decodePhysinfo(new DataView(buf.buffer));
    },
    sharingPages() {
      // Arm has no memory sharing: libxl turns ENOSYS into 0.
      const freed = s.xc_sharing_freed_pages(xch);
      const used = s.xc_sharing_used_frames(xch);
      return { freed: freed < 0n ? 0n : freed, used: used < 0n ? 0n : used };
    },
    versionInfo() {
      const version = s.xc_version(xch, XENVER.version, null);
      const cc = versionString(XENVER.compile_info, 144);
      const params = versionString(XENVER.platform_parameters, 8);
      const build = new Uint8Array(4 + 1024);
      new DataView(build.buffer).setUint32(0, 1024, true);
      const n = s.xc_version(xch, XENVER.build_id, build);
      const buildId = n > 0
        ? Array.from(build.subarray(4, 4 + n), (b) => b.toString(16).padStart(2, "0")).join("")
        : "";
      return {
        major: version >>> 16,
        minor: version & 0xff,
        extra: cString(versionString(XENVER.extraversion, 16)),
        capabilities: cString(versionString(XENVER.capabilities, 1024)),
        changeset: cString(versionString(XENVER.changeset, 64)),
        virtStart: new DataView(params.buffer).getBigUint64(0, true),
        pagesize: s.xc_version(xch, XENVER.pagesize, null),
        commandline: cString(versionString(XENVER.commandline, 1024)),
        compiler: cString(cc.subarray(0, 64)),
        compileBy: cString(cc.subarray(64, 80)),
        compileDomain: cString(cc.subarray(80, 112)),
        compileDate: cString(cc.subarray(112, 144)),
        buildId,
      };
    },
    maxCpus() {
      const n = s.xc_get_max_cpus(xch);
      check(n, "xc_get_max_cpus", "reading the number of CPUs");
      return n;
    },
    freeCpus() {
      const size = mapBytes();
      const at = s.xc_cpupool_freeinfo(xch);
      if (at === null) {
        throw new XenCallError("xc_cpupool_freeinfo", "reading free CPUs", errnoName(lastErrno()));
      }
      const map = new Uint8Array(Deno.UnsafePointerView.getArrayBuffer(at, size).slice(0));
      freeC(at);
      return map;
    },
    readConsoleRing(clear) {
      const chunks: Uint8Array[] = [];
      const count = new Uint32Array([CONSOLE_READ_SIZE]);
      const index = new Uint32Array(1);
      for (;;) {
        // libxl passes the previous read's count as the next size, as here.
        const buffer = new Uint8Array(CONSOLE_READ_SIZE);
        const rc = s.xc_readconsolering(xch, buffer, count, clear ? 1 : 0, 1, index);
        check(rc, "xc_readconsolering", "reading the hypervisor console ring");
        if (count[0] === 0) return chunks;
        chunks.push(buffer.subarray(0, count[0]));
      }
    },
    vcpuInfo(domid, vcpu) {
      const buf = new Uint8Array(GETVCPUINFO_SIZE);
      check(
        s.xc_vcpu_getinfo(xch, domid, vcpu, buf),
        "xc_vcpu_getinfo",
        `reading vCPU ${vcpu} of domain ${domid}`,
      );
      const size = mapBytes();
      const hard = new Uint8Array(size);
      const soft = new Uint8Array(size);
      check(
        s.xc_vcpu_getaffinity(
          xch,
          domid,
          vcpu,
          hard,
          soft,
          XEN_VCPUAFFINITY_HARD | XEN_VCPUAFFINITY_SOFT,
        ),
        "xc_vcpu_getaffinity",
        `reading vCPU ${vcpu}'s affinity of domain ${domid}`,
      );
      const view = new DataView(buf.buffer);
      return {
        vcpuid: vcpu,
        online: buf[4] !== 0,
        blocked: buf[5] !== 0,
        running: buf[6] !== 0,
        cpuTime: Number(view.getBigUint64(8, true)),
        cpu: view.getUint32(16, true),
        hard,
        soft,
      };
    },
    setVcpuAffinity(domid, vcpu, hard, soft, flags = 0) {
      const size = mapBytes();
      const fit = (map: Uint8Array) => {
        const out = new Uint8Array(size);
        out.set(map.subarray(0, size)); // libxl__bitmap_copy_best_effort
        return out;
      };
      const f = flags | (hard ? XEN_VCPUAFFINITY_HARD : 0) | (soft ? XEN_VCPUAFFINITY_SOFT : 0);
      check(
        s.xc_vcpu_setaffinity(
          xch,
          domid,
          vcpu,
          hard ? fit(hard) : null,
          soft ? fit(soft) : null,
          f,
        ),
        "xc_vcpu_setaffinity",
        `setting vCPU ${vcpu}'s affinity of domain ${domid}`,
      );
    },
    setMaxMem(domid, maxKb) {
      check(
        s.xc_domain_setmaxmem(xch, domid, BigInt(maxKb)),
        "xc_domain_setmaxmem",
        `setting domain ${domid}'s maximum memory to ${maxKb} KiB`,
      );
    },
    close() {
      s.xc_interface_close(xch);
      lib.close();
    },
  };
}

let libc: Deno.DynamicLibrary<{ free: { parameters: ["pointer"]; result: "void" } }> | null = null;

/** C `free` for memory libxenctrl allocated for us. */
function freeC(at: Deno.PointerObject): void {
  libc ??= Deno.dlopen("libc.so.6", { free: { parameters: ["pointer"], result: "void" } });
  libc.symbols.free(at);
}
