/**
 * Unquoting of xl config strings, as libxlutil's `xlu__cfgl_dequote` does it — including
 * its quirks, which xl users live with:
 * - `\x..` escapes are always rejected (the hex branch can never succeed);
 * - `\0`..`\7` consume the following decimal digits (up to 3 chars, as `strtoul` base 10
 *   reads them, at least 2 chars) and produce no character at all.
 * A NUL byte inside quotes makes libxlutil abort; xlite reports it instead (a deviation).
 *
 * @module
 */

/** Result of unquoting: the value, or the reason libxlutil would report. */
export type DequoteResult = { value: string; error?: undefined } | {
  value: string;
  error: string;
};

const SIMPLE_ESCAPES: Record<string, string> = {
  '"': '"',
  "'": "'",
  "\\": "\\",
  a: "\x07",
  b: "\b",
  f: "\f",
  n: "\n",
  r: "\r",
  t: "\t",
  v: "\v",
};

/** How many chars C's `strtoul(buf, &ep, 10)` consumes from `buf` (0 if no digits). */
function strtoulLength(buf: string): number {
  let i = 0;
  while (i < buf.length && " \t\n\v\f\r".includes(buf[i])) i++;
  if (buf[i] === "+" || buf[i] === "-") i++;
  const digitsStart = i;
  while (i < buf.length && buf[i] >= "0" && buf[i] <= "9") i++;
  return i === digitsStart ? 0 : i;
}

/**
 * Unquotes a quoted token (`'...'` or `"..."`, quotes included) as libxlutil does.
 *
 * @example
 * ```ts
 * dequote(String.raw`"a\tb"`).value; // "a<TAB>b"
 * ```
 */
export function dequote(token: string): DequoteResult {
  // libxlutil asserts (and xl aborts) on a NUL byte inside quotes; refuse it instead.
  if (token.includes("\0")) return { value: "", error: "NUL byte in quoted string" };
  const end = token.length - 1;
  if (!token.includes("\\")) return { value: token.slice(1, end) }; // nothing to unescape
  let out = "";
  for (let p = 1; p < end;) {
    const c = token[p++];
    if (c !== "\\") {
      out += c;
      continue;
    }
    const nc = token[p++];
    const simple = SIMPLE_ESCAPES[nc];
    if (simple !== undefined) {
      out += simple;
    } else if (nc === "x") {
      return {
        value: out,
        error: "invalid digit after backslash hexnumerical character escape in quoted string",
      };
    } else if (nc >= "0" && nc <= "7") {
      // The C reads up to 3 chars with strtoul base 10 and needs more than 1 of them.
      const used = strtoulLength(token.slice(p, p + 3).split("\0")[0]);
      if (used <= 1) {
        return {
          value: out,
          error: "invalid digit after backslash octalnumerical character escape in quoted string",
        };
      }
      p += used;
    } else {
      return { value: out, error: "invalid character after backlash in quoted string" };
    }
  }
  return { value: out };
}
