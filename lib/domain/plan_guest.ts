/**
 * From an `xl.cfg` path to a dry-run plan, in libxl's order (spec §2.8): parse (xl), resolve
 * backend domains, allocate virtio-mmio resources and nr_spis (prepare_config), check disk
 * defaults and backend selection, then the Arm build (`dry_run.ts`) and the xenstore writes
 * (`lib/devices/plan.ts`).
 *
 * @module
 */
import type { DomainConfig } from "../config/types.ts";
import { readDomainConfig } from "../config/domain_config.ts";
import { setDiskDefaults, statTarget } from "../disk/mod.ts";
import { createFdtWriter, editFdt } from "../fdt/mod.ts";
import { formatWrites, planDomainDeviceWrites } from "../devices/plan.ts";
import { XliteError } from "../errors.ts";
import { prepareArmConfig } from "../virtio/mod.ts";
import type { GuestBuildOptions } from "../cli/guest_build_options.ts";
import { dryRun, type DryRunPlan } from "./dry_run.ts";

/**
 * A dry run's `libxl_domain_qualifier_to_domid`: all-digit names are domids, other names
 * come from `known` (`--domain NAME=ID`); there is no xenstore to ask.
 */
export function domainResolver(known: ReadonlyMap<string, number>): (name: string) => number {
  return (name) => {
    const id = known.get(name);
    if (id !== undefined) return id;
    if (/^\d*$/.test(name)) return name === "" ? 0 : Number(name);
    throw new XliteError(
      `backend domain '${name}': a dry run cannot look domain names up; add --domain ${name}=DOMID`,
    );
  };
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
  };
}

/**
 * Plans the creation of the guest `cfgPath` describes.
 *
 * @example
 * ```ts
 * const plan = await planGuest("examples/plain.cfg", [], guestBuildOptions(args));
 * ```
 */
export async function planGuest(
  cfgPath: string,
  overrides: string[],
  options: GuestBuildOptions,
): Promise<DryRunPlan> {
  const parsed = await readDomainConfig(cfgPath, { overrides, xenVersion: options.xenVersion });
  const resolve = domainResolver(options.domains);
  const config = structuredClone(resolveBackends(parsed, resolve));
  const { nrSpis } = prepareArmConfig(config, options.xenVersion); // fills base/irq in place
  // Disk defaults and backend selection run after allocation; their failures end the create.
  const disks = config.disks.map((disk) => setDiskDefaults(disk, { hotplug: false, statTarget }));
  // No domain exists yet: assume the next domid after every backend domain the config names.
  const backends = [...config.disks, ...config.virtios].map((d) => d.backendDomid);
  const domid = options.domid ?? Math.max(0, ...backends) + 1;
  const writes = planDomainDeviceWrites(config, {
    domid,
    release: options.xenVersion,
    resolveDomain: resolve,
  });
  return await dryRun({
    config: { ...config, disks },
    parsed,
    nrSpis,
    xenVersion: options.xenVersion,
    host: options.host,
    rngSeed: options.rngSeed,
    readFile: async (path) => {
      try {
        return await Deno.readFile(path);
      } catch (error) {
        if (error instanceof Deno.errors.NotFound) return undefined;
        throw new XliteError(`${path}: cannot read: ${(error as Error).message}`);
      }
    },
    fileSize: async (path) => {
      try {
        return (await Deno.stat(path)).size;
      } catch (error) {
        if (error instanceof Deno.errors.NotFound) return undefined;
        throw new XliteError(`${path}: cannot stat: ${(error as Error).message}`);
      }
    },
    newWriter: createFdtWriter,
    openEditor: editFdt,
    xenstoreWrites: [
      `# guest domid ${domid}${options.domid === undefined ? " (assumed; --domid to change)" : ""}`,
      ...(writes.length
        ? formatWrites(writes).split("\n").filter((l) => l !== "")
        : ["(no devices)"]),
    ],
  });
}
