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
import { Connection } from "./connection.ts";
import { XenstoreError } from "./errors.ts";
import { checkPath, NodeOps, type XenstoreOps } from "./node_ops.ts";
import { openTransport, type TransportOptions } from "./open_transport.ts";
import {
  runTransaction,
  Transaction,
  type TransactionOptions,
  type XenstoreTransaction,
  type XenstoreTransactionHandle,
} from "./transaction.ts";
import type { XenstoreTransport } from "./transport.ts";
import { WatchQueue, type XenstoreWatch } from "./watch_queue.ts";
import {
  decodeStrings,
  encodeStrings,
  XS_CONTROL,
  XS_GET_DOMAIN_PATH,
  XS_INTRODUCE,
  XS_IS_DOMAIN_INTRODUCED,
  XS_OP_NAMES,
  XS_RELEASE,
  XS_RESET_WATCHES,
  XS_TRANSACTION_START,
  XS_WATCH,
} from "./wire.ts";

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

const decoder = new TextDecoder();

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

/** The node operations outside any transaction, plus what only a connection can do. */
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

  /** Runs `fn` in a transaction, retried on conflict (see {@linkcode runTransaction}). */
  transaction<T>(
    fn: (tx: XenstoreTransaction) => Promise<T>,
    options: TransactionOptions = {},
  ): Promise<T> {
    return runTransaction(() => this.startTransaction(), fn, options);
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
    return decodeStrings(await this.#domainCall(XS_GET_DOMAIN_PATH, domid))[0] ?? "";
  }

  async introduceDomain(domid: number, mfn: number | bigint, port: number): Promise<void> {
    await this.#domainCall(XS_INTRODUCE, domid, String(mfn), String(port));
  }

  async releaseDomain(domid: number): Promise<void> {
    await this.#domainCall(XS_RELEASE, domid);
  }

  async isDomainIntroduced(domid: number): Promise<boolean> {
    return decodeStrings(await this.#domainCall(XS_IS_DOMAIN_INTRODUCED, domid))[0] === "T";
  }

  /** A request about one domain: its domid (checked), then `rest`. */
  #domainCall(type: number, domid: number, ...rest: string[]): Promise<Uint8Array> {
    checkDomid(XS_OP_NAMES[type], domid);
    return this.conn.request(type, 0, encodeStrings([String(domid), ...rest]), "");
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
