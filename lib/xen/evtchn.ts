/**
 * Deno FFI bindings to libxenevtchn (`libxenevtchn.so.1`): bind to another domain's event
 * channel, notify it, and receive its events without blocking Deno's event loop.
 *
 * Waiting: `wait()` first polls the evtchn fd without blocking (events often are already
 * there), else runs poll(2) as a `nonblocking` FFI call (Deno runs it on a worker thread and
 * resolves a promise), together with an eventfd that `close()` signals;
 * the fd itself is set O_NONBLOCK, so `pending()` on the main thread drains what arrived and
 * never blocks. (A nonblocking call of `xenevtchn_pending` itself would leave a thread in
 * read(2) that nothing can interrupt at close, and its errno would be on the wrong thread.)
 *
 * @module
 */
import { errnoName, XenCallError } from "./errors.ts";
import { lastErrno, openLibrary, requirePrivcmd } from "./library.ts";

/** Library names tried in order. */
export const EVTCHN_SONAMES = ["libxenevtchn.so.1", "libxenevtchn.so"];

const SYMBOLS = {
  xenevtchn_open: { parameters: ["pointer", "u32"], result: "pointer" },
  xenevtchn_close: { parameters: ["pointer"], result: "i32" },
  xenevtchn_fd: { parameters: ["pointer"], result: "i32" },
  xenevtchn_notify: { parameters: ["pointer", "u32"], result: "i32" },
  xenevtchn_bind_interdomain: { parameters: ["pointer", "u32", "u32"], result: "i32" },
  xenevtchn_unbind: { parameters: ["pointer", "u32"], result: "i32" },
  xenevtchn_pending: { parameters: ["pointer"], result: "i32" },
  xenevtchn_unmask: { parameters: ["pointer", "u32"], result: "i32" },
} as const satisfies Deno.ForeignLibraryInterface;

const LIBC = {
  poll: { parameters: ["buffer", "u64", "i32"], result: "i32", nonblocking: true },
  pollNow: { name: "poll", parameters: ["buffer", "u64", "i32"], result: "i32" },
  eventfd: { parameters: ["u32", "i32"], result: "i32" },
  write: { parameters: ["i32", "buffer", "usize"], result: "isize" },
  close: { parameters: ["i32"], result: "i32" },
  fcntl: { parameters: ["i32", "i32", "i32"], result: "i32" },
} as const satisfies Deno.ForeignLibraryInterface;

const F_GETFL = 3;
const F_SETFL = 4;
const O_NONBLOCK = 0o4000;
const EFD_CLOEXEC = 0o2000000;
const POLLIN = 1;
const POLLERR = 8;
const POLLHUP = 16;
const POLLNVAL = 32;
const EAGAIN = 11;
const EINTR = 4;

/** An open event-channel handle (`xenevtchn_handle *`) with its own ports. */
export interface EventChannels {
  /** Binds a local port to `remotePort` of domain `domid`; returns the local port. */
  bindInterdomain(domid: number, remotePort: number): number;
  /** Unbinds a local port. */
  unbind(port: number): void;
  /** Sends an event on a local port (to the domain at its other end). */
  notify(port: number): void;
  /** Unmasks a local port after its event was handled (events on it were masked till then). */
  unmask(port: number): void;
  /** The next port with an event, or null when none is pending; never blocks. */
  pending(): number | null;
  /**
   * Resolves when an event may be pending, or when the handle is closed (check `closed`);
   * rejects when poll(2) reports the evtchn fd in error. One wait at a time.
   */
  wait(): Promise<void>;
  /** True once `close` was called. */
  readonly closed: boolean;
  /**
   * Unbinds every port and closes the handle; a `wait` in progress resolves first, and the
   * library is released once it has.
   */
  close(): void;
}

/** Opens libxenevtchn; throws `NoXenError` when this host has no Xen. */
export function openEventChannels(): EventChannels {
  requirePrivcmd();
  lastErrno(); // load libc's errno accessor now, so loading it never clobbers a call's errno
  const lib = openLibrary(EVTCHN_SONAMES, SYMBOLS);
  const s = lib.symbols;
  const xce = s.xenevtchn_open(null, 0);
  if (xce === null) {
    const errno = errnoName(lastErrno());
    lib.close();
    throw new XenCallError("xenevtchn_open", "opening event channels", errno);
  }
  const libc = Deno.dlopen("libc.so.6", LIBC);
  const fd = s.xenevtchn_fd(xce);
  const wake = libc.symbols.eventfd(0, EFD_CLOEXEC);
  const flags = libc.symbols.fcntl(fd, F_GETFL, 0);
  if (wake < 0 || flags < 0 || libc.symbols.fcntl(fd, F_SETFL, flags | O_NONBLOCK) < 0) {
    const errno = errnoName(lastErrno());
    if (wake >= 0) libc.symbols.close(wake);
    s.xenevtchn_close(xce);
    libc.close();
    lib.close();
    throw new XenCallError("fcntl/eventfd", "preparing the event-channel fd", errno);
  }
  // struct pollfd[2] { int fd; short events; short revents; }: the evtchn fd, the wake-up fd
  const fds = new Int32Array(4);
  const bound = new Set<number>();
  let closed = false;
  let waiting: Promise<void> | null = null;
  let quick = 0;

  const release = () => {
    libc.symbols.close(wake);
    s.xenevtchn_close(xce);
    libc.close();
    lib.close();
  };
  const check = (rc: number, call: string, what: string) => {
    if (rc < 0) throw new XenCallError(call, what, errnoName(lastErrno()));
    return rc;
  };
  const live = () => {
    if (closed) throw new XenCallError("xenevtchn", "using closed event channels", "EBADF");
  };

  return {
    get closed() {
      return closed;
    },
    bindInterdomain(domid, remotePort) {
      live();
      const port = check(
        s.xenevtchn_bind_interdomain(xce, domid, remotePort),
        "xenevtchn_bind_interdomain",
        `binding to event channel ${remotePort} of domain ${domid}`,
      );
      bound.add(port);
      return port;
    },
    unbind(port) {
      live();
      bound.delete(port);
      check(s.xenevtchn_unbind(xce, port), "xenevtchn_unbind", `unbinding port ${port}`);
    },
    notify(port) {
      live();
      check(s.xenevtchn_notify(xce, port), "xenevtchn_notify", `notifying port ${port}`);
    },
    unmask(port) {
      live();
      check(s.xenevtchn_unmask(xce, port), "xenevtchn_unmask", `unmasking port ${port}`);
    },
    pending() {
      if (closed) return null;
      const port = s.xenevtchn_pending(xce);
      if (port >= 0) return port;
      const errno = lastErrno();
      if (errno === EAGAIN || errno === EINTR) return null;
      throw new XenCallError("xenevtchn_pending", "reading pending events", errnoName(errno));
    },
    wait() {
      if (closed) return Promise.resolve();
      if (waiting) throw new Error("EventChannels.wait: one wait at a time");
      fds[0] = fd;
      fds[1] = POLLIN;
      fds[2] = wake;
      fds[3] = POLLIN;
      // revents (high half of the second int): an fd in error would wake us forever
      const failed = () => (fds[1] >>> 16) & (POLLERR | POLLHUP | POLLNVAL);
      // already readable: no trip through a worker thread (waking Deno's event loop from one
      // cost ~100 ms per event in the 2-CPU TCG testbed)
      // (at most 32 times in a row: a busy guest must not starve the rest of the event loop)
      if (++quick <= 32 && libc.symbols.pollNow(fds, 2n, 0) > 0 && !failed()) {
        return Promise.resolve();
      }
      quick = 0;
      waiting = libc.symbols.poll(fds, 2n, -1).then(() => {
        waiting = null;
        if (closed) release();
        else if (failed()) {
          throw new XenCallError("poll", "waiting for event-channel events", "EIO");
        }
      });
      return waiting;
    },
    close() {
      if (closed) return;
      closed = true;
      for (const port of bound) s.xenevtchn_unbind(xce, port);
      bound.clear();
      if (waiting) libc.symbols.write(wake, new BigUint64Array([1n]), 8n);
      else release();
    },
  };
}
