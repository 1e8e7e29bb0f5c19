/**
 * `xl shutdown`: ask a guest to power off through its PV control node (`libxl_domain_shutdown`
 * → `libxl__domain_pvcontrol`: write `control/shutdown` = `poweroff`, then wait up to 60 s for
 * the guest to acknowledge by clearing it), and `-w`: wait until the domain has shut down or
 * is gone (libxl's domain-death events, `wait_for_domain_deaths` in xl).
 *
 * @module
 */
import type { XenCtrl } from "../xen/mod.ts";
import type { XenstoreClient } from "../xenstore/mod.ts";
import { XliteError } from "../errors.ts";
import { DomainNotFoundError } from "./domain_errors.ts";

/** How long libxl gives a guest to acknowledge a control request (`pvcontrol->timeout_ms`). */
export const PVCONTROL_TIMEOUT_MS = 60_000;

/** Options for {@linkcode requestShutdown}. */
export interface ShutdownOptions {
  /** The request written to `control/shutdown` (default `poweroff`; `reboot` for reboot). */
  command?: string;
  /** How long the guest gets to acknowledge (default 60 s). */
  ackTimeoutMs?: number;
}

/** `/local/domain/<domid>/control/shutdown` (`libxl__domain_pvcontrol_xspath`). */
export function pvcontrolPath(domid: number): string {
  return `/local/domain/${domid}/control/shutdown`;
}

/**
 * Writes the shutdown request and waits for the guest to clear it (or for the domain to go
 * away). Throws when the domain does not exist or the guest does not acknowledge in time.
 */
export async function requestShutdown(
  xc: XenCtrl,
  xs: XenstoreClient,
  domid: number,
  options: ShutdownOptions = {},
): Promise<void> {
  const command = options.command ?? "poweroff";
  const timeoutMs = options.ackTimeoutMs ?? PVCONTROL_TIMEOUT_MS;
  if (!xc.domainInfo(domid)) throw new DomainNotFoundError(domid, "shutdown");
  const path = pvcontrolPath(domid);
  const watch = await xs.watch(path);
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<"timeout">((resolve) => {
    timer = setTimeout(() => resolve("timeout"), timeoutMs);
  });
  try {
    await xs.write(path, command);
    const acknowledged = (async () => {
      for await (const _event of watch) {
        const value = await xs.tryRead(path);
        if (value === undefined || value === "" || !xc.domainInfo(domid)) return "ack" as const;
      }
      return "ack" as const;
    })();
    if ((await Promise.race([acknowledged, timeout])) === "timeout") {
      throw new XliteError(
        `shutdown: domain ${domid} did not acknowledge the ${command} request ` +
          `(${path}) within ${timeoutMs / 1000} s`,
      );
    }
  } finally {
    clearTimeout(timer);
    await watch.close();
  }
}

/** What became of a domain being waited for. */
export type DomainFate =
  | { domid: number; event: "shutdown"; reason: number }
  | { domid: number; event: "destroyed" };

/** xl's line for a fate (`wait_for_domain_deaths`). */
export function fateMessage(fate: DomainFate): string {
  return fate.event === "shutdown"
    ? `Domain ${fate.domid} has been shut down, reason code ${fate.reason}`
    : `Domain ${fate.domid} has been destroyed`;
}

/**
 * Waits until each of `domids` has shut down (reported with the guest's reason code) or is
 * gone/dying; calls `report` once per domain as it happens. Looks again on every
 * `@releaseDomain` event when `xs` is given (as libxl's death watch does, so a domain that
 * shuts down is seen before a reaper destroys it), and every `intervalMs` anyway. Start it
 * before sending the requests (as xl enables its death watch right after each request);
 * `signal` stops it early.
 */
export async function waitForDomainDeaths(
  xc: XenCtrl,
  domids: number[],
  report: (fate: DomainFate) => void,
  xs?: XenstoreClient,
  options: { intervalMs?: number; signal?: AbortSignal } = {},
): Promise<void> {
  const intervalMs = options.intervalMs ?? 100;
  const pending = new Set(domids);
  const watch = xs ? await xs.watch("@releaseDomain") : undefined;
  let event = watch?.next();
  try {
    while (pending.size > 0 && !options.signal?.aborted) {
      for (const domid of [...pending]) {
        const info = xc.domainInfo(domid);
        let fate: DomainFate | undefined;
        if (!info || info.dying) fate = { domid, event: "destroyed" };
        else if (info.shutdown) fate = { domid, event: "shutdown", reason: info.shutdownReason };
        if (fate) {
          pending.delete(domid);
          report(fate);
        }
      }
      if (pending.size === 0) break;
      let timer: ReturnType<typeof setTimeout> | undefined;
      const tick = new Promise<"tick">((resolve) => {
        timer = setTimeout(() => resolve("tick"), intervalMs);
      });
      const woke = await Promise.race(event ? [event.then(() => "event" as const), tick] : [tick]);
      clearTimeout(timer);
      if (woke === "event") event = watch?.next();
    }
  } finally {
    await watch?.close();
  }
}
