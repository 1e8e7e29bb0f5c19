/**
 * `parseDomainConfig`: an `xl.cfg` text to the {@linkcode DomainConfig} of an Arm guest, as
 * xl's `parse_config_data` (tools/xl/xl_parse.c) and libxl's defaults make it, for the keys
 * an Arm guest uses. xl's own error texts are kept; where xl would only warn and carry on
 * with a wrong value (a list where a string belongs, a bad number), xlite refuses with
 * libxlutil's text for the problem.
 *
 * The keys xlite reads are data, one row each in {@linkcode DOMAIN_KEYS} (in the spirit of
 * libxl's device-type table, STYLE.md §4): the key, the first Xen whose xl reads it, and how
 * it is read and checked. Rows run in table order, so of several bad values the first in that
 * order is the one reported; a check across keys sits in the row of the last key it needs.
 *
 * @example
 * ```ts
 * const config = parseDomainConfig('name = "vm1"\nkernel = "/boot/Image"\nmemory = 512\n', {
 *   source: "vm1.cfg",
 * });
 * config.maxmem; // 512
 * ```
 *
 * @module
 */
import {
  atLeast,
  DEFAULT_XEN_VERSION,
  formatXenVersion,
  type XenVersion,
} from "../xen_version/mod.ts";
import { parseDiskSpecs } from "../disk/mod.ts";
import type { DiskSpec } from "../disk/mod.ts";
import type { DomainConfig, ShutdownAction } from "./types.ts";
import { parseXlCfg, readConfigText } from "./xl_cfg.ts";
import { parseVirtioSpec } from "./virtio_spec.ts";
import { parseVifSpec } from "./vif_spec.ts";
import { KNOWN_XL_KEYS } from "./xl_keys.ts";
import { ConfigReader } from "./config_reader.ts";
import { CpuRangeError, parseCpuRange } from "./cpumap.ts";
import { DomainConfigError } from "./domain_config_error.ts";
import {
  joinCmdline,
  libxlEnum,
  parseIomem,
  parseIrq,
  prefixOf,
  shutdownAction,
} from "./xl_values.ts";

export { DomainConfigError };

/** Options for {@linkcode parseDomainConfig}. */
export interface ParseDomainConfigOptions {
  /** The config file name: messages and disk errors cite it, as xl does. */
  source?: string;
  /** Command-line `KEY=VALUE` overrides (`xlite create cfg memory=512`). */
  overrides?: string[];
  /** Whose xl to follow (keys and grammar by release); default Xen 4.17. */
  xenVersion?: XenVersion;
}

/**
 * A domain config while its keys are read: the {@linkcode DomainConfig} fields so far (an
 * integer as given, until the row that combines it), and what later rows need.
 */
export interface DomainDraft extends Partial<Omit<DomainConfig, "type">> {
  /** The config file name messages cite. */
  readonly source: string;
  /** Whose xl is followed. */
  readonly version: XenVersion;
  /** Warnings so far, in the order xl prints them. */
  readonly warnings: string[];
  /** `type` as given (checked with `builder`). */
  typeText?: string;
  /** xl's domain type, from `type` and `builder` (Arm's rules apply at the end). */
  type?: "hvm" | "pv" | "pvh";
  /** `root`, for `parse_cmdline`. */
  root?: string;
  /** `extra`, for `parse_cmdline`. */
  extra?: string;
}

/** One `xl.cfg` key xlite reads. */
export interface DomainKey {
  /** The key, as `xl.cfg` spells it. */
  key: string;
  /** The first Xen whose xl reads it; for an older `--xen-version` it is warned about and skipped. */
  since: XenVersion;
  /** Read (with xl's checks) and carried, but not given to the guest: warned about as ignored. */
  ignored?: true;
  /** Reads the key into `draft`, refusing as xl does; may check it against earlier rows' keys. */
  read(r: ConfigReader, draft: DomainDraft): void;
}

const XEN_4_17: XenVersion = { major: 4, minor: 17 };
const XEN_4_18: XenVersion = { major: 4, minor: 18 };
const XEN_4_19: XenVersion = { major: 4, minor: 19 };

/** libxl's default when neither `memory` nor `maxmem` is given: 32 MiB (libxl_create.c). */
const DEFAULT_MEMORY_MIB = 32;

/** `libxl_tee_type` values, with the release that added each (libxl_types.idl). */
const TEE_TYPES: readonly { name: DomainConfig["tee"]; since: XenVersion }[] = [
  { name: "none", since: XEN_4_17 },
  { name: "optee", since: XEN_4_17 },
  { name: "ffa", since: XEN_4_18 },
];

/** Every key xlite reads, in reading order (the rest of xl's keys are warned about). */
export const DOMAIN_KEYS: readonly DomainKey[] = [
  // Domain type (xl_parse.c: prefix matches against "hvm", "pv", "pvh"; Arm default pvh).
  { key: "type", since: XEN_4_17, read: (r, d) => d.typeText = r.string("type") },
  {
    key: "builder",
    since: XEN_4_17,
    read: (r, d) => {
      const builder = r.string("builder");
      if (d.typeText !== undefined) {
        d.type = prefixOf(d.typeText, ["hvm", "pv", "pvh"]) as DomainDraft["type"];
        if (d.type === undefined) throw new DomainConfigError(`Invalid domain type ${d.typeText}.`);
      }
      if (builder !== undefined) {
        const fromBuilder = prefixOf(builder, ["hvm", "generic"]);
        if (fromBuilder === undefined) {
          throw new DomainConfigError(`Invalid domain type ${builder}.`);
        }
        const builderType = fromBuilder === "generic" ? "pv" : "hvm";
        if (d.type !== undefined && d.type !== builderType) {
          throw new DomainConfigError(`Contradicting "builder" and "type" options specified.`);
        }
        d.type = builderType;
      }
      d.type ??= "pvh";
    },
  },
  {
    key: "name",
    since: XEN_4_17,
    read: (r, d) => {
      d.name = r.string("name");
      if (d.name === undefined) throw new DomainConfigError("Domain name must be specified.");
    },
  },
  {
    key: "uuid",
    since: XEN_4_17,
    read: (r, d) => {
      const uuid = r.string("uuid");
      if (uuid !== undefined && !/^[0-9a-f]{8}-([0-9a-f]{4}-){3}[0-9a-f]{12}$/i.test(uuid)) {
        throw new DomainConfigError(`Failed to parse UUID: ${uuid}`);
      }
      if (uuid !== undefined) d.uuid = uuid.toLowerCase();
    },
  },
  // Memory (MiB) and vCPUs, with libxl's defaults (spec §3.6 uses maxmem for the banks).
  { key: "memory", since: XEN_4_17, read: (r, d) => d.memory = r.long("memory", 1n, 1n << 42n) },
  {
    key: "maxmem",
    since: XEN_4_17,
    read: (r, d) => {
      const maxmem = r.long("maxmem", 1n, 1n << 42n) ?? d.memory ?? DEFAULT_MEMORY_MIB;
      const memory = d.memory ?? maxmem;
      if (maxmem < memory) {
        throw new DomainConfigError(
          `${d.source}: maxmem (${maxmem}) is smaller than memory (${memory}); a guest cannot start above its maximum`,
        );
      }
      d.memory = memory;
      d.maxmem = maxmem;
    },
  },
  { key: "vcpus", since: XEN_4_17, read: (r, d) => d.vcpus = r.long("vcpus", 1n, 4096n) },
  {
    key: "maxvcpus",
    since: XEN_4_17,
    read: (r, d) => {
      const vcpus = d.vcpus;
      d.maxvcpus = r.long("maxvcpus", 1n, 4096n) ?? vcpus ?? 1;
      d.vcpus = vcpus ?? 1;
      if (d.maxvcpus < (vcpus ?? 0)) throw new DomainConfigError("xl: maxvcpus < vcpus");
    },
  },
  { key: "cpus", since: XEN_4_17, read: (r, d) => d.vcpuHardAffinity = vcpuAffinity(r, "cpus", d) },
  {
    key: "cpus_soft",
    since: XEN_4_17,
    read: (r, d) => d.vcpuSoftAffinity = vcpuAffinity(r, "cpus_soft", d),
  },
  {
    key: "vuart",
    since: XEN_4_17,
    read: (r, d) => {
      const text = r.string("vuart");
      if (text === undefined) return;
      const value = libxlEnum(text, ["unknown", "sbsa_uart"]);
      if (value === undefined) {
        throw new DomainConfigError(`ERROR: invalid value "${text}" for "vuart"`);
      }
      if (value === "sbsa_uart") d.vuart = value;
    },
  },
  onShutdown("on_poweroff", "destroy", "onPoweroff"),
  onShutdown("on_reboot", "restart", "onReboot"),
  onShutdown("on_watchdog", "destroy", "onWatchdog"),
  onShutdown("on_crash", "destroy", "onCrash"),
  onShutdown("on_soft_reset", "soft-reset"),
  {
    key: "dtdev",
    since: XEN_4_17,
    read: (r, d) => d.dtdev = r.stringItems("dtdev", (i) => `unable to read dtdev #${i}`),
  },
  { key: "kernel", since: XEN_4_17, read: (r, d) => d.kernel = r.string("kernel") },
  { key: "ramdisk", since: XEN_4_17, read: (r, d) => d.ramdisk = r.string("ramdisk") },
  { key: "device_tree", since: XEN_4_17, read: (r, d) => d.deviceTree = r.string("device_tree") },
  { key: "cmdline", since: XEN_4_17, read: (r, d) => d.cmdline = r.string("cmdline") },
  { key: "root", since: XEN_4_17, read: (r, d) => d.root = r.string("root") },
  {
    key: "extra",
    since: XEN_4_17,
    read: (r, d) => {
      d.extra = r.string("extra");
      d.cmdline = joinCmdline(d.cmdline, d.root, d.extra, d.warnings);
      if (d.type !== "hvm" && d.kernel === undefined) {
        throw new DomainConfigError("Neither kernel nor bootloader specified");
      }
    },
  },
  {
    key: "irqs",
    since: XEN_4_17,
    read: (r, d) =>
      d.irqs = r.stringItems("irqs", (i) => `xl: Unable to get element ${i} in irq list`)
        .map(parseIrq),
  },
  {
    key: "iomem",
    since: XEN_4_17,
    read: (r, d) =>
      d.iomem = r.stringItems("iomem", (i) => `xl: Unable to get element ${i} in iomem list`)
        .map(parseIomem),
  },
  { key: "disk", since: XEN_4_17, read: (r, d) => d.disks = parseDisks(r, d.source, d.version) },
  {
    key: "vif",
    since: XEN_4_17,
    read: (r, d) =>
      d.vifs = r.leadingStrings("vif").map((item, i) =>
        parseVifSpec(item, i, d.source, d.warnings)
      ),
  },
  {
    key: "gic_version",
    since: XEN_4_17,
    read: (r, d) => {
      const text = r.string("gic_version");
      if (text === undefined) return;
      d.gicVersion = libxlEnum(text, ["default", "v2", "v3"]);
      if (d.gicVersion === undefined) {
        throw new DomainConfigError(`Unknown gic_version "${text}" specified`);
      }
    },
  },
  {
    key: "nr_spis",
    since: XEN_4_19,
    read: (r, d) => d.nrSpis = r.long("nr_spis", 0n, 0xffff_fffen),
  },
  {
    key: "tee",
    since: XEN_4_17,
    read: (r, d) => {
      const text = r.string("tee");
      if (text === undefined) return;
      const known = TEE_TYPES.filter((t) => supports(d.version, t.since)).map((t) => t.name);
      d.tee = libxlEnum(text, known);
      if (d.tee === undefined) throw new DomainConfigError(`Unknown tee "${text}" specified`);
    },
  },
  {
    key: "virtio",
    since: XEN_4_18,
    read: (r, d) =>
      d.virtios = r.leadingStrings("virtio").map((item, devid) => parseVirtioSpec(item, devid)),
  },
];

/** The rows of {@linkcode DOMAIN_KEYS} by key. */
const ROW_OF_KEY: ReadonlyMap<string, DomainKey> = new Map(
  DOMAIN_KEYS.map((row) => [row.key, row]),
);

/**
 * The row of an `on_*` key: one of xl's action names, `fallback` when unset; kept in `field`
 * where the guest's config has one (xl checks the others too).
 */
function onShutdown(
  key: string,
  fallback: ShutdownAction,
  field?: "onPoweroff" | "onReboot" | "onCrash" | "onWatchdog",
): DomainKey {
  return {
    key,
    since: XEN_4_17,
    read: (r, d) => {
      const action = shutdownAction(key, r.string(key), fallback);
      if (field !== undefined) d[field] = action;
    },
  };
}

/** True when `version`'s xl has what came in `since`. */
function supports(version: XenVersion, since: XenVersion): boolean {
  return atLeast(version, since.major, since.minor);
}

/** Reads a config file and parses it (see {@linkcode parseDomainConfig}). */
export async function readDomainConfig(
  path: string,
  options: Omit<ParseDomainConfigOptions, "source"> & { source?: string } = {},
): Promise<DomainConfig> {
  const text = await readConfigText(path);
  return parseDomainConfig(text, { ...options, source: options.source ?? path });
}

/** Parses config text into a {@linkcode DomainConfig} (see the module doc). */
export function parseDomainConfig(
  text: string,
  options: ParseDomainConfigOptions = {},
): DomainConfig {
  const source = options.source ?? "<config>";
  const version = options.xenVersion ?? DEFAULT_XEN_VERSION;
  const cfg = parseXlCfg(text, { source, overrides: options.overrides });
  const d: DomainDraft = { source, version, warnings: [] };
  const rows = DOMAIN_KEYS.filter((row) => supports(version, row.since));
  warnAboutKeys(cfg.settings.map((s) => s.name), d);

  const r = new ConfigReader(cfg);
  for (const row of rows) row.read(r, d);

  // libxl: Arm guests are PVH; PV is converted with warnings, anything else refused.
  if (d.type === "hvm") throw new DomainConfigError("Unsupported Arm guest type hvm");
  if (d.type === "pv") {
    d.warnings.push(
      "libxl: warning: Converting PV guest to PVH.",
      "libxl: warning: Arm guest are now PVH.",
      "libxl: warning: Please fix your configuration file/toolstack.",
    );
  }
  return {
    source,
    name: d.name!,
    type: "pvh",
    ...(d.uuid !== undefined ? { uuid: d.uuid } : {}),
    memory: d.memory!,
    maxmem: d.maxmem!,
    vcpus: d.vcpus!,
    maxvcpus: d.maxvcpus!,
    ...(d.vcpuHardAffinity !== undefined ? { vcpuHardAffinity: d.vcpuHardAffinity } : {}),
    ...(d.vcpuSoftAffinity !== undefined ? { vcpuSoftAffinity: d.vcpuSoftAffinity } : {}),
    ...(d.kernel !== undefined ? { kernel: d.kernel } : {}),
    ...(d.ramdisk !== undefined ? { ramdisk: d.ramdisk } : {}),
    ...(d.deviceTree !== undefined ? { deviceTree: d.deviceTree } : {}),
    ...(d.cmdline !== undefined ? { cmdline: d.cmdline } : {}),
    disks: d.disks!,
    virtios: d.virtios ?? [],
    vifs: d.vifs!,
    gicVersion: d.gicVersion ?? "default",
    ...(d.nrSpis !== undefined ? { nrSpis: d.nrSpis } : {}),
    tee: d.tee ?? "none",
    ...(d.vuart !== undefined ? { vuart: d.vuart } : {}),
    dtdev: d.dtdev!,
    iomem: d.iomem!,
    irqs: d.irqs!,
    onPoweroff: d.onPoweroff!,
    onReboot: d.onReboot!,
    onCrash: d.onCrash!,
    ...(d.onWatchdog !== undefined && d.onWatchdog !== "destroy"
      ? { onWatchdog: d.onWatchdog }
      : {}),
    warnings: d.warnings,
  };
}

/**
 * xl's `parse_vcpu_affinity`: a string is every vCPU's (up to `maxvcpus`), a list gives the
 * first vCPUs theirs (extra items are dropped). Each CPU list is checked as xl's
 * `parse_cpurange` checks it, with xl's message.
 */
function vcpuAffinity(r: ConfigReader, key: string, d: DomainDraft): string[] | undefined {
  const value = r.stringOrItems(key);
  if (value === undefined) return undefined;
  const max = d.maxvcpus ?? 1;
  const lists = typeof value === "string" ? Array(max).fill(value) : value.slice(0, max);
  for (const text of lists) {
    try {
      parseCpuRange(text, 1);
    } catch (error) {
      if (error instanceof CpuRangeError) throw new DomainConfigError(error.message);
      throw error;
    }
  }
  return lists;
}

/**
 * One warning per key of `names` (first time set) that xlite does not apply: newer than the
 * Xen followed, an xl key xlite ignores, or a key xl does not know.
 */
function warnAboutKeys(names: string[], d: DomainDraft): void {
  const seen = new Set<string>();
  for (const name of names) {
    const row = ROW_OF_KEY.get(name);
    const newer = row !== undefined && !supports(d.version, row.since);
    if (seen.has(name) || (row !== undefined && !row.ignored && !newer)) continue;
    seen.add(name);
    d.warnings.push(
      newer
        ? `${d.source}: warning: \`${name}' needs Xen ${
          formatXenVersion(row.since)
        } or later (emulating Xen ${formatXenVersion(d.version)}); ignored`
        : KNOWN_XL_KEYS.has(name)
        ? `${d.source}: warning: \`${name}' is not supported by xlite (Arm guests); ignored`
        : `${d.source}: warning: unknown option \`${name}'; ignored`,
    );
  }
}

/** `disk = [...]`: each item through the disk-spec engine, cited by the config's name. */
function parseDisks(r: ConfigReader, source: string, version: XenVersion): DiskSpec[] {
  const specs = r.leadingStrings("disk");
  if (specs.length === 0) return [];
  const grammar = supports(version, XEN_4_19) ? "4.19" : "4.17";
  const results = parseDiskSpecs(specs, { source, grammar });
  // xl stops at the first bad disk (its messages are already out) and exits.
  for (const result of results) {
    if (result instanceof Error) throw result;
  }
  return results as DiskSpec[];
}
