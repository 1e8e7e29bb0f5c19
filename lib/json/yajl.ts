/**
 * JSON text the way libxl and xl print it: yajl's generator with beautify on (4-space indent,
 * `"key": value`, an empty map as `{` newline newline `}`, `/` and non-ASCII unescaped).
 *
 * @module
 */

/** A JSON value (object keys keep their order). */
export type JsonValue = string | number | boolean | null | JsonValue[] | {
  [key: string]: JsonValue;
};

/** yajl_string_encode: `"` `\` and control characters escaped; `/` and non-ASCII kept. */
export function yajlString(s: string): string {
  let out = '"';
  for (const ch of s) {
    const c = ch.charCodeAt(0);
    if (ch === '"') out += '\\"';
    else if (ch === "\\") out += "\\\\";
    else if (c >= 0x20) out += ch;
    else if (c === 0x08) out += "\\b";
    else if (c === 0x0c) out += "\\f";
    else if (c === 0x0a) out += "\\n";
    else if (c === 0x0d) out += "\\r";
    else if (c === 0x09) out += "\\t";
    else out += "\\u00" + c.toString(16).toUpperCase().padStart(2, "0");
  }
  return out + '"';
}

/** `value` as yajl's beautified output (no final newline). */
export function yajlBeautify(value: JsonValue, depth = 0): string {
  const pad = "    ".repeat(depth + 1);
  const end = "    ".repeat(depth);
  if (Array.isArray(value)) {
    const items = value.map((v) => pad + yajlBeautify(v, depth + 1));
    return `[\n${items.join(",\n")}\n${end}]`;
  }
  if (value !== null && typeof value === "object") {
    const items = Object.entries(value).map(([k, v]) =>
      `${pad}${yajlString(k)}: ${yajlBeautify(v, depth + 1)}`
    );
    return `{\n${items.join(",\n")}\n${end}}`;
  }
  if (typeof value === "string") return yajlString(value);
  return JSON.stringify(value);
}
