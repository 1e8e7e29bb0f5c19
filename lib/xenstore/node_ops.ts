/**
 * The node operations (read, write, mkdir, rm, directory, permissions), one request each,
 * bound to a transaction id or to none; the client and its transactions both offer them.
 * Paths the daemon would refuse are refused before sending (docs/misc/xenstore.txt).
 *
 * @module
 */
import type { Connection } from "./connection.ts";
import { XenstoreError, type XenstoreErrorKind } from "./errors.ts";
import { formatPermission, parsePermission, type XsPermission } from "./permissions.ts";
import {
  decodeStrings,
  encodeStrings,
  WireError,
  XENSTORE_ABS_PATH_MAX,
  XENSTORE_PAYLOAD_MAX,
  XENSTORE_REL_PATH_MAX,
  XS_DIRECTORY,
  XS_DIRECTORY_PART,
  XS_GET_PERMS,
  XS_MKDIR,
  XS_OP_NAMES,
  XS_READ,
  XS_RM,
  XS_SET_PERMS,
  XS_WRITE,
} from "./wire.ts";

/** Node operations, on the client (outside any transaction) or inside a transaction. */
export interface XenstoreOps {
  /** The value of `path` as UTF-8 text. */
  read(path: string): Promise<string>;
  /** The value of `path` as bytes (values may be binary). */
  readBytes(path: string): Promise<Uint8Array>;
  /** The value of `path`, or `undefined` when it does not exist (`ENOENT`). */
  tryRead(path: string): Promise<string | undefined>;
  /** Writes `value` at `path`, creating missing parents. */
  write(path: string, value: string | Uint8Array): Promise<void>;
  /** Creates `path` with an empty value (no error if it exists). */
  mkdir(path: string): Promise<void>;
  /** Removes `path` and everything below it. */
  rm(path: string): Promise<void>;
  /** Removes `path` and everything below it; a `path` that does not exist is not an error. */
  tryRm(path: string): Promise<void>;
  /** Names of the children of `path` (large directories are fetched in parts). */
  directory(path: string): Promise<string[]>;
  /** Names of the children of `path`, or none when it does not exist (`ENOENT`). */
  tryDirectory(path: string): Promise<string[]>;
  /** Permissions of `path`; the first entry is the owner. */
  getPermissions(path: string): Promise<XsPermission[]>;
  /** Sets the permissions of `path` (entries or strings such as `"r5"`). */
  setPermissions(path: string, perms: (XsPermission | string)[]): Promise<void>;
  /** True when `path` can be read; false on `ENOENT`. */
  exists(path: string): Promise<boolean>;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();

function byteLength(text: string): number {
  return encoder.encode(text).length;
}

/** Refuses, before sending, a path the daemon would reject or the framing cannot carry. */
export function checkPath(op: string, path: string): void {
  const fail = (kind: XenstoreErrorKind, detail: string) => {
    throw new XenstoreError({ op, path: path.slice(0, 80), errno: "EINVAL", kind, detail });
  };
  if (path === "") fail("invalid", "empty path");
  if (path.includes("\0")) fail("invalid", "path contains a NUL byte");
  const len = byteLength(path);
  const max = path.startsWith("/") ? XENSTORE_ABS_PATH_MAX : XENSTORE_REL_PATH_MAX;
  if (len > max) {
    fail(
      "limit",
      `path is ${len} bytes, over the ${
        path.startsWith("/") ? "absolute" : "relative"
      } path limit of ${max}`,
    );
  }
}

/** The node operations, bound to a transaction id (0: none). */
export class NodeOps implements XenstoreOps {
  /** The connection requests go over. */
  protected readonly conn: Connection;
  /** The transaction id requests carry (0: none). */
  protected readonly txId: number;

  /** Operations over `conn` inside transaction `txId` (0: outside any). */
  constructor(conn: Connection, txId: number) {
    this.conn = conn;
    this.txId = txId;
  }

  /** Sends a `type` request about `path` (plus `rest`) and returns the reply payload. */
  protected call(
    type: number,
    path: string,
    ...rest: (string | Uint8Array)[]
  ): Promise<Uint8Array> {
    checkPath(XS_OP_NAMES[type], path);
    return this.conn.request(type, this.txId, encodeStrings([path, ...rest]), path);
  }

  /** The value of `path` as UTF-8 text. */
  async read(path: string): Promise<string> {
    return decoder.decode(await this.readBytes(path));
  }

  /** The value of `path` as bytes. */
  readBytes(path: string): Promise<Uint8Array> {
    return this.call(XS_READ, path);
  }

  /** The value of `path`, or `undefined` on `ENOENT`. */
  async tryRead(path: string): Promise<string | undefined> {
    try {
      return await this.read(path);
    } catch (error) {
      if (error instanceof XenstoreError && error.errno === "ENOENT") return undefined;
      throw error;
    }
  }

  /** Writes `value` at `path`; a value over the payload limit is refused before sending. */
  async write(path: string, value: string | Uint8Array): Promise<void> {
    checkPath("write", path);
    const bytes = typeof value === "string" ? encoder.encode(value) : value;
    const size = byteLength(path) + 1 + bytes.length;
    if (size > XENSTORE_PAYLOAD_MAX) {
      throw new XenstoreError({
        op: "write",
        path: path.slice(0, 80),
        errno: "E2BIG",
        kind: "limit",
        detail: `value is ${bytes.length} bytes; path, NUL and value (${size}) must fit ` +
          `${XENSTORE_PAYLOAD_MAX}`,
      });
    }
    await this.conn.request(XS_WRITE, this.txId, encodeStrings([path, bytes], false), path);
  }

  /** Creates `path` with an empty value. */
  async mkdir(path: string): Promise<void> {
    await this.call(XS_MKDIR, path);
  }

  /** Removes `path` and everything below it. */
  async rm(path: string): Promise<void> {
    await this.call(XS_RM, path);
  }

  /** Removes `path` and everything below it; `ENOENT` is not an error. */
  async tryRm(path: string): Promise<void> {
    try {
      await this.rm(path);
    } catch (error) {
      if (!(error instanceof XenstoreError && error.errno === "ENOENT")) throw error;
    }
  }

  /** Names of the children of `path`, in parts when the daemon says the list is too big. */
  async directory(path: string): Promise<string[]> {
    try {
      return decodeStrings(await this.call(XS_DIRECTORY, path));
    } catch (error) {
      if (error instanceof XenstoreError && error.errno === "E2BIG" && error.kind === "daemon") {
        // like libxenstore: a daemon without XS_DIRECTORY_PART leaves the E2BIG
        return await this.#directoryParts(path).catch((partError) => {
          throw partError instanceof XenstoreError && partError.errno === "ENOSYS"
            ? error
            : partError;
        });
      }
      throw error;
    }
  }

  /** A directory too big for one reply, in `XS_DIRECTORY_PART` chunks (libxenstore's way). */
  async #directoryParts(path: string): Promise<string[]> {
    let generation: string | undefined;
    let bytes: number[] = [];
    for (let attempt = 0; attempt < 100;) {
      const reply = await this.call(XS_DIRECTORY_PART, path, String(bytes.length));
      const nul = reply.indexOf(0);
      if (nul < 0) throw new WireError("directory part without a generation");
      const gen = decoder.decode(reply.subarray(0, nul));
      if (generation !== undefined && gen !== generation) {
        generation = undefined;
        bytes = [];
        attempt++;
        continue;
      }
      generation = gen;
      bytes.push(...reply.subarray(nul + 1));
      // the last chunk ends with an empty string: two NULs
      if (bytes.length <= 1 || bytes[bytes.length - 2] === 0) break;
    }
    return decodeStrings(new Uint8Array(bytes)).filter((s) => s !== "");
  }

  /** Names of the children of `path`, or `[]` on `ENOENT` (a directory that is not there). */
  async tryDirectory(path: string): Promise<string[]> {
    try {
      return await this.directory(path);
    } catch (error) {
      if (error instanceof XenstoreError && error.errno === "ENOENT") return [];
      throw error;
    }
  }

  /** Permissions of `path`; a reply that is not a permission list fails the connection. */
  async getPermissions(path: string): Promise<XsPermission[]> {
    const reply = await this.call(XS_GET_PERMS, path);
    try {
      return decodeStrings(reply).map((p) => parsePermission(p, path));
    } catch {
      this.conn.fail({
        kind: "malformed",
        errno: "EPROTO",
        detail: `permissions reply for ${path} is not a permission list`,
      });
      throw new XenstoreError({
        op: "get_perms",
        path,
        errno: "EPROTO",
        kind: "malformed",
        detail: "permissions reply is not a permission list",
      });
    }
  }

  /** Sets the permissions of `path`; at least the owner entry is needed. */
  async setPermissions(path: string, perms: (XsPermission | string)[]): Promise<void> {
    if (perms.length === 0) {
      throw new XenstoreError({
        op: "set_perms",
        path,
        errno: "EINVAL",
        kind: "invalid",
        detail: "at least one permission (the owner) is needed",
      });
    }
    const strings = perms.map((p) =>
      typeof p === "string" ? formatPermission(parsePermission(p, path)) : formatPermission(p)
    );
    await this.call(XS_SET_PERMS, path, ...strings);
  }

  /** True when `path` can be read. */
  async exists(path: string): Promise<boolean> {
    return (await this.tryRead(path)) !== undefined;
  }
}
