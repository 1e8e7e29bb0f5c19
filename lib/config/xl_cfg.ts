/**
 * xl's config language (`xl.cfg`): reading a file into settings, command-line overrides as
 * `xl create` appends them, and the typed getters xl uses (`xlu_cfg_get_string/long/list`)
 * with libxlutil's warning texts.
 *
 * @example
 * ```ts
 * const cfg = parseXlCfg('name = "vm1"\nmemory = 512\n', { source: "vm1.cfg" });
 * getString(cfg, "name"); // { ok: true, value: "vm1" }
 * getLong(cfg, "memory"); // { ok: true, value: 512n }
 * ```
 *
 * @module
 */
import { XliteError } from "../errors.ts";
import { byteStringToText, textToByteString, toByteString } from "./byte_string.ts";
import { readXlCfgBytes } from "./xl_cfg_parser.ts";
import type { XlCfgReadResult, XlCfgSetting, XlCfgValue } from "./xl_cfg_setting.ts";
import { readValidXlCfg } from "./xl_cfg_valid.ts";

export type { XlCfgReadResult, XlCfgSetting, XlCfgValue };

/** A parse failure: `message` is libxlutil's first report line (`FILE:LINE: ...`). */
export class XlCfgError extends XliteError {
  /** Every line libxlutil would have reported. */
  readonly report: string[];
  /** Makes the error from libxlutil's report lines. */
  constructor(report: string[]) {
    super(report[0] ?? "config parsing error", { verbatim: true });
    this.name = "XlCfgError";
    this.report = report;
  }
}

/** A parsed config: its settings (oldest first) and where it came from. */
export interface XlConfig {
  /** The name messages cite (the config file name, as xl passes it). */
  source: string;
  /** Every statement, oldest first; a name's newest one is in effect. */
  settings: XlCfgSetting[];
}

/** Options for {@linkcode parseXlCfg}. */
export interface ParseXlCfgOptions {
  /** The name used in messages, normally the config file path. */
  source: string;
  /**
   * `KEY=VALUE` texts from the command line (`xl create cfg memory=512`): appended after
   * the file as xl does (`"\n" + each + "\n"`), so they win and share its line count.
   */
  overrides?: string[];
}

/**
 * Reads config text (or bytes) like `xlu_cfg_readdata`: never throws for bad input; the
 * result carries the return code, the report lines and the settings (as text).
 *
 * Speed (issue 9 §5), TypeScript rather than the WASM core. Measured on the bench's guest
 * config (best of runs): 20.3 µs before (8.7 turning bytes into a string with a spread; 8.7
 * parsing: 1.6 scanning into token objects, 1.5 unquoting char by char, 5.6 the automaton's
 * closures and stack objects; 2.9 converting values back to text), 1.8 µs now (0.2 bytes to
 * string, 0.9 scanning, 0.7 building values and settings; the automaton alone 2.7 µs);
 * libxlutil takes about 4.6 µs. WASM could only speed up the scan: a string made from WASM
 * memory costs about 100 ns, some 20 per config, so values would still be sliced in JS.
 */
export function readXlCfg(input: string | Uint8Array, source: string): XlCfgReadResult {
  const { bytes, ascii } = toByteString(input);
  const sourceBytes = textToByteString(source);
  // Nearly every config is valid: the direct descent reads it; the automaton reports errors.
  const settings = readValidXlCfg(bytes);
  const result = settings !== undefined
    ? { rc: 0, report: [], settings }
    : readXlCfgBytes(bytes, sourceBytes);
  // ASCII byte strings are already text (no value to convert).
  if (ascii && sourceBytes === source) return result;
  return {
    rc: result.rc,
    report: result.report.map(byteStringToText),
    settings: result.settings.map((s) => ({
      ...s,
      name: byteStringToText(s.name),
      value: valueToText(s.value),
    })),
  };
}

function valueToText(value: XlCfgValue): XlCfgValue {
  return value.kind === "string"
    ? { ...value, value: byteStringToText(value.value) }
    : { ...value, items: value.items.map(valueToText) };
}

/** The text `xl create` parses for a file plus command-line `KEY=VALUE` overrides. */
export function withOverrides(text: string, overrides: string[] = []): string {
  for (const item of overrides) {
    if (!item.includes("=")) {
      throw new XliteError(`override '${item}' is not of the form KEY=VALUE`, { exitCode: 2 });
    }
  }
  // xl_vmcontrol.c: config_data + "\n" + extra_config + "\n", extra = each arg + "\n".
  return overrides.length === 0 ? text : `${text}\n${overrides.map((o) => o + "\n").join("")}\n`;
}

/**
 * Parses config text; throws {@linkcode XlCfgError} (libxlutil's `FILE:LINE: ...` text)
 * when libxlutil would refuse it.
 */
export function parseXlCfg(text: string, options: ParseXlCfgOptions): XlConfig {
  const result = readXlCfg(withOverrides(text, options.overrides), options.source);
  if (result.rc !== 0) throw new XlCfgError(result.report);
  return { source: options.source, settings: result.settings };
}

/** Reads and parses a config file (`xl create <file>`); errors name the file. */
export async function parseXlCfgFile(
  path: string,
  options: Partial<ParseXlCfgOptions> = {},
): Promise<XlConfig> {
  const text = await readConfigText(path);
  return parseXlCfg(text, { source: options.source ?? path, overrides: options.overrides });
}

/** The text of config file `path`; a file that cannot be read is an error naming it. */
export async function readConfigText(path: string): Promise<string> {
  try {
    return await Deno.readTextFile(path);
  } catch (error) {
    throw new XliteError(`Failed to read config file: ${path}: ${(error as Error).message}`);
  }
}

// ---- Getters (libxlu_cfg.c), returning libxlutil's warning instead of printing it ----

/** A getter's answer: the value, or why not (`missing`, or libxlutil's warning line). */
export type Lookup<T> =
  | { ok: true; value: T }
  | { ok: false; missing: true }
  | { ok: false; missing: false; warning: string };

/** The setting in effect for `name` (the newest), if any. */
export function findSetting(cfg: XlConfig, name: string): XlCfgSetting | undefined {
  return cfg.settings.findLast((s) => s.name === name);
}

const MISSING = { ok: false, missing: true } as const;
const warn = (warning: string) => ({ ok: false, missing: false, warning }) as const;

function findAtom(cfg: XlConfig, name: string): Lookup<XlCfgSetting> {
  const set = findSetting(cfg, name);
  if (!set) return MISSING;
  if (set.value.kind !== "string") {
    return warn(
      `${cfg.source}:${set.line}: warning: parameter \`${name}' is a list but should be a single value`,
    );
  }
  return { ok: true, value: set };
}

/** `xlu_cfg_get_string`. */
export function getString(cfg: XlConfig, name: string): Lookup<string> {
  const atom = findAtom(cfg, name);
  if (!atom.ok) return atom;
  return { ok: true, value: (atom.value.value as { value: string }).value };
}

/** `xlu_cfg_get_list`: the items of a list setting. */
export function getList(cfg: XlConfig, name: string): Lookup<XlCfgValue[]> {
  const set = findSetting(cfg, name);
  if (!set) return MISSING;
  if (set.value.kind !== "list") {
    return warn(
      `${cfg.source}:${set.line}: warning: parameter \`${name}' is a single value but should be a list`,
    );
  }
  return { ok: true, value: set.value.items };
}

/** `xlu_cfg_get_list_as_string_list`-style: list items that are strings (others skipped). */
export function getStringList(cfg: XlConfig, name: string): Lookup<string[]> {
  const list = getList(cfg, name);
  if (!list.ok) return list;
  return {
    ok: true,
    value: list.value.flatMap((item) => item.kind === "string" ? [item.value] : []),
  };
}

const LONG_MIN = -(2n ** 63n);
const LONG_MAX = 2n ** 63n - 1n;

/** C `strtol(s, &ep, 0)` on glibc: the value, chars consumed, and whether it overflowed. */
export function strtol(s: string): { value: bigint; used: number; overflow: boolean } {
  let i = 0;
  while (i < s.length && " \t\n\v\f\r".includes(s[i])) i++;
  let negative = false;
  if (s[i] === "+" || s[i] === "-") negative = s[i++] === "-";
  let base = 10n;
  let digits = "0123456789";
  if (
    s[i] === "0" && (s[i + 1] === "x" || s[i + 1] === "X") && /[0-9a-fA-F]/.test(s[i + 2] ?? "")
  ) {
    base = 16n;
    digits = "0123456789abcdef";
    i += 2;
  } else if (s[i] === "0") {
    base = 8n;
    digits = "01234567";
  }
  const start = i;
  let value = 0n;
  while (i < s.length && digits.includes(s[i].toLowerCase())) {
    value = value * base + BigInt(digits.indexOf(s[i].toLowerCase()));
    i++;
  }
  if (i === start) return { value: 0n, used: 0, overflow: false };
  if (negative) value = -value;
  const overflow = value > LONG_MAX || value < LONG_MIN;
  return { value: overflow ? (negative ? LONG_MIN : LONG_MAX) : value, used: i, overflow };
}

/** `xlu_cfg_get_bounded_long` (`xlu_cfg_get_long` when no bounds): C `long`, 64-bit. */
export function getLong(
  cfg: XlConfig,
  name: string,
  min: bigint = LONG_MIN,
  max: bigint = LONG_MAX,
): Lookup<bigint> {
  const atom = findAtom(cfg, name);
  if (!atom.ok) return atom;
  const set = atom.value;
  const where = `${cfg.source}:${set.line}: warning:`;
  if (set.op === "+=") return warn(`${where} can't use += with numbers for parameter \`${name}'`);
  const text = (set.value as { value: string }).value;
  const { value, used, overflow } = strtol(text);
  if (overflow) {
    return warn(
      `${where} parameter \`${name}' could not be parsed as a number: Numerical result out of range`,
    );
  }
  if (used === 0 || used !== text.length) {
    return warn(`${where} parameter \`${name}' is not a valid number`);
  }
  if (value < min) return warn(`${where} value \`${value}' is smaller than minimum bound '${min}'`);
  if (value > max) return warn(`${where} value \`${value}' is greater than maximum bound '${max}'`);
  return { ok: true, value };
}
