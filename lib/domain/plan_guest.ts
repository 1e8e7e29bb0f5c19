/**
 * `xlite create --dry-run` and `xlite dtb`: from an `xl.cfg` path to everything libxl would
 * decide, without Xen — the prepared guest (`prepare_guest.ts`), the xenstore writes of its
 * devices (`lib/devices`), then the Arm build plan (`guest_plan.ts`), in libxl's order
 * (spec §2.8).
 *
 * @module
 */
import type { XenVersion } from "../xen_version/mod.ts";
import { formatWrites, planDomainDeviceWrites } from "../devices/mod.ts";
import { XliteError } from "../errors.ts";
import {
  type GuestBuildPlan,
  type HostAssumptions,
  planGuestBuild,
  readPartialDtFile,
} from "./guest_plan.ts";
import { dryRunResolver, prepareGuest } from "./prepare_guest.ts";

/** What a dry run assumes where a real create would ask Xen (spec §3.6). */
export interface GuestPlanOptions {
  /** The Xen release to emulate. */
  xenVersion: XenVersion;
  /** What Xen would report for the domain. */
  host: HostAssumptions;
  /** Fixed rng-seed bytes, else random. */
  rngSeed?: Uint8Array;
  /** The guest's domid for the xenstore plan; undefined: derive it from the backends. */
  domid?: number;
  /** Backend domain names the dry run resolves (`--domain NAME=ID`). */
  domains: ReadonlyMap<string, number>;
}

/** A dry run's plan: the build plan and the xenstore writes of the devices. */
export interface DryRunPlan extends GuestBuildPlan {
  /** The xenstore writes, formatted as `xenstore-ls -fp` lines. */
  xenstoreWrites: string[];
}

/** A file's bytes, or `undefined` when it does not exist. */
async function readIfExists(path: string): Promise<Uint8Array | undefined> {
  try {
    return await Deno.readFile(path);
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return undefined;
    throw new XliteError(`${path}: cannot read: ${(error as Error).message}`);
  }
}

/** A file's size, or `undefined` when it does not exist. */
async function sizeIfExists(path: string): Promise<number | undefined> {
  try {
    return (await Deno.stat(path)).size;
  } catch (error) {
    if (error instanceof Deno.errors.NotFound) return undefined;
    throw new XliteError(`${path}: cannot stat: ${(error as Error).message}`);
  }
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
  options: GuestPlanOptions,
): Promise<DryRunPlan> {
  const { xenVersion } = options;
  const guest = await prepareGuest(cfgPath, {
    overrides,
    xenVersion,
    resolveBackend: dryRunResolver(options.domains),
  });
  const { config } = guest;
  // No domain exists yet: assume the next domid after every backend domain the config names.
  const backends = [...config.disks, ...config.virtios].map((d) => d.backendDomid);
  const domid = options.domid ?? Math.max(0, ...backends) + 1;
  const writes = planDomainDeviceWrites(config, { domid, release: xenVersion });
  const kernel = config.kernel === undefined ? undefined : await readIfExists(config.kernel);
  const ramdiskSize = config.ramdisk === undefined ? undefined : await sizeIfExists(config.ramdisk);
  const plan = await planGuestBuild({
    guest,
    xenVersion,
    host: options.host,
    rngSeed: options.rngSeed,
    kernel,
    ramdiskSize,
    partialDt: config.deviceTree === undefined
      ? undefined
      : await readPartialDtFile(config.deviceTree),
  });
  return {
    ...plan,
    xenstoreWrites: [
      `# guest domid ${domid}${options.domid === undefined ? " (assumed; --domid to change)" : ""}`,
      ...(writes.length
        ? formatWrites(writes).split("\n").filter((l) => l !== "")
        : ["(no devices)"]),
    ],
  };
}
