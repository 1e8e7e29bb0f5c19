/**
 * What the client needs from its way to xenstore: a byte stream to the daemon. The daemon's
 * Unix socket (`transport_unix.ts`) and the kernel's xenbus device (`transport_xenbus.ts`)
 * implement it; `open_transport.ts` chooses one.
 *
 * @module
 */

/** A byte stream to the daemon. */
export interface XenstoreTransport {
  /** `unix` (daemon socket) or `xenbus` (kernel device). */
  readonly kind: "unix" | "xenbus";
  /** The socket or device path. */
  readonly path: string;
  /** Reads into `buf`; `null` at end of stream. */
  read(buf: Uint8Array): Promise<number | null>;
  /** Writes all of `data`. */
  write(data: Uint8Array): Promise<void>;
  /** Closes the stream; a pending `read` ends. */
  close(): void;
}

/** What a transport reads from and closes: a socket connection or an open device file. */
export interface TransportResource {
  /** Reads into `buf`; `null` at end of stream. */
  read(buf: Uint8Array): Promise<number | null>;
  /** Closes it; may throw if it is closed already. */
  close(): void;
}

/**
 * A transport over `resource` that `write`s with the caller's loop: once closed, a pending
 * or later `read` ends the stream (`null`) instead of failing, and `close` is idempotent.
 */
export function resourceTransport(
  kind: XenstoreTransport["kind"],
  path: string,
  resource: TransportResource,
  write: (data: Uint8Array) => Promise<void>,
): XenstoreTransport {
  let closed = false;
  return {
    kind,
    path,
    async read(buf) {
      if (closed) return null;
      try {
        return await resource.read(buf);
      } catch (error) {
        if (closed) return null;
        throw error;
      }
    },
    write,
    close() {
      if (closed) return;
      closed = true;
      try {
        resource.close();
      } catch {
        // already closed
      }
    },
  };
}
