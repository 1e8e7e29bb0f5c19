/**
 * Typed reads of a parsed config for `parseDomainConfig`: libxlutil's getters, with the
 * warnings on which xl would carry on with a wrong value turned into errors.
 *
 * @module
 */
import { DomainConfigError } from "./domain_config_error.ts";
import { findSetting, getList, getLong, getString, type XlConfig } from "./xl_cfg.ts";

/** Typed reads that turn libxlutil's warnings into {@linkcode DomainConfigError}s. */
export class ConfigReader {
  readonly #cfg: XlConfig;

  /** Reads from `cfg`. */
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
    return this.#list(name).map((item, i) => {
      if (item.kind !== "string") throw new DomainConfigError(nested(i));
      return item.value;
    });
  }

  /** The items of list `name` up to the first non-string (xl's `while (listitem)` loops). */
  leadingStrings(name: string): string[] {
    const out: string[] = [];
    for (const item of this.#list(name)) {
      if (item.kind !== "string") break;
      out.push(item.value);
    }
    return out;
  }

  /**
   * `name` as xl's `cpus` / `cpus_soft` take it: a list (its leading string items) or a single
   * string; `undefined` when not set.
   */
  stringOrItems(name: string): string | string[] | undefined {
    const set = findSetting(this.#cfg, name);
    if (!set) return undefined;
    return set.value.kind === "list" ? this.leadingStrings(name) : this.string(name);
  }

  #list(name: string) {
    const got = getList(this.#cfg, name);
    if (got.ok) return got.value;
    if (got.missing) return [];
    throw new DomainConfigError(stripWarning(got.warning));
  }
}

/** libxlutil's warning, as an error line: `FILE:LINE: parameter ...`. */
function stripWarning(warning: string): string {
  return warning.replace(": warning: ", ": ");
}
