/**
 * Transport over the kernel's xenbus device (`/dev/xen/xenbus`), used inside a domain with
 * no local daemon socket. The device speaks the same framed protocol; each `write` must
 * carry whole messages, which the client always does.
 *
 * @module
 */
import type { XenstoreTransport } from "./transport.ts";

/** Opens the xenbus character device at `path`. */
export async function openXenbusTransport(path: string): Promise<XenstoreTransport> {
  const file = await Deno.open(path, { read: true, write: true });
  let closed = false;
  return {
    kind: "xenbus",
    path,
    async read(buf) {
      if (closed) return null;
      try {
        return await file.read(buf);
      } catch (error) {
        if (closed) return null;
        throw error;
      }
    },
    // Synchronous on purpose: Deno runs a file's async ops one at a time, so an async write
    // would wait behind the pending read that waits for its reply (a deadlock).
    write(data) {
      let off = 0;
      while (off < data.length) off += file.writeSync(data.subarray(off));
      return Promise.resolve();
    },
    close() {
      if (closed) return;
      closed = true;
      try {
        file.close();
      } catch {
        // already closed
      }
    },
  };
}
