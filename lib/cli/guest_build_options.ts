/**
 * Flags shared by `xlite create --dry-run` and `xlite dtb`: the Xen version to emulate and
 * what Xen would report for the new domain (spec §3.6: dry-run defaults are options).
 *
 * @module
 */
import type { Args } from "../std/cli.ts";
import { UsageError } from "../errors.ts";
import { xenVersionOption } from "../xen_version/mod.ts";
import { DEFAULT_HOST } from "../domain/guest_plan.ts";
import type { GuestPlanOptions } from "../domain/plan_guest.ts";

/** Value flags of the guest build. */
export const GUEST_BUILD_STRING_FLAGS = [
  "xen-version",
  "gic",
  "gpaddr-bits",
  "clock-frequency",
  "seed",
  "domid",
];

/** Repeatable value flags of the guest build. */
export const GUEST_BUILD_COLLECT_FLAGS = ["domain"];

/** Usage lines for those flags. */
export const GUEST_BUILD_USAGE =
  `  --xen-version V      emulate Xen V's libxl (4.17 … 4.22; default: this host's Xen,
                       4.17 on a host without Xen)
  --gic v2|v3          what gic_version="default" becomes (default v3, the testbed host's)
  --gpaddr-bits N      guest physical address bits Xen reports (default 40)
  --clock-frequency HZ timer clock-frequency Xen reports (default 0: none)
  --seed zero|random   /chosen/rng-seed bytes (default random, as libxl)
  --domid N            the guest's domid in xenstore paths (default: 1 + the highest
                       backend domid the config names, i.e. 1 with dom0 backends)
  --domain NAME=ID     resolve backend=NAME to domid ID (repeatable; a dry run has no
                       xenstore to look names up in)`;

/** Parsed guest-build flags: what the dry run assumes (`lib/domain`'s plan options). */
export type GuestBuildOptions = GuestPlanOptions;

function integer(flag: string, text: string, min: number, max: number): number {
  if (!/^(0x[0-9a-f]+|\d+)$/i.test(text) || Number(text) < min || Number(text) > max) {
    throw new UsageError(`--${flag} '${text}': expected an integer ${min}–${max}`);
  }
  return Number(text);
}

/** Reads the shared flags from parsed arguments. */
export function guestBuildOptions(args: Args): GuestBuildOptions {
  const get = (flag: string) => args[flag] as string | undefined;
  const xenVersion = xenVersionOption(get("xen-version"));
  const gic = get("gic") ?? DEFAULT_HOST.defaultGic;
  if (gic !== "v2" && gic !== "v3") throw new UsageError(`--gic '${gic}': expected v2 or v3`);
  const seed = get("seed") ?? "random";
  if (seed !== "zero" && seed !== "random") {
    throw new UsageError(`--seed '${seed}': expected zero or random`);
  }
  return {
    xenVersion,
    host: {
      defaultGic: gic,
      gpaddrBits: get("gpaddr-bits") ? integer("gpaddr-bits", get("gpaddr-bits")!, 32, 64) : 40,
      clockFrequency: get("clock-frequency")
        ? integer("clock-frequency", get("clock-frequency")!, 0, 0xffff_ffff)
        : 0,
    },
    rngSeed: seed === "zero" ? new Uint8Array(128) : undefined,
    domid: get("domid") ? integer("domid", get("domid")!, 1, 0x7fef) : undefined,
    domains: new Map(((args.domain as string[] | undefined) ?? []).map((item) => {
      const match = /^([^=]+)=(.+)$/.exec(item);
      if (!match) throw new UsageError(`--domain '${item}': expected NAME=DOMID`);
      return [match[1], integer("domain", match[2], 0, 0x7fef)];
    })),
  };
}
