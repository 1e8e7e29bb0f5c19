/**
 * `xlite devd`'s engine: in the backend domain (dom0 or a driver domain), watch
 * `backend/virtio_disk` and serve every virtio disk that appears there, with the handshake of
 * spec §2.6:
 * - backend `state=1` → read and check the directory (§2.5), serve (image, carrier, device,
 *   window routed) → `state=2` (InitWait), which `xl create`/`xlite create` wait for;
 * - `online=0` or `state=5` → stop serving → `state=6` (Closed); in a driver domain, once the
 *   toolstack asked for removal (`online=0`), remove the backend directory, as libxl's
 *   `libxl__device_destroy` does there;
 * - `@releaseDomain` and the frontend no longer introduced in xenstored → release everything
 *   held for it and write `state=6`, as blkback does when its frontend disappears (since
 *   XSA-115 a driver domain gets these events only if granted read on `@releaseDomain`;
 *   without, the toolstack's removal below is what releases a dead guest's disks);
 * - a bad directory or an image that cannot be opened fails that device alone: one log line,
 *   the `error` node and `state=5` (lib/devd/backend_error.ts).
 * In a driver domain it also runs the hotplug scripts of PV disks, as `xl devd` does
 * (lib/devd/vbd_hotplug.ts). Each device is handled in order, devices side by side, and
 * nothing a device or guest does stops the daemon.
 *
 * @module
 */
import type { XenstoreClient, XenstoreWatch } from "../xenstore/mod.ts";
import { cAtoi } from "../devices/mod.ts";
import {
  XenbusStateClosed,
  XenbusStateClosing,
  XenbusStateInitialising,
  XenbusStateInitWait,
} from "../xenstore/mod.ts";
import { destroyDevice } from "../devices/mod.ts";
import { domainPath } from "../devices/mod.ts";
import { XliteError } from "../errors.ts";
import { backendErrorPath, clearBackendError, reportBackendFatal } from "./backend_error.ts";
import { type CarrierPool, createCarrierPool } from "./carrier_pool.ts";
import type { BlockImage, DevdParts } from "./device_model.ts";
import type { DevdLog } from "./log.ts";
import { createTaskQueue } from "./task_queue.ts";
import { createVbdHotplug, HOTPLUG_DISK_KINDS, type VbdHotplugOptions } from "./vbd_hotplug.ts";
import {
  BackendConfigError,
  ERRNO,
  errnoOf,
  parseVirtioDisk,
  readVirtioDiskValues,
} from "./virtio_disk_config.ts";
import { type ServedDisk, serveVirtioDisk } from "./virtio_disk_server.ts";

/** What {@linkcode startDevd} needs (`I`: the device model's image type). */
export interface DevdOptions<I extends BlockImage = BlockImage> {
  /** The xenstore connection (the daemon does not close it). */
  xs: XenstoreClient;
  /** This domain's id (see {@linkcode readOwnDomid}). */
  domid: number;
  /** Hypervisor side and device model. */
  parts: DevdParts<I>;
  /** Where events are reported. */
  log: DevdLog;
  /** Run PV disk hotplug scripts (default: in a driver domain, i.e. `domid !== 0`). */
  hotplug?: boolean;
  /** Timeouts of the PV disk handling. */
  vbd?: VbdHotplugOptions;
}

/** A virtio disk being served. */
export interface ServedDevice {
  /** Its backend directory. */
  backend: string;
  /** The guest. */
  domid: number;
  /** The vdev number. */
  devid: number;
  /** The image. */
  params: string;
  /** `mode=r`. */
  readOnly: boolean;
  /** Register window. */
  base: bigint;
  /** SPI (GIC INTID). */
  irq: number;
}

/** How the daemon ended. */
export type DevdExit = { reason: "stopped" } | { reason: "failed"; error: Error };

/** A running daemon. */
export interface Devd {
  /** The domain it serves from. */
  readonly domid: number;
  /** Settles when the daemon ended: `stop()`, or xenstore failed under it. */
  readonly done: Promise<DevdExit>;
  /** The virtio disks served now. */
  served(): ServedDevice[];
  /** Settles once every event seen so far has been handled. */
  idle(): Promise<void>;
  /** Stops watching and serving (xenstore is left as it is); settles when done. */
  stop(): Promise<void>;
}

/** The daemon could not start (no `domid` in xenstore, watches refused). */
export class DevdError extends XliteError {
  /** `message` says what is missing. */
  constructor(message: string) {
    super(`devd: ${message}`);
    this.name = "DevdError";
  }
}

/** This domain's id, as libxl's `libxl__get_domid` reads it: the relative node `domid`. */
export async function readOwnDomid(xs: XenstoreClient): Promise<number> {
  const text = await xs.tryRead("domid");
  if (text === undefined || !/^\d+$/.test(text)) {
    throw new DevdError(
      `unable to get domain id (xenstore 'domid' is ${
        text === undefined ? "missing" : `'${text}'`
      })`,
    );
  }
  return Number(text);
}

type DiskStatus = "starting" | "serving" | "failed" | "closed";

interface DiskEntry {
  path: string;
  domid: number;
  devid: number;
  status: DiskStatus;
  served?: ServedDisk;
}

const DECIMAL = /^\d+$/;

function text(error: unknown): string {
  return (error instanceof Error ? error.message : String(error)).split("\n")[0];
}

/** Starts the daemon: watches set, devices already present looked at. */
export async function startDevd<I extends BlockImage>(options: DevdOptions<I>): Promise<Devd> {
  const { xs, domid, parts, log } = options;
  const home = domainPath(domid);
  const virtioRoot = `${home}/backend/virtio_disk`;
  const hotplug = options.hotplug ?? domid !== 0;
  const disks = new Map<string, DiskEntry>();
  const reportedIdle = new Set<string>();
  const aliveSeen = new Set<number>();
  const queue = createTaskQueue((key, error) =>
    log.error(`${key}: internal error: ${text(error)}`, { backend: key })
  );
  const pool: CarrierPool = createCarrierPool(
    parts.openCarrier,
    (fe, error) =>
      log.warn(`closing the carrier of domain ${fe} failed: ${text(error)}`, { domid: fe }),
  );
  const vbd = hotplug ? createVbdHotplug(xs, domid, log, options.vbd) : undefined;
  let stopping = false;

  const fields = (e: { path: string; domid: number; devid: number }) => ({
    domid: e.domid,
    devid: e.devid,
    backend: e.path,
  });

  /** Backend `state=6`, unless the directory is gone or already closed. */
  const writeClosed = async (path: string) => {
    await xs.transaction(async (tx) => {
      const state = await tx.tryRead(`${path}/state`);
      if (state === undefined || cAtoi(state) === XenbusStateClosed) return;
      await tx.write(`${path}/state`, String(XenbusStateClosed));
    });
  };

  const teardown = (entry: DiskEntry) => {
    entry.served?.stop();
    entry.served = undefined;
  };

  const start = async (entry: DiskEntry) => {
    entry.status = "starting";
    const { path } = entry;
    await clearBackendError(xs, path);
    let served: ServedDisk;
    try {
      const disk = parseVirtioDisk(
        path,
        entry.domid,
        entry.devid,
        await readVirtioDiskValues(xs, path),
      );
      served = await serveVirtioDisk(disk, pool, parts, {
        onFault: (error) => {
          const why = `device model failed: ${text(error)}; the device no longer answers`;
          log.error(`${path}: ${why}`, fields(entry));
          // xenbus_dev_error: the error node, no state change
          xs.write(backendErrorPath(path), `${ERRNO.EIO} ${why}`).catch(() => {});
        },
        deviceLog: (line) => log.warn(`${path}: ${line}`, fields(entry)),
      });
    } catch (error) {
      const errno = error instanceof BackendConfigError ? error.errno : errnoOf(error);
      log.error(`${path}: not served: ${text(error)}`, { ...fields(entry), errno });
      entry.status = "failed";
      await reportBackendFatal(xs, path, errno, text(error));
      return;
    }
    entry.served = served;
    entry.status = "serving";
    // InitWait only now, and only if nobody moved the device on meanwhile (spec §2.6).
    let initWait: boolean;
    try {
      initWait = await xs.transaction(async (tx) => {
        const [state, online] = [
          await tx.tryRead(`${path}/state`),
          await tx.tryRead(`${path}/online`),
        ];
        if (state === undefined || cAtoi(state) !== XenbusStateInitialising) return false;
        if (online !== undefined && cAtoi(online) === 0) return false;
        await tx.write(`${path}/state`, String(XenbusStateInitWait));
        return true;
      });
    } catch (error) {
      teardown(entry); // never served without the handshake
      entry.status = "closed";
      throw error;
    }
    const d = served.disk;
    log.info(
      `${path}: serving ${d.params} (${
        d.readOnly ? "r" : "w"
      }, ${served.sizeBytes} bytes) to domain ${d.frontendDomid}${
        d.vdev ? ` as ${d.vdev}` : ""
      } at base 0x${d.base.toString(16)} irq ${d.irq}`,
      { ...fields(entry), base: `0x${d.base.toString(16)}`, irq: d.irq },
    );
    if (await xs.isDomainIntroduced(entry.domid)) aliveSeen.add(entry.domid);
    if (!initWait) await reconcile(entry.domid, entry.devid); // moved on: look again
  };

  const finishRemoval = async (entry: DiskEntry) => {
    // libxl__device_destroy: a driver domain removes what it can of the backend directory.
    if (domid === 0) return;
    await destroyDevice(xs, {
      domid: entry.domid,
      devid: entry.devid,
      backendDomid: domid,
      kind: "virtio_disk",
      backendKind: "virtio_disk",
    }, domid);
  };

  /** Brings the daemon's view of one device in line with its backend directory. */
  const reconcile = async (fe: number, devid: number) => {
    if (stopping) return;
    const path = `${virtioRoot}/${fe}/${devid}`;
    const [stateText, onlineText] = await Promise.all([
      xs.tryRead(`${path}/state`),
      xs.tryRead(`${path}/online`),
    ]);
    let entry = disks.get(path);
    if (stateText === undefined) {
      // the directory went away (device removed, domain cleaned up)
      reportedIdle.delete(path);
      if (entry === undefined) return;
      disks.delete(path);
      if (entry.status === "serving") {
        teardown(entry);
        log.info(`${path}: backend directory removed; no longer served`, fields(entry));
      }
      await clearBackendError(xs, path);
      return;
    }
    const state = cAtoi(stateText);
    const offline = onlineText !== undefined && cAtoi(onlineText) === 0;
    if (entry?.status === "serving") {
      if (state === XenbusStateInitialising && !offline) {
        // the toolstack wrote the device again (remove and add in one transaction)
        teardown(entry);
        log.info(`${path}: written again; serving it afresh`, fields(entry));
        await start(entry);
        return;
      }
      if (!offline && state !== XenbusStateClosing) return;
      teardown(entry);
      entry.status = "closed";
      await writeClosed(path);
      log.info(`${path}: closed (${offline ? "online=0" : "state=5"})`, fields(entry));
      if (offline) await finishRemoval(entry);
      return;
    }
    if (state === XenbusStateInitialising && !offline) {
      entry ??= { path, domid: fe, devid, status: "starting" };
      disks.set(path, entry);
      reportedIdle.delete(path);
      await start(entry);
      return;
    }
    if (entry === undefined) {
      if (!reportedIdle.has(path)) {
        reportedIdle.add(path);
        log.warn(`${path}: in state ${stateText}, not 1: left alone`, {
          domid: fe,
          devid,
          backend: path,
        });
      }
      return;
    }
    // a failed or released device: answer the toolstack's removal
    if (offline) {
      await writeClosed(path);
      entry.status = "closed";
      await finishRemoval(entry);
    }
  };

  const scheduleDevice = (fe: number, devid: number) =>
    queue.coalesce(`${virtioRoot}/${fe}/${devid}`, () => reconcile(fe, devid));

  const listNumeric = async (path: string): Promise<string[]> => {
    try {
      return (await xs.directory(path)).filter((n) => DECIMAL.test(n));
    } catch {
      return []; // not there (yet)
    }
  };

  const rescan = async (onlyFe?: number) => {
    const fes = onlyFe === undefined ? (await listNumeric(virtioRoot)).map(Number) : [onlyFe];
    const found: Promise<void>[] = [];
    for (const fe of fes) {
      for (const devid of await listNumeric(`${virtioRoot}/${fe}`)) {
        found.push(scheduleDevice(fe, Number(devid)));
      }
    }
    for (const entry of disks.values()) {
      if (onlyFe === undefined || entry.domid === onlyFe) {
        found.push(scheduleDevice(entry.domid, entry.devid));
      }
    }
    await Promise.all(found);
  };

  const onVirtioEvent = (path: string) => {
    const rest = path.startsWith(`${virtioRoot}/`)
      ? path.slice(virtioRoot.length + 1).split("/")
      : [];
    if (rest.length >= 2 && DECIMAL.test(rest[0]) && DECIMAL.test(rest[1])) {
      scheduleDevice(Number(rest[0]), Number(rest[1]));
    } else if (rest.length === 1 && DECIMAL.test(rest[0])) {
      queue.coalesce(`rescan/${rest[0]}`, () => rescan(Number(rest[0])));
    } else {
      queue.coalesce("rescan", () => rescan());
    }
  };

  /**
   * Which frontends still exist, asked of xenstored (`XS_IS_DOMAIN_INTRODUCED`, open to any
   * domain): one seen alive and no longer introduced died; release all it held.
   */
  const onDomainsChanged = async () => {
    const fes = new Set([...disks.values()].map((e) => e.domid));
    for (const fe of fes) {
      if (await xs.isDomainIntroduced(fe)) {
        aliveSeen.add(fe);
        continue;
      }
      if (!aliveSeen.has(fe)) continue;
      aliveSeen.delete(fe);
      const mine = [...disks.values()].filter((e) => e.domid === fe);
      await Promise.all(mine.map((e) =>
        queue.run(e.path, async () => {
          if (e.status !== "serving") return;
          teardown(e);
          e.status = "closed";
          await writeClosed(e.path);
        })
      ));
      pool.closeDomain(fe);
      log.info(`domain ${fe} is gone: released ${mine.length} device(s)`, { domid: fe });
    }
  };

  const onVbdEvent = (kind: string, path: string) => {
    const root = `${home}/backend/${kind}/`;
    if (!vbd || !path.startsWith(root)) return;
    const [fe, devid] = path.slice(root.length).split("/");
    if (!DECIMAL.test(fe ?? "") || !DECIMAL.test(devid ?? "")) return;
    // libxl reacts to changes of `state` and `online` only
    if (!path.endsWith("/state") && !path.endsWith("/online")) return;
    const backend = `${root}${fe}/${devid}`;
    queue.run(backend, () =>
      vbd.update(backend, {
        domid: Number(fe),
        devid: Number(devid),
        backendDomid: domid,
        kind: "vbd",
        backendKind: kind,
      }));
  };

  // Watches first, then the scan (the initial watch events do the scan), so nothing that
  // appears in between is missed.
  const watches: XenstoreWatch[] = [];
  const loops: Promise<void>[] = [];
  let resolveDone!: (exit: DevdExit) => void;
  const done = new Promise<DevdExit>((resolve) => (resolveDone = resolve));
  let failure: Error | undefined;

  const stop = async () => {
    if (stopping) return;
    stopping = true;
    await Promise.all(watches.map((w) => w.close().catch(() => {})));
    await Promise.all(loops);
    await queue.idle();
    await vbd?.settled();
    for (const entry of disks.values()) teardown(entry);
    pool.closeAll();
    resolveDone(failure ? { reason: "failed", error: failure } : { reason: "stopped" });
  };

  const follow = (watch: XenstoreWatch, handle: (path: string) => void) => {
    loops.push((async () => {
      try {
        for await (const event of watch) {
          try {
            handle(event.path);
          } catch (error) {
            log.error(`watch ${watch.path}: internal error: ${text(error)}`);
          }
        }
      } catch (error) {
        if (stopping) return;
        failure = new DevdError(`xenstore failed under the daemon: ${text(error)}`);
        log.error(failure.message);
        stop();
      }
    })());
  };

  try {
    watches.push(await xs.watch(virtioRoot));
    follow(watches[0], onVirtioEvent);
    if (vbd) {
      for (const kind of HOTPLUG_DISK_KINDS) {
        const watch = await xs.watch(`${home}/backend/${kind}`);
        watches.push(watch);
        follow(watch, (path) => onVbdEvent(kind, path));
      }
    }
    // @introduceDomain too: a frontend introduced after its disks were served is seen alive.
    for (const special of ["@releaseDomain", "@introduceDomain"]) {
      const watch = await xs.watch(special);
      watches.push(watch);
      follow(watch, () => void queue.coalesce("domains", onDomainsChanged));
    }
  } catch (error) {
    stopping = true;
    await Promise.all(watches.map((w) => w.close().catch(() => {})));
    throw new DevdError(`cannot watch ${home}/backend: ${text(error)}`);
  }
  log.info(
    `serving ${virtioRoot} for domain ${domid}${
      hotplug ? "; running PV disk hotplug scripts" : ""
    }`,
    { domid },
  );

  return {
    domid,
    done,
    served: () =>
      [...disks.values()].filter((e) => e.status === "serving" && e.served).map((e) => {
        const d = e.served!.disk;
        return {
          backend: e.path,
          domid: e.domid,
          devid: e.devid,
          params: d.params,
          readOnly: d.readOnly,
          base: d.base,
          irq: d.irq,
        };
      }),
    async idle() {
      await queue.idle();
      await vbd?.settled();
      await queue.idle();
    },
    stop,
  };
}
