/**
 * `xlite create` on real Xen: the Arm domain build, in libxl 4.17's order (spec §2.8) and
 * with the hypercalls `xl -vvv create` logs (tests/golden/*\/xl-create.log):
 *
 * 1. the guest prepared (`prepare_guest.ts`: parse, backends, virtio-mmio allocation and
 *    `nr_spis`, disk defaults), what xlite cannot build refused, the kernel/ramdisk read and
 *    a first plan made (`guest_plan.ts`): every config error ends the create here, before
 *    any hypercall;
 * 2. the domain created and set up (`build_domain.ts`: `xc_domain_create`, libxl__build_pre);
 * 3. the plan made with what Xen reported (GIC version, clock frequency, gpaddr_bits) and the
 *    guest built from it (`build_domain.ts`, §3.3, §3.6, §4.4);
 * 4. xenstore (`domain_xenstore.ts`), XS_INTRODUCE, userdata, devices (`lib/devices`),
 *    unpause.
 *
 * A failure after `xc_domain_create` destroys the half-built domain and removes its xenstore
 * entries. `XLITE_FAULT_INJECT_CREATE=<step>` makes one named step throw (a fake fault for
 * tests; `fault_inject.ts`).
 *
 * @module
 */
import { DEFAULT_XEN_VERSION, type XenVersion } from "../xen_version/mod.ts";
import type { DomainConfig } from "../config/mod.ts";
import { addDevice, planDomainDevices } from "../devices/mod.ts";
import { XliteError } from "../errors.ts";
import { type DomainBuilder, openPassthrough, type Passthrough, type XenCtrl } from "../xen/mod.ts";
import type { XenstoreClient } from "../xenstore/mod.ts";
import {
  buildGuest,
  checkPassthroughPlatform,
  createXenDomain,
  domainGic,
  needsPassthrough,
  passThroughDevices,
  setUpDomain,
} from "./build_domain.ts";
import { introduceDomain, removeDomainXenstore, writeDomainXenstore } from "./domain_xenstore.ts";
import { injectFault } from "./fault_inject.ts";
import {
  type GuestBuildPlan,
  type HostAssumptions,
  maxmemAboveMemory,
  planGuestBuild,
  readPartialDtFile,
} from "./guest_plan.ts";
import { type PreparedGuest, prepareGuest, xenstoreResolver } from "./prepare_guest.ts";
import { userdataPath } from "./retrieve_config.ts";
import { type LifecycleActions, lifecycleActions } from "./lifecycle.ts";
import { writeDomainUserdata } from "./userdata.ts";

/** Options of {@linkcode createDomain}. */
export interface CreateOptions {
  /** `KEY=VALUE` lines overriding the file, as with xl. */
  overrides?: string[];
  /** Leave the domain paused (`-p`). */
  paused?: boolean;
  /** The libxl release emulated (default: the host's, `builder.abi`). */
  xenVersion?: XenVersion;
  /** Progress lines (`-v`); none by default. */
  log?: (line: string) => void;
  /** Backend `state` wait per device (default libxl's 10 s). */
  deviceTimeoutMs?: number;
  /** Fixed `/chosen/rng-seed` bytes (tests); random by default, as libxl. */
  rngSeed?: Uint8Array;
  /** The config's text instead of reading `cfgPath` (a restart: xl keeps `d_config`). */
  configText?: string;
  /** Applied to the parsed config (a restart's refresh, `reload_domain_config`). */
  reload?: (parsed: DomainConfig) => DomainConfig;
}

/** The result of a create. */
export interface CreatedDomain {
  /** The new domain's id. */
  domid: number;
  /** Its name. */
  name: string;
  /** Its uuid. */
  uuid: string;
  /** Its `on_*` actions, for whoever watches it (`lifecycle.ts`). */
  actions: LifecycleActions;
  /** The plan the build followed (the exact DTB, segments). */
  plan: GuestBuildPlan;
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
  /** The passthrough hypercalls; opened for a config that needs them when absent. */
  passthrough?: Passthrough;
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

/** Refuses what xlite create cannot build, before any hypercall. */
function refuseUnbuildable(cfgPath: string, config: DomainConfig): void {
  if (config.kernel === undefined) throw new XliteError(`${cfgPath}: no kernel= given`);
  const maxmem = maxmemAboveMemory(config);
  if (maxmem !== undefined) throw new XliteError(`${cfgPath}: ${maxmem}`);
}

const sameHost = (a: HostAssumptions, b: HostAssumptions) =>
  a.defaultGic === b.defaultGic && a.gpaddrBits === b.gpaddrBits &&
  a.clockFrequency === b.clockFrequency;

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
  const { xs } = ctx;
  const xenVersion = emulatedXenVersion(ctx, options);
  const timings: Record<string, number> = {};
  let t0 = performance.now();
  const lap = (name: string) => {
    const now = performance.now();
    timings[name] = now - t0;
    t0 = now;
  };

  const guest = await prepareGuest(cfgPath, {
    overrides: options.overrides,
    xenVersion,
    resolveBackend: xenstoreResolver(xs),
    configText: options.configText,
    reload: options.reload,
  });
  const { config } = guest;
  refuseUnbuildable(cfgPath, config);
  lap("config");
  // A gzip'ed kernel stays packed until it is inflated into the guest (the load step).
  const kernelPath = config.kernel!;
  const files = {
    kernelPath,
    kernel: await readInput("kernel", kernelPath),
    ramdisk: config.ramdisk === undefined ? undefined : await readInput("ramdisk", config.ramdisk),
    partialDt: config.deviceTree === undefined
      ? undefined
      : await readPartialDtFile(config.deviceTree),
  };
  lap("read");
  const plan = (host: HostAssumptions) =>
    planGuestBuild({
      guest,
      xenVersion,
      host,
      rngSeed: options.rngSeed,
      kernel: files.kernel,
      ramdiskSize: files.ramdisk?.length,
      partialDt: files.partialDt,
    });
  // A first plan with the testbed's host values: layout errors (too little memory) and DT
  // errors end the create before any hypercall. The real plan follows xc_domain_create.
  const guess: HostAssumptions = {
    defaultGic: config.gicVersion === "default" ? "v3" : config.gicVersion,
    gpaddrBits: 40,
    clockFrequency: 0,
  };
  const first = await plan(guess);
  if (first.arch !== "aarch64") {
    throw new XliteError(
      `kernel ${kernelPath}: 32-bit Arm guests are not supported by xlite create`,
    );
  }
  const uuid = config.uuid ?? crypto.randomUUID();
  lap("plan");

  const ownPassthrough = !ctx.passthrough && needsPassthrough(config);
  const pt = ctx.passthrough ?? (ownPassthrough ? openPassthrough() : undefined);
  try {
    if (pt) checkPassthroughPlatform(pt, config);
    return await buildAndStart(ctx, { guest, files, plan, first, guess, uuid, pt }, options, {
      lap,
      timings,
    });
  } finally {
    if (ownPassthrough) pt?.close();
  }
}

/** The host's release decides the guest's DT and xenstore layout as it decides the structs. */
function emulatedXenVersion(ctx: CreateContext, options: CreateOptions): XenVersion {
  return options.xenVersion ?? ctx.builder.abi?.version ?? DEFAULT_XEN_VERSION;
}

/** What {@linkcode buildAndStart} takes from the first phase of a create. */
interface Planned {
  guest: PreparedGuest;
  files: { kernelPath: string; kernel: Uint8Array; ramdisk?: Uint8Array };
  plan: (host: HostAssumptions) => Promise<GuestBuildPlan>;
  first: GuestBuildPlan;
  guess: HostAssumptions;
  uuid: string;
  pt: Passthrough | undefined;
}

/** From `xc_domain_create` to unpause; a failure removes what was made (`cleanUp`). */
async function buildAndStart(
  ctx: CreateContext,
  planned: Planned,
  options: CreateOptions,
  clock: { lap: (name: string) => void; timings: Record<string, number> },
): Promise<CreatedDomain> {
  const { lap, timings } = clock;
  const { xc, xs, builder: b } = ctx;
  const { guest, files, plan, first, guess, uuid, pt } = planned;
  const { config } = guest;
  const log = options.log ?? (() => {});
  const xenVersion = emulatedXenVersion(ctx, options);
  const { domid, arch } = createXenDomain(b, guest, uuid);
  log(`domain ${domid} created (gic_version ${arch.gicVersion}, clock ${arch.clockFrequency})`);
  try {
    const gic = domainGic(arch);
    const ports = setUpDomain(b, domid, config);
    const host: HostAssumptions = {
      defaultGic: gic,
      gpaddrBits: xc.domainInfo(domid)?.gpaddrBits ?? 40,
      clockFrequency: arch.clockFrequency,
    };
    const final = sameHost(host, guess) ? first : await plan(host);
    const built = buildGuest(b, domid, final, files, config, ports);
    if (pt) passThroughDevices(pt, domid, config);
    lap("build");
    await writeXenstore(xs, domid, uuid, guest, ports, built);
    lap("xenstore");
    injectFault("devices");
    for (const device of planDomainDevices(config, { domid, release: xenVersion })) {
      await addDevice(xs, device, { timeoutMs: options.deviceTimeoutMs });
    }
    lap("devices");
    injectFault("unpause");
    if (!options.paused) xc.unpause(domid);
    const actions = lifecycleActions(guest.parsed);
    return { domid, name: config.name, uuid, actions, plan: final, ...ports, timings };
  } catch (error) {
    await cleanUp(ctx, domid, uuid, log);
    throw error;
  }
}

/** The domain's xenstore entries, XS_INTRODUCE, and the userdata `xl list -l` reads back. */
async function writeXenstore(
  xs: XenstoreClient,
  domid: number,
  uuid: string,
  guest: PreparedGuest,
  ports: { storePort: number; consolePort: number },
  built: { consolePfn: bigint; storePfn: bigint; vuart?: { ringPfn: bigint; port: number } },
): Promise<void> {
  injectFault("xenstore");
  await writeDomainXenstore(xs, {
    domid,
    name: guest.config.name,
    uuid,
    config: guest.config,
    storeRingPfn: built.storePfn,
    storePort: ports.storePort,
    consoleRingPfn: built.consolePfn,
    consolePort: ports.consolePort,
    vuart: built.vuart,
  });
  injectFault("introduce");
  await introduceDomain(xs, domid, built.storePfn, ports.storePort);
  injectFault("userdata");
  // libxl__update_config_nic: the stored config keeps each nic's devid, type and MAC as added.
  const vifs = guest.parsed.vifs.map((vif, i) => {
    const added = guest.config.vifs[i];
    return { ...vif, devid: added.devid, nictype: added.nictype, mac: added.mac };
  });
  await writeDomainUserdata(domid, uuid, { ...guest.parsed, vifs });
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
