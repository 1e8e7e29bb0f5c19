/**
 * Transport over the daemon's Unix socket (`/var/run/xenstored/socket`).
 *
 * @module
 */
import type { XenstoreTransport } from "./transport.ts";

/** Connects to the daemon socket at `path`. */
export async function openUnixTransport(path: string): Promise<XenstoreTransport> {
  const conn = await connectRetrying(path);
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
