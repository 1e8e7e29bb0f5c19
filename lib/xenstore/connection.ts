/**
 * One connection to xenstore: requests are pipelined (several in flight, matched by
 * req_id), replies and errors are checked against the request, watch events are routed by
 * token, and a broken stream fails everything pending at once (docs/misc/xenstore.txt).
 *
 * @module
 */
import { XenstoreError, type XenstoreErrorKind } from "./errors.ts";
import type { XenstoreTransport } from "./transport.ts";
import {
  createFrameDecoder,
  decodeStrings,
  encodeMessage,
  WireError,
  XENSTORE_PAYLOAD_MAX,
  XS_DIRECTORY,
  XS_ERROR,
  XS_OP_NAMES,
  XS_WATCH_EVENT,
  XSD_ERRORS,
  type XsMessage,
} from "./wire.ts";

/** One watch event: the path that changed and the watch's token. */
export interface WatchEvent {
  /** The node that changed (or the watched path, for the initial event). */
  path: string;
  /** The token given when the watch was set. */
  token: string;
}

/** Where the connection delivers one watch's events (the watch queue). */
export interface WatchSink {
  /** The watched path. */
  readonly path: string;
  /** The token that routes events here. */
  readonly token: string;
  /** An event arrived. */
  push(event: WatchEvent): void;
  /** The connection failed: no more events. */
  fail(error: XenstoreError): void;
}

/** Why a connection stopped: the kind, errno and detail every pending request fails with. */
export interface ConnectionFailure {
  /** The error kind. */
  kind: XenstoreErrorKind;
  /** The errno name. */
  errno: string;
  /** What happened. */
  detail: string;
}

/** A request waiting for its reply. */
interface Pending {
  type: number;
  op: string;
  path: string;
  resolve(payload: Uint8Array): void;
  reject(error: XenstoreError): void;
  timer?: ReturnType<typeof setTimeout>;
}

/** The connection: request/reply matching, watch routing, failure of everything at once. */
export class Connection {
  /** The byte stream under this connection. */
  readonly transport: XenstoreTransport;
  readonly #timeoutMs: number | undefined;
  readonly #pending = new Map<number, Pending>();
  readonly #watches = new Map<string, WatchSink>();
  readonly #queue: Uint8Array[] = [];
  #flushing = false;
  #inFlight = 0; // xenbus only: requests written and not yet answered
  #nextReqId = 1;
  #nextToken = 1;
  #failure: ConnectionFailure | undefined;

  /** Starts reading `transport`; with `timeoutMs`, a request unanswered that long fails all. */
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

  /** Routes events with `queue.token` to `queue`; a token in use is an error. */
  addWatch(queue: WatchSink): void {
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

  /** Stops routing events to `queue`. */
  removeWatch(queue: WatchSink): void {
    if (this.#watches.get(queue.token) === queue) this.#watches.delete(queue.token);
  }

  /** True once the connection has failed or was closed. */
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
