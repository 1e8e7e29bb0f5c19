/**
 * "Byte strings": one UTF-16 unit per byte (0..255). libxlutil is an 8-bit C parser, so
 * xlite parses config bytes in this form and converts values back to text at the edge.
 *
 * @module
 */

/** Turns bytes into a byte string (not `TextDecoder("latin1")`, which is windows-1252). */
export function bytesToByteString(bytes: Uint8Array): string {
  let out = "";
  for (let i = 0; i < bytes.length; i += 0x8000) {
    out += String.fromCharCode(...bytes.subarray(i, i + 0x8000));
  }
  return out;
}

/** Turns text into the byte string of its UTF-8 encoding. */
export function textToByteString(text: string): string {
  // deno-lint-ignore no-control-regex
  return /^[\x00-\x7f]*$/.test(text) ? text : bytesToByteString(new TextEncoder().encode(text));
}

/** Turns a byte string holding UTF-8 back into text (invalid sequences become U+FFFD). */
export function byteStringToText(bytes: string): string {
  // deno-lint-ignore no-control-regex
  if (/^[\x00-\x7f]*$/.test(bytes)) return bytes;
  const buf = new Uint8Array(bytes.length);
  for (let i = 0; i < bytes.length; i++) buf[i] = bytes.charCodeAt(i);
  return new TextDecoder().decode(buf);
}
