/**
 * `xl uptime [-s] [DOM...]` (`print_uptime` in `tools/xl/xl_info.c`): dom0's uptime from
 * `/proc/uptime`, a guest's from its `/vm/<uuid>/start_time` (seconds since the epoch, written
 * at create), in xl's long (`Name ID Uptime`) or short (`uptime(1)`-like) lines.
 *
 * @module
 */
import type { XenCtrl } from "../xen/xenctrl.ts";
import type { XenstoreOps } from "../xenstore/mod.ts";
import { domainName } from "./resolve.ts";

/** xl's `uptime_to_string`: `[D day(s), ]H:MM[:SS]` with the hour padded to 2. */
export function uptimeToString(seconds: number, short: boolean): string {
  const day = Math.floor(seconds / 86400);
  let rest = seconds - day * 86400;
  const hour = Math.floor(rest / 3600);
  rest -= hour * 3600;
  const min = Math.floor(rest / 60);
  const sec = rest - min * 60;
  const hm = `${String(hour).padStart(2)}:${String(min).padStart(2, "0")}`;
  const clock = short ? hm : `${hm}:${String(sec).padStart(2, "0")}`;
  if (day > 1) return `${day} days, ${clock}`;
  if (day === 1) return `${day} day, ${clock}`;
  return clock;
}

/** `%H:%M:%S` of `now` in local time, as xl's `current_time_to_string`. */
export function clockTime(now: Date): string {
  const two = (n: number) => String(n).padStart(2, "0");
  return `${two(now.getHours())}:${two(now.getMinutes())}:${two(now.getSeconds())}`;
}

/** One line for `name` (`null` name prints as glibc does) up `seconds`. */
export function uptimeLine(
  name: string | undefined,
  domid: number,
  seconds: number,
  short: boolean,
  now: Date,
): string {
  const shown = name ?? "(null)";
  if (short) return ` ${clockTime(now)} up ${uptimeToString(seconds, true)}, ${shown} (${domid})`;
  return `${shown.padEnd(33)} ${String(domid).padStart(4)} ${uptimeToString(seconds, false)}`;
}

/** xl's long-form header. */
export const UPTIME_HEADER = `${"Name".padEnd(33)} ${"ID".padStart(4)} Uptime`;

/** Dom0's uptime in whole seconds (`/proc/uptime`'s first field, truncated). */
export function dom0UptimeSeconds(): number {
  return Math.floor(Number(Deno.readTextFileSync("/proc/uptime").split(" ")[0]));
}

/**
 * The whole `xl uptime` text: `domids` as given, or (none given) dom0 then every other
 * domain. A guest without `start_time` is skipped, as xl skips it.
 */
export async function formatUptime(
  xc: XenCtrl,
  xs: XenstoreOps,
  domids: number[],
  short: boolean,
  now: Date = new Date(),
): Promise<string> {
  const nowSec = Math.floor(now.getTime() / 1000);
  const lines: string[] = short ? [] : [UPTIME_HEADER];
  const targets = domids.length > 0
    ? domids
    : [0, ...xc.listDomains().map((d) => d.domid).filter((d) => d !== 0)];
  for (const domid of targets) {
    const name = await domainName(xs, domid);
    if (domid === 0) {
      lines.push(uptimeLine(name, 0, dom0UptimeSeconds(), short, now));
      continue;
    }
    const vm = await xs.tryRead(`/local/domain/${domid}/vm`);
    const start = vm === undefined ? undefined : await xs.tryRead(`${vm}/start_time`);
    if (start === undefined) continue;
    // xl keeps these in uint32_t: a start_time with a fraction is cut by strtoul
    const seconds = (nowSec - Number.parseInt(start, 10)) >>> 0;
    lines.push(uptimeLine(name, domid, seconds, short, now));
  }
  return lines.length === 0 ? "" : lines.join("\n") + "\n";
}
