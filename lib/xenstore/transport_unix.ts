/**
 * Transport over the daemon's Unix socket (`/var/run/xenstored/socket`).
 *
 * @module
 */
import type { XenstoreTransport } from "./transport.ts";

/** Connects to the daemon socket at `path`. */
export async function openUnixTransport(path: string): Promise<XenstoreTransport> {
  const conn = await Deno.connect({ transport: "unix", path });
  let closed = false;
  return {
    kind: "unix",
    path,
    async read(buf) {
      if (closed) return null;
      try {
        return await conn.read(buf);
      } catch (error) {
        if (closed) return null;
        throw error;
      }
    },
    async write(data) {
      let off = 0;
      while (off < data.length) off += await conn.write(data.subarray(off));
    },
    close() {
      if (closed) return;
      closed = true;
      try {
        conn.close();
      } catch {
        // already closed
      }
    },
  };
}
