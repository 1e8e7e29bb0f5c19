/**
 * A watch's events, buffered and consumed as an async iterator; closing it (or `break`)
 * unwatches (`XS_UNWATCH`).
 *
 * @module
 */
import type { Connection, WatchEvent, WatchSink } from "./connection.ts";
import type { XenstoreError } from "./errors.ts";
import { encodeStrings, XS_UNWATCH } from "./wire.ts";

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

/** Buffered events of one watch, consumed as an async iterator. */
export class WatchQueue implements XenstoreWatch, WatchSink {
  /** The watched path. */
  readonly path: string;
  /** The token that routes this watch's events. */
  readonly token: string;
  readonly #conn: Connection;
  readonly #events: WatchEvent[] = [];
  #waiter: { resolve(r: IteratorResult<WatchEvent>): void; reject(e: Error): void } | undefined;
  #error: XenstoreError | undefined;
  #closed = false;

  /** A queue for the watch on `path` with `token` over `conn` (not yet registered). */
  constructor(conn: Connection, path: string, token: string) {
    this.#conn = conn;
    this.path = path;
    this.token = token;
  }

  /** Delivers `event` to a waiting reader, or buffers it. */
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

  /** Ends the iteration with `error` (the connection failed). */
  fail(error: XenstoreError): void {
    this.#error = error;
    if (this.#waiter) {
      const waiter = this.#waiter;
      this.#waiter = undefined;
      waiter.reject(error);
    }
  }

  /** The next event; waits for one. */
  next(): Promise<IteratorResult<WatchEvent>> {
    const event = this.#events.shift();
    if (event) return Promise.resolve({ value: event, done: false });
    if (this.#closed) return Promise.resolve({ value: undefined, done: true });
    if (this.#error) return Promise.reject(this.#error);
    return new Promise((resolve, reject) => (this.#waiter = { resolve, reject }));
  }

  /** Closes the watch (`break` out of `for await`). */
  async return(): Promise<IteratorResult<WatchEvent>> {
    await this.close();
    return { value: undefined, done: true };
  }

  /** Unwatches and ends the iteration. */
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

  /** The queue itself. */
  [Symbol.asyncIterator](): XenstoreWatch {
    return this;
  }

  /** `close()`, for `await using`. */
  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }
}
