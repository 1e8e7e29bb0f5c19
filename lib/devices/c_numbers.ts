/**
 * C's number parsing as libxl applies it to values read back from xenstore (`strtoul`,
 * `atoi`), so xlite reads odd values the way libxl does.
 *
 * @module
 */

/**
 * C `strtoul(text, NULL, base)` for the values libxl reads back: leading blanks and a sign,
 * then digits (base 0 also takes `0x` hex and leading-`0` octal); 0 when nothing parses.
 */
export function cStrtoul(text: string, base: 0 | 10): number {
  const [, sign, rest] = /^[ \t\n\v\f\r]*([+-]?)(.*)$/s.exec(text)!;
  let value = 0;
  const hex = /^0[xX]([0-9a-fA-F]+)/.exec(rest);
  if (base === 0 && hex) value = parseInt(hex[1], 16);
  else if (base === 0 && rest.startsWith("0")) value = parseInt(/^[0-7]+/.exec(rest)![0], 8);
  else {
    const digits = /^[0-9]+/.exec(rest);
    value = digits ? parseInt(digits[0], 10) : 0;
  }
  return sign === "-" ? -value : value;
}

/** C `atoi`. */
export function cAtoi(text: string): number {
  const match = /^[ \t\n\v\f\r]*([+-]?\d+)/.exec(text);
  return match ? parseInt(match[1], 10) | 0 : 0;
}
