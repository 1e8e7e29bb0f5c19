/**
 * xl's vCPU commands (`tools/xl/xl_vcpu.c`): `vcpu-list` (`libxl_list_vcpu`: each vCPU's
 * state, CPU time and hard / soft affinity), `vcpu-pin` (`libxl_set_vcpuaffinity`:
 * `xc_vcpu_setaffinity`) and `vcpu-set` (`libxl_set_vcpuonline`: a PVH guest's
 * `cpu/<n>/availability` nodes, which the guest's kernel watches).
 *
 * @module
 */
import type { HostControl, VcpuInfo } from "../xen/host_control.ts";
import { XEN_VCPUAFFINITY_FORCE } from "../xen/host_control.ts";
import type { XenCtrl } from "../xen/xenctrl.ts";
import type { XenstoreClient, XenstoreOps } from "../xenstore/mod.ts";
import { XliteError } from "../errors.ts";
import { printBitmap } from "../config/cpumap.ts";
import { domainName } from "./resolve.ts";

/** `XEN_INVALID_MAX_VCPU_ID`: a domain with no vCPUs yet. */
export const XEN_INVALID_MAX_VCPU_ID = 0xffffffff;

/** `libxl_list_vcpu`: every vCPU of `domid` (none when the domain has none or is gone). */
export function listVcpus(hc: HostControl, xc: XenCtrl, domid: number): VcpuInfo[] {
  const info = xc.domainInfo(domid);
  if (!info || info.vcpuMaxId === XEN_INVALID_MAX_VCPU_ID) return [];
  return Array.from({ length: info.vcpuMaxId + 1 }, (_, vcpu) => hc.vcpuInfo(domid, vcpu));
}

/** xl's `vcpu-list` header line. */
export const VCPU_LIST_HEADER: string =
  `${"Name".padEnd(32)} ${"ID".padStart(5)} ${"VCPU".padStart(5)} ` +
  `${"CPU".padStart(5)} ${"State".padStart(5)} ${"Time(s)".padStart(9)} Affinity (Hard / Soft)`;

/**
 * C's `%.1f`: like `toFixed(1)`, except that an exact tie (x.x5, which a double holds only
 * when 4x is an odd integer) rounds to even, as glibc does, where `toFixed` rounds up.
 */
export function printfFixed1(x: number): string {
  const quarters = x * 4;
  if (!Number.isInteger(quarters) || quarters % 2 === 0) return x.toFixed(1);
  const tenths = Math.floor(x * 10); // x * 10 is k + 0.5 exactly
  return ((tenths % 2 === 0 ? tenths : tenths + 1) / 10).toFixed(1);
}

/** One `print_vcpuinfo` line; `nrCpus` is `max_cpu_id + 1`. */
export function vcpuLine(
  name: string | undefined,
  domid: number,
  v: VcpuInfo,
  nrCpus: number,
): string {
  let line = `${(name ?? "(null)").padEnd(32)} ${String(domid).padStart(5)} ` +
    `${String(v.vcpuid).padStart(5)}`;
  line += v.online
    ? `${String(v.cpu).padStart(5)} ${(v.running ? "r" : "-").padStart(3)}${
      v.blocked ? "b" : "-"
    }- `
    : `${"-".padStart(5)} ${"-".padStart(3)}-p `;
  line += `${printfFixed1(Math.fround(v.cpuTime) / 1e9).padStart(9)}  `;
  return `${line}${printBitmap(v.hard, nrCpus)} / ${printBitmap(v.soft, nrCpus)}`;
}

/** The `vcpu-list` text for `domids` (each line ends in a newline). */
export async function formatVcpuList(
  hc: HostControl,
  xc: XenCtrl,
  xs: XenstoreOps,
  domids: number[],
): Promise<string> {
  const nrCpus = hc.physinfo().maxCpuId + 1;
  const lines = [VCPU_LIST_HEADER];
  for (const domid of domids) {
    const vcpus = listVcpus(hc, xc, domid);
    if (vcpus.length === 0) continue;
    const name = await domainName(xs, domid);
    for (const v of vcpus) lines.push(vcpuLine(name, domid, v, nrCpus));
  }
  return lines.join("\n") + "\n";
}

/**
 * `xl vcpu-pin`: sets `vcpu`'s (or, `vcpu` undefined, every vCPU's) hard and / or soft
 * affinity; `null` leaves one as it is. `force` is xl's `-f` (`XEN_VCPUAFFINITY_FORCE`).
 */
export function pinVcpus(
  hc: HostControl,
  xc: XenCtrl,
  domid: number,
  vcpu: number | undefined,
  hard: Uint8Array | null,
  soft: Uint8Array | null,
  force = false,
): void {
  if (vcpu !== undefined) {
    try {
      hc.setVcpuAffinity(domid, vcpu, hard, soft, force ? XEN_VCPUAFFINITY_FORCE : 0);
    } catch {
      throw new XliteError(`Could not set affinity for vcpu \`${vcpu}'.`, { verbatim: true });
    }
    return;
  }
  const count = listVcpus(hc, xc, domid).length;
  if (count === 0) throw new XliteError("libxl_list_vcpu failed.", { verbatim: true });
  let failed = false;
  for (let i = 0; i < count; i++) {
    try {
      hc.setVcpuAffinity(domid, i, hard, soft);
    } catch {
      failed = true;
    }
  }
  // xl prints this but still exits 0 (main_vcpupin)
  if (failed) console.error("Could not set affinity.");
}

/**
 * `libxl_set_vcpuonline` for a PVH guest: vCPUs 0..count-1 online, the rest offline, written
 * to `cpu/<n>/availability` in one transaction. Refuses 0 and more than the domain's maximum
 * with libxl's reasons.
 */
export async function setVcpusOnline(
  xc: XenCtrl,
  xs: XenstoreClient,
  domid: number,
  count: number,
): Promise<void> {
  const info = xc.domainInfo(domid);
  if (!info) throw new XliteError(`Domain ${domid} does not exist.`, { verbatim: true });
  const failed = (why: string) =>
    new XliteError(
      `libxl: error: ${why}\nlibxl_set_vcpuonline failed domid=${domid} max_vcpus=${count}, rc: -3`,
      { verbatim: true },
    );
  if (count === 0) throw failed("Requested 0 VCPUs!");
  if (count > info.vcpuMaxId + 1) {
    throw failed(`Requested ${count} VCPUs, however maxcpus is ${info.vcpuMaxId + 1}!`);
  }
  const dompath = `/local/domain/${domid}`;
  await xs.transaction(async (tx) => {
    for (let i = 0; i <= info.vcpuMaxId; i++) {
      await tx.write(`${dompath}/cpu/${i}/availability`, i < count ? "online" : "offline");
    }
  });
}
