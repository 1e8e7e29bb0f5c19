/**
 * The xenstore wire protocol: message types, limits and framing, as Xen's public header
 * `xen/include/public/io/xs_wire.h` defines them (payload rules: `docs/misc/xenstore.txt`).
 *
 * A message is a 16-byte header of four little-endian u32s (type, req_id, tx_id, len)
 * followed by `len` payload bytes, at most {@linkcode XENSTORE_PAYLOAD_MAX}.
 *
 * @module
 */

// enum xsd_sockmsg_type (xs_wire.h)
/** `XS_CONTROL` (was `XS_DEBUG`): daemon control commands. */
export const XS_CONTROL = 0;
/** `XS_DIRECTORY`: list a node's children. */
export const XS_DIRECTORY = 1;
/** `XS_READ`: read a node's value. */
export const XS_READ = 2;
/** `XS_GET_PERMS`: read a node's permissions. */
export const XS_GET_PERMS = 3;
/** `XS_WATCH`: register a watch (path, token). */
export const XS_WATCH = 4;
/** `XS_UNWATCH`: remove a watch (path, token). */
export const XS_UNWATCH = 5;
/** `XS_TRANSACTION_START`: open a transaction; the reply is its id. */
export const XS_TRANSACTION_START = 6;
/** `XS_TRANSACTION_END`: commit (`T`) or abort (`F`) the header's transaction. */
export const XS_TRANSACTION_END = 7;
/** `XS_INTRODUCE`: tell the daemon about a new domain (domid, mfn, port). */
export const XS_INTRODUCE = 8;
/** `XS_RELEASE`: forget a domain. */
export const XS_RELEASE = 9;
/** `XS_GET_DOMAIN_PATH`: `/local/domain/<domid>`. */
export const XS_GET_DOMAIN_PATH = 10;
/** `XS_WRITE`: write a node's value (path NUL value). */
export const XS_WRITE = 11;
/** `XS_MKDIR`: create a node with an empty value. */
export const XS_MKDIR = 12;
/** `XS_RM`: remove a node and its children. */
export const XS_RM = 13;
/** `XS_SET_PERMS`: set a node's permissions. */
export const XS_SET_PERMS = 14;
/** `XS_WATCH_EVENT`: unsolicited watch event (path, token); req_id 0. */
export const XS_WATCH_EVENT = 15;
/** `XS_ERROR`: error reply, payload is an errno name (`ENOENT`). */
export const XS_ERROR = 16;
/** `XS_IS_DOMAIN_INTRODUCED`: `T` or `F`. */
export const XS_IS_DOMAIN_INTRODUCED = 17;
/** `XS_RESUME`: clear a domain's shutdown flag. */
export const XS_RESUME = 18;
/** `XS_SET_TARGET`: let a domain act for another (stubdoms). */
export const XS_SET_TARGET = 19;
/** `XS_RESET_WATCHES`: drop every watch of this connection. */
export const XS_RESET_WATCHES = 21;
/** `XS_DIRECTORY_PART`: one chunk of a directory too large for one reply. */
export const XS_DIRECTORY_PART = 22;
/** `XS_INVALID`: guaranteed never to be a valid type. */
export const XS_INVALID = 0xffff;

/** Lower-case operation names by message type, for errors and traces. */
export const XS_OP_NAMES: Readonly<Record<number, string>> = {
  [XS_CONTROL]: "control",
  [XS_DIRECTORY]: "directory",
  [XS_READ]: "read",
  [XS_GET_PERMS]: "get_perms",
  [XS_WATCH]: "watch",
  [XS_UNWATCH]: "unwatch",
  [XS_TRANSACTION_START]: "transaction_start",
  [XS_TRANSACTION_END]: "transaction_end",
  [XS_INTRODUCE]: "introduce",
  [XS_RELEASE]: "release",
  [XS_GET_DOMAIN_PATH]: "get_domain_path",
  [XS_WRITE]: "write",
  [XS_MKDIR]: "mkdir",
  [XS_RM]: "rm",
  [XS_SET_PERMS]: "set_perms",
  [XS_WATCH_EVENT]: "watch_event",
  [XS_ERROR]: "error",
  [XS_IS_DOMAIN_INTRODUCED]: "is_domain_introduced",
  [XS_RESUME]: "resume",
  [XS_SET_TARGET]: "set_target",
  [XS_RESET_WATCHES]: "reset_watches",
  [XS_DIRECTORY_PART]: "directory_part",
};

/** The errno names an `XS_ERROR` reply may carry (`xsd_errors[]` in xs_wire.h). */
export const XSD_ERRORS = [
  "EINVAL",
  "EACCES",
  "EEXIST",
  "EISDIR",
  "ENOENT",
  "ENOMEM",
  "ENOSPC",
  "EIO",
  "ENOTEMPTY",
  "ENOSYS",
  "EROFS",
  "EBUSY",
  "EAGAIN",
  "EISCONN",
  "E2BIG",
] as const;

/** Largest payload of one message, either direction ("violating this is very bad"). */
export const XENSTORE_PAYLOAD_MAX = 4096;
/** Longest absolute path the daemon accepts. */
export const XENSTORE_ABS_PATH_MAX = 3072;
/** Longest relative path the daemon accepts. */
export const XENSTORE_REL_PATH_MAX = 2048;
/** Size of `struct xsd_sockmsg`. */
export const XS_HEADER_SIZE = 16;
/**
 * Largest over-limit payload the decoder still reads instead of failing the stream:
 * oxenstored answers a big `XS_DIRECTORY` over its socket with more than 4096 bytes (and
 * has no `XS_DIRECTORY_PART`), so the client accepts that one reply; others get `E2BIG`.
 */
export const OVERSIZED_PAYLOAD_MAX = 1 << 20;

/** One framed message. */
export interface XsMessage {
  /** Message type (`XS_READ`, ...). */
  type: number;
  /** Request id, echoed in the reply; 0 for watch events. */
  reqId: number;
  /** Transaction id, 0 outside a transaction. */
  txId: number;
  /** The payload bytes (at most `XENSTORE_PAYLOAD_MAX`). */
  payload: Uint8Array;
  /** Set, with the length, when the payload is over `XENSTORE_PAYLOAD_MAX` (decoder only). */
  oversized?: number;
}

/** A byte stream that does not follow the framing rules. */
export class WireError extends Error {
  /** `message` says which rule the bytes broke. */
  constructor(message: string) {
    super(message);
    this.name = "WireError";
  }
}

/** Encodes one message: header plus payload. Throws `WireError` over the payload limit. */
export function encodeMessage(msg: XsMessage): Uint8Array {
  if (msg.payload.length > XENSTORE_PAYLOAD_MAX) {
    throw new WireError(`payload of ${msg.payload.length} bytes exceeds ${XENSTORE_PAYLOAD_MAX}`);
  }
  const out = new Uint8Array(XS_HEADER_SIZE + msg.payload.length);
  const view = new DataView(out.buffer);
  view.setUint32(0, msg.type, true);
  view.setUint32(4, msg.reqId, true);
  view.setUint32(8, msg.txId, true);
  view.setUint32(12, msg.payload.length, true);
  out.set(msg.payload, XS_HEADER_SIZE);
  return out;
}

/** Reassembles messages from stream chunks (see {@linkcode createFrameDecoder}). */
export interface FrameDecoder {
  /** Adds received bytes; returns every message now complete. Throws `WireError`. */
  push(chunk: Uint8Array): XsMessage[];
  /** Bytes of an incomplete message held back (non-zero at EOF means a cut message). */
  readonly buffered: number;
}

/**
 * A decoder that splits a byte stream into messages. A payload over the limit, up to
 * `OVERSIZED_PAYLOAD_MAX`, is passed on flagged `oversized` (the client decides); beyond
 * that the stream is broken and `push` throws `WireError`.
 */
export function createFrameDecoder(): FrameDecoder {
  let buf: Uint8Array = new Uint8Array(0);
  return {
    get buffered() {
      return buf.length;
    },
    push(chunk: Uint8Array): XsMessage[] {
      if (buf.length === 0) {
        buf = chunk;
      } else {
        const joined = new Uint8Array(buf.length + chunk.length);
        joined.set(buf);
        joined.set(chunk, buf.length);
        buf = joined;
      }
      const out: XsMessage[] = [];
      let off = 0;
      while (buf.length - off >= XS_HEADER_SIZE) {
        const view = new DataView(buf.buffer, buf.byteOffset + off, XS_HEADER_SIZE);
        const len = view.getUint32(12, true);
        if (len > OVERSIZED_PAYLOAD_MAX) {
          throw new WireError(
            `message header announces ${len} payload bytes (limit ${XENSTORE_PAYLOAD_MAX})`,
          );
        }
        if (buf.length - off < XS_HEADER_SIZE + len) break;
        const oversized = len > XENSTORE_PAYLOAD_MAX;
        out.push({
          type: view.getUint32(0, true),
          reqId: view.getUint32(4, true),
          txId: view.getUint32(8, true),
          payload: buf.slice(off + XS_HEADER_SIZE, off + XS_HEADER_SIZE + len),
          ...(oversized ? { oversized: len } : {}),
        });
        off += XS_HEADER_SIZE + len;
      }
      buf = off === buf.length ? new Uint8Array(0) : buf.slice(off);
      return out;
    },
  };
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** Payload of NUL-terminated strings (`"a\0b\0"`); a `Uint8Array` part is copied as is. */
export function encodeStrings(parts: (string | Uint8Array)[], lastTerminated = true): Uint8Array {
  const bytes = parts.map((p) => (typeof p === "string" ? encoder.encode(p) : p));
  const total = bytes.reduce((n, b) => n + b.length + 1, 0) - (lastTerminated ? 0 : 1);
  const out = new Uint8Array(Math.max(total, 0));
  let off = 0;
  for (const b of bytes) {
    out.set(b, off);
    off += b.length + 1;
  }
  return out;
}

/** Splits a payload of NUL-terminated strings; a final unterminated string is kept. */
export function decodeStrings(payload: Uint8Array): string[] {
  if (payload.length === 0) return [];
  const text = decoder.decode(payload);
  const parts = text.split("\0");
  if (parts[parts.length - 1] === "") parts.pop();
  return parts;
}
