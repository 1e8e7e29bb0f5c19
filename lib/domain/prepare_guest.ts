/**
 * The one guest pipeline before any hypercall, shared by `xlite create` and its dry run, in
 * libxl's order (spec §2.8): parse (xl), resolve `backend=` names to domids (setdefault step
 * 2), allocate virtio-mmio resources and `nr_spis` (prepare_config, §3.4, §3.5), then the
 * disks' creation-time defaults and backend selection (§2.3). Each disk target is `stat`ed
 * here, once; every later step takes the prepared config as it is.
 *
 * @module
 */
import type { DomainConfig } from "../config/mod.ts";
import { parseDomainConfig, readDomainConfig } from "../config/mod.ts";
import type { XenVersion } from "../xen_version/mod.ts";
import { setDiskDefaults, statTarget, type TargetKind } from "../disk/mod.ts";
import { setNicDefaults } from "../devices/nic.ts";
import type { VifDevice } from "../config/types.ts";
import { XliteError } from "../errors.ts";
import { prepareArmConfig } from "../virtio/mod.ts";
import type { XenstoreOps } from "../xenstore/mod.ts";
import { numericDomid, resolveDomain } from "./resolve.ts";

/** Turns a `backend=` domain name into a domid (`libxl_domain_qualifier_to_domid`). */
export type BackendResolver = (name: string) => Promise<number>;

/** A real create's resolver: digits are a domid, names are looked up in xenstore. */
export function xenstoreResolver(xs: XenstoreOps): BackendResolver {
  return (name) => resolveDomain(xs, name);
}

/**
 * A dry run's resolver: names given with `--domain NAME=ID` first, then digits as a real
 * create reads them; any other name is an error, as there is no xenstore to ask.
 */
export function dryRunResolver(known: ReadonlyMap<string, number>): BackendResolver {
  return (name) => {
    const id = known.get(name) ?? numericDomid(name);
    if (id !== undefined) return Promise.resolve(id);
    return Promise.reject(
      new XliteError(
        `backend domain '${name}': a dry run cannot look domain names up; add --domain ${name}=DOMID`,
      ),
    );
  };
}

/** Options of {@linkcode prepareGuest}. */
export interface PrepareOptions {
  /** `KEY=VALUE` lines overriding the file, as with xl. */
  overrides?: string[];
  /** The libxl release emulated. */
  xenVersion: XenVersion;
  /** How `backend=` names become domids. */
  resolveBackend: BackendResolver;
  /** How a disk target is `stat`ed for backend selection (default: the file system). */
  statTarget?: (path: string) => TargetKind;
  /** The config's text, when it is not read from `cfgPath` (a restart's stored config). */
  configText?: string;
  /** Applied to the parsed config (a restart's refresh from the retrieved config). */
  reload?: (parsed: DomainConfig) => DomainConfig;
}

/** A guest config ready for the build: what every later step takes as it is. */
export interface PreparedGuest {
  /** The config as parsed (before defaults): what `xl -N` prints and userdata stores. */
  parsed: DomainConfig;
  /** Backends resolved, virtio-mmio base/irq allocated, disk defaults set. */
  config: DomainConfig;
  /** `nr_spis` as prepare_config computed it. */
  nrSpis: number;
}

/** Resolves `backend=` names to domids on a copy of the config (libxl setdefault step 2). */
export function resolveBackends(
  config: DomainConfig,
  resolve: (name: string) => number,
): DomainConfig {
  return {
    ...config,
    disks: config.disks.map((d) =>
      d.backendDomname === undefined ? d : { ...d, backendDomid: resolve(d.backendDomname) }
    ),
    virtios: config.virtios.map((v) =>
      v.backendDomname === undefined ? v : { ...v, backendDomid: resolve(v.backendDomname) }
    ),
    vifs: config.vifs.map((n) =>
      n.backendDomname === undefined ? n : { ...n, backendDomid: resolve(n.backendDomname) }
    ),
  };
}

/**
 * `libxl__device_nic_set_devids`: each nic's defaults (a generated MAC is drawn here, once,
 * so a dry run and the writes agree), then devids below 0 get the next after the highest.
 * A nic libxl refuses ends the create: `Unable to set nic defaults for nic <i>`.
 */
export function setNicDevids(nics: readonly VifDevice[]): VifDevice[] {
  const out = nics.map((nic, i) => {
    try {
      return setNicDefaults(nic);
    } catch (error) {
      throw new XliteError(`${(error as Error).message}; Unable to set nic defaults for nic ${i}`);
    }
  });
  let last = out.reduce((max, nic) => Math.max(max, nic.devid), -1);
  for (const nic of out) if (nic.devid < 0) nic.devid = ++last;
  return out;
}

/**
 * Reads `cfgPath` and prepares the guest: every config error that needs no hypercall ends
 * here.
 *
 * @example
 * ```ts
 * const guest = await prepareGuest("guest.cfg", {
 *   xenVersion: DEFAULT_XEN_VERSION,
 *   resolveBackend: dryRunResolver(new Map()),
 * });
 * ```
 */
export async function prepareGuest(
  cfgPath: string,
  options: PrepareOptions,
): Promise<PreparedGuest> {
  const { xenVersion } = options;
  const read = options.configText === undefined
    ? await readDomainConfig(cfgPath, { overrides: options.overrides ?? [], xenVersion })
    : parseDomainConfig(options.configText, {
      source: cfgPath,
      overrides: options.overrides ?? [],
      xenVersion,
    });
  const parsed = options.reload ? options.reload(read) : read;
  // Each name once, in config order (disks, virtio devices, nics), as libxl meets them.
  const domids = new Map<string, number>();
  for (const d of [...parsed.disks, ...parsed.virtios, ...parsed.vifs]) {
    const name = d.backendDomname;
    if (name !== undefined && !domids.has(name)) {
      domids.set(name, await options.resolveBackend(name));
    }
  }
  const config = structuredClone(resolveBackends(parsed, (name) => domids.get(name)!));
  const { nrSpis } = prepareArmConfig(config, xenVersion); // virtio-mmio base/irq in place
  // Disk defaults and backend selection run after allocation; their failures end the create.
  const stat = options.statTarget ?? statTarget;
  config.disks = config.disks.map((disk) =>
    setDiskDefaults(disk, { hotplug: false, statTarget: stat })
  );
  config.vifs = setNicDevids(config.vifs);
  return { parsed, config, nrSpis };
}
