/**
 * xl's `mem-max` and `mem-set` (`tools/xl/xl_mem.c`) as libxl 4.17 does them on Arm
 * (`libxl_domain_setmaxmem`, `libxl_set_memory_target` with `enforce`): the hypervisor's limit
 * (`xc_domain_setmaxmem`, plus `LIBXL_MAXMEM_CONSTANT`, Arm's only extra memory without ACPI)
 * and the xenstore nodes the guest's balloon driver follows (`memory/target`,
 * `memory/static-max`, `/vm/<uuid>/memory`). `xc_domain_set_pod_target` is a no-op on Arm.
 *
 * @module
 */
import type { HostControl } from "../xen/host_control.ts";
import type { XenCtrl } from "../xen/xenctrl.ts";
import type { XenstoreClient } from "../xenstore/mod.ts";
import { XliteError } from "../errors.ts";
import { LIBXL_MAXMEM_CONSTANT } from "./build_domain.ts";

/**
 * xl's `parse_mem_size_kb`: a number with an optional `t`/`g`/`m`/`k`/`b` suffix (none:
 * MiB), in KiB; `undefined` where xl says "invalid memory size".
 */
export function parseMemSizeKb(text: string): number | undefined {
  const match = /^\s*([+-]?[0-9]*)(.*)$/s.exec(text)!;
  const value = match[1] === "" || match[1] === "+" || match[1] === "-" ? 0n : BigInt(match[1]);
  const suffix = match[2];
  if (suffix.length > 1) return undefined;
  const shifts: Record<string, bigint> = { t: 30n, g: 20n, "": 10n, m: 10n, k: 0n };
  const s = suffix.toLowerCase();
  if (s === "b") return Number(value >> 10n);
  if (!(s in shifts)) return undefined;
  return Number(value << shifts[s]);
}

/** A xenstore number node, as libxl reads it (`strtoull`, nothing after). */
async function readKb(xs: XenstoreClient, path: string, what: string): Promise<number> {
  const text = await xs.tryRead(path);
  if (text === undefined || !/^[0-9]+$/.test(text)) {
    throw new XliteError(`cannot read ${what} from ${path}`);
  }
  return Number(text);
}

/**
 * `libxl_domain_setmaxmem`: refuses a maximum below `memory/target`, then sets the
 * hypervisor's limit and `memory/static-max`. The error is xl's line.
 */
export async function setMemoryMax(
  hc: HostControl,
  xs: XenstoreClient,
  domid: number,
  maxKb: number,
  asGiven: string,
): Promise<void> {
  const refuse = () =>
    new XliteError(`cannot set domid ${domid} static max memory to : ${asGiven}`, {
      verbatim: true,
    });
  const dompath = `/local/domain/${domid}`;
  const target = await readKb(xs, `${dompath}/memory/target`, "the memory target").catch(() => {
    throw refuse();
  });
  if (maxKb < target) throw refuse();
  try {
    hc.setMaxMem(domid, maxKb + LIBXL_MAXMEM_CONSTANT);
  } catch {
    throw refuse();
  }
  await xs.write(`${dompath}/memory/static-max`, String(maxKb));
}

/**
 * `libxl_set_memory_target(domid, targetKb, relative = 0, enforce = 1)`: the new target must
 * not pass `memory/static-max`; sets the hypervisor's limit to it, then `memory/target` and
 * `/vm/<uuid>/memory` (MiB) in one transaction. The error is xl's line.
 */
export async function setMemoryTarget(
  hc: HostControl,
  xc: XenCtrl,
  xs: XenstoreClient,
  domid: number,
  targetKb: number,
  asGiven: string,
): Promise<void> {
  const refuse = () =>
    new XliteError(`cannot set domid ${domid} dynamic max memory to : ${asGiven}`, {
      verbatim: true,
    });
  const dompath = `/local/domain/${domid}`;
  await xs.transaction(async (tx) => {
    const read = async (node: string) => {
      const text = await tx.tryRead(`${dompath}/memory/${node}`);
      if (text === undefined || !/^[0-9]+$/.test(text)) throw refuse();
      return Number(text);
    };
    await read("target");
    const staticMax = await read("static-max");
    const videoram = Number.parseInt(await tx.tryRead(`${dompath}/memory/videoram`) ?? "0") || 0;
    const newTarget = targetKb - videoram;
    if (newTarget > staticMax || newTarget < 0) throw refuse();
    try {
      hc.setMaxMem(domid, newTarget + videoram + LIBXL_MAXMEM_CONSTANT);
    } catch {
      throw refuse();
    }
    await tx.write(`${dompath}/memory/target`, String(newTarget));
    const info = xc.domainInfo(domid);
    if (!info) throw refuse();
    await tx.write(`/vm/${info.uuid}/memory`, String(Math.floor(newTarget / 1024)));
  });
}
