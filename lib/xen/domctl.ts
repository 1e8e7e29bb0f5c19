/**
 * Constants and struct layout from Xen's public `xen/include/public/domctl.h` (Xen 4.17,
 * `XEN_DOMCTL_INTERFACE_VERSION` 0x15) and `sched.h`, named as Xen names them.
 *
 * @module
 */

/** Domain is scheduled to die. */
export const XEN_DOMINF_dying = 1 << 0;
/** Domain is an HVM guest (every Arm guest is). */
export const XEN_DOMINF_hvm_guest = 1 << 1;
/** The guest OS has shut down. */
export const XEN_DOMINF_shutdown = 1 << 2;
/** Currently paused by control software. */
export const XEN_DOMINF_paused = 1 << 3;
/** Currently blocked pending an event. */
export const XEN_DOMINF_blocked = 1 << 4;
/** Domain is currently running. */
export const XEN_DOMINF_running = 1 << 5;
/** Being debugged. */
export const XEN_DOMINF_debugged = 1 << 6;
/** Domain is a xenstore domain. */
export const XEN_DOMINF_xs_domain = 1 << 7;
/** Domain has hardware-assisted paging. */
export const XEN_DOMINF_hap = 1 << 8;
/** Shift of the guest-supplied shutdown code in `flags`. */
export const XEN_DOMINF_shutdownshift = 16;
/** Mask of the guest-supplied shutdown code (after the shift). */
export const XEN_DOMINF_shutdownmask = 255;

/** `SHUTDOWN_poweroff` (sched.h): domain exited normally; clean up and kill. */
export const SHUTDOWN_poweroff = 0;
/** `SHUTDOWN_reboot`: clean up, kill, and then restart. */
export const SHUTDOWN_reboot = 1;
/** `SHUTDOWN_suspend`: clean up, save suspend info, kill. */
export const SHUTDOWN_suspend = 2;
/** `SHUTDOWN_crash`: tell controller we've crashed. */
export const SHUTDOWN_crash = 3;
/** `SHUTDOWN_watchdog`: restart because the watchdog timed out. */
export const SHUTDOWN_watchdog = 4;
/** `SHUTDOWN_soft_reset`. */
export const SHUTDOWN_soft_reset = 5;

/**
 * Byte offsets in `struct xen_domctl_getdomaininfo` (`xc_domaininfo_t`). The 64-bit fields
 * are `uint64_aligned_t`; the struct ends with `struct xen_arch_domainconfig`, whose size
 * differs by architecture ({@linkcode getdomaininfoSize}).
 */
export const GETDOMAININFO = {
  domain: 0,
  flags: 4,
  tot_pages: 8,
  max_pages: 16,
  outstanding_pages: 24,
  shr_pages: 32,
  paged_pages: 40,
  shared_info_frame: 48,
  cpu_time: 56,
  nr_online_vcpus: 64,
  max_vcpu_id: 68,
  ssidref: 72,
  handle: 76,
  cpupool: 92,
  gpaddr_bits: 96,
  arch_config: 104,
} as const;

/**
 * `sizeof(struct xen_domctl_getdomaininfo)`: 104 bytes + the arch config (Arm: gic_version,
 * tee_type, nr_spis, clock_frequency = 12 bytes; x86: emulation_flags, misc_flags = 8),
 * rounded up to 8.
 */
export function getdomaininfoSize(arch: string = Deno.build.arch): number {
  return arch === "aarch64" ? 120 : 112;
}

/** Xen's page size on Arm and x86 (`XC_PAGE_SHIFT` 12). */
export const XC_PAGE_SIZE = 4096;

/** `XEN_SCHEDULER_CREDIT`. */
export const XEN_SCHEDULER_CREDIT = 5;
/** `XEN_SCHEDULER_CREDIT2`. */
export const XEN_SCHEDULER_CREDIT2 = 6;
/** `XEN_SCHEDULER_ARINC653`. */
export const XEN_SCHEDULER_ARINC653 = 7;
/** `XEN_SCHEDULER_RTDS`. */
export const XEN_SCHEDULER_RTDS = 8;
/** `XEN_SCHEDULER_NULL`. */
export const XEN_SCHEDULER_NULL = 9;

/** libxl's names for the `XEN_SCHEDULER_*` ids (`libxl_scheduler`). */
export const SCHEDULER_NAMES: Readonly<Record<number, string>> = {
  [XEN_SCHEDULER_CREDIT]: "credit",
  [XEN_SCHEDULER_CREDIT2]: "credit2",
  [XEN_SCHEDULER_ARINC653]: "arinc653",
  [XEN_SCHEDULER_RTDS]: "rtds",
  [XEN_SCHEDULER_NULL]: "null",
};
