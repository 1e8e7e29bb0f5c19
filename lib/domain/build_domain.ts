/**
 * The hypercall phase of `xlite create` (spec §2.8, §3.2, §3.3), the calls `xl -vvv create`
 * logs (tests/golden/*\/xl-create.log) in their order: `xc_domain_create` with the Arm arch
 * config (§3.5); max vCPUs, max memory, the P2M pool, the xenstore and console event
 * channels, `HVM_PARAM_CALLBACK_IRQ` (libxl__build_pre); then the build libxenguest does
 * from the plan: 64-bit mode, RAM populated, kernel, ramdisk and DTB copied in, magic pages,
 * vpl011, vCPU 0 (`arm_boot.ts`), the grant table seeded; then the passthrough phase
 * (`irqs`, `iomem`, `dtdev`) libxl runs once the guest is built.
 *
 * @module
 */
import type { DomainConfig } from "../config/mod.ts";
import { isGzip } from "../arm/mod.ts";
import { GUEST_MAGIC_BASE } from "../arm/mod.ts";
import { XliteError } from "../errors.ts";
import { formatXenVersion } from "../xen_version/mod.ts";
import {
  type CreatedDomainArch,
  type DomainBuilder,
  encodeCreateDomain,
  gzipTrailerLength,
  HVM_PARAM_CALLBACK_IRQ,
  HVM_PARAM_CONSOLE_EVTCHN,
  HVM_PARAM_CONSOLE_PFN,
  HVM_PARAM_MONITOR_RING_PFN,
  HVM_PARAM_STORE_EVTCHN,
  HVM_PARAM_STORE_PFN,
  openZlib,
  type Passthrough,
  XEN_DOMCTL_CDF_hap,
  XEN_DOMCTL_CDF_hvm,
  XEN_DOMCTL_CDF_iommu,
  XEN_DOMCTL_CONFIG_GIC_NATIVE,
  XEN_DOMCTL_CONFIG_GIC_V2,
  XEN_DOMCTL_CONFIG_GIC_V3,
  XEN_DOMCTL_CONFIG_TEE_FFA,
  XEN_DOMCTL_CONFIG_TEE_NONE,
  XEN_DOMCTL_CONFIG_TEE_OPTEE,
  XenCallError,
} from "../xen/mod.ts";
import { arm64BootContext } from "./arm_boot.ts";
import { injectFault } from "./fault_inject.ts";
import { applyVcpuAffinity } from "./vcpu_affinity.ts";
import type { GuestBuildPlan } from "./guest_plan.ts";
import type { PreparedGuest } from "./prepare_guest.ts";

/** `HVM_PARAM_CALLBACK_IRQ` for Arm: PPI type (2) << 56, low level (2) << 8, PPI 31 (§3.2). */
export const ARM_CALLBACK_IRQ = 0x020000000000021Fn;
/** Magic page offsets from `GUEST_MAGIC_BASE` (§3.3). */
export const MAGIC_PAGES = { console: 0n, xenstore: 1n, monitorRing: 2n, vuart: 3n } as const;
/** `NR_MAGIC_PAGES`. */
export const NR_MAGIC_PAGES = 4;
/** `LIBXL_MAXMEM_CONSTANT` (KiB) added to the domain's memory for `xc_domain_setmaxmem`. */
export const LIBXL_MAXMEM_CONSTANT = 1024;
/** libxl's default `event_channels` (`max_evtchn_port`). */
export const DEFAULT_EVENT_CHANNELS = 1023;
/** `SUPERPAGE_2MB_SHIFT`: libxenguest populates RAM in 2 MiB extents where it can. */
const SUPERPAGE_ORDER = 9;
const PAGE = 4096n;

/** libxl's `libxl_get_required_shadow_memory` (KiB): the P2M pool on Arm. */
export function requiredShadowKb(maxmemKb: number, vcpus: number): number {
  return 4 * (256 * vcpus + 2 * Math.floor(maxmemKb / 1024));
}

/** Extents to populate a RAM bank: 2 MiB ones where aligned, 4 KiB pages for the rest. */
export function populateExtents(
  base: bigint,
  size: bigint,
): { order: number; pfns: BigUint64Array }[] {
  const superBytes = PAGE << BigInt(SUPERPAGE_ORDER);
  const out: { order: number; pfns: BigUint64Array }[] = [];
  let at = base;
  const end = base + size;
  const small: bigint[] = [];
  while (at < end && at % superBytes !== 0n) {
    small.push(at / PAGE);
    at += PAGE;
  }
  const nSuper = Number((end - at) / superBytes);
  if (nSuper > 0) {
    const first = at / PAGE;
    const step = BigInt(1 << SUPERPAGE_ORDER);
    out.push({
      order: SUPERPAGE_ORDER,
      pfns: BigUint64Array.from({ length: nSuper }, (_, i) => first + BigInt(i) * step),
    });
    at += BigInt(nSuper) * superBytes;
  }
  for (; at < end; at += PAGE) small.push(at / PAGE);
  if (small.length) out.push({ order: 0, pfns: BigUint64Array.from(small) });
  return out;
}

function uuidBytes(uuid: string): Uint8Array {
  const hex = uuid.replaceAll("-", "");
  return Uint8Array.from({ length: 16 }, (_, i) => parseInt(hex.slice(i * 2, i * 2 + 2), 16));
}

const GIC_REQUEST = {
  default: XEN_DOMCTL_CONFIG_GIC_NATIVE,
  v2: XEN_DOMCTL_CONFIG_GIC_V2,
  v3: XEN_DOMCTL_CONFIG_GIC_V3,
} as const;

/**
 * What a failed `xc_domain_create` means for this config. Xen answers a `gic_version` the
 * host's GIC cannot emulate with ENODEV (`domain_vgic_register`: no vGIC of that version
 * registered, e.g. a GICv3 host without GICv2 compatibility), which xl shows only as "No such
 * device": say which setting it is.
 */
export function explainCreateError(error: unknown, config: DomainConfig): unknown {
  const gic = config.gicVersion;
  // Xen answers a TEE it was built without (CONFIG_FFA / CONFIG_OPTEE: Debian builds
  // neither) with EINVAL from arch_sanitise_domain_config ("Unsupported TEE type").
  if (error instanceof XenCallError && error.errno === "EINVAL" && config.tee !== "none") {
    return new XliteError(
      `tee = "${config.tee}": this hypervisor has no ${config.tee === "ffa" ? "FF-A" : "OP-TEE"} ` +
        `mediator (xc_domain_create: EINVAL; Xen built without it)`,
    );
  }
  if (error instanceof XenCallError && error.errno === "ENODEV" && gic !== "default") {
    const version = gic === "v2" ? "GICv2" : "GICv3";
    return new XliteError(
      `gic_version = "${gic}": the host's GIC cannot give the guest a ${version} ` +
        `(xc_domain_create: ENODEV); use gic_version = "default"`,
    );
  }
  return error;
}

/** `tee =` as `arch.tee_type`; `ffa` only where the host's headers have it (4.18+). */
function teeType(b: DomainBuilder, tee: DomainConfig["tee"]): number {
  if (tee === "optee") return XEN_DOMCTL_CONFIG_TEE_OPTEE;
  if (tee === "none") return XEN_DOMCTL_CONFIG_TEE_NONE;
  if (!b.abi.teeFfa) {
    throw new XliteError(
      `tee = "ffa": Xen ${formatXenVersion(b.abi.version)} has no FF-A mediator (4.18 and later)`,
    );
  }
  return XEN_DOMCTL_CONFIG_TEE_FFA;
}

/**
 * `xc_domain_create` for a prepared guest (spec §3.5), in the host release's struct layout
 * (`b.abi`); Xen chooses the domid and reports the GIC version and timer frequency it gave
 * the domain.
 */
export function createXenDomain(
  b: DomainBuilder,
  guest: PreparedGuest,
  uuid: string,
): { domid: number; arch: CreatedDomainArch } {
  const { config } = guest;
  injectFault("domain_create");
  try {
    return b.createDomain(encodeCreateDomain({
      ssidref: 0,
      handle: uuidBytes(uuid),
      // libxl: passthrough defaults to enabled when dtdev is given (spec §3.5)
      flags: XEN_DOMCTL_CDF_hvm | XEN_DOMCTL_CDF_hap |
        (config.dtdev.length ? XEN_DOMCTL_CDF_iommu : 0),
      iommuOpts: 0,
      maxVcpus: config.maxvcpus,
      maxEvtchnPort: DEFAULT_EVENT_CHANNELS,
      maxGrantFrames: -1,
      maxMaptrackFrames: -1,
      grantOpts: 1, // XEN_DOMCTL_GRANT_version(1): Arm has grant table v1 only
      vmtraceSize: 0,
      cpupoolId: 0,
      gicVersion: GIC_REQUEST[config.gicVersion],
      teeType: teeType(b, config.tee),
      nrSpis: guest.nrSpis,
    }, b.abi.createDomain));
  } catch (error) {
    throw explainCreateError(error, config);
  }
}

/** The GIC version Xen gave the domain, as the device tree names it. */
export function domainGic(arch: CreatedDomainArch): "v2" | "v3" {
  if (arch.gicVersion === XEN_DOMCTL_CONFIG_GIC_V2) return "v2";
  if (arch.gicVersion === XEN_DOMCTL_CONFIG_GIC_V3) return "v3";
  throw new XliteError(`Unexpected gic version ${arch.gicVersion}`);
}

/** The event channels `libxl__build_pre` allocates. */
export interface DomainPorts {
  /** Xenstore event channel. */
  storePort: number;
  /** Console event channel. */
  consolePort: number;
}

/**
 * `libxl__build_pre` on Arm: max vCPUs, `cpus` / `cpus_soft` affinity, max memory (`memory` + `LIBXL_MAXMEM_CONSTANT`), the
 * P2M pool, the xenstore and console event channels, `HVM_PARAM_CALLBACK_IRQ` (§3.2).
 */
export function setUpDomain(b: DomainBuilder, domid: number, config: DomainConfig): DomainPorts {
  injectFault("max_vcpus");
  b.maxVcpus(domid, config.maxvcpus);
  applyVcpuAffinity(domid, config);
  injectFault("setmaxmem");
  b.setMaxMem(domid, config.memory * 1024 + LIBXL_MAXMEM_CONSTANT);
  injectFault("paging_pool");
  const shadowMb = Math.ceil(requiredShadowKb(config.maxmem * 1024, config.maxvcpus) / 1024);
  b.setPagingMempoolSize(domid, shadowMb * 1024 * 1024);
  injectFault("evtchn");
  const storePort = b.evtchnAllocUnbound(domid, 0);
  const consolePort = b.evtchnAllocUnbound(domid, 0);
  injectFault("callback_irq");
  b.hvmParamSet(domid, HVM_PARAM_CALLBACK_IRQ, ARM_CALLBACK_IRQ);
  return { storePort, consolePort };
}

/**
 * Writes the kernel at `start`. A gzip'ed one is inflated straight into the mapped guest
 * memory (libxenguest inflates into a buffer, `xc_dom_do_gunzip`, and copies it in): the same
 * bytes, one 30 MB copy fewer. libxc counts such a kernel as 16 bytes longer than its image
 * (`xc_dom_check_gzip`); the layout has room for those 16 bytes, which xlite leaves as Xen
 * handed them over.
 */
function loadKernel(
  b: DomainBuilder,
  domid: number,
  start: bigint,
  file: Uint8Array,
  name: string,
): void {
  if (!isGzip(file)) {
    b.writeGuestMemory(domid, start, file);
    return;
  }
  const length = gzipTrailerLength(file);
  const zlib = openZlib();
  try {
    b.mapGuestMemory(domid, start, length, (target) => {
      zlib.gunzipInto(file, target, length, `kernel ${name}`);
    });
  } finally {
    zlib.close();
  }
}

/** The boot files, as read before any hypercall. */
export interface BootFiles {
  /** The kernel file's path (for messages). */
  kernelPath: string;
  /** The kernel file's bytes (gzip'ed or not). */
  kernel: Uint8Array;
  /** The ramdisk's bytes, if any. */
  ramdisk?: Uint8Array;
}

/** Where the build put the rings xenstore and the consoles need. */
export interface BuiltDomain {
  /** PV console ring page. */
  consolePfn: bigint;
  /** Xenstore ring page. */
  storePfn: bigint;
  /** The vpl011 ring and its event channel (`vuart = "sbsa_uart"`). */
  vuart?: { ringPfn: bigint; port: number };
}

/**
 * The libxenguest part of the build, from the plan: 64-bit mode, RAM, kernel, ramdisk and
 * DTB, magic pages and their HVM params (§3.3), vpl011, vCPU 0, the grant table seed.
 */
export function buildGuest(
  b: DomainBuilder,
  domid: number,
  plan: GuestBuildPlan,
  files: BootFiles,
  config: DomainConfig,
  ports: DomainPorts,
): BuiltDomain {
  const { layout } = plan;
  injectFault("address_size");
  b.setAddressSize(domid, 64); // set_mode: xen-3.0-aarch64
  injectFault("populate");
  for (const bank of layout.banks) {
    for (const { order, pfns } of populateExtents(bank.base, bank.size)) {
      b.populatePhysmapExact(domid, order, pfns);
    }
  }
  injectFault("load");
  loadKernel(b, domid, layout.kernel.start, files.kernel, files.kernelPath);
  if (layout.ramdisk && files.ramdisk) {
    b.writeGuestMemory(domid, layout.ramdisk.start, files.ramdisk);
  }
  b.writeGuestMemory(domid, layout.dtb.start, plan.dtb);

  injectFault("magic_pages");
  const magic = GUEST_MAGIC_BASE / PAGE;
  b.populatePhysmapExact(
    domid,
    0,
    BigUint64Array.from({ length: NR_MAGIC_PAGES }, (_, i) => magic + BigInt(i)),
  );
  b.clearPages(domid, magic, NR_MAGIC_PAGES);
  const consolePfn = magic + MAGIC_PAGES.console;
  const storePfn = magic + MAGIC_PAGES.xenstore;
  b.hvmParamSet(domid, HVM_PARAM_CONSOLE_PFN, consolePfn);
  b.hvmParamSet(domid, HVM_PARAM_STORE_PFN, storePfn);
  b.hvmParamSet(domid, HVM_PARAM_MONITOR_RING_PFN, magic + MAGIC_PAGES.monitorRing);
  b.hvmParamSet(domid, HVM_PARAM_CONSOLE_EVTCHN, BigInt(ports.consolePort));
  b.hvmParamSet(domid, HVM_PARAM_STORE_EVTCHN, BigInt(ports.storePort));

  injectFault("vuart");
  const vuart = config.vuart === "sbsa_uart"
    ? {
      ringPfn: magic + MAGIC_PAGES.vuart,
      port: b.vuartInit(domid, 0, magic + MAGIC_PAGES.vuart),
    }
    : undefined;
  injectFault("vcpu_context");
  b.vcpuSetContext(
    domid,
    0,
    arm64BootContext({ entry: layout.kernel.start, dtbAddress: layout.dtb.start }),
  );
  injectFault("gnttab");
  b.gnttabSeed(domid, consolePfn, storePfn, 0, 0);
  return { consolePfn, storePfn, vuart };
}

/** Whether a config passes host devices through (`irqs`, `iomem` or `dtdev`). */
export function needsPassthrough(config: DomainConfig): boolean {
  return config.irqs.length > 0 || config.iomem.length > 0 || config.dtdev.length > 0;
}

/**
 * libxl's `initiate_domain_create` refusal, before any domain exists: `dtdev` makes
 * passthrough default to enabled, which needs an IOMMU the hypervisor can use
 * (`physinfo.cap_hvm_directio`). `irqs` and `iomem` alone need none.
 */
export function checkPassthroughPlatform(pt: Passthrough, config: DomainConfig): void {
  if (config.dtdev.length && !pt.hasDirectIo()) {
    throw new XliteError("passthrough not supported on this platform");
  }
}

/** libxl's text for a failed passthrough call: its line, then C's `strerror`. */
function passthroughError(error: unknown, line: string): unknown {
  if (!(error instanceof XenCallError)) return error;
  const m = /\(([^)]*)\)$/.exec(error.message);
  return new XliteError(`${line}: ${m ? m[1] : error.errno}`);
}

/**
 * The passthrough phase, in libxl 4.17's order once the guest is built
 * (`domcreate_launch_dm`, then `libxl__add_dtdevs`): each `irqs` SPI routed 1:1
 * (`xc_domain_bind_pt_spi_irq`, libxl_arm.c `libxl__arch_domain_map_irq`; Arm libxl makes no
 * `xc_domain_irq_permission` call), each `iomem` range permitted then mapped at its GFN,
 * each `dtdev` assigned. Errors carry libxl's texts; the caller destroys the domain, which
 * releases the routed IRQs and mappings.
 */
export function passThroughDevices(pt: Passthrough, domid: number, config: DomainConfig): void {
  for (const irq of config.irqs) {
    try {
      pt.bindPtSpiIrq(domid, irq);
    } catch (error) {
      throw passthroughError(error, `failed give domain access to irq ${irq}`);
    }
  }
  const hex = (n: bigint) => n.toString(16);
  for (const io of config.iomem) {
    const range = `${hex(io.start)}-${hex(io.start + io.numberOfPages - 1n)}`;
    try {
      pt.iomemPermission(domid, io.start, io.numberOfPages, true);
    } catch (error) {
      throw passthroughError(error, `failed give domain access to iomem range ${range}`);
    }
    try {
      pt.memoryMapping(domid, io.gfn, io.start, io.numberOfPages);
    } catch (error) {
      throw passthroughError(
        error,
        `failed to map to domain iomem range ${range} to guest address ${hex(io.gfn)}`,
      );
    }
  }
  for (const path of config.dtdev) {
    try {
      pt.assignDtDevice(domid, path);
    } catch (error) {
      if (!(error instanceof XenCallError)) throw error;
      throw new XliteError(`xc_assign_dtdevice failed: -1 (${path}: ${error.errno})`);
    }
  }
}
