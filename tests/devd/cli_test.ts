/**
 * `xlite devd` as a program, against a real C xenstored: usage errors, the foreground daemon
 * with a pid file and JSON log lines (a device it cannot serve on this host, which has no
 * hypervisor, gets its error node and an error line), and the detached daemon: started,
 * ready, in its own session, logging to its file, stopped by SIGTERM.
 */
import { assert, assertEquals, assertStringIncludes } from "../support/assert.ts";
import { startXenstored, type Xenstored, xenstoredMissing } from "../support/xenstored.ts";
import { openXenstore, type XenstoreClient } from "../../lib/xenstore/mod.ts";
import { parseDiskSpec, setDiskDefaults } from "../../lib/disk/mod.ts";
import { planDiskAdd, writeDevice } from "../../lib/devices/mod.ts";
import { backendErrorPath } from "../../lib/devd/backend_error.ts";
import { seedDomains } from "../devices/helpers.ts";
import { eventually } from "./helpers.ts";

const MAIN = new URL("../../main.ts", import.meta.url).pathname;
const why = xenstoredMissing("c");
if (why) console.log(`skipping devd CLI tests that need xenstored: ${why}`);

function xlite(args: string[], env: Record<string, string> = {}) {
  return new Deno.Command(Deno.execPath(), {
    args: ["run", "-A", MAIN, ...args],
    env: { NO_COLOR: "1", ...env },
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  });
}

const decode = (bytes: Uint8Array) => new TextDecoder().decode(bytes);

Deno.test("devd: usage errors exit 2 with one line", async () => {
  for (
    const [args, text] of [
      [["devd", "extra"], "devd: unexpected argument 'extra'"],
      [["devd", "--bogus"], "devd: Unknown option '--bogus'"],
      [["devd", "-F", "--log", "/tmp/x.log"], "devd: --log is for the detached daemon"],
      [["devd", "-p"], "devd: Option '-p, --pidfile <value>' argument missing"],
    ] as const
  ) {
    const out = await xlite([...args]).output();
    assertEquals(out.code, 2, `${args.join(" ")}`);
    assertStringIncludes(decode(out.stderr), text);
    assertEquals(decode(out.stderr).trim().split("\n").length, 1);
  }
  const help = await xlite(["devd", "--help"]).output();
  assertEquals(help.code, 0);
  assertStringIncludes(decode(help.stdout), "usage: xlite devd [-F] [-p PIDFILE] [--json-log]");
});

async function host(): Promise<
  { xsd: Xenstored; xs: XenstoreClient; dir: string } & AsyncDisposable
> {
  const xsd = await startXenstored({ flavour: "c", domains: "0 5" });
  const xs = await openXenstore({ path: xsd.socketPath });
  await seedDomains(xs, { 5: "guest" });
  const dir = await Deno.makeTempDir({ prefix: "xlite-devd-cli-" });
  return {
    xsd,
    xs,
    dir,
    async [Symbol.asyncDispose]() {
      xs.close();
      await xsd.stop();
      await Deno.remove(dir, { recursive: true });
    },
  };
}

/** Writes a virtio disk of guest 5 as the toolstack does; returns its backend path. */
async function addVirtioDisk(xs: XenstoreClient, image: string): Promise<string> {
  const disk = setDiskDefaults(parseDiskSpec(`${image},raw,xvda,rw,specification=virtio`), {
    hotplug: false,
  });
  [disk.base, disk.irq] = [0x2000000n, 33];
  const plan = planDiskAdd(disk, 5);
  await writeDevice(xs, plan);
  return plan.paths.backend;
}

function processState(pid: number): string | undefined {
  try {
    // field 3 of /proc/<pid>/stat, after the parenthesised command name
    return Deno.readTextFileSync(`/proc/${pid}/stat`).replace(/^.*\) /, "").split(" ")[0];
  } catch {
    return undefined;
  }
}

function sessionOf(pid: number): number {
  return Number(Deno.readTextFileSync(`/proc/${pid}/stat`).replace(/^.*\) /, "").split(" ")[3]);
}

Deno.test({
  name:
    "devd -F -p PIDFILE --json-log: pid file, one JSON object per line, a device it cannot serve here fails alone; SIGTERM stops it",
  ignore: why !== undefined,
  fn: async () => {
    await using h = await host();
    const pidfile = `${h.dir}/devd.pid`;
    const image = `${h.dir}/disk.img`;
    await Deno.writeFile(image, new Uint8Array(1 << 20));
    const child = xlite(["devd", "-F", "-p", pidfile, "--json-log"], h.xsd.env).spawn();
    const output = child.output();
    await eventually("pid file", () => {
      try {
        return Deno.readTextFileSync(pidfile) === `${child.pid}\n`;
      } catch {
        return false;
      }
    }, 20_000);
    const backend = await addVirtioDisk(h.xs, image);
    // no hypervisor on this host: the device fails with its error node and state 5
    await eventually("error node", () => h.xs.exists(backendErrorPath(backend)), 10_000);
    assertEquals(await h.xs.read(`${backend}/state`), "5");
    child.kill("SIGTERM");
    const out = await output;
    assertEquals(out.code, 0);
    assertEquals(await Deno.stat(pidfile).then(() => true, () => false), false);
    const records = decode(out.stderr).trim().split("\n").map((line) => JSON.parse(line));
    for (const r of records) {
      assert(
        typeof r.time === "string" && typeof r.level === "string" && typeof r.msg === "string",
      );
    }
    assertEquals(records[0].msg, "serving /local/domain/0/backend/virtio_disk for domain 0");
    const failed = records.find((r) => r.backend === backend);
    assertEquals([failed?.level, failed?.domid, failed?.devid], ["error", 5, 51712]);
    assert(typeof failed?.errno === "number");
    assertEquals(records[records.length - 1].msg, "stopped");
  },
});

Deno.test({
  name:
    "devd without -F: detaches (own session, log file), returns once ready; SIGTERM stops it and removes the pid file",
  ignore: why !== undefined,
  fn: async () => {
    await using h = await host();
    const pidfile = `${h.dir}/devd.pid`;
    const log = `${h.dir}/log/devd.log`;
    const started = Date.now();
    const out = await xlite(["devd", "-p", pidfile, "--log", log], h.xsd.env).output();
    assertEquals([out.code, decode(out.stdout), decode(out.stderr)], [0, "", ""]);
    const pid = Number((await Deno.readTextFile(pidfile)).trim());
    try {
      assert(pid > 0 && processState(pid) !== undefined, "the daemon runs");
      assert(Date.now() - started < 20_000);
      const hasSetsid = ["/usr/bin/setsid", "/bin/setsid"].some((p) => {
        try {
          return Deno.statSync(p).isFile;
        } catch {
          return false;
        }
      });
      if (hasSetsid) assertEquals(sessionOf(pid), pid, "the daemon leads its own session");
      else console.log("setsid(1) not installed: session not checked");
      assertStringIncludes(
        await Deno.readTextFile(log),
        "info: serving /local/domain/0/backend/virtio_disk",
      );
      // it serves: a device appearing now is looked at (and fails here, with no hypervisor)
      await Deno.writeFile(`${h.dir}/disk.img`, new Uint8Array(1 << 20));
      const backend = await addVirtioDisk(h.xs, `${h.dir}/disk.img`);
      await eventually("error node", () => h.xs.exists(backendErrorPath(backend)), 10_000);
    } finally {
      Deno.kill(pid, "SIGTERM");
    }
    await eventually("daemon gone", () => {
      const state = processState(pid);
      return state === undefined || state === "Z";
    }, 10_000);
    assertEquals(await Deno.stat(pidfile).then(() => true, () => false), false);
    assertStringIncludes(await Deno.readTextFile(log), "info: stopped");
  },
});

Deno.test("devd without -F: a daemon that cannot start is reported with its log's last line", async () => {
  const dir = await Deno.makeTempDir({ prefix: "xlite-devd-cli-" });
  try {
    const out = await xlite(["devd", "--log", `${dir}/devd.log`], {
      XENSTORED_PATH: `${dir}/no-such-socket`,
    }).output();
    assertEquals(out.code, 1);
    const err = decode(out.stderr);
    assertStringIncludes(err, "xlite: devd: the daemon exited during start-up (status 1)");
    assertStringIncludes(err, "cannot reach xenstore");
    assertEquals(err.trim().split("\n").length, 1);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test({
  name:
    "devd without -F under a deno not named deno (the testbed's deno-aarch64), from another directory: the daemon is `deno run` of main.ts with its deno.json",
  ignore: why !== undefined,
  fn: async () => {
    await using h = await host();
    // a hard link keeps it cheap; Deno.execPath() then names deno-aarch64
    const deno = `${h.dir}/deno-aarch64`;
    await Deno.link(Deno.execPath(), deno).catch(() => Deno.copyFile(Deno.execPath(), deno));
    const pidfile = `${h.dir}/devd.pid`;
    const log = `${h.dir}/devd.log`;
    const config = new URL("../../deno.json", import.meta.url).pathname;
    const out = await new Deno.Command(deno, {
      args: [
        "run",
        "-A",
        "--no-lock",
        "--config",
        config,
        MAIN,
        "devd",
        "-p",
        pidfile,
        "--log",
        log,
      ],
      cwd: h.dir,
      env: { NO_COLOR: "1", ...h.xsd.env },
      stdin: "null",
    }).output();
    const text = await Deno.readTextFile(log).catch(() => "");
    assertEquals([out.code, decode(out.stderr)], [0, ""], text);
    const pid = Number((await Deno.readTextFile(pidfile)).trim());
    Deno.kill(pid, "SIGTERM");
    await eventually("daemon gone", () => {
      const state = processState(pid);
      return state === undefined || state === "Z";
    }, 10_000);
    assertStringIncludes(text, "info: serving /local/domain/0/backend/virtio_disk");
  },
});
