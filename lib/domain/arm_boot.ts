/**
 * vCPU 0's initial state for an arm64 Linux guest: what `vcpu_arm64` in Xen 4.17's
 * `tools/libs/guest/xg_dom_arm.c` passes to `xc_vcpu_setcontext` (Linux's arm64 boot
 * protocol: x0 = DTB address, x1..x3 = 0, PC = the kernel entry, EL1h with DAIF masked, MMU
 * off). Encoded as the Arm `struct vcpu_guest_context` of `arch-arm.h`.
 *
 * @module
 */

/** `VGCF_online`. */
export const VGCF_online = 1;
/** `PSR_GUEST64_INIT`: `PSR_ABT_MASK | PSR_FIQ_MASK | PSR_IRQ_MASK | PSR_MODE_EL1h`. */
export const PSR_GUEST64_INIT = 0x1c5;
/** `SCTLR_GUEST_INIT`. */
export const SCTLR_GUEST_INIT = 0x00c50078n;

/** Byte offsets in the Arm `struct vcpu_guest_context` (352 bytes; checked against C). */
export const VCPU_GUEST_CONTEXT = {
  flags: 0,
  user_regs: 8,
  /** `user_regs.x0` (each `xN` is 8 bytes, x0 first). */
  x0: 8,
  /** `user_regs.pc64`. */
  pc64: 8 + 248,
  /** `user_regs.cpsr`. */
  cpsr: 8 + 256,
  sctlr: 320,
  ttbcr: 328,
  ttbr0: 336,
  ttbr1: 344,
  size: 352,
} as const;

/** Where the guest starts. */
export interface Arm64BootState {
  /** The kernel entry (`virt_entry`: RAM base + text_offset). */
  entry: bigint;
  /** Guest-physical address of the DTB (x0). */
  dtbAddress: bigint;
}

/** Encodes vCPU 0's context as `vcpu_arm64` sets it (spec §3.6 placement). */
export function arm64BootContext(state: Arm64BootState): Uint8Array {
  const bytes = new Uint8Array(VCPU_GUEST_CONTEXT.size);
  const v = new DataView(bytes.buffer);
  v.setUint32(VCPU_GUEST_CONTEXT.flags, VGCF_online, true);
  v.setBigUint64(VCPU_GUEST_CONTEXT.pc64, state.entry, true);
  v.setBigUint64(VCPU_GUEST_CONTEXT.x0, state.dtbAddress, true); // x1..x3 stay 0
  v.setUint32(VCPU_GUEST_CONTEXT.cpsr, PSR_GUEST64_INIT, true);
  v.setBigUint64(VCPU_GUEST_CONTEXT.sctlr, SCTLR_GUEST_INIT, true); // ttbr0/1, ttbcr = 0
  return bytes;
}
