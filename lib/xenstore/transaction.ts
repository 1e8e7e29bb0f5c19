/**
 * Xenstore transactions: a handle ended by hand (`commit` or `abort`), and the retry loop
 * that runs a callback in a transaction and starts over, with backoff, when the commit
 * conflicts (`EAGAIN`), as libxl's transaction loops do.
 *
 * @module
 */
import { XenstoreError } from "./errors.ts";
import { NodeOps, type XenstoreOps } from "./node_ops.ts";
import { encodeStrings, XS_TRANSACTION_END } from "./wire.ts";

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

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** A transaction's node operations, ended once by `commit` or `abort`. */
export class Transaction extends NodeOps implements XenstoreTransactionHandle {
  #ended = false;

  /** The daemon's transaction id. */
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

  /** Ends the transaction, keeping its changes (`EAGAIN` on a conflict). */
  commit(): Promise<void> {
    return this.#end(true);
  }

  /** Ends the transaction, dropping its changes. */
  abort(): Promise<void> {
    return this.#end(false);
  }
}

/**
 * Runs `fn` in a transaction from `start` and commits; on `EAGAIN` (a conflict) starts over,
 * with backoff, up to `maxAttempts` times. If `fn` throws, the transaction is aborted.
 */
export async function runTransaction<T>(
  start: () => Promise<XenstoreTransactionHandle>,
  fn: (tx: XenstoreTransaction) => Promise<T>,
  options: TransactionOptions = {},
): Promise<T> {
  const maxAttempts = options.maxAttempts ?? 64;
  const maxBackoff = options.maxBackoffMs ?? 100;
  let backoff = options.backoffMs ?? 1;
  for (let attempt = 1;; attempt++) {
    const tx = await start();
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
