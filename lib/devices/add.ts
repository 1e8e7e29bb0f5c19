/**
 * Adding a device: a plan's operations in ONE xenstore transaction (after libxl's
 * "already exists" check), then, for kinds that need it, the wait for the backend to reach
 * `state=2` (spec §2.5, §2.6).
 *
 * @module
 */
import { applyXenstoreOp, XenbusStateInitWait, type XenstoreClient } from "../xenstore/mod.ts";
import { LIBXL_DEVICE_TIMEOUT_MS, waitForState } from "./backend_state.ts";
import { runHotplugScript } from "./hotplug.ts";
import { DeviceError } from "./errors.ts";
import type { DeviceAddPlan } from "./plan.ts";
import { pathCleanup } from "./remove.ts";

/** Options for {@linkcode addDevice}. */
export interface AddOptions {
  /** How long the backend gets to reach `state=2` (default 10 s, `LIBXL_INIT_TIMEOUT`). */
  timeoutMs?: number;
  /**
   * Remove what was written when the backend never reaches `state=2` (default true).
   * libxl leaves the entries behind (a retry then says "device already exists"); xlite
   * cleans up so a failed attach leaves nothing half-written.
   */
  cleanupOnFailure?: boolean;
  /** Run the hotplug script of kinds that have one (default true; libxl always does). */
  hotplugScripts?: boolean;
  /** The domain xlite runs in (default 0): it runs scripts only for its own backends. */
  toolstackDomid?: number;
}

/**
 * Writes the plan's operations inside one transaction (retried on conflict), refusing with
 * `device already exists in xenstore` when the kind checks for an existing libxl directory.
 * The operations are pipelined: all are sent before the first reply is awaited.
 */
export async function writeDevice(xs: XenstoreClient, plan: DeviceAddPlan): Promise<void> {
  await xs.transaction(async (tx) => {
    if (plan.kind.checksExists && (await tx.exists(plan.paths.libxl))) {
      throw new DeviceError("ERROR_DEVICE_EXISTS", "device already exists in xenstore", {
        domid: plan.device.domid,
      });
    }
    await Promise.all(plan.ops.map((op) => applyXenstoreOp(tx, op)));
  });
}

/**
 * Adds a device: {@linkcode writeDevice}, then, when the kind requires it, waits for the
 * backend `state` to become 2 and runs the hotplug script (`add`). On timeout (or the state
 * node vanishing) throws {@linkcode DeviceError} `unable to add device with path <backend>`,
 * as libxl logs it; a failing script throws its `script: <hotplug-error>` line.
 */
export async function addDevice(
  xs: XenstoreClient,
  plan: DeviceAddPlan,
  options: AddOptions = {},
): Promise<void> {
  await writeDevice(xs, plan);
  if (!plan.kind.waitsForInitWait) return;
  let failure: DeviceError | undefined;
  const outcome = await waitForState(
    xs,
    `${plan.paths.backend}/state`,
    XenbusStateInitWait,
    options.timeoutMs ?? LIBXL_DEVICE_TIMEOUT_MS,
  );
  if (outcome !== "reached") {
    failure = new DeviceError(
      outcome === "timeout" ? "ERROR_TIMEDOUT" : "ERROR_INVAL",
      `unable to add device with path ${plan.paths.backend}`,
      { domid: plan.device.domid },
    );
  } else if (
    plan.kind.runsHotplugScript && (options.hotplugScripts ?? true) &&
    plan.device.backendDomid === (options.toolstackDomid ?? 0)
  ) {
    try {
      await runHotplugScript(xs, plan.device, "add");
    } catch (error) {
      if (!(error instanceof DeviceError)) throw error;
      failure = error;
    }
  }
  if (!failure) return;
  if (options.cleanupOnFailure ?? true) {
    // Everything this add wrote goes, the backend directory included (even a driver
    // domain's: nobody else will remove it).
    await xs.transaction(async (tx) => {
      for (const path of [plan.paths.frontend, plan.paths.libxl, plan.paths.backend]) {
        await pathCleanup(tx, path);
      }
    });
  }
  throw failure;
}
