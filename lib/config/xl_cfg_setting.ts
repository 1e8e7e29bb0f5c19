/**
 * What a config statement leaves behind, as libxlutil stores it (`libxlu_cfg.c`): values,
 * settings, and `xlu__cfg_set_store` with its `+=` joining.
 *
 * @module
 */

/** A config value: a string or a (possibly nested) list; `line` is where it starts. */
export type XlCfgValue =
  | { kind: "string"; value: string; line: number }
  | { kind: "list"; items: XlCfgValue[]; line: number };

/** One `KEY = VALUE` / `KEY += VALUE` statement, as libxlutil stores it. */
export interface XlCfgSetting {
  /** The key. */
  name: string;
  /** `=` or `+=` (which numbers refuse). */
  op: "=" | "+=";
  /** The line of the value (`@3.first_line`), which warnings cite. */
  line: number;
  /** The value (for `+=`, already joined with the previous one). */
  value: XlCfgValue;
}

/** What `xlu_cfg_readdata` leaves behind: errno-style code, report lines, settings. */
export interface XlCfgReadResult {
  /** 0 on success, 22 (EINVAL) on a parse error. */
  rc: number;
  /** Every line libxlutil writes to its report stream, without newlines. */
  report: string[];
  /** All settings, oldest first (a name's newest one is in effect). Empty when rc ≠ 0. */
  settings: XlCfgSetting[];
}

/**
 * `xlu__cfg_set_store`: appends the statement to `settings`; `+=` joins the previous value of
 * `name` (a list moves into the new one, as libxlutil moves it). Returns false, storing
 * nothing, when `+=` mixes a list and a string (libxlutil's "can't add" error).
 */
export function storeSetting(
  settings: XlCfgSetting[],
  name: string,
  op: "=" | "+=",
  value: XlCfgValue,
  line: number,
): boolean {
  if (op === "+=") {
    const prev = settings.findLast((s) => s.name === name);
    if (prev) {
      if (prev.value.kind !== value.kind) return false;
      if (prev.value.kind === "string" && value.kind === "string") {
        value.value = prev.value.value + value.value;
      } else if (prev.value.kind === "list" && value.kind === "list") {
        value.items = [...prev.value.items, ...value.items];
        prev.value.items = [];
      }
    }
  }
  settings.push({ name, op, line, value });
  return true;
}
