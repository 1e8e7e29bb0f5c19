/**
 * Shared by the devd tests: a real xenstored with dom0 and guests 5 and 6 introduced, the
 * toolstack side written with lib/devices (as `xlite create`/`block-attach` write it), and
 * stand-ins for what the host cannot provide:
 * - `standInCarrier`: there is no hypervisor here, so the IOREQ server and foreign mappings
 *   are a stand-in that records what the daemon asks of it (the real carrier is proven in the
 *   testbed);
 * - `standInDevice`: the virtio-blk device model lives on another branch; this stand-in
 *   answers the magic register and can be told to throw;
 * - `openTestImage`: opens a real file, as the device model's opener does.
 */
import { startXenstored, type Xenstored } from "../support/xenstored.ts";
import { openXenstore, type XenstoreClient } from "../../lib/xenstore/mod.ts";
import { parseDiskSpec, setDiskDefaults } from "../../lib/disk/mod.ts";
import { type DeviceAddPlan, planDiskAdd, writeDevice } from "../../lib/devices/mod.ts";
import type { FrontendCarrier } from "../../lib/devd/carrier.ts";
import type {
  BlockImage,
  DevdParts,
  VirtioBlkOptions,
  VirtioMmioDevice,
} from "../../lib/devd/device_model.ts";
import { createDevdLog } from "../../lib/devd/log.ts";
import { type Devd, startDevd } from "../../lib/devd/daemon.ts";
import type { MmioHandler } from "../../lib/virtio_backend/interfaces.ts";
import { seedDomains } from "../devices/helpers.ts";

/** What the daemon asked of the stand-in carrier, in order. */
export type CarrierEvent =
  | { op: "open"; domid: number }
  | { op: "add"; domid: number; base: bigint; irq: number }
  | { op: "remove"; domid: number; base: bigint }
  | { op: "close"; domid: number };

/** A stand-in for the Xen carrier (no hypervisor on the host). */
export interface StandInCarrier {
  /** The `openCarrier` part. */
  open(domid: number): Promise<FrontendCarrier>;
  /** Everything asked, in order. */
  events: CarrierEvent[];
  /** The routed windows: `<domid>:<base hex>` → handler. */
  windows: Map<string, MmioHandler>;
  /** Domains whose open fails (as for a domain that is not running). */
  failOpen: Set<number>;
  /** Delay before an open completes, to widen races the daemon must not lose. */
  openDelayMs: number;
}

/** Makes a stand-in carrier. */
export function standInCarrier(): StandInCarrier {
  const self: StandInCarrier = {
    events: [],
    windows: new Map(),
    failOpen: new Set(),
    openDelayMs: 0,
    async open(domid) {
      self.events.push({ op: "open", domid });
      if (self.openDelayMs > 0) await new Promise((r) => setTimeout(r, self.openDelayMs));
      if (self.failOpen.has(domid)) throw new Error(`domain ${domid} has no IOREQ server here`);
      return {
        domid,
        memory: { view: () => null, read: () => false, write: () => false },
        addDevice(base, size, irq, handler) {
          const key = `${domid}:${base.toString(16)}`;
          if (self.windows.has(key)) throw new Error(`window ${key} taken`);
          if (size !== 0x200) throw new Error(`window size ${size}`);
          self.events.push({ op: "add", domid, base, irq });
          self.windows.set(key, handler);
          return { raise() {} };
        },
        removeDevice(base) {
          self.events.push({ op: "remove", domid, base });
          self.windows.delete(`${domid}:${base.toString(16)}`);
        },
        close() {
          self.events.push({ op: "close", domid });
        },
      };
    },
  };
  return self;
}

/** virtio-mmio's magic value ("virt"), which the stand-in device answers at offset 0. */
export const VIRTIO_MMIO_MAGIC = 0x74726976n;

/** The stand-in devices made so far, and a switch to make new ones throw. */
export interface StandInDevices {
  /** The `createDevice` part. */
  create(options: VirtioBlkOptions): VirtioMmioDevice;
  /** Options each device was made with, and whether it was closed. */
  made: { options: VirtioBlkOptions; closed: boolean }[];
  /** Images (by path) whose devices throw on every access. */
  throwing: Set<string>;
}

/** Makes the stand-in device model. */
export function standInDevices(): StandInDevices {
  const self: StandInDevices = {
    made: [],
    throwing: new Set(),
    create(options) {
      const record = { options, closed: false };
      self.made.push(record);
      const check = () => {
        if (self.throwing.has(options.image.path)) throw new TypeError("stand-in device blew up");
      };
      return {
        read(offset) {
          check();
          return offset === 0 ? VIRTIO_MMIO_MAGIC : 0n;
        },
        write() {
          check();
        },
        reset() {},
        close() {
          record.closed = true;
        },
      };
    },
  };
  return self;
}

/** Opens a real image file (raw), as the device model's opener does. */
export function openTestImage(path: string, options: { readOnly: boolean }): BlockImage {
  const file = Deno.openSync(path, { read: true, write: !options.readOnly });
  const size = file.statSync().size;
  return { path, sizeBytes: BigInt(size), readOnly: options.readOnly, close: () => file.close() };
}

/** Polls `check` until it returns true (or fails after `ms`). */
export async function eventually(
  what: string,
  check: () => boolean | Promise<boolean>,
  ms = 5000,
): Promise<void> {
  const end = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > end) throw new Error(`timed out waiting for: ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** A test host: real xenstored, guests 5 and 6 introduced, images, and a daemon. */
export interface DevdHost {
  /** The daemon process's store. */
  xsd: Xenstored;
  /** The toolstack's connection. */
  xs: XenstoreClient;
  /** The daemon. */
  devd: Devd;
  /** Its carrier stand-in. */
  carrier: StandInCarrier;
  /** Its device stand-ins. */
  devices: StandInDevices;
  /** Its log lines (JSON). */
  lines: string[];
  /** Parsed log records. */
  records(): Record<string, unknown>[];
  /** Image files `img0`.. of 1 MiB each. */
  images: string[];
  /** The plan for a virtio disk of `domid` (`spec` without the target). */
  virtioDisk(
    domid: number,
    image: string,
    vdev: string,
    base: bigint,
    irq: number,
    mode?: "rw" | "ro",
  ): DeviceAddPlan;
  /** Writes a plan as the toolstack does, with `edit` applied to its backend values. */
  write(plan: DeviceAddPlan, edit?: Record<string, string | null>): Promise<void>;
  /** Kills guest `domid` as the hypervisor would: xenstored then fires `@releaseDomain`. */
  killDomain(domid: number): Promise<void>;
  [Symbol.asyncDispose](): Promise<void>;
}

/** Starts the host; `domid` is the daemon's own domain (0, or a driver domain). */
export async function devdHost(
  options: { flavour?: "c" | "ocaml"; domid?: number; introduce?: number[] } = {},
): Promise<DevdHost> {
  const alive = new Set([0, 1, 5, 6]);
  const xsd = await startXenstored({ flavour: options.flavour ?? "c", domains: "0 1 5 6" });
  const xs = await openXenstore({ path: xsd.socketPath });
  const daemonXs = await openXenstore({ path: xsd.socketPath });
  await seedDomains(xs, { 1: "driver", 5: "guest5", 6: "guest6" });
  for (const domid of options.introduce ?? [5, 6]) {
    await xs.introduceDomain(domid, 0x100 + domid, domid);
  }
  const dir = await Deno.makeTempDir({ prefix: "xlite-devd-test-" });
  const images: string[] = [];
  for (let i = 0; i < 4; i++) {
    const path = `${dir}/img${i}`;
    await Deno.writeFile(path, new Uint8Array(1 << 20));
    images.push(path);
  }
  const carrier = standInCarrier();
  const devices = standInDevices();
  const lines: string[] = [];
  const parts: DevdParts = {
    openCarrier: carrier.open,
    openImage: openTestImage,
    createDevice: devices.create,
  };
  const backendDomid = options.domid ?? 0;
  const devd = await startDevd({
    xs: daemonXs,
    domid: backendDomid,
    parts,
    log: createDevdLog({ json: true, write: (line) => lines.push(line) }),
    vbd: { initTimeoutMs: 5000, scriptTimeoutMs: 5000 },
  });
  return {
    xsd,
    xs,
    devd,
    carrier,
    devices,
    lines,
    images,
    records: () => lines.map((l) => JSON.parse(l)),
    virtioDisk(domid, image, vdev, base, irq, mode = "rw") {
      const disk = setDiskDefaults(
        { ...parseDiskSpec(`${image},raw,${vdev},${mode},specification=virtio`), backendDomid },
        { hotplug: false },
      );
      [disk.base, disk.irq] = [base, irq];
      return planDiskAdd(disk, domid);
    },
    async write(plan, edit = {}) {
      const seen = new Set<string>();
      const ops = plan.ops.flatMap((op) => {
        if (op.op !== "write" || !op.path.startsWith(`${plan.paths.backend}/`)) return [op];
        const key = op.path.slice(plan.paths.backend.length + 1);
        seen.add(key);
        if (!(key in edit)) return [op];
        return edit[key] === null ? [] : [{ ...op, value: edit[key]! }];
      });
      for (const [key, value] of Object.entries(edit)) {
        if (!seen.has(key) && value !== null) {
          ops.push({ op: "write", path: `${plan.paths.backend}/${key}`, value });
        }
      }
      await writeDevice(xs, { ...plan, ops });
    },
    async killDomain(domid) {
      alive.delete(domid);
      await Deno.writeTextFile(`${xsd.dir}/domains`, [...alive].join(" "));
      Deno.kill(xsd.pid, "SIGUSR2");
    },
    async [Symbol.asyncDispose]() {
      await devd.stop();
      daemonXs.close();
      xs.close();
      await xsd.stop();
      await Deno.remove(dir, { recursive: true });
    },
  };
}
