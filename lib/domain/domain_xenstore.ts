/**
 * The xenstore side of domain creation: what libxl 4.17 writes for a new domain, in libxl's
 * order, executed in ONE transaction — `libxl__domain_make` (the domain, `/vm/<uuid>` and
 * `/libxl/<domid>` directories and their permissions), `store_libxl_entry` (`dm-version`),
 * `libxl__build_post` (memory, store ring, vCPU availability, `start_time`), then
 * `libxl__device_vuart_add` (with `vuart="sbsa_uart"`) and `libxl__device_console_add`
 * (console 0, served by xenconsoled). Then XS_INTRODUCE, and the cleanup of all of it.
 *
 * Disks and virtio devices are not written here: `lib/devices` adds them afterwards, as
 * libxl does (spec §2.8).
 *
 * @module
 */
import type { DomainConfig } from "../config/mod.ts";
import {
  applyXenstoreOp,
  nodesAfter,
  XenbusStateInitialising,
  type XenstoreClient,
  type XenstoreOp,
  type XenstoreOps,
  type XenstoreWrite,
  type XsPermission,
} from "../xenstore/mod.ts";
import { destroyDevice } from "../devices/mod.ts";
import { XliteError } from "../errors.ts";
import { recordedDevices } from "./destroy.ts";

/** `LIBXL_XENCONSOLE_LIMIT` (libxl_internal.h): bytes xenconsoled buffers per console. */
export const LIBXL_XENCONSOLE_LIMIT = 1048576;
/** `LIBXL_XENCONSOLE_PROTOCOL` (libxl_internal.h). */
export const LIBXL_XENCONSOLE_PROTOCOL = "vt100";

/** A ring page and its event channel, as the domain builder allocated them. */
export interface RingInfo {
  /** Guest frame number of the ring page (libxl's `store_mfn` / `console_mfn` / `vuart_gfn`). */
  ringPfn: bigint | number;
  /** The unbound event channel port in the guest. */
  port: number;
}

/** What {@linkcode writeDomainXenstore} needs: the new domain and what the builder made. */
export interface DomainXenstoreParams {
  /** The new domain's id. */
  domid: number;
  /** Its name (`c_info.name`). */
  name: string;
  /** Its uuid, lower-case `8-4-4-4-12` (the `/vm/<uuid>` directory). */
  uuid: string;
  /** The parsed config (memory, vCPUs, vuart). */
  config: DomainConfig;
  /** Xenstore ring page (`store/ring-ref`). */
  storeRingPfn: bigint | number;
  /** Xenstore event channel (`store/port`). */
  storePort: number;
  /** PV console ring page (`console/ring-ref`). */
  consoleRingPfn: bigint | number;
  /** PV console event channel (`console/port`). */
  consolePort: number;
  /** The vpl011 ring and port; written only when the config has `vuart="sbsa_uart"`. */
  vuart?: RingInfo;
  /** The domain serving the consoles (libxl's `console_domid`; default 0). */
  consoleBackendDomid?: number;
  /** When the build finished, ms since the epoch (`/vm/<uuid>/start_time`; default now). */
  startTimeMs?: number;
  /** `b_info.device_model_version` (`/libxl/<domid>/dm-version`; default `qemu_xen`). */
  deviceModelVersion?: string;
}

const perm = (access: XsPermission["access"], domid: number): XsPermission => ({ access, domid });

/** `/vm/<uuid>/start_time`: seconds and hundredths, as libxl__domain_build formats it. */
export function startTimeValue(ms: number): string {
  const seconds = Math.floor(ms / 1000);
  const hundredths = Math.floor((ms - seconds * 1000) / 10);
  return `${seconds}.${String(hundredths).padStart(2, "0")}`;
}

/** The console's frontend directory: console 0 sits at `<dom>/console`, vuarts under `vuart/`. */
function consoleOps(
  kind: "console" | "vuart",
  domid: number,
  backendDomid: number,
  frontEntries: [string, string][],
  roFrontEntries: [string, string][],
): XenstoreOp[] {
  const frontend = kind === "console"
    ? `/local/domain/${domid}/console`
    : `/local/domain/${domid}/vuart/0`;
  const backend = `/local/domain/${backendDomid}/backend/${kind}/${domid}/0`;
  const libxl = `/libxl/${domid}/device/${kind}/0`;
  const frontendPerms = [perm("n", domid), perm("r", backendDomid)];
  // Console 0 and vuarts: the guest may only read its frontend (libxl__device_generic_add).
  const roPerms = [perm("n", backendDomid), perm("r", domid)];
  const backendPerms = [perm("n", backendDomid), perm("r", domid)];
  const back: [string, string][] = [
    ["frontend-id", String(domid)],
    ["online", "1"],
    ["state", String(XenbusStateInitialising)],
    ["protocol", LIBXL_XENCONSOLE_PROTOCOL],
  ];
  const ops: XenstoreOp[] = [
    { op: "rm", path: libxl },
    { op: "write", path: `${libxl}/frontend`, value: frontend },
    { op: "write", path: `${libxl}/backend`, value: backend },
    { op: "rm", path: frontend },
    { op: "mkdir", path: frontend },
    { op: "setPerms", path: frontend, perms: roPerms },
    { op: "write", path: `${frontend}/backend`, value: backend },
  ];
  for (const [key, value] of frontEntries) {
    const path = `${frontend}/${key}`;
    ops.push({ op: "write", path, value }, { op: "setPerms", path, perms: frontendPerms });
  }
  for (const [key, value] of roFrontEntries) {
    const path = `${frontend}/${key}`;
    ops.push({ op: "write", path, value }, { op: "setPerms", path, perms: roPerms });
  }
  ops.push(
    { op: "rm", path: backend },
    { op: "mkdir", path: backend },
    { op: "setPerms", path: backend, perms: backendPerms },
    { op: "write", path: `${backend}/frontend`, value: frontend },
  );
  for (const [key, value] of back) ops.push({ op: "write", path: `${backend}/${key}`, value });
  for (const [key, value] of back) ops.push({ op: "write", path: `${libxl}/${key}`, value });
  return ops;
}

/**
 * Every xenstore operation libxl 4.17 performs for a new domain, in its order (see the
 * module doc). Pure: nothing is sent.
 */
export function planDomainXenstore(params: DomainXenstoreParams): XenstoreOp[] {
  const { domid, name, uuid, config } = params;
  const dom = `/local/domain/${domid}`;
  const vm = `/vm/${uuid}`;
  const libxl = `/libxl/${domid}`;
  const roperm = [perm("n", 0), perm("r", domid)];
  const rwperm = [perm("n", domid)];
  const noperm = [perm("n", 0)];
  const ops: XenstoreOp[] = [];
  const mknod = (path: string, perms: XsPermission[]) =>
    ops.push({ op: "write", path, value: "" }, { op: "setPerms", path, perms });
  const write = (path: string, value: string) => ops.push({ op: "write", path, value });

  // libxl__domain_make
  ops.push({ op: "rm", path: dom });
  mknod(dom, roperm);
  ops.push({ op: "rm", path: vm });
  mknod(vm, roperm);
  ops.push({ op: "rm", path: libxl });
  mknod(libxl, noperm);
  mknod(`${libxl}/device`, noperm);
  write(`${dom}/vm`, vm);
  write(`${dom}/name`, name); // libxl__domain_rename
  write(`${vm}/name`, name);
  mknod(`${dom}/cpu`, roperm);
  mknod(`${dom}/memory`, roperm);
  mknod(`${dom}/device`, roperm);
  mknod(`${dom}/device/suspend/event-channel`, rwperm);
  mknod(`${dom}/control`, roperm);
  for (const key of ["shutdown", "feature-poweroff", "feature-reboot", "feature-suspend"]) {
    mknod(`${dom}/control/${key}`, rwperm);
  }
  mknod(`${dom}/control/sysrq`, rwperm);
  for (const key of ["data", "drivers", "feature", "attr", "error"]) mknod(`${dom}/${key}`, rwperm);
  write(`${vm}/uuid`, uuid);
  write(`${vm}/name`, name);
  write(`${dom}/control/platform-feature-multiprocessor-suspend`, "1");
  write(`${dom}/control/platform-feature-xs_reset_watches`, "1");
  write(`${libxl}/type`, config.type);
  // store_libxl_entry (libxl writes it right after its transaction; here it is inside)
  write(`${libxl}/dm-version`, params.deviceModelVersion ?? "qemu_xen");

  // libxl__build_post: memory (PVH: no target fudge, no video RAM), store ring, vCPUs
  write(`${dom}/memory/static-max`, String(config.maxmem * 1024));
  write(`${dom}/memory/target`, String(config.memory * 1024));
  write(`${dom}/memory/videoram`, "0");
  write(`${dom}/domid`, String(domid));
  write(`${dom}/store/port`, String(params.storePort));
  write(`${dom}/store/ring-ref`, String(params.storeRingPfn));
  for (let cpu = 0; cpu < config.maxvcpus; cpu++) {
    write(`${dom}/cpu/${cpu}/availability`, cpu < config.vcpus ? "online" : "offline");
  }
  write(`${vm}/start_time`, startTimeValue(params.startTimeMs ?? Date.now()));

  // domcreate_launch_dm (PV/PVH): the vuart first, then console 0
  const backendDomid = params.consoleBackendDomid ?? 0;
  if (config.vuart === "sbsa_uart") {
    if (!params.vuart) {
      throw new XliteError(`domain ${domid}: vuart="sbsa_uart" but no vuart ring was set up`);
    }
    ops.push(...consoleOps("vuart", domid, backendDomid, [], [
      ["port", String(params.vuart.port)],
      ["ring-ref", String(params.vuart.ringPfn)],
      ["limit", String(LIBXL_XENCONSOLE_LIMIT)],
      ["type", "xenconsoled"],
    ]));
  }
  ops.push(...consoleOps("console", domid, backendDomid, [["backend-id", String(backendDomid)]], [
    ["limit", String(LIBXL_XENCONSOLE_LIMIT)],
    ["type", "xenconsoled"],
    ["output", "pty"],
    ["tty", ""], // xenconsoled writes the pty's path
    ["port", String(params.consolePort)],
    ["ring-ref", String(params.consoleRingPfn)],
  ]));
  return ops;
}

/**
 * The nodes {@linkcode planDomainXenstore} leaves, each with its final value and permissions
 * (as `xenstore-ls -fp` would show them on a store where none of the paths existed).
 */
export function domainXenstoreNodes(params: DomainXenstoreParams): XenstoreWrite[] {
  return nodesAfter(planDomainXenstore(params));
}

/** The domid of another domain already called `name` (`libxl__domain_rename`'s check). */
async function domainNamed(
  tx: XenstoreOps,
  name: string,
  self: number,
): Promise<number | undefined> {
  const ids = await tx.tryDirectory("/local/domain");
  const names = await Promise.all(ids.map((id) => tx.tryRead(`/local/domain/${id}/name`)));
  const at = names.findIndex((n, i) => n === name && Number(ids[i]) !== self);
  return at < 0 ? undefined : Number(ids[at]);
}

/**
 * Writes everything libxl 4.17 writes in xenstore for a new domain (see
 * {@linkcode planDomainXenstore}) in ONE transaction, retried on conflict. Refuses, writing
 * nothing, when another domain already has the name (libxl's text:
 * `domain with name "<name>" already exists.`).
 *
 * @example
 * ```ts
 * await writeDomainXenstore(xs, { domid, name: config.name, uuid, config, storeRingPfn,
 *   storePort, consoleRingPfn, consolePort });
 * await introduceDomain(xs, domid, storeRingPfn, storePort);
 * ```
 */
export async function writeDomainXenstore(
  xs: XenstoreClient,
  params: DomainXenstoreParams,
): Promise<void> {
  const ops = planDomainXenstore(params);
  await xs.transaction(async (tx) => {
    if (params.name !== "" && (await domainNamed(tx, params.name, params.domid)) !== undefined) {
      throw new XliteError(`domain with name "${params.name}" already exists.`);
    }
    await Promise.all(ops.map((op) => applyXenstoreOp(tx, op)));
  });
}

/**
 * XS_INTRODUCE: tells xenstored about the domain's store ring and event channel, as
 * `libxl__build_post` does last (`xs_introduce_domain`). xenstored then fires
 * `@introduceDomain`.
 */
export async function introduceDomain(
  xs: XenstoreClient,
  domid: number,
  storeMfn: bigint | number,
  storePort: number,
): Promise<void> {
  await xs.introduceDomain(domid, storeMfn, storePort);
}

/**
 * Removes what creation wrote for `domid`, as libxl's destroy does for a domain whose
 * devices never connected: every device recorded under `/libxl/<domid>/device` (consoles
 * included) is removed at once (frontend, backend, libxl copy), then `/vm/<uuid>`,
 * `/local/domain/<domid>` and `/libxl/<domid>`. Absent paths are not an error, so it can
 * clean up after a creation that failed half-way.
 */
export async function removeDomainXenstore(xs: XenstoreClient, domid: number): Promise<void> {
  for (const device of await recordedDevices(xs, domid)) await destroyDevice(xs, device);
  const domainPath = `/local/domain/${domid}`;
  const vm = await xs.tryRead(`${domainPath}/vm`);
  if (vm) await xs.tryRm(vm);
  await xs.tryRm(domainPath);
  await xs.tryRm(`/libxl/${domid}`);
}
