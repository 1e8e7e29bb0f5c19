/**
 * `parseDomainConfig`: an `xl.cfg` text to the {@linkcode DomainConfig} of an Arm guest, as
 * xl's `parse_config_data` (tools/xl/xl_parse.c) and libxl's defaults make it, for the keys
 * an Arm guest uses. xl's own error texts are kept; where xl would only warn and carry on
 * with a wrong value (a list where a string belongs, a bad number), xlite refuses with
 * libxlutil's text for the problem.
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
import { XliteError } from "../errors.ts";
import { atLeast, DEFAULT_XEN_VERSION, type XenVersion } from "../arm/xen_version.ts";
import { parseDiskSpecs } from "../disk/mod.ts";
import type { DiskSpec } from "../disk/types.ts";
import type { DomainConfig, IomemRange, ShutdownAction, VifDevice, VirtioDevice } from "./types.ts";
import { findSetting, getList, getLong, getString, parseXlCfg, type XlConfig } from "./xl_cfg.ts";
import { parseVirtioSpec } from "./virtio_spec.ts";
import { KNOWN_XL_KEYS } from "./xl_keys.ts";

/** Options for {@linkcode parseDomainConfig}. */
export interface ParseDomainConfigOptions {
  /** The config file name: messages and disk errors cite it, as xl does. */
  source?: string;
  /** Command-line `KEY=VALUE` overrides (`xlite create cfg memory=512`). */
  overrides?: string[];
  /** Whose xl to follow (keys and grammar by release); default Xen 4.17. */
  xenVersion?: XenVersion;
}

/** A value xl (or xlite, where xl would carry on wrongly) refuses. */
export class DomainConfigError extends XliteError {
  /** Makes the error; `message` is printed as is. */
  constructor(message: string) {
    super(message, { verbatim: true });
    this.name = "DomainConfigError";
  }
}

/** Shutdown actions, as xl's `action_on_shutdown_names`. */
const SHUTDOWN_ACTIONS: readonly ShutdownAction[] = [
  "destroy",
  "restart",
  "rename-restart",
  "preserve",
  "coredump-destroy",
  "coredump-restart",
  "soft-reset",
];

/**
 * Keys xlite reads (the rest of xl's keys are accepted and ignored, with a warning). `vif` is
 * read and carried but not in here: until xlite has networking, its guests get no NIC.
 */
const USED_KEYS = new Set([
  "name",
  "type",
  "builder",
  "uuid",
  "memory",
  "maxmem",
  "vcpus",
  "maxvcpus",
  "kernel",
  "ramdisk",
  "cmdline",
  "extra",
  "root",
  "disk",
  "virtio",
  "gic_version",
  "nr_spis",
  "tee",
  "vuart",
  "dtdev",
  "iomem",
  "irqs",
  "on_poweroff",
  "on_reboot",
  "on_crash",
  "on_watchdog",
  "on_soft_reset",
]);

/** libxl's default when neither `memory` nor `maxmem` is given: 32 MiB (libxl_create.c). */
const DEFAULT_MEMORY_MIB = 32;

/** Reads a config file and parses it (see {@linkcode parseDomainConfig}). */
export async function readDomainConfig(
  path: string,
  options: Omit<ParseDomainConfigOptions, "source"> & { source?: string } = {},
): Promise<DomainConfig> {
  let text: string;
  try {
    text = await Deno.readTextFile(path);
  } catch (error) {
    throw new XliteError(`Failed to read config file: ${path}: ${(error as Error).message}`);
  }
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
  const r = new Reader(cfg);
  const warnings: string[] = [];

  const used = new Set(USED_KEYS);
  const since = new Map<string, string>();
  if (!atLeast(version, 4, 18)) since.set("virtio", "4.18"); // xl 4.17 has no `virtio=`
  if (!atLeast(version, 4, 19)) since.set("nr_spis", "4.19"); // nor `nr_spis=` before 4.19
  for (const key of since.keys()) used.delete(key);
  const seen = new Set<string>();
  for (const { name } of cfg.settings) {
    if (seen.has(name) || used.has(name)) continue;
    seen.add(name);
    warnings.push(
      since.has(name)
        ? `${source}: warning: \`${name}' needs Xen ${
          since.get(name)
        } or later (emulating Xen ${version.major}.${version.minor}); ignored`
        : KNOWN_XL_KEYS.has(name)
        ? `${source}: warning: \`${name}' is not supported by xlite (Arm guests); ignored`
        : `${source}: warning: unknown option \`${name}'; ignored`,
    );
  }

  // Domain type (xl_parse.c: prefix matches against "hvm", "pv", "pvh"; Arm default pvh).
  let type = r.string("type");
  const builder = r.string("builder");
  if (type !== undefined) {
    type = prefixOf(type, ["hvm", "pv", "pvh"]);
    if (type === undefined) throw new DomainConfigError(`Invalid domain type ${r.string("type")}.`);
  }
  if (builder !== undefined) {
    const fromBuilder = prefixOf(builder, ["hvm", "generic"]);
    if (fromBuilder === undefined) throw new DomainConfigError(`Invalid domain type ${builder}.`);
    const builderType = fromBuilder === "generic" ? "pv" : "hvm";
    if (type !== undefined && type !== builderType) {
      throw new DomainConfigError(`Contradicting "builder" and "type" options specified.`);
    }
    type = builderType;
  }
  type ??= "pvh";

  const name = r.string("name");
  if (name === undefined) throw new DomainConfigError("Domain name must be specified.");

  const uuid = r.string("uuid");
  if (uuid !== undefined && !/^[0-9a-f]{8}-([0-9a-f]{4}-){3}[0-9a-f]{12}$/i.test(uuid)) {
    throw new DomainConfigError(`Failed to parse UUID: ${uuid}`);
  }

  // Memory (MiB) and vCPUs, with libxl's defaults (spec §3.6 uses maxmem for the banks).
  const memoryGiven = r.long("memory", 1n, 1n << 42n);
  const maxmemGiven = r.long("maxmem", 1n, 1n << 42n);
  const maxmem = maxmemGiven ?? memoryGiven ?? DEFAULT_MEMORY_MIB;
  const memory = memoryGiven ?? maxmem;
  if (maxmem < memory) {
    throw new DomainConfigError(
      `${source}: maxmem (${maxmem}) is smaller than memory (${memory}); a guest cannot start above its maximum`,
    );
  }
  const vcpusGiven = r.long("vcpus", 1n, 4096n);
  const maxvcpusGiven = r.long("maxvcpus", 1n, 4096n);
  const vcpus = vcpusGiven ?? 1;
  const maxvcpus = maxvcpusGiven ?? vcpusGiven ?? 1;
  if (maxvcpus < (vcpusGiven ?? 0)) throw new DomainConfigError("xl: maxvcpus < vcpus");

  let vuart: DomainConfig["vuart"];
  const vuartText = r.string("vuart");
  if (vuartText !== undefined) {
    const value = vuartText.toLowerCase();
    if (value !== "sbsa_uart" && value !== "unknown") {
      throw new DomainConfigError(`ERROR: invalid value "${vuartText}" for "vuart"`);
    }
    if (value === "sbsa_uart") vuart = "sbsa_uart";
  }

  const onPoweroff = shutdownAction(r, "on_poweroff", "destroy");
  const onReboot = shutdownAction(r, "on_reboot", "restart");
  shutdownAction(r, "on_watchdog", "destroy");
  const onCrash = shutdownAction(r, "on_crash", "destroy");
  shutdownAction(r, "on_soft_reset", "soft-reset");

  const dtdev = r.stringItems("dtdev", (i) => `unable to read dtdev #${i}`);

  const kernel = r.string("kernel");
  const ramdisk = r.string("ramdisk");
  const cmdline = parseCmdline(r, warnings);
  if (type !== "hvm" && kernel === undefined) {
    throw new DomainConfigError("Neither kernel nor bootloader specified");
  }

  const irqs = r.stringItems("irqs", (i) => `xl: Unable to get element ${i} in irq list`)
    .map(parseIrq);
  const iomem = r.stringItems("iomem", (i) => `xl: Unable to get element ${i} in iomem list`)
    .map(parseIomem);

  const disks = parseDisks(r, source, version);
  const vifs = r.leadingStrings("vif").map((item) => parseVif(item, warnings));

  const gicText = r.string("gic_version");
  let gicVersion: DomainConfig["gicVersion"] = "default";
  if (gicText !== undefined) {
    const value = gicText.toLowerCase();
    if (value !== "default" && value !== "v2" && value !== "v3") {
      throw new DomainConfigError(`Unknown gic_version "${gicText}" specified`);
    }
    gicVersion = value;
  }

  let nrSpis: number | undefined;
  if (used.has("nr_spis")) {
    const value = r.long("nr_spis", 0n, 0xffff_fffen);
    if (value !== undefined) nrSpis = value;
  }

  const teeText = r.string("tee");
  let tee: DomainConfig["tee"] = "none";
  if (teeText !== undefined) {
    const value = teeText.toLowerCase();
    // libxl_types.idl: `ffa` joined libxl_tee_type in Xen 4.18.
    const known = atLeast(version, 4, 18) ? ["none", "optee", "ffa"] : ["none", "optee"];
    if (!known.includes(value)) throw new DomainConfigError(`Unknown tee "${teeText}" specified`);
    tee = value as DomainConfig["tee"];
  }

  const virtios: VirtioDevice[] = used.has("virtio")
    ? r.leadingStrings("virtio").map((item, devid) => parseVirtioSpec(item, devid))
    : [];

  // libxl: Arm guests are PVH; PV is converted with warnings, anything else refused.
  if (type === "hvm") throw new DomainConfigError("Unsupported Arm guest type hvm");
  if (type === "pv") {
    warnings.push(
      "libxl: warning: Converting PV guest to PVH.",
      "libxl: warning: Arm guest are now PVH.",
      "libxl: warning: Please fix your configuration file/toolstack.",
    );
  }

  return {
    source,
    name,
    type: "pvh",
    ...(uuid !== undefined ? { uuid: uuid.toLowerCase() } : {}),
    memory,
    maxmem,
    vcpus,
    maxvcpus,
    ...(kernel !== undefined ? { kernel } : {}),
    ...(ramdisk !== undefined ? { ramdisk } : {}),
    ...(cmdline !== undefined ? { cmdline } : {}),
    disks,
    virtios,
    vifs,
    gicVersion,
    ...(nrSpis !== undefined ? { nrSpis } : {}),
    tee,
    ...(vuart !== undefined ? { vuart } : {}),
    dtdev,
    iomem,
    irqs,
    onPoweroff,
    onReboot,
    onCrash,
    warnings,
  };
}

/** xl's `!strncmp(buf, word, strlen(buf))`: the first word `text` is a prefix of. */
function prefixOf(text: string, words: string[]): string | undefined {
  return words.find((word) => word.startsWith(text));
}

/** Typed reads that turn libxlutil's warnings into errors. */
class Reader {
  readonly #cfg: XlConfig;
  constructor(cfg: XlConfig) {
    this.#cfg = cfg;
  }

  /** The string value of `name`, if set. */
  string(name: string): string | undefined {
    const got = getString(this.#cfg, name);
    if (got.ok) return got.value;
    if (got.missing) return undefined;
    throw new DomainConfigError(stripWarning(got.warning));
  }

  /** The integer value of `name` within [min, max], if set. */
  long(name: string, min: bigint, max: bigint): number | undefined {
    const got = getLong(this.#cfg, name);
    if (!got.ok) {
      if (got.missing) return undefined;
      const set = findSetting(this.#cfg, name)!;
      const shown = set.value.kind === "string" ? ` "${set.value.value}"` : "";
      throw new DomainConfigError(`${stripWarning(got.warning)}${shown ? ` (got${shown})` : ""}`);
    }
    if (got.value < min || got.value > max) {
      const set = findSetting(this.#cfg, name)!;
      throw new DomainConfigError(
        `${this.#cfg.source}:${set.line}: parameter \`${name}' = ${got.value} is out of range (${min}..${max})`,
      );
    }
    return Number(got.value);
  }

  /** The items of list `name` (all must be strings, as xl's counted loops require). */
  stringItems(name: string, nested: (index: number) => string): string[] {
    const got = getList(this.#cfg, name);
    if (!got.ok) {
      if (got.missing) return [];
      throw new DomainConfigError(stripWarning(got.warning));
    }
    return got.value.map((item, i) => {
      if (item.kind !== "string") throw new DomainConfigError(nested(i));
      return item.value;
    });
  }

  /** The items of list `name` up to the first non-string (xl's `while (listitem)` loops). */
  leadingStrings(name: string): string[] {
    const got = getList(this.#cfg, name);
    if (!got.ok) {
      if (got.missing) return [];
      throw new DomainConfigError(stripWarning(got.warning));
    }
    const out: string[] = [];
    for (const item of got.value) {
      if (item.kind !== "string") break;
      out.push(item.value);
    }
    return out;
  }
}

/** libxlutil's warning, as an error line: `FILE:LINE: parameter ...`. */
function stripWarning(warning: string): string {
  return warning.replace(": warning: ", ": ");
}

function shutdownAction(r: Reader, key: string, fallback: ShutdownAction): ShutdownAction {
  const value = r.string(key);
  if (value === undefined) return fallback;
  if (!(SHUTDOWN_ACTIONS as readonly string[]).includes(value)) {
    throw new DomainConfigError(`Unknown ${key} action "${value}" specified`);
  }
  return value as ShutdownAction;
}

/** xl's `parse_cmdline`: `cmdline` wins; else `root=<root> <extra>`, `root=<root>`, `extra`. */
function parseCmdline(r: Reader, warnings: string[]): string | undefined {
  const cmdline = r.string("cmdline");
  const root = r.string("root");
  const extra = r.string("extra");
  if (cmdline !== undefined) {
    if (root !== undefined || extra !== undefined) {
      warnings.push("Warning: ignoring root= and extra= in favour of cmdline=");
    }
    return cmdline;
  }
  if (root !== undefined) return extra !== undefined ? `root=${root} ${extra}` : `root=${root}`;
  return extra;
}

/** One `irqs` item: C `strtoul(buf, &ep, 10)`, whole string, below UINT32_MAX. */
function parseIrq(item: string): number {
  const m = /^[ \t\n\v\f\r]*([+-]?)([0-9]+)$/.exec(item);
  if (!m) throw new DomainConfigError(`xl: Invalid argument parsing irq: ${item}`);
  let value = BigInt(m[2]);
  if (m[1] === "-" && value !== 0n) value = (1n << 64n) - (value % (1n << 64n));
  if (value >= 0xffff_ffffn) {
    throw new DomainConfigError(`xl: irq ${value.toString(16)} too big`);
  }
  return Number(value);
}

/** One `iomem` item: `IOMEM_START,NUM_PAGES[@GFN]` in hex (xl's `sscanf("%x,%x%n@%x%n")`). */
function parseIomem(item: string): IomemRange {
  const hex = "[ \\t\\n\\v\\f\\r]*((?:0[xX])?[0-9a-fA-F]+)";
  const m = new RegExp(`^${hex},${hex}(?:@${hex})?$`).exec(item);
  if (!m) throw new DomainConfigError(`xl: Invalid argument parsing iomem: ${item}`);
  const start = BigInt("0x" + m[1].replace(/^0[xX]/, ""));
  const numberOfPages = BigInt("0x" + m[2].replace(/^0[xX]/, ""));
  // libxl: an iomem range without @GFN is mapped 1:1 (gfn = start).
  const gfn = m[3] !== undefined ? BigInt("0x" + m[3].replace(/^0[xX]/, "")) : start;
  return { start, numberOfPages, gfn };
}

/** `disk = [...]`: each item through the disk-spec engine, cited by the config's name. */
function parseDisks(r: Reader, source: string, version: XenVersion): DiskSpec[] {
  const specs = r.leadingStrings("disk");
  if (specs.length === 0) return [];
  const grammar = atLeast(version, 4, 19) ? "4.19" : "4.17";
  const results = parseDiskSpecs(specs, { source, grammar });
  // xl stops at the first bad disk (its messages are already out) and exits.
  for (const result of results) {
    if (result instanceof Error) throw result;
  }
  return results as DiskSpec[];
}

/** A `vif` item carried as key=value pairs, split as xl does (strtok on `,`). */
function parseVif(item: string, warnings: string[]): VifDevice {
  const settings: Record<string, string> = {};
  for (const raw of item.split(",").filter((f) => f !== "")) {
    const token = raw.replace(/^ +/, "");
    const eq = token.indexOf("=");
    if (eq < 0) {
      warnings.push(`unrecognized argument \`${token}'`);
      continue;
    }
    settings[token.slice(0, eq)] = token.slice(eq + 1);
  }
  return { spec: item, settings };
}
