/**
 * `xlite devd [-F] [-p PIDFILE] [--json-log] [--log FILE]`: the backend daemon (xl has
 * `xl devd` for driver domains; same name, same place). Runs in the domain that serves the
 * disks (dom0 or a driver domain), serves every virtio disk under its
 * `backend/virtio_disk` (lib/devd/daemon.ts) and, in a driver domain, runs the PV disks'
 * hotplug scripts. Without `-F` it detaches as `xl devd` does (lib/devd/daemonise.ts).
 *
 * @module
 */
import { type Command, parseCommandArgs } from "./command.ts";
import { UsageError } from "../errors.ts";
import type { DevdParts } from "../devd/device_model.ts";
import type { BlockImage } from "../virtio_backend/mod.ts";

const USAGE = `usage: xlite devd [-F] [-p PIDFILE] [--json-log] [--log FILE]

Serves the virtio disks whose backend is this domain (backend/virtio_disk in xenstore):
opens each image, routes the guest's virtio-mmio window to it and answers the xenbus
handshake (state 1 -> 2 when served, 5 -> 6 when removed). In a driver domain it also runs
the hotplug scripts of the PV disks it backs, as xl devd does.

options:
  -F, --foreground   stay in the foreground, logging to stderr
  -p, --pidfile FILE write the daemon's pid to FILE
  --json-log         log one JSON object per line (time, level, msg, domid, devid, ...)
  --log FILE         where a detached daemon logs (default /var/log/xen/xlite-devd.log)
  -h, --help         this text

Without -F the daemon detaches: stdin from /dev/null, stdout and stderr appended to the
log file, its own session (setsid); 'xlite devd' returns once it serves. Stop it with
SIGTERM (kill $(cat PIDFILE)).`;

/**
 * The real parts: the Xen carrier (IOREQ server, foreign mappings) and lib/virtio_backend's
 * image and virtio-blk device, loaded when the daemon starts (not at every xlite start-up).
 */
async function productionParts(): Promise<DevdParts<BlockImage>> {
  const [{ openXenFrontendCarrier }, { createVirtioBlkDevice, openBlockImage }] = await Promise
    .all([import("../devd/xen_carrier.ts"), import("../virtio_backend/mod.ts")]);
  return {
    openCarrier: openXenFrontendCarrier,
    openImage: openBlockImage,
    createDevice: createVirtioBlkDevice,
  };
}

async function runForeground(options: { pidfile?: string; json: boolean }): Promise<number> {
  const [{ openXenstore }, devd, { createDevdLog }, pidfile, { signalReady }] = await Promise.all([
    import("../xenstore/mod.ts"),
    import("../devd/daemon.ts"),
    import("../devd/log.ts"),
    import("../devd/pidfile.ts"),
    import("../devd/daemonise.ts"),
  ]);
  const log = createDevdLog({ json: options.json });
  const xs = await openXenstore();
  try {
    const domid = await devd.readOwnDomid(xs);
    const daemon = await devd.startDevd({ xs, domid, parts: await productionParts(), log });
    const stop = () => void daemon.stop();
    Deno.addSignalListener("SIGTERM", stop);
    Deno.addSignalListener("SIGINT", stop);
    try {
      if (options.pidfile !== undefined) pidfile.writePidFile(options.pidfile);
      signalReady();
      const exit = await daemon.done;
      if (exit.reason === "failed") return 1;
      log.info("stopped");
      return 0;
    } finally {
      await daemon.stop();
      Deno.removeSignalListener("SIGTERM", stop);
      Deno.removeSignalListener("SIGINT", stop);
      if (options.pidfile !== undefined) pidfile.removePidFile(options.pidfile);
    }
  } finally {
    xs.close();
  }
}

async function run(args: string[]): Promise<number> {
  const flags = parseCommandArgs("devd", args, {
    boolean: ["foreground", "json-log"],
    string: ["pidfile", "log"],
    alias: { F: "foreground", p: "pidfile" },
  });
  if (flags._.length > 0) throw new UsageError(`devd: unexpected argument '${flags._[0]}'`);
  const pidfile = flags.pidfile as string | undefined;
  if (pidfile === "") throw new UsageError("devd: -p needs a file name");
  const json = flags["json-log"] === true;
  if (flags.foreground) {
    if (flags.log !== undefined) {
      throw new UsageError("devd: --log is for the detached daemon (with -F it logs to stderr)");
    }
    return await runForeground({ pidfile, json });
  }
  const { daemonise, selfCommand, DEFAULT_DEVD_LOG } = await import("../devd/daemonise.ts");
  const abs = (p: string) => (p.startsWith("/") ? p : `${Deno.cwd()}/${p}`);
  // the daemon runs in / (daemon(0, 1)), so relative paths are made absolute here
  const command = [
    ...selfCommand(),
    "devd",
    "-F",
    ...(pidfile !== undefined ? ["-p", abs(pidfile)] : []),
    ...(json ? ["--json-log"] : []),
  ];
  await daemonise({ command, logFile: abs((flags.log as string | undefined) ?? DEFAULT_DEVD_LOG) });
  return 0;
}

export type { Command } from "./command.ts";

/** The `devd` command. */
export const command: Command = {
  summary: "serve this domain's virtio disks (backend daemon, as xl devd)",
  usage: USAGE,
  run,
};
