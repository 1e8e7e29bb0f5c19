/**
 * Transport over the kernel's xenbus device (`/dev/xen/xenbus`), used inside a domain with
 * no local daemon socket. The device speaks the same framed protocol; each `write` must
 * carry whole messages, which the client always does.
 *
 * @module
 */
import { resourceTransport, type XenstoreTransport } from "./transport.ts";

/** Opens the xenbus character device at `path`. */
export async function openXenbusTransport(path: string): Promise<XenstoreTransport> {
  const file = await Deno.open(path, { read: true, write: true });
  // Synchronous on purpose: Deno runs a file's async ops one at a time, so an async write
  // would wait behind the pending read that waits for its reply (a deadlock).
  return resourceTransport("xenbus", path, file, (data) => {
    let off = 0;
    while (off < data.length) off += file.writeSync(data.subarray(off));
    return Promise.resolve();
  });
}
