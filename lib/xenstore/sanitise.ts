/**
 * The value quoting of Xen's `xenstore-*` tools (`sanitise_value` / `unsanitise_value` in
 * `tools/xenstore/xenstore_client.c`): printable ASCII as is, `\t \n \r \\`, `\NNN` (octal)
 * below 8, `\xNN` for the rest.
 *
 * @module
 */

/** Quotes bytes for display, as `xenstore-read` and `xenstore-ls` print values. */
export function sanitiseValue(bytes: Uint8Array): string {
  let out = "";
  for (const c of bytes) {
    if (c >= 0x20 && c <= 0x7e && c !== 0x5c) out += String.fromCharCode(c);
    else if (c === 0x09) out += "\\t";
    else if (c === 0x0a) out += "\\n";
    else if (c === 0x0d) out += "\\r";
    else if (c === 0x5c) out += "\\\\";
    else if (c < 8) out += "\\" + c.toString(8).padStart(3, "0");
    else out += "\\x" + c.toString(16).padStart(2, "0");
  }
  return out;
}

const isOctal = (c: number) => c >= 0x30 && c <= 0x37;
const hexValue = (c: number) =>
  c >= 0x30 && c <= 0x39
    ? c - 0x30
    : c >= 0x61 && c <= 0x66
    ? c - 0x57
    : c >= 0x41 && c <= 0x46
    ? c - 0x37
    : -1;

/** Undoes {@linkcode sanitiseValue} for `xenstore-write` arguments (same quirks as Xen's). */
export function unsanitiseValue(text: string): Uint8Array {
  const input = new TextEncoder().encode(text);
  const out: number[] = [];
  for (let i = 0; i < input.length; i++) {
    let c = input[i];
    if (c === 0x5c) {
      c = input[++i] ?? 0;
      if (c === 0x74) c = 0x09;
      else if (c === 0x6e) c = 0x0a;
      else if (c === 0x72) c = 0x0d;
      else if (c === 0x78) {
        // "\x" then up to two hex digits; with none, Xen keeps the 'x'
        let value = 0;
        let n = 0;
        while (n < 2 && i + 1 < input.length && hexValue(input[i + 1]) >= 0) {
          value = value * 16 + hexValue(input[++i]);
          n++;
        }
        if (n > 0) c = value & 0xff;
      } else if (isOctal(c)) {
        let value = 0;
        let n = 0;
        i--;
        while (n < 3 && i + 1 < input.length && isOctal(input[i + 1])) {
          value = value * 8 + (input[++i] - 0x30);
          n++;
        }
        c = value & 0xff;
      } else if (c === 0) {
        // a trailing backslash: Xen's loop stores a NUL byte and stops
        out.push(0);
        break;
      }
    }
    out.push(c);
  }
  return new Uint8Array(out);
}
