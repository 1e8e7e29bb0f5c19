/**
 * Waiting for a backend's xenbus `state` with a xenstore watch, as libxl's
 * `libxl__ev_devstate_wait` does (spec §2.6): intermediate values are ignored, a removed
 * node ends the wait, and so does the timeout.
 *
 * @module
 */
import type { XenstoreClient } from "../xenstore/mod.ts";
import { cAtoi } from "./c_numbers.ts";

/** `LIBXL_INIT_TIMEOUT` / `LIBXL_DESTROY_TIMEOUT`: 10 s, in milliseconds. */
export const LIBXL_DEVICE_TIMEOUT_MS = 10_000;

/** How a wait ended. */
export type WaitOutcome = "reached" | "removed" | "timeout";

/**
 * Watches `statePath` until its value (read as C `atoi`) equals `wanted`, the node
 * disappears, or `timeoutMs` passes. The watch's initial event covers a state reached before
 * the watch was set.
 */
export async function waitForState(
  xs: XenstoreClient,
  statePath: string,
  wanted: number,
  timeoutMs: number,
): Promise<WaitOutcome> {
  return await waitForNode(xs, statePath, timeoutMs, (value) => {
    if (value === undefined) return "removed";
    return cAtoi(value) === wanted ? "reached" : undefined;
  });
}

/** Watches `path` until it no longer exists or `timeoutMs` passes (libxl's `xswait`). */
export async function waitForRemoval(
  xs: XenstoreClient,
  path: string,
  timeoutMs: number,
): Promise<"removed" | "timeout"> {
  const outcome = await waitForNode(
    xs,
    path,
    timeoutMs,
    (value) => value === undefined ? "removed" : undefined,
  );
  return outcome === "timeout" ? "timeout" : "removed";
}

/**
 * The loop both waits share: on every watch event read `path` and ask `decide`; an
 * `undefined` answer means "still waiting".
 */
async function waitForNode(
  xs: XenstoreClient,
  path: string,
  timeoutMs: number,
  decide: (value: string | undefined) => WaitOutcome | undefined,
): Promise<WaitOutcome> {
  const watch = await xs.watch(path);
  let timer: ReturnType<typeof setTimeout> | undefined;
  const expired = new Promise<"timeout">((resolve) => {
    timer = setTimeout(() => resolve("timeout"), timeoutMs);
  });
  try {
    for (;;) {
      const next = await Promise.race([watch.next(), expired]);
      if (next === "timeout") return "timeout";
      if (next.done) return "timeout";
      const outcome = decide(await xs.tryRead(path));
      if (outcome !== undefined) return outcome;
    }
  } finally {
    clearTimeout(timer);
    await watch.close().catch(() => {});
  }
}
