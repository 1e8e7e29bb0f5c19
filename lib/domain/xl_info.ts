/**
 * `xl info`: the host (`uname`), the hypervisor's physical info (`libxl_get_physinfo`) and
 * version info (`libxl_get_version_info`), in the lines and order of the host's xl (`print_info`
 * in `tools/xl/xl_info.c`; 4.18 added `arm_sve_vector_length`), and the one-field form `xl info FIELD` (`maybe_printf`).
 *
 * @module
 */
import type { HostControl, PhysInfo, VersionInfo } from "../xen/host_control.ts";
import { XEN_SYSCTL_PHYSCAP as CAP } from "../xen/host_control.ts";
import { SCHEDULER_NAMES } from "../xen/domctl.ts";
import type { XenCtrl } from "../xen/xenctrl.ts";
import { atLeast } from "../xen_version/mod.ts";

/** `struct utsname` fields xl prints. */
export interface Uname {
  /** `nodename`. */
  nodename: string;
  /** `release`. */
  release: string;
  /** `version`. */
  version: string;
  /** `machine`. */
  machine: string;
}

/** Everything `xl info` prints, gathered once. */
export interface HostReport {
  /** The dom0 kernel's `uname`. */
  uname: Uname;
  /** `xc_physinfo`. */
  phys: PhysInfo;
  /** Shared pages (`xc_sharing_*`). */
  sharing: { freed: bigint; used: bigint };
  /** `xc_version`. */
  version: VersionInfo;
  /** CPUs in no CPU pool. */
  freeCpus: number;
  /** The default pool's scheduler name (`libxl_scheduler_to_string`). */
  scheduler: string;
}

/** Reads the dom0 kernel's `uname` from `/proc/sys/kernel` (what `uname(2)` returns). */
export function readUname(): Uname {
  const read = (name: string) => Deno.readTextFileSync(`/proc/sys/kernel/${name}`).trimEnd();
  return {
    nodename: read("hostname"),
    release: read("osrelease"),
    version: read("version"),
    machine: Deno.build.arch === "aarch64" ? "aarch64" : Deno.build.arch,
  };
}

/** Gathers what `xl info` prints. */
export function gatherHostReport(hc: HostControl, xc: XenCtrl, uname: Uname): HostReport {
  const free = hc.freeCpus();
  let freeCpus = 0;
  for (const byte of free) for (let b = byte; b; b &= b - 1) freeCpus++;
  const sched = xc.schedulerId();
  return {
    uname,
    phys: hc.physinfo(),
    sharing: hc.sharingPages(),
    version: hc.versionInfo(),
    freeCpus,
    scheduler: SCHEDULER_NAMES[sched] ?? "(null)",
  };
}

const hex8 = (n: number) => n.toString(16).padStart(8, "0");

/** xl's `key                    : value` lines (23-column key), in `print_info`'s order. */
export function xlInfoLines(r: HostReport): string[] {
  const { phys: p, version: v } = r;
  const caps = p.capabilities;
  const has = (bit: number) => (caps & bit) !== 0;
  const perMiB = BigInt((1 << 20) / v.pagesize);
  const virtCaps = (has(CAP.pv) ? " pv" : "") + (has(CAP.hvm) ? " hvm" : "") +
    (has(CAP.hvm) && has(CAP.directio) ? " hvm_directio" : "") +
    (has(CAP.pv) && has(CAP.directio) ? " pv_directio" : "") + (has(CAP.hap) ? " hap" : "") +
    (has(CAP.shadow) ? " shadow" : "") +
    (has(CAP.iommu_hap_pt_share) ? " iommu_hap_pt_share" : "") +
    (has(CAP.vmtrace) ? " vmtrace" : "") + (has(CAP.vpmu) ? " vpmu" : "") +
    (has(CAP.gnttab_v1) ? " gnttab-v1" : "") + (has(CAP.gnttab_v2) ? " gnttab-v2" : "");
  const rows: [string, string][] = [
    ["host", r.uname.nodename],
    ["release", r.uname.release],
    ["version", r.uname.version],
    ["machine", r.uname.machine],
    ["nr_cpus", `${p.nrCpus}`],
    ["max_cpu_id", `${p.maxCpuId}`],
    ["nr_nodes", `${p.nrNodes}`],
    ["cores_per_socket", `${p.coresPerSocket}`],
    ["threads_per_core", `${p.threadsPerCore}`],
    ["cpu_mhz", `${Math.floor(p.cpuKhz / 1000)}.${String(p.cpuKhz % 1000).padStart(3, "0")}`],
    ["hw_caps", p.hwCap.map(hex8).join(":")],
    ["virt_caps", virtCaps],
    // xl 4.18+ on Arm: arch_capabilities_arm_sve (XEN_SYSCTL_PHYSCAP_ARM_SVE_MASK, times 128)
    ...(atLeast(v, 4, 18)
      ? [["arm_sve_vector_length", `${(p.archCapabilities & 0x1f) * 128}`] as [string, string]]
      : []),
    ["total_memory", `${p.totalPages / perMiB}`],
    ["free_memory", `${(p.freePages - p.outstandingPages) / perMiB}`],
    ["sharing_freed_memory", `${r.sharing.freed / perMiB}`],
    ["sharing_used_memory", `${r.sharing.used / perMiB}`],
    ["outstanding_claims", `${p.outstandingPages / perMiB}`],
    ["free_cpus", `${r.freeCpus}`],
    ["xen_major", `${v.major}`],
    ["xen_minor", `${v.minor}`],
    ["xen_extra", v.extra],
    ["xen_version", `${v.major}.${v.minor}${v.extra}`],
    ["xen_caps", v.capabilities],
    ["xen_scheduler", r.scheduler],
    ["xen_pagesize", `${v.pagesize}`],
    ["platform_params", `virt_start=0x${v.virtStart.toString(16)}`],
    ["xen_changeset", v.changeset],
    ["xen_commandline", v.commandline],
    ["cc_compiler", v.compiler],
    ["cc_compile_by", v.compileBy],
    ["cc_compile_domain", v.compileDomain],
    ["cc_compile_date", v.compileDate],
    ["build_id", v.buildId],
    ["xend_config_format", "4"],
  ];
  // virt_caps is printed as "virt_caps              :%s", so its value starts with its space
  return rows.map(([k, val]) =>
    k === "virt_caps" ? `${k.padEnd(23)}:${val}` : `${k.padEnd(23)}: ${val}`
  );
}

/**
 * The text `xl info [FIELD]` prints (each line ends in a newline). With `field`, xl's
 * `maybe_printf`: every line whose text starts with `field` and has ": " after its first
 * colon prints only what follows ": " (so a prefix such as `xen_` matches several lines).
 */
export function formatXlInfo(r: HostReport, field?: string): string {
  const lines = xlInfoLines(r).map((line) => line + "\n");
  if (field === undefined) return lines.join("");
  return lines.filter((line) => {
    const colon = line.indexOf(":");
    return line.startsWith(field) && colon >= 0 && line[colon + 1] === " ";
  }).map((line) => line.slice(line.indexOf(":") + 2)).join("");
}

/** `xl info`'s JSON-friendly form (`--json`): the same fields as one object. */
export function xlInfoJson(r: HostReport): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of xlInfoLines(r)) {
    const colon = line.indexOf(":");
    out[line.slice(0, colon).trimEnd()] = line.slice(colon + 1).trimStart();
  }
  return out;
}
