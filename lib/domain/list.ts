/**
 * `xl list`: the domains the hypervisor has, with their xenstore names, in xl's columns
 * (`list_domains` in `tools/xl/xl_info.c`), as JSON (`libxl_dominfo` fields plus the name),
 * or with their stored libxl configuration (`xl list -l`).
 *
 * @module
 */
import type { DomainInfo } from "../xen/mod.ts";
import type { XenCtrl } from "../xen/mod.ts";
import type { XenstoreOps } from "../xenstore/mod.ts";
import { XliteError } from "../errors.ts";
import { domainName } from "./resolve.ts";
import { findDomain } from "./find_domain.ts";
import { retrieveDomainConfig } from "./retrieve_config.ts";
import { type JsonValue, yajlBeautify } from "../json/mod.ts";

/** One listed domain: what Xen says and its xenstore name (`undefined` when it has none). */
export interface DomainRow {
  /** The hypervisor's view. */
  info: DomainInfo;
  /** `/local/domain/<domid>/name`. */
  name: string | undefined;
}

/**
 * Every domain (`qualifier` undefined) or the one `qualifier` names. A qualifier naming no
 * domain is xl's `Error: Domain '<q>' does not exist.`
 */
export async function listDomainRows(
  xc: XenCtrl,
  xs: XenstoreOps,
  qualifier?: string,
): Promise<DomainRow[]> {
  let infos: DomainInfo[];
  if (qualifier === undefined) {
    infos = xc.listDomains();
  } else {
    const info = xc.domainInfo(await findDomain(xs, qualifier));
    if (!info) {
      throw new XliteError(`Error: Domain '${qualifier}' does not exist.`, { verbatim: true });
    }
    infos = [info];
  }
  return await Promise.all(infos.map(async (info) => ({
    info,
    name: await domainName(xs, info.domid),
  })));
}

const SHUTDOWN_REASON_LETTERS = "-rscwS";

/** xl's six state letters: running, blocked, paused, shutdown (+ reason), dying. */
export function stateLetters(info: DomainInfo): string {
  const reason = info.shutdown ? info.shutdownReason : 0;
  const reasonLetter = reason >= 0 && reason < SHUTDOWN_REASON_LETTERS.length
    ? SHUTDOWN_REASON_LETTERS[reason]
    : "?";
  return (info.running ? "r" : "-") + (info.blocked ? "b" : "-") + (info.paused ? "p" : "-") +
    (info.shutdown ? "s" : "-") + reasonLetter + (info.dying ? "d" : "-");
}

/** C's `%8.1f` of `(float)cpu_time / 1e9`, as xl prints the Time(s) column. */
export function cpuSeconds(cpuTimeNs: number): string {
  return (Math.fround(cpuTimeNs) / 1e9).toFixed(1).padStart(8);
}

/** MiB as xl computes the Mem column: (current + outstanding KiB) / 1024, truncated. */
export function memMiB(info: DomainInfo): number {
  return Math.floor((info.currentMemkb + info.outstandingMemkb) / 1024);
}

/** xl list's header line (`-v` adds UUID, reason code and security label columns). */
export function listHeader(verbose = false): string {
  return "Name                                        ID   Mem VCPUs\tState\tTime(s)" +
    (verbose ? "   UUID                            Reason-Code\tSecurity Label" : "");
}

/** One xl list line: `%-40s %5d %5lu %5d     %c%c%c%c%c%c  %8.1f` (+ `-v` columns). */
export function listLine(row: DomainRow, verbose = false): string {
  const { info } = row;
  let line = `${(row.name ?? "(null)").padEnd(40)} ${String(info.domid).padStart(5)} ` +
    `${String(memMiB(info)).padStart(5)} ${String(info.vcpuOnline).padStart(5)}     ` +
    `${stateLetters(info)}  ${cpuSeconds(info.cpuTime)}`;
  if (verbose) {
    const reason = info.shutdown ? info.shutdownReason.toString(16) : "-";
    line += ` ${info.uuid} ${reason.padStart(8)} ${"-".padStart(16)}`;
  }
  return line;
}

/** The whole `xl list` text (no final newline). */
export function formatDomainList(rows: DomainRow[], verbose = false): string {
  return [listHeader(verbose), ...rows.map((row) => listLine(row, verbose))].join("\n");
}

const REASONS = ["poweroff", "reboot", "suspend", "crash", "watchdog", "soft_reset"];

/** `--json`: `libxl_dominfo` fields (libxl's names) plus `name` and xl's `state` letters. */
export function domainRowJson(row: DomainRow): { [key: string]: JsonValue } {
  const { info } = row;
  return {
    name: row.name ?? null,
    uuid: info.uuid,
    domid: info.domid,
    ssidref: info.ssidref,
    running: info.running,
    blocked: info.blocked,
    paused: info.paused,
    shutdown: info.shutdown,
    dying: info.dying,
    never_stop: info.neverStop,
    shutdown_reason: info.shutdown ? REASONS[info.shutdownReason] ?? "unknown" : null,
    outstanding_memkb: info.outstandingMemkb,
    current_memkb: info.currentMemkb,
    max_memkb: info.maxMemkb,
    cpu_time: info.cpuTime,
    vcpu_max_id: info.vcpuMaxId,
    vcpu_online: info.vcpuOnline,
    cpupool: info.cpupool,
    gpaddr_bits: info.gpaddrBits,
    state: stateLetters(info),
  };
}

/**
 * `xl list -l`: `[{"domid": N, "config": <libxl_domain_config>}, ...]` in yajl's layout;
 * domains libxl stored no configuration for are left out, as xl does.
 */
export async function formatDomainDetails(
  xc: XenCtrl,
  xs: XenstoreOps,
  rows: DomainRow[],
): Promise<string> {
  const out: JsonValue[] = [];
  for (const { info } of rows) {
    const config = await retrieveDomainConfig(xc, xs, info);
    if (config !== undefined) out.push({ domid: info.domid, config });
  }
  // yajl ends its beautified text with a newline, and xl's puts() adds another.
  return yajlBeautify(out) + "\n\n";
}
