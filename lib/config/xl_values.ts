/**
 * How xl reads single values of a domain config (tools/xl/xl_parse.c): prefix-matched
 * words, libxl's enum names, shutdown actions, `irqs` and `iomem` items, and `parse_cmdline`.
 * Each refuses with xl's own text.
 *
 * @module
 */
import { DomainConfigError } from "./domain_config_error.ts";
import type { IomemRange, ShutdownAction } from "./types.ts";

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

/** xl's `!strncmp(buf, word, strlen(buf))`: the first word `text` is a prefix of. */
export function prefixOf(text: string, words: string[]): string | undefined {
  return words.find((word) => word.startsWith(text));
}

/** libxl's `<enum>_from_string`: the name `text` spells, ignoring case (strcasecmp). */
export function libxlEnum<T extends string>(text: string, names: readonly T[]): T | undefined {
  const lower = text.toLowerCase();
  return names.find((name) => name === lower);
}

/** The `on_*` action `value` of `key`, or `fallback` when unset. */
export function shutdownAction(
  key: string,
  value: string | undefined,
  fallback: ShutdownAction,
): ShutdownAction {
  if (value === undefined) return fallback;
  if (!(SHUTDOWN_ACTIONS as readonly string[]).includes(value)) {
    throw new DomainConfigError(`Unknown ${key} action "${value}" specified`);
  }
  return value as ShutdownAction;
}

/**
 * xl's `parse_cmdline`: `cmdline` wins (with a warning if `root`/`extra` are set too); else
 * `root=<root> <extra>`, `root=<root>` or `extra`.
 */
export function joinCmdline(
  cmdline: string | undefined,
  root: string | undefined,
  extra: string | undefined,
  warnings: string[],
): string | undefined {
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
export function parseIrq(item: string): number {
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
export function parseIomem(item: string): IomemRange {
  const hex = "[ \\t\\n\\v\\f\\r]*((?:0[xX])?[0-9a-fA-F]+)";
  const m = new RegExp(`^${hex},${hex}(?:@${hex})?$`).exec(item);
  if (!m) throw new DomainConfigError(`xl: Invalid argument parsing iomem: ${item}`);
  const start = BigInt("0x" + m[1].replace(/^0[xX]/, ""));
  const numberOfPages = BigInt("0x" + m[2].replace(/^0[xX]/, ""));
  // libxl: an iomem range without @GFN is mapped 1:1 (gfn = start).
  const gfn = m[3] !== undefined ? BigInt("0x" + m[3].replace(/^0[xX]/, "")) : start;
  return { start, numberOfPages, gfn };
}
