/**
 * `cpus =` / `cpus_soft =` at create: `libxl__build_pre` sets each vCPU's hard and soft
 * affinity (`libxl_set_vcpuaffinity`, one call per vCPU for both) after `max_vcpus` and
 * before the memory limit, on maps of `xc_get_max_cpus` bits.
 *
 * @module
 */
import type { DomainConfig } from "../config/types.ts";
import { parseCpuRange } from "../config/cpumap.ts";
import { openHostControl } from "../xen/host_control.ts";
import { XliteError } from "../errors.ts";

/** Sets the affinity `config` asks for on `domid`'s vCPUs; nothing when it asks for none. */
export function applyVcpuAffinity(domid: number, config: DomainConfig): void {
  const hard = config.vcpuHardAffinity ?? [];
  const soft = config.vcpuSoftAffinity ?? [];
  if (hard.length === 0 && soft.length === 0) return;
  const hc = openHostControl();
  try {
    const bytes = Math.ceil(hc.maxCpus() / 8);
    for (let i = 0; i < Math.max(hard.length, soft.length); i++) {
      try {
        hc.setVcpuAffinity(
          domid,
          i,
          i < hard.length ? parseCpuRange(hard[i], bytes) : null,
          i < soft.length ? parseCpuRange(soft[i], bytes) : null,
        );
      } catch (error) {
        throw new XliteError(
          `setting affinity failed on vcpu \`${i}': ${(error as Error).message}`,
        );
      }
    }
  } finally {
    hc.close();
  }
}
