/**
 * Domains, as libxl and xl handle them (spec §2.8, §5): the guest pipeline of `create` (the
 * prepared guest, its Arm build plan, the hypercall phase, the xenstore writes), `destroy`,
 * `shutdown`, `pause`/`unpause`, `list`, `console`, and the disks of a running domain.
 * Above `lib/devices`, `lib/xen` and `lib/xenstore`; `lib/cli` sits on top.
 *
 * @module
 */
export * from "./arm_boot.ts";
export * from "./build_domain.ts";
export * from "./console.ts";
export * from "./create.ts";
export * from "./destroy.ts";
export * from "./disks.ts";
export * from "./domain_errors.ts";
export * from "./domain_xenstore.ts";
export * from "./fault_inject.ts";
export * from "./find_domain.ts";
export * from "./guest_plan.ts";
export * from "./lifecycle.ts";
export * from "./list.ts";
export * from "./memory.ts";
export * from "./network.ts";
export * from "./pause.ts";
export * from "./plan_format.ts";
export * from "./plan_guest.ts";
export * from "./prepare_guest.ts";
export * from "./query_session.ts";
export * from "./rename.ts";
export * from "./resolve.ts";
export * from "./retrieve_config.ts";
export * from "./shutdown.ts";
export * from "./unpause.ts";
export * from "./uptime.ts";
export * from "./userdata.ts";
export * from "./vcpu.ts";
export * from "./vcpu_affinity.ts";
export * from "./watch.ts";
export * from "./xen_session.ts";
export * from "./xl_info.ts";
export * from "./xl_json.ts";

// Types of folders without a mod.ts yet that this surface names (deno doc --lint).
export type { ExtendedRegion } from "../arm/mod.ts";
export type { GuestArch } from "../arm/mod.ts";
export type { MemoryLayout, RamBank, Segment } from "../arm/mod.ts";
export type { JsonValue } from "../json/mod.ts";
export type { NicType, VifDevice, VifRate } from "../config/mod.ts";
export type { NicInfo } from "../devices/mod.ts";
