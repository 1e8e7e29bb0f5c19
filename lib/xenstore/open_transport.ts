/**
 * How the client reaches xenstore, chosen like libxenstore's `xs_open(0)`: `XENSTORED_PATH`
 * if set (a socket, or else a device), otherwise the daemon's Unix socket
 * `/var/run/xenstored/socket`, otherwise the xenbus device `/dev/xen/xenbus` (in a domain
 * without a local daemon; krata's `XsdSocket` does the same, spec §6).
 *
 * @module
 */
import { XenstoreError } from "./errors.ts";
import type { XenstoreTransport } from "./transport.ts";
import { openUnixTransport } from "./transport_unix.ts";
import { openXenbusTransport } from "./transport_xenbus.ts";

/** Where to connect. */
export interface TransportOptions {
  /** An explicit socket or device path (else `XENSTORED_PATH`, then the defaults). */
  path?: string;
  /** Only try the daemon socket (like `XS_OPEN_SOCKETONLY`). */
  socketOnly?: boolean;
}

/** Default daemon socket (libxenstore's `xs_daemon_socket()`). */
export const XENSTORED_SOCKET = "/var/run/xenstored/socket";
/** Default xenbus device (libxenstore's `xs_domain_dev()` on Linux). */
export const XENBUS_DEVICE = "/dev/xen/xenbus";
const XENBUS_PROC = "/proc/xen/xenbus";

function isSocket(path: string): boolean {
  try {
    return Deno.statSync(path).isSocket === true;
  } catch {
    return false;
  }
}

async function openPath(path: string): Promise<XenstoreTransport> {
  return isSocket(path) ? await openUnixTransport(path) : await openXenbusTransport(path);
}

/** Opens the transport libxenstore would use; `XenstoreError` (kind `unavailable`) if none. */
export async function openTransport(options: TransportOptions = {}): Promise<XenstoreTransport> {
  const explicit = options.path ?? Deno.env.get("XENSTORED_PATH");
  const candidates = explicit !== undefined
    ? [explicit]
    : options.socketOnly
    ? [XENSTORED_SOCKET]
    : [XENSTORED_SOCKET, XENBUS_DEVICE, XENBUS_PROC];
  const failures: string[] = [];
  for (const path of candidates) {
    try {
      return options.socketOnly ? await openUnixTransport(path) : await openPath(path);
    } catch (error) {
      failures.push(`${path}: ${(error as Error).message}`);
    }
  }
  throw new XenstoreError({
    op: "open",
    errno: "ECONNREFUSED",
    kind: "unavailable",
    detail: `cannot reach xenstore (${failures.join("; ")})`,
  });
}
