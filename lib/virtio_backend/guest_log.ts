/**
 * The log of one device's guest mistakes: one line per mistake, and a bounded number of lines
 * per device reset, so a guest cannot flood the daemon's log.
 *
 * @module
 */

/** Lines a device may log between resets before it only counts. */
export const GUEST_LOG_BUDGET = 20;

/** A budgeted logger; `count` also counts the lines it did not print. */
export interface GuestLog {
  /** Logs `line` (prefixed with the device's name) while the budget lasts. */
  (line: string): void;
  /** Mistakes reported since creation. */
  readonly count: number;
  /** A fresh budget (the driver reset the device). */
  renew(): void;
}

/** A {@linkcode GuestLog} for `name` writing to `sink` (nothing when `sink` is undefined). */
export function guestLog(name: string, sink: ((line: string) => void) | undefined): GuestLog {
  let count = 0;
  let left = GUEST_LOG_BUDGET;
  const log = ((line: string) => {
    count++;
    if (sink === undefined || left <= 0) return;
    left--;
    sink(
      left === 0
        ? `${name}: ${line} (further guest errors not logged until reset)`
        : `${name}: ${line}`,
    );
  }) as GuestLog;
  Object.defineProperty(log, "count", { get: () => count });
  log.renew = () => {
    left = GUEST_LOG_BUDGET;
  };
  return log;
}
