/**
 * Transport over the daemon's Unix socket (`/var/run/xenstored/socket`).
 *
 * @module
 */
import { resourceTransport, type XenstoreTransport } from "./transport.ts";

/** Connects to the daemon socket at `path`. */
export async function openUnixTransport(path: string): Promise<XenstoreTransport> {
  const conn = await connectRetrying(path);
  return resourceTransport("unix", path, conn, async (data) => {
    let off = 0;
    while (off < data.length) off += await conn.write(data.subarray(off));
  });
}

/** Connects; while the daemon's listen backlog is full (EAGAIN), retries for up to ~2 s. */
async function connectRetrying(path: string): Promise<Deno.UnixConn> {
  for (let delay = 1;; delay *= 2) {
    try {
      return await Deno.connect({ transport: "unix", path });
    } catch (error) {
      const busy = error instanceof Deno.errors.WouldBlock ||
        (error as { code?: string }).code === "EAGAIN";
      if (!busy || delay > 1024) throw error;
      await new Promise((resolve) => setTimeout(resolve, delay));
    }
  }
}
