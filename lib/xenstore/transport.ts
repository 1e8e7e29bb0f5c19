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
