/**
 * How `xlite create --dry-run` shows its plan: as text, one section per step, or as JSON.
 *
 * @module
 */
import { formatXenVersion } from "../xen_version/mod.ts";
import type { DryRunPlan } from "./plan_guest.ts";
import { printYajl, toPlain } from "./xl_json.ts";

/** Plain JSON values (the `--json` plan). */
export type Json = string | number | boolean | null | Json[] | { [key: string]: Json };

const hex = (n: bigint | number) => `0x${n.toString(16)}`;

/** The plan as text: one section per step, the device tree as DTS (from `toDts`). */
export function formatPlan(plan: DryRunPlan, dts: string): string {
  const lines: string[] = [];
  const section = (title: string) => lines.push("", `## ${title}`);
  lines.push(`# xlite create --dry-run (emulating Xen ${formatXenVersion(plan.xenVersion)})`);
  for (const note of plan.notes) lines.push(`note: ${note}`);
  for (const warning of plan.warnings) lines.push(`warning: ${warning}`);
  section("domain config (xl -N)");
  lines.push(printYajl(plan.config));
  section("virtio-mmio allocation");
  if (plan.virtio.length === 0) lines.push("(no virtio-mmio devices)");
  else {
    lines.push("device                         base        irq  backend  grant_usage");
    for (const row of plan.virtio) {
      lines.push(
        `${row.device.padEnd(30)} ${hex(row.base).padEnd(11)} ${String(row.irq).padEnd(4)} ${
          String(row.backendDomid).padEnd(8)
        } ${row.grantUsage ? 1 : 0}`,
      );
    }
  }
  lines.push(`nr_spis: ${plan.nrSpis}`, `gic_version: ${plan.gicVersion}`);
  section("memory layout");
  const l = plan.layout;
  const seg = (name: string, s: { start: bigint; end: bigint }) =>
    lines.push(`${name.padEnd(10)} ${hex(s.start)}-${hex(s.end)} (${s.end - s.start} bytes)`);
  lines.push(`ram        ${l.ramBytes >> 20n} MiB (${plan.arch})`);
  l.banks.forEach((b, i) => lines.push(`bank ${i}     ${hex(b.base)} +${hex(b.size)}`));
  seg("kernel", l.kernel);
  if (l.ramdisk) seg("ramdisk", l.ramdisk);
  seg("dtb", l.dtb);
  plan.hypervisorReg.forEach((r, i) =>
    lines.push(
      `${i === 0 ? "grant tbl" : `ext reg ${i}`.padEnd(9)}  ${hex(r.base)} +${hex(r.size)}`,
    )
  );
  section(
    `device tree (${plan.dtb.length} bytes; buffer ${
      plan.dtbAttempts.at(-1)
    } after ${plan.dtbAttempts.length} attempt(s))`,
  );
  lines.push(dts.trimEnd());
  section("xenstore writes");
  lines.push(...plan.xenstoreWrites);
  return lines.join("\n") + "\n";
}

/** The plan as JSON (bigints as numbers or hex strings where they exceed 2^53). */
export function planToJson(plan: DryRunPlan, dts: string): { [key: string]: Json } {
  const num = (n: bigint): Json => (n <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(n) : hex(n));
  const seg = (s?: { start: bigint; end: bigint }): Json =>
    s ? { start: num(s.start), end: num(s.end) } : null;
  return {
    xen_version: formatXenVersion(plan.xenVersion),
    config: toPlain(plan.config) as Json,
    virtio_mmio: plan.virtio.map((r) => ({
      device: r.device,
      base: num(r.base),
      irq: r.irq,
      backend_domid: r.backendDomid,
      grant_usage: r.grantUsage,
    })),
    nr_spis: plan.nrSpis,
    gic_version: plan.gicVersion,
    memory: {
      ram_bytes: num(plan.layout.ramBytes),
      arch: plan.arch,
      banks: plan.layout.banks.map((b) => ({ base: num(b.base), size: num(b.size) })),
      kernel: seg(plan.layout.kernel),
      ramdisk: seg(plan.layout.ramdisk),
      dtb: seg(plan.layout.dtb),
      hypervisor_reg: plan.hypervisorReg.map((r) => ({ base: num(r.base), size: num(r.size) })),
    },
    dtb: { size: plan.dtb.length, attempts: plan.dtbAttempts, dts },
    xenstore_writes: plan.xenstoreWrites,
    notes: plan.notes,
    warnings: plan.warnings,
  };
}
