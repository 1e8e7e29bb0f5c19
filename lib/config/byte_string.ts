/**
 * "Byte strings": one UTF-16 unit per byte (0..255). libxlutil is an 8-bit C parser, so
 * xlite parses config bytes in this form and converts values back to text at the edge.
 *
 * @module
 */

/** Decodes all-ASCII bytes: UTF-8 and latin1 agree there, and the UTF-8 decoder is native. */
const asciiDecoder = new TextDecoder();

/** Turns bytes into a byte string (not `TextDecoder("latin1")`, which is windows-1252). */
export function bytesToByteString(bytes: Uint8Array): string {
  return isAscii(bytes) ? asciiDecoder.decode(bytes) : latin1(bytes);
}

/** One unit per byte, for bytes that are not all ASCII. */
function latin1(bytes: Uint8Array): string {
  // `apply` over chunks: a spread of a typed array costs ten times as much (bench/xl_cfg.ts).
  let out = "";
  for (let i = 0; i < bytes.length; i += 0x2000) {
    out += String.fromCharCode.apply(null, bytes.subarray(i, i + 0x2000) as unknown as number[]);
  }
  return out;
}

/** True when every byte is below 0x80. */
function isAscii(bytes: Uint8Array): boolean {
  for (let i = 0; i < bytes.length; i++) if (bytes[i] >= 0x80) return false;
  return true;
}

/** A byte string, and whether it is all ASCII (then it is also its own text). */
export interface ByteString {
  /** One UTF-16 unit per byte. */
  bytes: string;
  /** Every byte is below 0x80. */
  ascii: boolean;
}

/** Turns text or bytes into a byte string, saying whether it is all ASCII. */
export function toByteString(input: string | Uint8Array): ByteString {
  if (typeof input === "string") {
    // deno-lint-ignore no-control-regex
    const ascii = /^[\x00-\x7f]*$/.test(input);
    return { bytes: ascii ? input : latin1(new TextEncoder().encode(input)), ascii };
  }
  const ascii = isAscii(input);
  return { bytes: ascii ? asciiDecoder.decode(input) : latin1(input), ascii };
}

/** Turns text into the byte string of its UTF-8 encoding. */
export function textToByteString(text: string): string {
  return toByteString(text).bytes;
}

/** Decodes UTF-8, invalid sequences to U+FFFD (one decoder: making one costs more than a use). */
const utf8Decoder = new TextDecoder();

/** Turns a byte string holding UTF-8 back into text (invalid sequences become U+FFFD). */
export function byteStringToText(bytes: string): string {
  // deno-lint-ignore no-control-regex
  if (/^[\x00-\x7f]*$/.test(bytes)) return bytes;
  const buf = new Uint8Array(bytes.length);
  for (let i = 0; i < bytes.length; i++) buf[i] = bytes.charCodeAt(i);
  return utf8Decoder.decode(buf);
}
