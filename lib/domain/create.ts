/**
 * `xlite create` on real Xen: the Arm domain build, in libxl 4.17's order (spec §2.8) and
 * with the hypercalls `xl -vvv create` logs (tests/golden/*\/xl-create.log):
 *
 * 1. parse, resolve backends, virtio-mmio allocation and `nr_spis` (§3.4, §3.5), disk
 *    defaults, read the kernel/ramdisk and lay everything out: every config error ends the
 *    create here, before any hypercall;
 * 2. `xc_domain_create` (Arm arch config, §3.5), max vCPUs, max memory, the P2M pool,
 *    xenstore and console event channels, `HVM_PARAM_CALLBACK_IRQ` (§3.2);
 * 3. the guest DT and layout as the dry run makes them, now with what Xen reported (GIC
 *    version, clock frequency, gpaddr_bits, domid) (§3.6, §4.4); 64-bit mode; RAM populated;
 *    kernel, ramdisk and DTB copied in; magic pages (§3.3); vpl011; vCPU 0 (`arm_boot.ts`);
 *    grant table seeded;
 * 4. xenstore (`domain_xenstore.ts`), XS_INTRODUCE, devices (`lib/devices`), unpause.
 *
 * A failure after `xc_domain_create` destroys the half-built domain and removes its xenstore
 * entries. `XLITE_FAULT_INJECT_CREATE=<step>` makes one named step throw (a fake fault for
 * tests; {@linkcode CREATE_STEPS} lists the names).
 *
 * @module
 */
import type { DomainConfig } from "../config/types.ts";
import { readDomainConfig } from "../config/domain_config.ts";
import { setDiskDefaults, statTarget } from "../disk/mod.ts";
import { createFdtWriter, editFdt } from "../fdt/mod.ts";
import { addDevice, planDomainDevices } from "../devices/mod.ts";
import { XliteError } from "../errors.ts";
import { prepareArmConfig } from "../virtio/mod.ts";
import { DEFAULT_XEN_VERSION, type XenVersion } from "../xen_version/mod.ts";
import { isGzip } from "../arm/kernel_image.ts";
import { gzipTrailerLength, openZlib } from "../xen/zlib.ts";
import { GUEST_MAGIC_BASE } from "../arm/xen_arch_arm.ts";
import type { XenstoreClient } from "../xenstore/mod.ts";
import {
  type DomainBuilder,
  encodeCreateDomain,
  HVM_PARAM_CALLBACK_IRQ,
  HVM_PARAM_CONSOLE_EVTCHN,
  HVM_PARAM_CONSOLE_PFN,
  HVM_PARAM_MONITOR_RING_PFN,
  HVM_PARAM_STORE_EVTCHN,
  HVM_PARAM_STORE_PFN,
  XEN_DOMCTL_CDF_hap,
  XEN_DOMCTL_CDF_hvm,
  XEN_DOMCTL_CONFIG_GIC_NATIVE,
  XEN_DOMCTL_CONFIG_GIC_V2,
  XEN_DOMCTL_CONFIG_GIC_V3,
  XEN_DOMCTL_CONFIG_TEE_NONE,
  XEN_DOMCTL_CONFIG_TEE_OPTEE,
} from "../xen/mod.ts";
import type { XenCtrl } from "../xen/xenctrl.ts";
import { arm64BootContext } from "./arm_boot.ts";
import { dryRun, type DryRunPlan, type HostAssumptions } from "./dry_run.ts";
import { resolveBackends } from "./plan_guest.ts";
import { resolveDomain } from "./resolve.ts";
import { writeDomainUserdata } from "./userdata.ts";
import { userdataPath } from "./retrieve_config.ts";
import { introduceDomain, removeDomainXenstore, writeDomainXenstore } from "./domain_xenstore.ts";

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

/** The steps, in order, by the names `XLITE_FAULT_INJECT_CREATE` takes. */
export const CREATE_STEPS = [
  "domain_create",
  "max_vcpus",
  "setmaxmem",
  "paging_pool",
  "evtchn",
  "callback_irq",
  "address_size",
  "populate",
  "load",
  "magic_pages",
  "vuart",
  "vcpu_context",
  "gnttab",
  "xenstore",
  "introduce",
  "userdata",
  "devices",
  "unpause",
] as const;

/** One step's name. */
export type CreateStep = typeof CREATE_STEPS[number];

/** The environment variable of the fake fault (tests only). */
export const FAULT_INJECT_ENV = "XLITE_FAULT_INJECT_CREATE";

/** A fault injected with {@linkcode FAULT_INJECT_ENV}: not a real failure. */
export class FakeInjectedFault extends XliteError {
  /** The step that was made to fail. */
  readonly step: CreateStep;
  /** `step` failed because the environment asked for it. */
  constructor(step: CreateStep) {
    super(`fault injected at step ${step} (${FAULT_INJECT_ENV})`);
    this.name = "FakeInjectedFault";
    this.step = step;
  }
}

/** Options of {@linkcode createDomain}. */
export interface CreateOptions {
  /** `KEY=VALUE` lines overriding the file, as with xl. */
  overrides?: string[];
  /** Leave the domain paused (`-p`). */
  paused?: boolean;
  /** The libxl release emulated (Xen 4.17 on the testbed). */
  xenVersion?: XenVersion;
  /** Progress lines (`-v`); none by default. */
  log?: (line: string) => void;
  /** Backend `state` wait per device (default libxl's 10 s). */
  deviceTimeoutMs?: number;
  /** Fixed `/chosen/rng-seed` bytes (tests); random by default, as libxl. */
  rngSeed?: Uint8Array;
}

/** The result of a create. */
export interface CreatedDomain {
  /** The new domain's id. */
  domid: number;
  /** Its name. */
  name: string;
  /** Its uuid. */
  uuid: string;
  /** The plan the build followed (the exact DTB, segments). */
  plan: DryRunPlan;
  /** Xenstore and console ports and rings. */
  storePort: number;
  /** Console event channel. */
  consolePort: number;
  /**
   * Milliseconds per phase: `config`, `read` (kernel and ramdisk files), `plan` (layout and
   * device tree, no hypercall yet), `build` (hypercalls; inflating the kernel into the guest),
   * `xenstore`, `devices`.
   */
  timings: Record<string, number>;
}

/** The hypervisor, xenstore and builder handles a create uses. */
export interface CreateContext {
  /** libxenctrl (domain info, pause/unpause). */
  xc: XenCtrl;
  /** xenstore. */
  xs: XenstoreClient;
  /** The build hypercalls. */
  builder: DomainBuilder;
}

function injected(step: CreateStep): void {
  if (Deno.env.get(FAULT_INJECT_ENV) === step) throw new FakeInjectedFault(step);
}

async function readInput(what: string, path: string): Promise<Uint8Array> {
  try {
    return await Deno.readFile(path);
  } catch (error) {
    const reason = error instanceof Deno.errors.NotFound
      ? "No such file or directory"
      : (error as Error).message;
    throw new XliteError(`${what} ${path}: cannot read: ${reason}`);
  }
}

function uuidBytes(uuid: string): Uint8Array {
  const hex = uuid.replaceAll("-", "");
  return Uint8Array.from({ length: 16 }, (_, i) => parseInt(hex.slice(i * 2, i * 2 + 2), 16));
}

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

interface Prepared {
  config: DomainConfig;
  parsed: DomainConfig;
  nrSpis: number;
  /** The kernel file's path and bytes (gzip'ed or not). */
  kernelPath: string;
  kernel: Uint8Array;
  ramdisk?: Uint8Array;
}

/** Step 1: everything that needs no hypercall; every config error ends the create here. */
async function prepare(
  xs: XenstoreClient,
  cfgPath: string,
  options: CreateOptions,
  xenVersion: XenVersion,
  lap: (phase: string) => void,
): Promise<Prepared> {
  const parsed = await readDomainConfig(cfgPath, {
    overrides: options.overrides ?? [],
    xenVersion,
  });
  const names = new Map<string, number>();
  for (const d of [...parsed.disks, ...parsed.virtios]) {
    if (d.backendDomname !== undefined && !names.has(d.backendDomname)) {
      names.set(d.backendDomname, await resolveDomain(xs, d.backendDomname));
    }
  }
  const config = structuredClone(resolveBackends(parsed, (n) => names.get(n)!));
  const { nrSpis } = prepareArmConfig(config, xenVersion); // virtio-mmio base/irq in place
  config.disks = config.disks.map((disk) => setDiskDefaults(disk, { hotplug: false, statTarget }));
  if (config.kernel === undefined) throw new XliteError(`${cfgPath}: no kernel= given`);
  // Passthrough needs iomem/irq permission and mapping hypercalls xlite does not make yet:
  // refuse rather than build a guest whose DT names devices it cannot reach.
  const passthrough = [
    config.iomem.length ? "iomem" : "",
    config.irqs.length ? "irqs" : "",
    config.dtdev.length ? "dtdev" : "",
  ].filter((k) => k !== "");
  if (passthrough.length) {
    throw new XliteError(
      `${cfgPath}: ${passthrough.join(", ")}: device passthrough is not supported by xlite create`,
    );
  }
  lap("config");
  // A gzip'ed kernel stays packed until it is inflated into the guest (the load step).
  const kernel = await readInput("kernel", config.kernel);
  const ramdisk = config.ramdisk === undefined
    ? undefined
    : await readInput("ramdisk", config.ramdisk);
  lap("read");
  return { config, parsed, nrSpis, kernelPath: config.kernel, kernel, ramdisk };
}

async function planBuild(
  p: Prepared,
  xenVersion: XenVersion,
  host: HostAssumptions,
  rngSeed: Uint8Array | undefined,
): Promise<DryRunPlan> {
  return await dryRun({
    config: p.config,
    parsed: p.parsed,
    nrSpis: p.nrSpis,
    xenVersion,
    host,
    rngSeed,
    readFile: (path) => Promise.resolve(path === p.config.kernel ? p.kernel : undefined),
    fileSize: (path) => Promise.resolve(path === p.config.ramdisk ? p.ramdisk?.length : undefined),
    newWriter: createFdtWriter,
    openEditor: editFdt,
  });
}

const GIC_REQUEST = {
  default: XEN_DOMCTL_CONFIG_GIC_NATIVE,
  v2: XEN_DOMCTL_CONFIG_GIC_V2,
  v3: XEN_DOMCTL_CONFIG_GIC_V3,
} as const;

/**
 * Creates, builds and (unless `paused`) unpauses the guest `cfgPath` describes.
 *
 * @example
 * ```ts
 * const created = await createDomain(ctx, "/etc/xen/guest.cfg", { paused: true });
 * ```
 */
export async function createDomain(
  ctx: CreateContext,
  cfgPath: string,
  options: CreateOptions = {},
): Promise<CreatedDomain> {
  const { xc, xs, builder: b } = ctx;
  const log = options.log ?? (() => {});
  const xenVersion = options.xenVersion ?? DEFAULT_XEN_VERSION;
  const timings: Record<string, number> = {};
  let t0 = performance.now();
  const lap = (name: string) => {
    const now = performance.now();
    timings[name] = now - t0;
    t0 = now;
  };

  const p = await prepare(xs, cfgPath, options, xenVersion, lap);
  const { config } = p;
  // A first plan with the testbed's host values: layout errors (too little memory) and DT
  // errors end the create before any hypercall. The real plan follows xc_domain_create.
  const gicGuess = config.gicVersion === "default" ? "v3" : config.gicVersion;
  const first = await planBuild(p, xenVersion, {
    defaultGic: gicGuess,
    gpaddrBits: 40,
    clockFrequency: 0,
  }, options.rngSeed);
  if (first.arch !== "aarch64") {
    throw new XliteError(
      `kernel ${config.kernel}: 32-bit Arm guests are not supported by xlite create`,
    );
  }
  const uuid = config.uuid ?? crypto.randomUUID();
  lap("plan");

  injected("domain_create");
  const { domid, arch } = b.createDomain(encodeCreateDomain({
    ssidref: 0,
    handle: uuidBytes(uuid),
    flags: XEN_DOMCTL_CDF_hvm | XEN_DOMCTL_CDF_hap,
    iommuOpts: 0,
    maxVcpus: config.maxvcpus,
    maxEvtchnPort: DEFAULT_EVENT_CHANNELS,
    maxGrantFrames: -1,
    maxMaptrackFrames: -1,
    grantOpts: 1, // XEN_DOMCTL_GRANT_version(1): Arm has grant table v1 only
    vmtraceSize: 0,
    cpupoolId: 0,
    gicVersion: GIC_REQUEST[config.gicVersion],
    teeType: config.tee === "optee" ? XEN_DOMCTL_CONFIG_TEE_OPTEE : XEN_DOMCTL_CONFIG_TEE_NONE,
    nrSpis: p.nrSpis,
  }));
  log(`domain ${domid} created (gic_version ${arch.gicVersion}, clock ${arch.clockFrequency})`);
  try {
    const gic = arch.gicVersion === XEN_DOMCTL_CONFIG_GIC_V2 ? "v2" : "v3";
    if (
      arch.gicVersion !== XEN_DOMCTL_CONFIG_GIC_V2 && arch.gicVersion !== XEN_DOMCTL_CONFIG_GIC_V3
    ) {
      throw new XliteError(`Unexpected gic version ${arch.gicVersion}`);
    }
    injected("max_vcpus");
    b.maxVcpus(domid, config.maxvcpus);
    injected("setmaxmem");
    b.setMaxMem(domid, config.memory * 1024 + LIBXL_MAXMEM_CONSTANT);
    injected("paging_pool");
    const shadowMb = Math.ceil(requiredShadowKb(config.maxmem * 1024, config.maxvcpus) / 1024);
    b.setPagingMempoolSize(domid, shadowMb * 1024 * 1024);
    injected("evtchn");
    const storePort = b.evtchnAllocUnbound(domid, 0);
    const consolePort = b.evtchnAllocUnbound(domid, 0);
    injected("callback_irq");
    b.hvmParamSet(domid, HVM_PARAM_CALLBACK_IRQ, ARM_CALLBACK_IRQ);

    const info = xc.domainInfo(domid);
    const plan = await planBuild(p, xenVersion, {
      defaultGic: gic,
      gpaddrBits: info?.gpaddrBits ?? 40,
      clockFrequency: arch.clockFrequency,
    }, options.rngSeed);
    const { layout } = plan;

    injected("address_size");
    b.setAddressSize(domid, 64); // set_mode: xen-3.0-aarch64
    injected("populate");
    for (const bank of layout.banks) {
      for (const { order, pfns } of populateExtents(bank.base, bank.size)) {
        b.populatePhysmapExact(domid, order, pfns);
      }
    }
    injected("load");
    loadKernel(b, domid, layout.kernel.start, p.kernel, p.kernelPath);
    if (layout.ramdisk && p.ramdisk) b.writeGuestMemory(domid, layout.ramdisk.start, p.ramdisk);
    b.writeGuestMemory(domid, layout.dtb.start, plan.dtb);

    injected("magic_pages");
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
    b.hvmParamSet(domid, HVM_PARAM_CONSOLE_EVTCHN, BigInt(consolePort));
    b.hvmParamSet(domid, HVM_PARAM_STORE_EVTCHN, BigInt(storePort));

    injected("vuart");
    const vuart = config.vuart === "sbsa_uart"
      ? {
        ringPfn: magic + MAGIC_PAGES.vuart,
        port: b.vuartInit(domid, 0, magic + MAGIC_PAGES.vuart),
      }
      : undefined;
    injected("vcpu_context");
    b.vcpuSetContext(
      domid,
      0,
      arm64BootContext({ entry: layout.kernel.start, dtbAddress: layout.dtb.start }),
    );
    injected("gnttab");
    b.gnttabSeed(domid, consolePfn, storePfn, 0, 0);
    lap("build");

    injected("xenstore");
    await writeDomainXenstore(xs, {
      domid,
      name: config.name,
      uuid,
      config,
      storeRingPfn: storePfn,
      storePort,
      consoleRingPfn: consolePfn,
      consolePort,
      vuart,
    });
    injected("introduce");
    await introduceDomain(xs, domid, storePfn, storePort);
    injected("userdata");
    await writeDomainUserdata(domid, uuid, p.parsed); // what xl list -l reads back
    lap("xenstore");

    injected("devices");
    const resolve = (name: string) => {
      const id = [...config.disks, ...config.virtios].find((d) => d.backendDomname === name)
        ?.backendDomid;
      if (id === undefined) throw new XliteError(`backend domain '${name}' not resolved`);
      return id;
    };
    for (
      const device of planDomainDevices(p.config, {
        domid,
        release: xenVersion,
        resolveDomain: resolve,
      })
    ) {
      await addDevice(xs, device, { timeoutMs: options.deviceTimeoutMs });
    }
    lap("devices");
    injected("unpause");
    if (!options.paused) xc.unpause(domid);
    return { domid, name: config.name, uuid, plan, storePort, consolePort, timings };
  } catch (error) {
    await cleanUp(ctx, domid, uuid, log);
    throw error;
  }
}

/** Removes a half-built domain: its userdata and xenstore entries, then the domain itself. */
async function cleanUp(
  ctx: CreateContext,
  domid: number,
  uuid: string,
  log: (line: string) => void,
) {
  try {
    await Deno.remove(userdataPath(domid, uuid));
  } catch {
    // not written yet
  }
  try {
    await removeDomainXenstore(ctx.xs, domid);
  } catch (error) {
    log(`cleanup: xenstore: ${(error as Error).message}`);
  }
  // No XS_RELEASE: xenstored fires @releaseDomain when the domain dies, which is what makes
  // xenconsoled unmap its console ring (released early, the dead domain would linger).
  try {
    ctx.builder.destroy(domid);
  } catch (error) {
    log(`cleanup: ${(error as Error).message}`);
  }
}
