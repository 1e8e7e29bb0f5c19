/**
 * xlite's xenstore client: the wire protocol spoken directly over the daemon socket or the
 * xenbus device. Requests are pipelined (several in flight, matched by req_id), watch events
 * are routed by token to async iterators, and transactions retry on `EAGAIN`.
 *
 * @example
 * ```ts
 * const xs = await openXenstore();
 * try {
 *   await xs.transaction(async (tx) => {
 *     const n = Number((await tx.tryRead("/counter")) ?? "0");
 *     await tx.write("/counter", String(n + 1));
 *   });
 *   for await (const event of await xs.watch("/local/domain/1/device")) console.log(event.path);
 * } finally {
 *   xs.close();
 * }
 * ```
 *
 * @module
 */
import { XenstoreError, type XenstoreErrorKind } from "./errors.ts";
import { formatPermission, parsePermission, type XsPermission } from "./permissions.ts";
import { openTransport, type TransportOptions, type XenstoreTransport } from "./transport.ts";
import {
  createFrameDecoder,
  decodeStrings,
  encodeMessage,
  encodeStrings,
  WireError,
  XENSTORE_ABS_PATH_MAX,
  XENSTORE_PAYLOAD_MAX,
  XENSTORE_REL_PATH_MAX,
  XS_CONTROL,
  XS_DIRECTORY,
  XS_DIRECTORY_PART,
  XS_ERROR,
  XS_GET_DOMAIN_PATH,
  XS_GET_PERMS,
  XS_INTRODUCE,
  XS_IS_DOMAIN_INTRODUCED,
  XS_MKDIR,
  XS_OP_NAMES,
  XS_READ,
  XS_RELEASE,
  XS_RESET_WATCHES,
  XS_RM,
  XS_SET_PERMS,
  XS_TRANSACTION_END,
  XS_TRANSACTION_START,
  XS_UNWATCH,
  XS_WATCH,
  XS_WATCH_EVENT,
  XS_WRITE,
  XSD_ERRORS,
  type XsMessage,
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
  /** Names of the children of `path` (large directories are fetched in parts). */
  directory(path: string): Promise<string[]>;
  /** Permissions of `path`; the first entry is the owner. */
  getPermissions(path: string): Promise<XsPermission[]>;
  /** Sets the permissions of `path` (entries or strings such as `"r5"`). */
  setPermissions(path: string, perms: (XsPermission | string)[]): Promise<void>;
  /** True when `path` can be read; false on `ENOENT`. */
  exists(path: string): Promise<boolean>;
}

/** A transaction, as passed to {@linkcode XenstoreClient.transaction}'s callback. */
export interface XenstoreTransaction extends XenstoreOps {
  /** The daemon's transaction id. */
  readonly id: number;
}

/** A transaction started by hand: end it with `commit` (may throw `EAGAIN`) or `abort`. */
export interface XenstoreTransactionHandle extends XenstoreTransaction {
  /** Ends the transaction, keeping its changes; `XenstoreError` `EAGAIN` on a conflict. */
  commit(): Promise<void>;
  /** Ends the transaction, dropping its changes. */
  abort(): Promise<void>;
}

/** Retry policy for {@linkcode XenstoreClient.transaction}. */
export interface TransactionOptions {
  /** Attempts before giving up on repeated `EAGAIN` (default 64). */
  maxAttempts?: number;
  /** First backoff in milliseconds, doubled each retry, with jitter (default 1). */
  backoffMs?: number;
  /** Backoff ceiling in milliseconds (default 100). */
  maxBackoffMs?: number;
}

/** One watch event: the path that changed and the watch's token. */
export interface WatchEvent {
  /** The node that changed (or the watched path, for the initial event). */
  path: string;
  /** The token given when the watch was set. */
  token: string;
}

/** A registered watch: iterate it for events; `close()` (or `break`) unwatches. */
export interface XenstoreWatch extends AsyncIterableIterator<WatchEvent> {
  /** The watched path. */
  readonly path: string;
  /** The token that routes this watch's events. */
  readonly token: string;
  /** Unwatches and ends the iteration. */
  close(): Promise<void>;
  /** `close()`, for `await using`. */
  [Symbol.asyncDispose](): Promise<void>;
}

/** A connection to xenstore. */
export interface XenstoreClient extends XenstoreOps {
  /** The transport in use: `unix` or `xenbus`. */
  readonly transport: "unix" | "xenbus";
  /** Its socket or device path. */
  readonly transportPath: string;
  /**
   * Runs `fn` in a transaction and commits; on `EAGAIN` (a conflict) starts over, with
   * backoff, up to `maxAttempts` times. If `fn` throws, the transaction is aborted.
   */
  transaction<T>(
    fn: (tx: XenstoreTransaction) => Promise<T>,
    options?: TransactionOptions,
  ): Promise<T>;
  /** Starts a transaction to end by hand. */
  startTransaction(): Promise<XenstoreTransactionHandle>;
  /** Sets a watch on `path` (or a special path such as `@releaseDomain`). */
  watch(path: string, token?: string): Promise<XenstoreWatch>;
  /** `/local/domain/<domid>`, as the daemon says. */
  getDomainPath(domid: number): Promise<string>;
  /** Introduces a domain to the daemon (its ring page frame and event channel). */
  introduceDomain(domid: number, mfn: number | bigint, port: number): Promise<void>;
  /** Tells the daemon a domain is gone. */
  releaseDomain(domid: number): Promise<void>;
  /** Whether the daemon knows `domid`. */
  isDomainIntroduced(domid: number): Promise<boolean>;
  /** A daemon control command (`XS_CONTROL`), e.g. `control("log", "on")`; returns its text. */
  control(...args: string[]): Promise<string>;
  /** Drops every watch of this connection on the daemon side. */
  resetWatches(): Promise<void>;
  /** Closes the connection; pending requests fail with kind `closed`. */
  close(): void;
  /** `close()`, for `using`. */
  [Symbol.dispose](): void;
}

/** Options for {@linkcode openXenstore}. */
export interface XenstoreOptions extends TransportOptions {
  /** Fail a request (and the connection) with no reply after this long (default: wait). */
  timeoutMs?: number;
}

interface Pending {
  type: number;
  op: string;
  path: string;
  resolve(payload: Uint8Array): void;
  reject(error: XenstoreError): void;
  timer?: ReturnType<typeof setTimeout>;
}

interface ConnectionFailure {
  kind: XenstoreErrorKind;
  errno: string;
  detail: string;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder();

function byteLength(text: string): number {
  return encoder.encode(text).length;
}

/** Refuses, before sending, a path the daemon would reject or the framing cannot carry. */
function checkPath(op: string, path: string): void {
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

function checkDomid(op: string, domid: number): void {
  if (!Number.isInteger(domid) || domid < 0 || domid > 0xffff) {
    throw new XenstoreError({
      op,
      errno: "EINVAL",
      kind: "invalid",
      detail: `bad domid ${domid}`,
    });
  }
}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** The connection: request/reply matching, watch routing, failure of everything at once. */
class Connection {
  readonly transport: XenstoreTransport;
  readonly #timeoutMs: number | undefined;
  readonly #pending = new Map<number, Pending>();
  readonly #watches = new Map<string, WatchQueue>();
  readonly #queue: Uint8Array[] = [];
  #flushing = false;
  #inFlight = 0; // xenbus only: requests written and not yet answered
  #nextReqId = 1;
  #nextToken = 1;
  #failure: ConnectionFailure | undefined;

  constructor(transport: XenstoreTransport, timeoutMs?: number) {
    this.transport = transport;
    this.#timeoutMs = timeoutMs;
    this.#readLoop();
  }

  /** Sends one request; resolves with the reply payload. */
  request(type: number, txId: number, payload: Uint8Array, path: string): Promise<Uint8Array> {
    const op = XS_OP_NAMES[type] ?? `type${type}`;
    if (this.#failure) return Promise.reject(this.#errorFor(op, path, this.#failure));
    if (payload.length > XENSTORE_PAYLOAD_MAX) {
      return Promise.reject(
        new XenstoreError({
          op,
          path: path.slice(0, 80),
          errno: "E2BIG",
          kind: "limit",
          detail: `request payload is ${payload.length} bytes, over the ${XENSTORE_PAYLOAD_MAX}` +
            "-byte limit",
        }),
      );
    }
    const reqId = this.#nextReqId;
    this.#nextReqId = this.#nextReqId >= 0xffffffff ? 1 : this.#nextReqId + 1;
    return new Promise<Uint8Array>((resolve, reject) => {
      const pending: Pending = { type, op, path, resolve, reject };
      if (this.#timeoutMs !== undefined) {
        pending.timer = setTimeout(() => {
          this.fail({
            kind: "timeout",
            errno: "ETIMEDOUT",
            detail: `no reply to ${op} within ${this.#timeoutMs} ms`,
          });
        }, this.#timeoutMs);
      }
      this.#pending.set(reqId, pending);
      this.#enqueue(encodeMessage({ type, reqId, txId, payload }));
    });
  }

  /** A fresh token for a watch. */
  newToken(): string {
    return `xlite:${this.#nextToken++}`;
  }

  addWatch(queue: WatchQueue): void {
    if (this.#watches.has(queue.token)) {
      throw new XenstoreError({
        op: "watch",
        path: queue.path,
        errno: "EEXIST",
        kind: "invalid",
        detail: `token '${queue.token}' already in use on this connection`,
      });
    }
    this.#watches.set(queue.token, queue);
  }

  removeWatch(queue: WatchQueue): void {
    if (this.#watches.get(queue.token) === queue) this.#watches.delete(queue.token);
  }

  get failed(): boolean {
    return this.#failure !== undefined;
  }

  /** Fails every pending request and watch, and closes the transport. First cause wins. */
  fail(failure: ConnectionFailure): void {
    if (this.#failure) return;
    this.#failure = failure;
    this.transport.close();
    for (const pending of this.#pending.values()) {
      if (pending.timer !== undefined) clearTimeout(pending.timer);
      pending.reject(this.#errorFor(pending.op, pending.path, failure));
    }
    this.#pending.clear();
    for (const watch of this.#watches.values()) {
      watch.fail(this.#errorFor("watch", watch.path, failure));
    }
    this.#watches.clear();
    this.#queue.length = 0;
  }

  #errorFor(op: string, path: string, failure: ConnectionFailure): XenstoreError {
    return new XenstoreError({
      op,
      path: path.slice(0, 80),
      errno: failure.errno,
      kind: failure.kind,
      detail: failure.detail,
    });
  }

  #enqueue(message: Uint8Array): void {
    this.#queue.push(message);
    if (!this.#flushing) this.#flush();
  }

  /**
   * Writes queued messages: over a socket, everything queued in one write (pipelining);
   * over the xenbus device, one request at a time, because Linux's driver sends a request's
   * body from its write buffer after `write()` returns, so a second write would overwrite it.
   */
  async #flush(): Promise<void> {
    this.#flushing = true;
    try {
      while (this.#queue.length > 0 && !this.#failure) {
        let batch: Uint8Array;
        if (this.transport.kind === "xenbus") {
          if (this.#inFlight > 0) break; // resumed by #settle when the reply arrives
          this.#inFlight++;
          batch = this.#queue.shift()!;
        } else if (this.#queue.length > 1) {
          const parts = this.#queue.splice(0);
          batch = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
          let off = 0;
          for (const p of parts) {
            batch.set(p, off);
            off += p.length;
          }
        } else {
          batch = this.#queue.shift()!;
        }
        await this.transport.write(batch);
      }
    } catch (error) {
      this.fail({
        kind: "closed",
        errno: "ECONNRESET",
        detail: `writing to ${this.transport.path} failed: ${(error as Error).message}`,
      });
    } finally {
      this.#flushing = false;
    }
  }

  async #readLoop(): Promise<void> {
    const frames = createFrameDecoder();
    const buf = new Uint8Array(64 * 1024);
    try {
      while (!this.#failure) {
        const n = await this.transport.read(buf);
        if (n === null) {
          if (this.#failure) return;
          this.fail(
            frames.buffered > 0
              ? {
                kind: "malformed",
                errno: "EPROTO",
                detail: `connection closed in the middle of a message (${frames.buffered} bytes)`,
              }
              : { kind: "closed", errno: "ECONNRESET", detail: "connection closed by the daemon" },
          );
          return;
        }
        for (const message of frames.push(buf.slice(0, n))) this.#dispatch(message);
      }
    } catch (error) {
      this.fail(
        error instanceof WireError
          ? { kind: "malformed", errno: "EPROTO", detail: error.message }
          : {
            kind: "closed",
            errno: "ECONNRESET",
            detail: `reading ${this.transport.path} failed: ${(error as Error).message}`,
          },
      );
    }
  }

  #dispatch(message: XsMessage): void {
    if (message.oversized !== undefined && message.type === XS_WATCH_EVENT) return;
    if (message.type === XS_WATCH_EVENT) {
      const [path, token] = decodeStrings(message.payload);
      if (path === undefined || token === undefined) {
        throw new WireError("watch event without a path and a token");
      }
      this.#watches.get(token)?.push({ path, token });
      return;
    }
    const pending = this.#pending.get(message.reqId);
    if (!pending) {
      throw new WireError(
        `reply (type ${message.type}) for req_id ${message.reqId}, which has no request pending`,
      );
    }
    if (message.type !== XS_ERROR && message.type !== pending.type) {
      throw new WireError(
        `reply of type ${message.type} to a ${pending.op} request (type ${pending.type})`,
      );
    }
    let errno: string | undefined;
    if (message.oversized !== undefined && message.type !== XS_DIRECTORY) {
      // over the protocol limit: fail this request only, the stream is still in step
      this.#settle(message.reqId, pending);
      pending.reject(
        new XenstoreError({
          op: pending.op,
          path: pending.path,
          errno: "E2BIG",
          kind: "daemon",
          detail: `reply of ${message.oversized} bytes is over the ${XENSTORE_PAYLOAD_MAX}-byte ` +
            "protocol limit",
        }),
      );
      return;
    }
    if (message.type === XS_ERROR) {
      errno = decodeStrings(message.payload)[0] ?? "";
      if (!(XSD_ERRORS as readonly string[]).includes(errno)) {
        throw new WireError(`error reply '${errno.slice(0, 40)}' is not an errno name`);
      }
    }
    this.#settle(message.reqId, pending);
    if (errno !== undefined) {
      pending.reject(
        new XenstoreError({ op: pending.op, path: pending.path, errno, kind: "daemon" }),
      );
    } else {
      pending.resolve(message.payload);
    }
  }

  /** A reply arrived for `reqId`: forget the request; over xenbus, send the next one. */
  #settle(reqId: number, pending: Pending): void {
    this.#pending.delete(reqId);
    if (pending.timer !== undefined) clearTimeout(pending.timer);
    if (this.transport.kind === "xenbus") {
      this.#inFlight = Math.max(this.#inFlight - 1, 0);
      if (!this.#flushing) this.#flush();
    }
  }
}

/** Buffered events of one watch, consumed as an async iterator. */
class WatchQueue implements XenstoreWatch {
  readonly path: string;
  readonly token: string;
  readonly #conn: Connection;
  readonly #events: WatchEvent[] = [];
  #waiter: { resolve(r: IteratorResult<WatchEvent>): void; reject(e: Error): void } | undefined;
  #error: XenstoreError | undefined;
  #closed = false;

  constructor(conn: Connection, path: string, token: string) {
    this.#conn = conn;
    this.path = path;
    this.token = token;
  }

  push(event: WatchEvent): void {
    if (this.#closed) return;
    if (this.#waiter) {
      const waiter = this.#waiter;
      this.#waiter = undefined;
      waiter.resolve({ value: event, done: false });
    } else {
      this.#events.push(event);
    }
  }

  fail(error: XenstoreError): void {
    this.#error = error;
    if (this.#waiter) {
      const waiter = this.#waiter;
      this.#waiter = undefined;
      waiter.reject(error);
    }
  }

  next(): Promise<IteratorResult<WatchEvent>> {
    const event = this.#events.shift();
    if (event) return Promise.resolve({ value: event, done: false });
    if (this.#closed) return Promise.resolve({ value: undefined, done: true });
    if (this.#error) return Promise.reject(this.#error);
    return new Promise((resolve, reject) => (this.#waiter = { resolve, reject }));
  }

  async return(): Promise<IteratorResult<WatchEvent>> {
    await this.close();
    return { value: undefined, done: true };
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    this.#events.length = 0;
    this.#conn.removeWatch(this);
    if (this.#waiter) {
      const waiter = this.#waiter;
      this.#waiter = undefined;
      waiter.resolve({ value: undefined, done: true });
    }
    if (this.#error || this.#conn.failed) return;
    await this.#conn.request(XS_UNWATCH, 0, encodeStrings([this.path, this.token]), this.path);
  }

  [Symbol.asyncIterator](): XenstoreWatch {
    return this;
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }
}

/** The node operations, bound to a transaction id (0: none). */
class NodeOps implements XenstoreOps {
  protected readonly conn: Connection;
  protected readonly txId: number;

  constructor(conn: Connection, txId: number) {
    this.conn = conn;
    this.txId = txId;
  }

  protected call(type: number, path: string, ...rest: (string | Uint8Array)[]) {
    checkPath(XS_OP_NAMES[type], path);
    return this.conn.request(type, this.txId, encodeStrings([path, ...rest]), path);
  }

  async read(path: string): Promise<string> {
    return decoder.decode(await this.readBytes(path));
  }

  readBytes(path: string): Promise<Uint8Array> {
    return this.call(XS_READ, path);
  }

  async tryRead(path: string): Promise<string | undefined> {
    try {
      return await this.read(path);
    } catch (error) {
      if (error instanceof XenstoreError && error.errno === "ENOENT") return undefined;
      throw error;
    }
  }

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

  async mkdir(path: string): Promise<void> {
    await this.call(XS_MKDIR, path);
  }

  async rm(path: string): Promise<void> {
    await this.call(XS_RM, path);
  }

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

  async exists(path: string): Promise<boolean> {
    return (await this.tryRead(path)) !== undefined;
  }
}

class Transaction extends NodeOps implements XenstoreTransactionHandle {
  #ended = false;

  get id(): number {
    return this.txId;
  }

  async #end(commit: boolean): Promise<void> {
    if (this.#ended) return;
    this.#ended = true;
    await this.conn.request(
      XS_TRANSACTION_END,
      this.txId,
      encodeStrings([commit ? "T" : "F"]),
      "",
    );
  }

  commit(): Promise<void> {
    return this.#end(true);
  }

  abort(): Promise<void> {
    return this.#end(false);
  }
}

class Client extends NodeOps implements XenstoreClient {
  constructor(conn: Connection) {
    super(conn, 0);
  }

  get transport(): "unix" | "xenbus" {
    return this.conn.transport.kind;
  }

  get transportPath(): string {
    return this.conn.transport.path;
  }

  async startTransaction(): Promise<XenstoreTransactionHandle> {
    const reply = await this.conn.request(XS_TRANSACTION_START, 0, encodeStrings([""]), "");
    const text = decodeStrings(reply)[0] ?? "";
    const id = Number(text);
    if (!/^\d+$/.test(text) || id === 0 || id > 0xffffffff) {
      this.conn.fail({
        kind: "malformed",
        errno: "EPROTO",
        detail: `transaction id '${text.slice(0, 20)}' is not a number`,
      });
      throw new XenstoreError({
        op: "transaction_start",
        errno: "EPROTO",
        kind: "malformed",
        detail: `transaction id '${text.slice(0, 20)}' is not a number`,
      });
    }
    return new Transaction(this.conn, id);
  }

  async transaction<T>(
    fn: (tx: XenstoreTransaction) => Promise<T>,
    options: TransactionOptions = {},
  ): Promise<T> {
    const maxAttempts = options.maxAttempts ?? 64;
    const maxBackoff = options.maxBackoffMs ?? 100;
    let backoff = options.backoffMs ?? 1;
    for (let attempt = 1;; attempt++) {
      const tx = await this.startTransaction();
      let result: T;
      try {
        result = await fn(tx);
      } catch (error) {
        await tx.abort().catch(() => {});
        if (
          !(error instanceof XenstoreError && error.errno === "EAGAIN") || attempt >= maxAttempts
        ) {
          throw error;
        }
        await sleep(backoff * (0.5 + Math.random()));
        backoff = Math.min(backoff * 2, maxBackoff);
        continue;
      }
      try {
        await tx.commit();
        return result;
      } catch (error) {
        if (!(error instanceof XenstoreError && error.errno === "EAGAIN")) throw error;
        if (attempt >= maxAttempts) {
          throw new XenstoreError({
            op: "transaction_end",
            errno: "EAGAIN",
            kind: "daemon",
            detail: `still conflicting after ${attempt} attempts`,
          });
        }
        await sleep(backoff * (0.5 + Math.random()));
        backoff = Math.min(backoff * 2, maxBackoff);
      }
    }
  }

  async watch(path: string, token?: string): Promise<XenstoreWatch> {
    checkPath("watch", path);
    const tok = token ?? this.conn.newToken();
    if (tok === "" || tok.includes("\0")) {
      throw new XenstoreError({
        op: "watch",
        path,
        errno: "EINVAL",
        kind: "invalid",
        detail: "a watch token must be non-empty and free of NUL bytes",
      });
    }
    const queue = new WatchQueue(this.conn, path, tok);
    this.conn.addWatch(queue);
    try {
      await this.conn.request(XS_WATCH, 0, encodeStrings([path, tok]), path);
    } catch (error) {
      this.conn.removeWatch(queue);
      throw error;
    }
    return queue;
  }

  async getDomainPath(domid: number): Promise<string> {
    checkDomid("get_domain_path", domid);
    const reply = await this.conn.request(
      XS_GET_DOMAIN_PATH,
      0,
      encodeStrings([String(domid)]),
      "",
    );
    return decodeStrings(reply)[0] ?? "";
  }

  async introduceDomain(domid: number, mfn: number | bigint, port: number): Promise<void> {
    checkDomid("introduce", domid);
    await this.conn.request(
      XS_INTRODUCE,
      0,
      encodeStrings([String(domid), String(mfn), String(port)]),
      "",
    );
  }

  async releaseDomain(domid: number): Promise<void> {
    checkDomid("release", domid);
    await this.conn.request(XS_RELEASE, 0, encodeStrings([String(domid)]), "");
  }

  async isDomainIntroduced(domid: number): Promise<boolean> {
    checkDomid("is_domain_introduced", domid);
    const reply = await this.conn.request(
      XS_IS_DOMAIN_INTRODUCED,
      0,
      encodeStrings([String(domid)]),
      "",
    );
    return decodeStrings(reply)[0] === "T";
  }

  async control(...args: string[]): Promise<string> {
    const reply = await this.conn.request(XS_CONTROL, 0, encodeStrings(args), args[0] ?? "");
    return decoder.decode(reply).replace(/\0+$/, "");
  }

  async resetWatches(): Promise<void> {
    await this.conn.request(XS_RESET_WATCHES, 0, encodeStrings([""]), "");
  }

  close(): void {
    this.conn.fail({
      kind: "closed",
      errno: "ECONNRESET",
      detail: "connection closed by the client",
    });
  }

  [Symbol.dispose](): void {
    this.close();
  }
}

/** A client over an already open transport (tests use it with `fake_*` servers). */
export function xenstoreOverTransport(
  transport: XenstoreTransport,
  options: { timeoutMs?: number } = {},
): XenstoreClient {
  return new Client(new Connection(transport, options.timeoutMs));
}

/** Connects to xenstore the way libxenstore's `xs_open(0)` does (see `transport.ts`). */
export async function openXenstore(options: XenstoreOptions = {}): Promise<XenstoreClient> {
  return xenstoreOverTransport(await openTransport(options), options);
}
