/**
 * The watcher: what xl's per-guest child does after `xl create` (xl_vmcontrol.c
 * `create_domain` from "Waiting for domain … to die"): wait for the guest to shut down, then
 * carry out its `on_*` action (`lifecycle.ts` decides; here it is done on the real domain):
 * destroy, re-create from the stored config (`reload_domain_config`: the config
 * `xlite list -l` prints, refreshed), rename-restart (`preserve_domain`), preserve.
 *
 * Design: ONE watcher process for every guest xlite started, not one per guest as xl forks.
 * The watcher, an aarch64 deno process, is 37-39 MB resident idle and 68-107 MB once it has
 * re-created guests and dumped a core (the build code loaded, heaps grown), while a guest's
 * own state is a few kB (testbed `lifecycle_actions`, Xen 4.17 and 4.20; xl's C child
 * measured 44 MB resident under xl 4.17 and 12 MB under 4.20); one deno per guest would cost
 * a small board 40-100 MB per guest, more than the guests themselves. The guests to watch are files in
 * {@linkcode WATCH_DIR} (one per domid, written by `xlite create` after the build, removed
 * when the watch ends), so the watcher acts only on guests xlite started, never on xl's
 * (xl's own child watches those). The state is read from Xen each time (a guest that shut
 * down before the watcher looked is still found shut down), so no event can be missed; the
 * watcher wakes on `@releaseDomain` (xenstored fires it on every shutdown and death) and
 * every few seconds anyway. One flock'ed lock file makes one watcher the only actor; it exits
 * once no guest is left (see `runWatcher`).
 *
 * @module
 */
import type { DomainConfig } from "../config/mod.ts";
import type { XenCtrl } from "../xen/mod.ts";
import type { XenstoreClient } from "../xenstore/mod.ts";
import type { JsonValue } from "../json/mod.ts";
import { parseMac } from "../devices/nic.ts";
import { destroyDomain } from "./destroy.ts";
import {
  CORE_DUMP_FAILED_LINE,
  coreDump,
  decideShutdown,
  destroyedLine,
  dumpsCore,
  EXITING_LINE,
  type LifecycleActions,
  preserveSuffix,
  preservingLine,
  REBOOTING_LINE,
  RESTART_DELAY_MS,
  waitingLine,
} from "./lifecycle.ts";
import { type JsonObject, retrieveDomainConfig } from "./retrieve_config.ts";

/** Where `xlite create` records the guests the watcher looks after (tmpfs: gone at boot). */
export const WATCH_DIR = "/run/xlite/watch";
/** The watcher's lock (held while it runs) and pid file. */
export const WATCH_LOCK = "/run/xlite/watch.lock";
/** The running watcher's pid. */
export const WATCH_PIDFILE = "/run/xlite/watch.pid";

/** A guest being watched: what xl's child keeps in memory (`d_config`, the domid). */
export interface WatchedGuest {
  /** The current domain. */
  domid: number;
  /** Its uuid (a domid reused by another domain is not ours). */
  uuid: string;
  /** Its name when it was created. */
  name: string;
  /** The config file name (for messages: `Parsing config from`). */
  source: string;
  /** The config file's text as read at the first create. */
  configText: string;
  /** The `KEY=VALUE` overrides given at the first create. */
  overrides: string[];
  /** The `on_*` actions. */
  actions: LifecycleActions;
  /** The guest's log (xl's `/var/log/xen/xl-<name>.log`), named at the first create. */
  logFile: string;
}

/** The log file of a guest named `name` (beside xl's `xl-<name>.log`). */
export function guestLogFile(name: string): string {
  return `/var/log/xen/xlite-${name}.log`;
}

/** Records `guest` for the watcher (written to a temp file and renamed into place). */
export async function registerGuest(guest: WatchedGuest, dir = WATCH_DIR): Promise<void> {
  await Deno.mkdir(dir, { recursive: true, mode: 0o700 });
  const path = `${dir}/${guest.domid}.json`;
  await Deno.writeTextFile(`${path}.new`, JSON.stringify(guest), { mode: 0o600 });
  await Deno.rename(`${path}.new`, path);
}

/** Forgets domain `domid`. */
export async function unregisterGuest(domid: number, dir = WATCH_DIR): Promise<void> {
  await Deno.remove(`${dir}/${domid}.json`).catch(() => {});
}

/** The guests recorded, in domid order (unreadable records are skipped). */
export async function registeredGuests(dir = WATCH_DIR): Promise<WatchedGuest[]> {
  const guests: WatchedGuest[] = [];
  try {
    for await (const entry of Deno.readDir(dir)) {
      if (!/^\d+\.json$/.test(entry.name)) continue;
      try {
        guests.push(JSON.parse(await Deno.readTextFile(`${dir}/${entry.name}`)));
      } catch {
        // being replaced
      }
    }
  } catch (error) {
    if (!(error instanceof Deno.errors.NotFound)) throw error;
  }
  return guests.sort((a, b) => a.domid - b.domid);
}

/** The new domain of a restart. */
export interface Recreated {
  /** Its domid. */
  domid: number;
  /** Its uuid. */
  uuid: string;
  /** Its name. */
  name: string;
  /** Its actions. */
  actions: LifecycleActions;
}

/** What the watcher acts through. */
export interface WatchContext {
  /** libxenctrl. */
  xc: XenCtrl;
  /** xenstore. */
  xs: XenstoreClient;
  /** A line of the guest's log. */
  log(guest: WatchedGuest, line: string): void;
  /** Creates the guest again from its stored text, refreshed by `reload`. */
  recreate(
    guest: WatchedGuest,
    reload: (parsed: DomainConfig) => DomainConfig,
  ): Promise<Recreated>;
  /** The watcher's pid (for the "Waiting for domain" line). */
  pid: number;
  /** Waits (xl's `sleep(2)`); tests pass a fake. */
  sleep?: (ms: number) => Promise<void>;
  /** The clock (the preserve suffix). */
  now?: () => Date;
  /** A line of the watcher's own log (details the guest's log has no room for). */
  say?: (line: string) => void;
}

/** The outcome of a look at a guest. */
export type GuestState =
  | { state: "running" }
  | { state: "done" }
  | { state: "restarted"; guest: WatchedGuest };

/**
 * `reload_domain_config`: the stored config (`libxl_retrieve_domain_configuration`: the
 * userdata refreshed with the name, memory and vCPUs as they are now) applied to the config
 * text: the name, uuid, memory, maxmem, online vCPUs and each nic's MAC as stored, so the
 * guest comes back as `xlite list -l` showed it. `undefined` when nothing was stored.
 */
export function reloadFromStored(
  stored: JsonValue | undefined,
): ((parsed: DomainConfig) => DomainConfig) | undefined {
  if (stored === undefined || stored === null || typeof stored !== "object") return undefined;
  const json = stored as JsonObject;
  const cInfo = (json.c_info ?? {}) as JsonObject;
  const bInfo = (json.b_info ?? {}) as JsonObject;
  const nics = (Array.isArray(json.nics) ? json.nics : []) as JsonObject[];
  return (parsed: DomainConfig): DomainConfig => {
    const out: DomainConfig = { ...parsed };
    if (typeof cInfo.name === "string") out.name = cInfo.name;
    if (typeof cInfo.uuid === "string") out.uuid = cInfo.uuid;
    const mib = (kb: JsonValue | undefined) =>
      typeof kb === "number" && kb > 0 && kb % 1024 === 0 ? kb / 1024 : undefined;
    out.memory = mib(bInfo.target_memkb) ?? out.memory;
    out.maxmem = mib(bInfo.max_memkb) ?? out.maxmem;
    if (Array.isArray(bInfo.avail_vcpus) && bInfo.avail_vcpus.length > 0) {
      out.vcpus = Math.min(bInfo.avail_vcpus.length, out.maxvcpus);
    }
    out.vifs = parsed.vifs.map((vif, i) => {
      const mac = typeof nics[i]?.mac === "string" ? parseMac(nics[i].mac as string) : undefined;
      return mac ? { ...vif, mac } : vif;
    });
    return out;
  };
}

/**
 * `libxl_domain_preserve`: the shut-down domain keeps running under `<name><suffix>` with a
 * fresh `/vm/<uuid>` (readable by the domain), so the name is free for the re-created guest.
 */
export async function preserveDomain(
  xs: XenstoreClient,
  domid: number,
  name: string,
  suffix: string,
  newUuid: string = crypto.randomUUID(),
): Promise<void> {
  const vm = `/vm/${newUuid}`;
  await xs.transaction(async (tx) => {
    await tx.tryRm(vm);
    await tx.mkdir(vm);
    await tx.setPermissions(vm, ["n0", `r${domid}`]);
    await tx.write(`/local/domain/${domid}/vm`, vm);
    await tx.write(`/local/domain/${domid}/name`, `${name}${suffix}`);
    await tx.write(`${vm}/name`, `${name}${suffix}`);
    await tx.write(`${vm}/uuid`, newUuid);
  });
}

/**
 * Looks at `guest`'s domain once and does what xl's child would on its event: nothing while
 * it runs; on a shutdown, the configured action; on its death, the end of the watch.
 */
export async function checkGuest(ctx: WatchContext, guest: WatchedGuest): Promise<GuestState> {
  const { xc, xs } = ctx;
  const log = (line: string) => ctx.log(guest, line);
  const info = xc.domainInfo(guest.domid);
  if (!info || info.dying || info.uuid !== guest.uuid) {
    log(destroyedLine(guest.domid));
    return { state: "done" };
  }
  if (!info.shutdown) return { state: "running" };
  const decision = decideShutdown(guest.domid, info.shutdownReason, guest.actions);
  // xl: the lines up to "Action for …", then the dump and the reload, then the rest.
  const split = decision.lines.findIndex((l) => l.startsWith("Action for shutdown")) + 1;
  for (const line of decision.lines.slice(0, split)) log(line);
  if (dumpsCore(decision.action)) {
    const core = coreDump(guest.name);
    log(core.line);
    try {
      await xc.dumpCore(guest.domid, core.path);
    } catch (error) {
      log(CORE_DUMP_FAILED_LINE);
      ctx.say?.(`domain ${guest.domid}: ${(error as Error).message}`);
    }
  }
  let reload: ((parsed: DomainConfig) => DomainConfig) | undefined;
  if (decision.restart === "restart" || decision.restart === "rename") {
    reload = reloadFromStored(await retrieveDomainConfig(xc, xs, info));
    if (reload === undefined) {
      log("failed to retrieve guest configuration (rc=-3). reusing old configuration");
    }
  }
  for (const line of decision.lines.slice(split)) log(line);
  if (decision.destroy || decision.restart === "soft-reset") {
    // Arm has no soft reset (arch_domain_soft_reset is -ENOSYS): libxl fails, xl destroys.
    if (decision.restart === "soft-reset") log("soft reset is not possible on Arm: destroying");
    try {
      const problems = await destroyDomain(xc, xs, guest.domid);
      for (const problem of problems) log(problem);
    } catch (error) {
      log(`destroying domain ${guest.domid} failed: ${(error as Error).message}`);
    }
  }
  if (decision.restart === "rename") {
    const suffix = preserveSuffix(ctx.now?.() ?? new Date());
    log(preservingLine(guest.domid, guest.name, suffix));
    try {
      await preserveDomain(xs, guest.domid, guest.name, suffix);
    } catch (error) {
      // xl: "If we fail then exit leaving the old domain in place."
      log(`preserving domain ${guest.domid} failed: ${(error as Error).message}`);
      return { state: "done" };
    }
  }
  if (decision.restart !== "restart" && decision.restart !== "rename") {
    log(EXITING_LINE);
    return { state: "done" };
  }
  log(REBOOTING_LINE);
  await (ctx.sleep ?? ((ms) => new Promise((r) => setTimeout(r, ms))))(RESTART_DELAY_MS);
  let next: Recreated;
  try {
    next = await ctx.recreate(guest, reload ?? ((parsed) => parsed));
  } catch (error) {
    // xl: a failed re-create ends the child (libxl destroyed what it had built).
    log(`re-creating ${guest.name} failed: ${(error as Error).message}`);
    return { state: "done" };
  }
  log(waitingLine(next.name, next.domid, ctx.pid));
  return {
    state: "restarted",
    guest: { ...guest, domid: next.domid, uuid: next.uuid, actions: next.actions },
  };
}

/** Waits for `@releaseDomain` (any shutdown or death) or `ms`, whichever comes first. */
export async function nextWake(
  events: AsyncIterator<unknown>,
  pending: { event?: Promise<unknown> },
  ms: number,
): Promise<void> {
  pending.event ??= events.next();
  let timer: ReturnType<typeof setTimeout> | undefined;
  const tick = new Promise<"tick">((resolve) => (timer = setTimeout(() => resolve("tick"), ms)));
  const woke = await Promise.race([pending.event.then(() => "event" as const), tick]);
  clearTimeout(timer);
  if (woke === "event") pending.event = undefined;
}

/**
 * `xl create -F`: watches one guest in this process until the watch ends (through any
 * number of restarts, as xl's loop does).
 */
export async function watchGuest(ctx: WatchContext, guest: WatchedGuest): Promise<void> {
  const watch = await ctx.xs.watch("@releaseDomain");
  const pending: { event?: Promise<unknown> } = {};
  try {
    let current = guest;
    for (;;) {
      const state = await checkGuest(ctx, current);
      if (state.state === "done") return;
      if (state.state === "restarted") current = state.guest;
      else await nextWake(watch, pending, 5000);
    }
  } finally {
    await watch.close();
  }
}

/** Options of {@linkcode runWatcher}. */
export interface RunWatcherOptions {
  /** The registry (default {@linkcode WATCH_DIR}). */
  dir?: string;
  /** The pid file (default {@linkcode WATCH_PIDFILE}). */
  pidFile?: string;
  /** How often to look without an event (default 5 s). */
  intervalMs?: number;
  /** A line of the watcher's own log. */
  say?: (line: string) => void;
}

/**
 * The watcher daemon's loop, run while holding the lock: each recorded guest looked at on
 * every `@releaseDomain` and every `intervalMs`; a failure with one guest is logged and does
 * not stop the others. With no guest left it removes its pid file and looks once more (a
 * create that saw the pid file before then has already recorded its guest), then returns.
 */
export async function runWatcher(ctx: WatchContext, options: RunWatcherOptions = {}) {
  const dir = options.dir ?? WATCH_DIR;
  const pidFile = options.pidFile ?? WATCH_PIDFILE;
  const say = options.say ?? (() => {});
  const writePid = () => Deno.writeTextFileSync(pidFile, `${ctx.pid}\n`, { mode: 0o600 });
  writePid();
  const watch = await ctx.xs.watch("@releaseDomain");
  const pending: { event?: Promise<unknown> } = {};
  const greeted = new Set<number>();
  try {
    for (;;) {
      let guests = await registeredGuests(dir);
      if (guests.length === 0) {
        await Deno.remove(pidFile).catch(() => {});
        guests = await registeredGuests(dir);
        if (guests.length === 0) return;
        writePid();
      }
      for (const guest of guests) {
        try {
          if (!greeted.has(guest.domid)) {
            ctx.log(guest, waitingLine(guest.name, guest.domid, ctx.pid));
          }
          greeted.add(guest.domid);
          const state = await checkGuest(ctx, guest);
          if (state.state === "restarted") {
            greeted.add(state.guest.domid);
            await registerGuest(state.guest, dir);
            await unregisterGuest(guest.domid, dir);
          } else if (state.state === "done") {
            await unregisterGuest(guest.domid, dir);
          }
        } catch (error) {
          say(`domain ${guest.domid} (${guest.name}): ${(error as Error).message}`);
        }
      }
      await nextWake(watch, pending, options.intervalMs ?? 5000);
    }
  } finally {
    await watch.close();
  }
}

/** The usual {@linkcode WatchContext.recreate}: `createDomain` from the stored text. */
export async function recreateGuest(
  xc: XenCtrl,
  xs: XenstoreClient,
  guest: WatchedGuest,
  reload: (parsed: DomainConfig) => DomainConfig,
): Promise<Recreated> {
  const [{ openDomainBuilder }, { createDomain }] = await Promise.all([
    import("../xen/domain_builder.ts"),
    import("./create.ts"),
  ]);
  const builder = openDomainBuilder();
  try {
    const created = await createDomain({ xc, xs, builder }, guest.source, {
      configText: guest.configText,
      overrides: guest.overrides,
      reload,
    });
    return {
      domid: created.domid,
      uuid: created.uuid,
      name: created.name,
      actions: created.actions,
    };
  } finally {
    builder.close();
  }
}
