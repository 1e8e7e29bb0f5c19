/**
 * An IOREQ server for one guest, served from this process: the guest's accesses to the MMIO
 * windows routed to it arrive as `struct ioreq`s on a shared page (one slot per vCPU), each
 * announced on that vCPU's event channel; they are dispatched to the window's `MmioHandler`
 * and answered. Set-up order as Xen's device models do it (QEMU `xen_register_ioreq` on Arm):
 * create the server (no buffered ioreqs), map its ioreq page (`XENMEM_acquire_resource`),
 * enable it (Xen fills in each vCPU's `vp_eport`), bind every vCPU's port — all before the
 * guest runs (it is paused until the backend writes state 2, spec §2.6).
 *
 * @module
 */
import type { MmioHandler } from "../virtio_backend/mod.ts";
import { type DeviceModel, openDeviceModel } from "./devicemodel.ts";
import { type EventChannels, openEventChannels } from "./evtchn.ts";
import {
  type ForeignMapping,
  type ForeignPages,
  openForeignMapping,
  XENMEM_resource_ioreq_server,
  XENMEM_resource_ioreq_server_frame_ioreq,
} from "./foreign_mapping.ts";
import {
  type Ioreq,
  IOREQ_READ,
  IOREQ_SIZE,
  IOREQ_TYPE_COPY,
  IOREQ_TYPE_INVALIDATE,
  ioreqEventPort,
  serveIoreq,
} from "./ioreq.ts";
import { XC_PAGE_SIZE } from "./domctl.ts";
import { XliteError } from "../errors.ts";

/** How an IOREQ server reports what it refused (one line each). */
export interface IoreqServerOptions {
  /** Receives one line per refused or failed request; default `console.error`. */
  log?: (line: string) => void;
  /** Lines logged at most (a misbehaving guest must not flood the log); default 50. */
  maxLogLines?: number;
  /**
   * Called on `IOREQ_TYPE_INVALIDATE` (the guest's physical map changed) before it is
   * acknowledged: drop or refresh whatever maps guest memory (QEMU flushes its map cache).
   */
  onInvalidate?: () => void;
}

/** A running IOREQ server for one guest. */
export interface IoreqServer {
  /** The guest's domain id. */
  readonly domid: number;
  /** The server's id (`ioservid_t`). */
  readonly id: number;
  /** vCPU slots served (the domain's `max_vcpu_id + 1`). */
  readonly vcpus: number;
  /** Requests answered so far. */
  readonly served: number;
  /**
   * Routes the guest's accesses to `[base, base + size)` to `handler`; the range is mapped in
   * Xen when this returns. Throws when the window overlaps one already routed or Xen refuses.
   */
  addMmioWindow(base: bigint, size: number, handler: MmioHandler): void;
  /** Stops routing the window at `base` (unknown windows are ignored). */
  removeMmioWindow(base: bigint): void;
  /** Sets SPI `irq`'s level (`set_irq_level`). */
  setIrqLevel(irq: number, level: 0 | 1): void;
  /** Resolves when serving has stopped (after `close`), rejects if the loop failed. */
  readonly done: Promise<void>;
  /**
   * Stops serving and releases the server, its page and its event channels. Safe after the
   * guest died (what Xen already tore down is skipped).
   */
  close(): void;
}

/**
 * An IOREQ server cannot do what was asked: more vCPUs than one ioreq page holds (Xen 4.17
 * gives a server one), a window overlapping one already served, a server already closed.
 */
export class IoreqServerError extends XliteError {
  /** `message` says which domain and why. */
  constructor(message: string) {
    super(message);
    this.name = "IoreqServerError";
  }
}

interface Window {
  base: bigint;
  end: bigint;
  handler: MmioHandler;
}

/**
 * Creates, maps, enables and binds an IOREQ server for domain `domid` with `vcpus` vCPUs,
 * and starts serving it (on Deno's event loop). Throws `NoXenError` without Xen,
 * `IoreqUnsupportedError` when the hypervisor has no IOREQ servers, `XenCallError` otherwise;
 * nothing is left behind when it throws.
 */
export function startIoreqServer(
  domid: number,
  vcpus: number,
  options: IoreqServerOptions = {},
): IoreqServer {
  if (vcpus < 1 || vcpus > XC_PAGE_SIZE / IOREQ_SIZE) {
    throw new IoreqServerError(`domain ${domid}: ${vcpus} vCPUs do not fit one ioreq page`);
  }
  let logged = 0;
  const maxLines = options.maxLogLines ?? 50;
  const logLine = options.log ?? ((line: string) => console.error(line));
  const log = (line: string) => {
    if (logged < maxLines) logLine(`domain ${domid}: ${line}`);
    else if (logged === maxLines) logLine(`domain ${domid}: further request errors not logged`);
    logged++;
  };

  const undo: (() => void)[] = [];
  const unwind = () => {
    for (const step of undo.reverse()) {
      try {
        step();
      } catch {
        // best effort: the domain may be gone already
      }
    }
    undo.length = 0;
  };
  let dm!: DeviceModel, fm!: ForeignMapping, page!: ForeignPages, ev!: EventChannels, id!: number;
  const portVcpu = new Map<number, number>();
  try {
    dm = openDeviceModel();
    undo.push(() => dm.close());
    id = dm.createIoreqServer(domid);
    undo.push(() => dm.destroyIoreqServer(domid, id));
    dm.ioreqServerInfo(domid, id);
    fm = openForeignMapping();
    undo.push(() => fm.close());
    page = fm.mapResource(
      domid,
      XENMEM_resource_ioreq_server,
      id,
      XENMEM_resource_ioreq_server_frame_ioreq(0),
      1,
    );
    undo.push(() => page.unmap());
    dm.setIoreqServerState(domid, id, true);
    undo.push(() => dm.setIoreqServerState(domid, id, false));
    ev = openEventChannels();
    undo.push(() => ev.close());
    for (let vcpu = 0; vcpu < vcpus; vcpu++) {
      portVcpu.set(ev.bindInterdomain(domid, ioreqEventPort(page.bytes, vcpu)), vcpu);
    }
  } catch (error) {
    unwind();
    throw error;
  }

  const windows: Window[] = [];
  let served = 0;
  let closed = false;
  let dispatching = false;

  const handle = (req: Ioreq): bigint => {
    if (req.type === IOREQ_TYPE_INVALIDATE) {
      try {
        options.onInvalidate?.();
      } catch (error) {
        log(`refreshing guest memory failed: ${error instanceof Error ? error.message : error}`);
      }
      return 0n;
    }
    const read = req.dir === IOREQ_READ;
    if (req.type !== IOREQ_TYPE_COPY) {
      log(`ioreq type ${req.type} at 0x${req.addr.toString(16)} refused (only MMIO is served)`);
      return ~0n;
    }
    if (req.dataIsPtr || req.count !== 1) {
      log(
        `MMIO ${read ? "read" : "write"} at 0x${req.addr.toString(16)} with data_is_ptr=` +
          `${req.dataIsPtr ? 1 : 0} count=${req.count} refused (Arm sends single direct accesses)`,
      );
      return ~0n;
    }
    const end = req.addr + BigInt(req.size);
    const w = windows.find((w) => req.addr >= w.base && end <= w.end);
    if (!w || ![1, 2, 4, 8].includes(req.size)) {
      log(
        `MMIO ${read ? "read" : "write"} of ${req.size} bytes at 0x${req.addr.toString(16)} ` +
          "outside every device window",
      );
      return 0n;
    }
    const offset = Number(req.addr - w.base);
    try {
      if (read) return w.handler.read(offset, req.size);
      w.handler.write(offset, req.size, BigInt.asUintN(req.size * 8, req.data));
      return 0n;
    } catch (error) {
      log(
        `device at 0x${w.base.toString(16)} failed on a ${read ? "read" : "write"} at ` +
          `offset 0x${offset.toString(16)}: ${error instanceof Error ? error.message : error}`,
      );
      return 0n;
    }
  };

  const loop = async () => {
    const fired = new Set<number>();
    while (!closed) {
      await ev.wait();
      if (closed) return;
      for (let port = ev.pending(); port !== null; port = ev.pending()) {
        ev.unmask(port);
        fired.add(port);
      }
      dispatching = true;
      try {
        for (const port of fired) {
          const vcpu = portVcpu.get(port);
          if (vcpu === undefined || closed) continue;
          // a slot that is not READY is a spurious event (seen before the first request)
          if (serveIoreq(page.bytes, vcpu, handle)) {
            served++;
            if (!closed) ev.notify(port);
          }
        }
      } finally {
        dispatching = false;
        fired.clear();
      }
      // a handler closed the server: the page had to outlive the answer it was writing
      if (closed) unwind();
    }
  };
  const done = loop();
  // observed through `done` and logged (the guest's vCPUs wait from now on); never unhandled
  done.catch((error) =>
    logLine(
      `domain ${domid}: IOREQ server ${id} stopped serving: ${
        error instanceof Error ? error.message : error
      }`,
    )
  );

  return {
    domid,
    id,
    vcpus,
    get served() {
      return served;
    },
    done,
    addMmioWindow(base, size, handler) {
      const end = base + BigInt(size);
      if (closed) throw new IoreqServerError(`domain ${domid}: IOREQ server closed`);
      if (size <= 0 || windows.some((w) => base < w.end && w.base < end)) {
        throw new IoreqServerError(
          `domain ${domid}: MMIO window 0x${base.toString(16)}+0x${size.toString(16)} ` +
            "overlaps a window already served",
        );
      }
      dm.mapMmioRange(domid, id, base, end - 1n);
      windows.push({ base, end, handler });
    },
    removeMmioWindow(base) {
      const at = windows.findIndex((w) => w.base === base);
      if (at < 0) return;
      const [w] = windows.splice(at, 1);
      if (!closed) dm.unmapMmioRange(domid, id, w.base, w.end - 1n);
    },
    setIrqLevel(irq, level) {
      if (closed) throw new IoreqServerError(`domain ${domid}: IOREQ server closed`);
      dm.setIrqLevel(domid, irq, level);
    },
    close() {
      if (closed) return;
      closed = true;
      windows.length = 0;
      if (!dispatching) unwind(); // else the loop unwinds once the request is answered
    },
  };
}
