/**
 * CPU bitmaps as xl reads and prints them: `parse_cpurange` (`"0-3,^2"`, `"all"`) in
 * `tools/xl/xl_parse.c` and `print_bitmap` (`"0-1,3"`, `"all"`, `"none"`) in
 * `tools/xl/xl_utils.c`. A map is one bit per physical CPU, least significant bit first.
 *
 * @module
 */
import { XliteError } from "../errors.ts";

/** A CPU list xl would refuse; the message is xl's line. */
export class CpuRangeError extends XliteError {
  /** `message` is xl's own line, printed as is. */
  constructor(message: string) {
    super(message, { verbatim: true });
    this.name = "CpuRangeError";
  }
}

/** C `strtoul` of a leading run of digits: the value and what follows (`undefined`: none). */
function leadingNumber(text: string): [number | undefined, string] {
  const match = /^\s*\+?([0-9]+)/.exec(text);
  if (!match) return [undefined, text];
  return [Number(match[1]), text.slice(match[0].length)];
}

/** xl's `parse_range`: `"a"` or `"a-b"` (b >= a), nothing after. */
function parseRange(text: string): [number, number] | undefined {
  const [a, rest] = leadingNumber(text);
  if (a === undefined) return undefined;
  if (!rest.startsWith("-")) return rest === "" ? [a, a] : undefined;
  const [b, tail] = leadingNumber(rest.slice(1));
  if (b === undefined || b < a || tail !== "") return undefined;
  return [a, b];
}

/**
 * xl's `parse_cpurange` into a map of `bytes` bytes: comma-separated CPUs or ranges, `^` to
 * remove, `all`. NUMA node forms (`node:N`) are refused: Arm hosts report one node.
 *
 * @example
 * ```ts
 * printBitmap(parseCpuRange("0-3,^1", 1), 8); // "0,2-3"
 * ```
 */
export function parseCpuRange(text: string, bytes: number): Uint8Array {
  const map = new Uint8Array(bytes);
  for (const token of text.split(",").filter((t) => t !== "")) {
    let part = token;
    const not = part.startsWith("^");
    if (not) part = part.slice(1);
    if (/^nodes?:/.test(part)) {
      throw new CpuRangeError(`Invalid pcpu range: ${token}: NUMA node ranges are not supported.`);
    }
    if (part === "all") {
      if (not) throw new CpuRangeError(`Can't combine "^" and "all".`);
      map.fill(0xff);
      continue;
    }
    const range = parseRange(part);
    if (!range) throw new CpuRangeError(`Invalid pcpu range: ${part}.`);
    for (let cpu = range[0]; cpu <= range[1]; cpu++) {
      // libxl_bitmap_set/reset ignore bits past the map's end
      if (cpu >= bytes * 8) continue;
      if (not) map[cpu >> 3] &= ~(1 << (cpu & 7));
      else map[cpu >> 3] |= 1 << (cpu & 7);
    }
  }
  return map;
}

/** xl's `print_bitmap` of the first `bits` bits: `"all"`, `"none"`, or ranges like `"0-1,3"`. */
export function printBitmap(map: Uint8Array, bits: number): string {
  const set = (i: number) => (map[i >> 3] >> (i & 7) & 1) === 1;
  const ranges: string[] = [];
  let first = -1;
  for (let i = 0; i <= bits; i++) {
    const on = i < bits && set(i);
    if (on && first < 0) first = i;
    if (!on && first >= 0) {
      ranges.push(i - 1 > first ? `${first}-${i - 1}` : `${first}`);
      first = -1;
    }
  }
  if (ranges.length === 0) return "none";
  if (ranges.length === 1 && ranges[0] === (bits > 1 ? `0-${bits - 1}` : "0")) return "all";
  return ranges.join(",");
}
