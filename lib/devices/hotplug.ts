/**
 * Hotplug scripts, as libxl runs them on Linux (spec §2.6; `libxl__get_hotplug_script_info`,
 * `libxl__hotplug_disk`, `libxl__hotplug_nic`, `get_hotplug_env`): for the kinds whose table
 * row says so (disk backends `vbd`/`vbd3`, `vif`) served by the toolstack's own domain, the
 * backend's `script` runs with `add` (a vif: `online type_if=vif`) once the backend reached
 * InitWait and with `remove` (`offline type_if=vif`) once it closed.
 *
 * @module
 */
import type { XenstoreClient } from "../xenstore/mod.ts";
import { deviceKindByBackend } from "./device_kinds.ts";
import { DeviceError } from "./errors.ts";
import { nicHotplugEnv } from "./nic.ts";
import { devicePaths } from "./paths.ts";
import type { DeviceRef } from "./types.ts";

/** `LIBXL_HOTPLUG_TIMEOUT`: 40 s, in milliseconds. */
export const LIBXL_HOTPLUG_TIMEOUT_MS = 40_000;

/** The environment libxl gives a disk hotplug script (`get_hotplug_env`). */
export function hotplugEnv(device: DeviceRef, script: string): Record<string, string> {
  return {
    script,
    XENBUS_TYPE: device.backendKind,
    XENBUS_PATH: `backend/${device.backendKind}/${device.domid}/${device.devid}`,
    XENBUS_BASE_PATH: "backend",
  };
}

/**
 * Runs the backend's hotplug script for `action` (stdin from /dev/null, its output to our
 * stderr, as libxl does). The script inherits our environment; when xlite talks to a daemon
 * socket, `XENSTORED_PATH` names it, so the script's `xenstore-*` calls reach the same store. A failing `add` throws {@linkcode DeviceError} with the script's
 * `hotplug-error` when it left one (`script: <text>`); `remove` failures are ignored by the
 * caller, as libxl ignores them.
 */
export async function runHotplugScript(
  xs: XenstoreClient,
  device: DeviceRef,
  action: "add" | "remove",
  timeoutMs = LIBXL_HOTPLUG_TIMEOUT_MS,
): Promise<void> {
  const backend = devicePaths(device).backend;
  const script = await xs.tryRead(`${backend}/script`);
  if (script === undefined) {
    throw new DeviceError("ERROR_FAIL", `unable to read script from ${backend}`, {
      domid: device.domid,
    });
  }
  const kind = deviceKindByBackend(device.backendKind);
  const args = kind?.hotplugArgs?.[action] ?? [action];
  // A vif's script also gets `netdev` (the backend's gatewaydev) and `vif` (its interface).
  const netEnv = kind?.family === "nic"
    ? nicHotplugEnv(device, await xs.tryRead(`${backend}/gatewaydev`))
    : {};
  const what = `${script} ${args[0]}`;
  let child: Deno.ChildProcess;
  try {
    child = new Deno.Command(script, {
      args: [...args],
      env: {
        ...(xs.transport === "unix" ? { XENSTORED_PATH: xs.transportPath } : {}),
        ...hotplugEnv(device, script),
        ...netEnv,
      },
      stdin: "null",
      stdout: "piped",
      stderr: "inherit",
    }).spawn();
  } catch (error) {
    // libxl forks, then the child's execvp fails: the child prints this line and exits -1
    // (libxl__exec in libxl_exec.c), and libxl reports that exit status.
    const reason = /: ([^:]+) \(os error \d+\)$/.exec((error as Error).message)?.[1] ??
      (error as Error).message;
    console.error(`libxl: cannot execute ${script}: ${reason}`);
    throw new DeviceError("ERROR_FAIL", `${what} exited with error status 255`);
  }
  // The script's stdout goes to our stderr (libxl: stdfds[1] = 2).
  const forward = child.stdout.pipeTo(
    new WritableStream({ write: (chunk) => void Deno.stderr.writeSync(chunk) }),
  );
  let timer: ReturnType<typeof setTimeout> | undefined;
  const expired = new Promise<"timeout">((resolve) => {
    timer = setTimeout(() => resolve("timeout"), timeoutMs);
  });
  const status = await Promise.race([child.status, expired]);
  clearTimeout(timer);
  if (status === "timeout") {
    child.kill("SIGKILL");
    await child.status;
    await forward.catch(() => {});
    throw new DeviceError("ERROR_TIMEDOUT", `killed ${what} [${child.pid}]: timed out`);
  }
  await forward.catch(() => {});
  if (status.success) return;
  const hotplugError = await xs.tryRead(`${backend}/hotplug-error`);
  const exit = status.signal
    ? `died due to fatal signal ${status.signal}`
    : `exited with error status ${status.code}`;
  throw new DeviceError(
    "ERROR_FAIL",
    hotplugError !== undefined ? `script: ${hotplugError}` : `${what} [${child.pid}] ${exit}`,
  );
}
