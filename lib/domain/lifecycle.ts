/**
 * What xl does when a guest it watches shuts down (tools/xl/xl_vmcontrol.c
 * `handle_domain_death`, the `create_domain` event loop and `preserve_domain`, 4.17 and
 * 4.20): which `on_*` action applies to the reason the guest gave, the lines xl logs, and
 * what follows (destroy, restart, rename-restart, preserve). Pure decisions; `watch.ts`
 * carries them out on a real domain.
 *
 * xl has no restart-rate limit (4.17 and 4.20 alike): a guest that crashes in a loop is
 * re-created each time, after `sleep(2)` ("If this sleep is not there then domain
 * re-creation fails sometimes"); {@linkcode RESTART_DELAY_MS} is that pause.
 *
 * @module
 */
import type { DomainConfig, ShutdownAction } from "../config/mod.ts";
import {
  SHUTDOWN_crash,
  SHUTDOWN_poweroff,
  SHUTDOWN_reboot,
  SHUTDOWN_soft_reset,
  SHUTDOWN_suspend,
  SHUTDOWN_watchdog,
} from "../xen/domctl.ts";

/** xl's pause before re-creating a guest (`sleep(2)` after "Done. Rebooting now"). */
export const RESTART_DELAY_MS = 2000;

/** The `on_*` actions of one guest (`libxl_domain_config`'s `on_*` fields). */
export interface LifecycleActions {
  /** `on_poweroff` (default destroy). */
  onPoweroff: ShutdownAction;
  /** `on_reboot` (default restart). */
  onReboot: ShutdownAction;
  /** `on_watchdog` (default destroy). */
  onWatchdog: ShutdownAction;
  /** `on_crash` (default destroy). */
  onCrash: ShutdownAction;
  /** `on_soft_reset` (default soft-reset). */
  onSoftReset: ShutdownAction;
}

/** A parsed config's actions (`on_soft_reset` is not kept by the parser: xl's default). */
export function lifecycleActions(config: DomainConfig): LifecycleActions {
  return {
    onPoweroff: config.onPoweroff,
    onReboot: config.onReboot,
    onWatchdog: config.onWatchdog ?? "destroy",
    onCrash: config.onCrash,
    onSoftReset: "soft-reset",
  };
}

/**
 * What follows a shutdown (xl's `domain_restart_type`): nothing more (`none`: the watch
 * ends), a re-create (`restart`), the old domain kept under a new name and a re-create
 * (`rename`), a soft reset (`soft-reset`), or, for a suspended guest, nothing yet
 * (`suspended`: xl 4.17 stops watching, 4.20 keeps waiting).
 */
export type RestartKind = "none" | "restart" | "rename" | "soft-reset" | "suspended";

/** The decision for one shutdown. */
export interface ShutdownDecision {
  /** The action configured for the reason (`destroy` for an unknown reason). */
  action?: ShutdownAction;
  /** Whether the domain is destroyed now (destroy and restart). */
  destroy: boolean;
  /** What comes next. */
  restart: RestartKind;
  /** xl's log lines up to the destroy, in order. */
  lines: string[];
}

/** The action for a shutdown reason, or `undefined` for suspend. */
function actionFor(reason: number, actions: LifecycleActions): ShutdownAction | undefined {
  switch (reason) {
    case SHUTDOWN_poweroff:
      return actions.onPoweroff;
    case SHUTDOWN_reboot:
      return actions.onReboot;
    case SHUTDOWN_suspend:
      return undefined;
    case SHUTDOWN_crash:
      return actions.onCrash;
    case SHUTDOWN_watchdog:
      return actions.onWatchdog;
    case SHUTDOWN_soft_reset:
      return actions.onSoftReset;
    default:
      return "destroy";
  }
}

/**
 * xl's `handle_domain_death` for domain `domid` that shut down with `reason`: the lines it
 * logs and what it does. For `coredump-destroy`/`coredump-restart` the core is dumped (by the
 * caller: {@linkcode dumpsCore}, {@linkcode coreDump}) right after the "Action" line, then,
 * dumped or not ("No point crying over spilled milk"), the guest is destroyed or restarted.
 *
 * @example
 * ```ts
 * decideShutdown(5, 1, actions); // on_reboot=restart: destroy, then restart
 * ```
 */
export function decideShutdown(
  domid: number,
  reason: number,
  actions: LifecycleActions,
): ShutdownDecision {
  const lines = [`Domain ${domid} has shut down, reason code ${reason} 0x${reason.toString(16)}`];
  const action = actionFor(reason, actions);
  if (action === undefined) {
    lines.push("Domain has suspended.");
    return { destroy: false, restart: "suspended", lines };
  }
  if (reason > SHUTDOWN_soft_reset || reason < 0) {
    lines.push(`Unknown shutdown reason code ${reason}. Destroying domain.`);
  }
  lines.push(`Action for shutdown reason code ${reason} is ${action}`);
  // After the dump (the caller's), coredump-* go on as destroy and restart.
  const then = action === "coredump-destroy"
    ? "destroy"
    : action === "coredump-restart"
    ? "restart"
    : action;
  const cleanUp = `Domain ${domid} needs to be cleaned up: destroying the domain`;
  switch (then) {
    case "preserve":
      return { action, destroy: false, restart: "none", lines };
    case "rename-restart":
      return { action, destroy: false, restart: "rename", lines };
    case "restart":
      return { action, destroy: true, restart: "restart", lines: [...lines, cleanUp] };
    case "soft-reset":
      return { action, destroy: false, restart: "soft-reset", lines };
    default:
      return { action, destroy: true, restart: "none", lines: [...lines, cleanUp] };
  }
}

/** xl's line when it starts (and after each restart) watching a guest. */
export function waitingLine(name: string, domid: number, pid: number): string {
  return `Waiting for domain ${name} (domid ${domid}) to die [pid ${pid}]`;
}

/** xl's line when the watched domain is gone (destroyed by someone else). */
export function destroyedLine(domid: number): string {
  return `Domain ${domid} has been destroyed.`;
}

/** xl's line before a re-create. */
export const REBOOTING_LINE = "Done. Rebooting now";
/** xl's line when the watch ends after a shutdown. */
export const EXITING_LINE = "Done. Exiting now";

/**
 * `preserve_domain`'s suffix: `-%Y%m%dT%H%MZ` of `now` in UTC.
 *
 * @example
 * ```ts
 * preserveSuffix(new Date("2026-12-05T05:41:09Z")); // "-20261205T0541Z"
 * ```
 */
export function preserveSuffix(now: Date): string {
  const p = (n: number) => String(n).padStart(2, "0");
  return `-${now.getUTCFullYear()}${p(now.getUTCMonth() + 1)}${p(now.getUTCDate())}T` +
    `${p(now.getUTCHours())}${p(now.getUTCMinutes())}Z`;
}

/** `preserve_domain`'s line. */
export function preservingLine(domid: number, name: string, suffix: string): string {
  return `Preserving domain ${domid} ${name} with suffix${suffix}`;
}

/** Where xl writes a guest's core (`XEN_DUMP_DIR`, Debian's `/var/lib/xen/dump`). */
export const XEN_DUMP_DIR = "/var/lib/xen/dump";

/** True for `coredump-destroy` and `coredump-restart`. */
export function dumpsCore(action: ShutdownAction | undefined): boolean {
  return action === "coredump-destroy" || action === "coredump-restart";
}

/** xl's core file of guest `name` and its line before the dump. */
export function coreDump(name: string): { path: string; line: string } {
  const path = `${XEN_DUMP_DIR}/${name}`;
  return { path, line: `dumping core to ${path}` };
}

/** xl's line when the dump failed (libxl's `ERROR_FAIL`); the action goes on regardless. */
export const CORE_DUMP_FAILED_LINE = "core dump failed (rc=-3).";
