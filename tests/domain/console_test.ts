/**
 * `xlite console` against real parts: Debian's real `xenconsole` and real `xl` 4.17 (both
 * with no hypervisor: the LD_PRELOAD shims of `tests/native/xl-shim` and
 * `tests/native/xenstored-shim` answer their few hypercalls), a private real C xenstored,
 * and a real pty standing where xenconsoled's would be (its path in `console/tty`). Both xl
 * and xlite must attach to the same console and show what the "guest" writes; error paths
 * give xl's lines where xl has them.
 */
import { assert, assertEquals, assertStringIncludes } from "../support/assert.ts";
import {
  pathExists,
  startXenstored,
  type Xenstored,
  xenstoredMissing,
  XSSHIM_PATH,
} from "../support/xenstored.ts";
import { openXenstore, type XenstoreClient } from "../../lib/xenstore/mod.ts";
import {
  findXenconsole,
  parseConsoleType,
  primaryConsole,
  STUBDOM_CONSOLE_SERIAL,
  xenconsoleArgs,
  XenconsoleMissingError,
} from "../../lib/domain/console.ts";
import { DomainNotFoundError } from "../../lib/domain/domain_errors.ts";
import { XliteError } from "../../lib/errors.ts";

const ROOT = new URL("../../", import.meta.url).pathname;
const MAIN = `${ROOT}main.ts`;
const XL = "/usr/lib/xen-4.17/bin/xl";
const XENCONSOLE = "/usr/lib/xen-4.17/bin/xenconsole";
const XLSHIM = `${ROOT}.build/xl-shim/xlshim.so`;

function whyMissing(): string | undefined {
  const daemon = xenstoredMissing("c");
  if (daemon) return daemon;
  if (!pathExists(XENCONSOLE)) return `${XENCONSOLE} not installed (xen-utils-4.17)`;
  if (!pathExists(XL)) return `${XL} not installed (xen-utils-4.17)`;
  if (!pathExists(XLSHIM)) {
    const build = new Deno.Command("bash", {
      args: [`${ROOT}tests/native/xl-shim/build.sh`],
      stdout: "null",
      stderr: "null",
    }).outputSync();
    if (!build.success || !pathExists(XLSHIM)) return `${XLSHIM} not built (tests/native/xl-shim)`;
  }
  try {
    Deno.dlopen("libc.so.6", {}).close();
  } catch (error) {
    return `no libc.so.6 for the test's pty (${(error as Error).message})`;
  }
  return undefined;
}

const missing = whyMissing();
if (missing) console.log(`skipping the xenconsole/xl console tests: ${missing}`);

/** A real pty pair (libc's posix_openpt): the master plays xenconsoled's side. */
function openPty() {
  const libc = Deno.dlopen("libc.so.6", {
    posix_openpt: { parameters: ["i32"], result: "i32" },
    grantpt: { parameters: ["i32"], result: "i32" },
    unlockpt: { parameters: ["i32"], result: "i32" },
    ptsname_r: { parameters: ["i32", "buffer", "usize"], result: "i32" },
    write: { parameters: ["i32", "buffer", "usize"], result: "isize" },
    close: { parameters: ["i32"], result: "i32" },
  });
  const O_RDWR = 2, O_NOCTTY = 0o400;
  const fd = libc.symbols.posix_openpt(O_RDWR | O_NOCTTY);
  if (fd < 0 || libc.symbols.grantpt(fd) !== 0 || libc.symbols.unlockpt(fd) !== 0) {
    libc.close();
    throw new Error("cannot open a pty");
  }
  const name = new Uint8Array(128);
  libc.symbols.ptsname_r(fd, name, BigInt(name.length));
  const path = new TextDecoder().decode(name.subarray(0, name.indexOf(0)));
  return {
    path,
    /** Writes as the guest (what the console shows). */
    write(text: string) {
      const bytes = new TextEncoder().encode(text);
      return Number(libc.symbols.write(fd, bytes, BigInt(bytes.length)));
    },
    close() {
      libc.symbols.close(fd);
      libc.close();
    },
  };
}

/** Env for a process that runs (or execs) xenconsole without Xen. */
function shimEnv(xsd: Xenstored): Record<string, string> {
  return { ...xsd.env, LD_PRELOAD: `${XLSHIM}:${XSSHIM_PATH}`, NO_COLOR: "1" };
}

interface Outcome {
  code: number;
  stdout: string;
  stderr: string;
}

async function runTool(cmd: string, args: string[], env: Record<string, string>) {
  const out = await new Deno.Command(cmd, {
    args,
    env,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  })
    .output();
  const dec = new TextDecoder();
  return { code: out.code, stdout: dec.decode(out.stdout), stderr: dec.decode(out.stderr) };
}

const xl = (xsd: Xenstored, args: string[]) => runTool(XL, ["console", ...args], shimEnv(xsd));
const xlite = (xsd: Xenstored, args: string[], env: Record<string, string> = {}) =>
  runTool(Deno.execPath(), ["run", "-A", MAIN, "console", ...args], { ...shimEnv(xsd), ...env });

/**
 * Attaches `cmd` to the console and plays the guest: writes a line into the pty until it
 * shows on the command's stdout (xenconsole flushes the pty when it attaches), then sends
 * SIGTERM, which ends xenconsole's loop (xlite passes it on to xenconsole).
 */
async function attach(cmd: string, args: string[], env: Record<string, string>, pty: {
  write(text: string): number;
  close(): void;
}): Promise<Outcome> {
  const child = new Deno.Command(cmd, {
    args,
    env,
    stdin: "null",
    stdout: "piped",
    stderr: "piped",
  })
    .spawn();
  const stderrText = new Response(child.stderr).text();
  const dec = new TextDecoder();
  let stdout = "";
  const reader = child.stdout.getReader();
  const marker = `hello from the guest ${crypto.randomUUID()}`;
  let writer: ReturnType<typeof setTimeout> | undefined;
  const write = () => {
    pty.write(`${marker}\r\n`);
    writer = setTimeout(write, 100);
  };
  write();
  // Never hang the suite: a console that shows nothing in 20 s is killed.
  const deadline = setTimeout(() => child.kill("SIGKILL"), 20_000);
  try {
    while (!stdout.includes(marker)) {
      const { value, done } = await reader.read();
      if (done) break;
      stdout += dec.decode(value, { stream: true });
    }
    clearTimeout(writer);
    if (stdout.includes(marker)) child.kill("SIGTERM");
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      stdout += dec.decode(value, { stream: true });
    }
  } finally {
    clearTimeout(writer);
    clearTimeout(deadline);
    pty.close();
  }
  const stderr = await stderrText;
  const { code } = await child.status;
  assertStringIncludes(stdout, marker, `${cmd} ${args.join(" ")}: ${stderr}`);
  return { code, stdout: stdout.includes(marker) ? marker : stdout, stderr };
}

function test(name: string, fn: (xsd: Xenstored, xs: XenstoreClient) => Promise<void>) {
  Deno.test({
    name,
    ignore: missing !== undefined,
    async fn() {
      await using xsd = await startXenstored({ flavour: "c", domains: "0-63" });
      const xs = await openXenstore({ path: xsd.socketPath });
      try {
        await xs.write("/local/domain/0/name", "Domain-0");
        await xs.write("/local/domain/5/name", "guest");
        await xs.write("/libxl/5/type", "pvh");
        await fn(xsd, xs);
      } finally {
        xs.close();
      }
    },
  });
}

test(
  "console DOM: xl and xlite attach to the PV console and show the guest's output",
  async (xsd, xs) => {
    for (
      const [who, cmd, args] of [
        ["xl", XL, ["console", "guest"]],
        ["xlite", Deno.execPath(), ["run", "-A", MAIN, "console", "guest"]],
      ] as const
    ) {
      const pty = openPty();
      await xs.write("/local/domain/5/console/tty", pty.path);
      const out = await attach(cmd, [...args], shimEnv(xsd), pty);
      assertEquals(out.stderr, "", who);
    }
  },
);

test(
  "console -t vuart: both attach to the SBSA UART's pty, not the PV console's",
  async (xsd, xs) => {
    await xs.write("/local/domain/5/console/tty", "/nonexistent/pv-console-pty");
    for (
      const [who, cmd, args] of [
        ["xl", XL, ["console", "-t", "vuart", "5"]],
        ["xlite", Deno.execPath(), ["run", "-A", MAIN, "console", "-t", "vuart", "5"]],
      ] as const
    ) {
      const pty = openPty();
      await xs.write("/local/domain/5/vuart/0/tty", pty.path);
      const out = await attach(cmd, [...args], shimEnv(xsd), pty);
      assertEquals(out.stderr, "", who);
    }
  },
);

test("console 0: xenconsole refuses Domain-0, for xl and xlite alike", async (xsd) => {
  const theirs = await xl(xsd, ["0"]);
  const ours = await xlite(xsd, ["0"]);
  assertEquals(theirs.code, 22);
  assertEquals(ours, theirs);
});

test("console -t with a bad type: xl's line and exit status", async (xsd) => {
  const theirs = await xl(xsd, ["-t", "hvc", "5"]);
  const ours = await xlite(xsd, ["-t", "hvc", "5"]);
  assertEquals(theirs, {
    code: 1,
    stdout: "",
    stderr: "console type supported are: pv, serial, vuart\n",
  });
  assertEquals(ours, theirs);
});

test("console with an unknown name: xl's line and exit status", async (xsd) => {
  const theirs = await xl(xsd, ["nosuch"]);
  const ours = await xlite(xsd, ["nosuch"]);
  assertEquals(theirs.stderr, "nosuch is an invalid domain identifier (rc=-6)\n");
  assertEquals(ours, theirs);
});

test("console with a domid that does not exist: exit 1, one line", async (xsd) => {
  const theirs = await xl(xsd, ["70"]);
  const ours = await xlite(xsd, ["70"]);
  assertEquals(theirs.code, 1); // libxl's "unable to get domain type", then "Unable to attach console"
  assertEquals(ours, { code: 1, stdout: "", stderr: "xlite: console: domain 70 does not exist\n" });
});

test("console without xenconsole: one clear line, exit 1, nothing run", async (xsd) => {
  const ours = await xlite(xsd, ["guest"], { XENCONSOLE: "/nonexistent/xenconsole" });
  assertEquals(ours.code, 1);
  assertEquals(
    ours.stderr,
    "xlite: console: xenconsole not found (looked for /nonexistent/xenconsole); install Xen's tools (Debian: xen-utils-4.17) or set XENCONSOLE\n",
  );
});

test(
  "primary console: PV for PV/PVH, serial for HVM and non-libxl domains, stub domains' serial",
  async (_xsd, xs) => {
    assertEquals(await primaryConsole(xs, 5), { domid: 5, num: 0, type: "pv" });
    await xs.write("/libxl/6/type", "hvm");
    await xs.write("/local/domain/6/name", "h");
    assertEquals(await primaryConsole(xs, 6), { domid: 6, num: 0, type: "serial" });
    await xs.write("/local/domain/7/name", "nolibxl");
    assertEquals(await primaryConsole(xs, 7), { domid: 7, num: 0, type: "serial" });
    await xs.write("/local/domain/6/image/device-model-domid", "8");
    assertEquals(await primaryConsole(xs, 6), {
      domid: 8,
      num: STUBDOM_CONSOLE_SERIAL,
      type: "pv",
    });
    let thrown: unknown;
    try {
      await primaryConsole(xs, 9);
    } catch (error) {
      thrown = error;
    }
    assert(thrown instanceof DomainNotFoundError);
  },
);

Deno.test("xenconsole arguments are libxl_console_exec's", () => {
  assertEquals(xenconsoleArgs({ domid: 5, num: 0, type: "pv" }), [
    "5",
    "--num",
    "0",
    "--type",
    "pv",
  ]);
  assertEquals(xenconsoleArgs({ domid: 3, num: 2, type: "vuart" }), [
    "3",
    "--num",
    "2",
    "--type",
    "vuart",
  ]);
});

Deno.test("console types: pv, serial, vuart; anything else is xl's error", () => {
  for (const t of ["pv", "serial", "vuart"]) assertEquals(parseConsoleType(t), t);
  for (const t of ["", "PV", "hvc", "serial0"]) {
    let thrown: unknown;
    try {
      parseConsoleType(t);
    } catch (error) {
      thrown = error;
    }
    assert(thrown instanceof XliteError && thrown.verbatim);
    assertEquals(thrown.message, "console type supported are: pv, serial, vuart");
  }
});

Deno.test("findXenconsole: $XENCONSOLE alone when set; an error naming what was tried", async () => {
  const dir = await Deno.makeTempDir({ prefix: "xlite-console-" });
  try {
    const exe = `${dir}/xenconsole`;
    await Deno.writeTextFile(exe, "#!/bin/sh\n", { mode: 0o755 });
    const env = (v?: string) => ({ get: (k: string) => (k === "XENCONSOLE" ? v : undefined) });
    assertEquals(findXenconsole(env(exe)), exe);
    await Deno.chmod(exe, 0o644); // not executable: not taken
    let thrown: unknown;
    try {
      findXenconsole(env(exe));
    } catch (error) {
      thrown = error;
    }
    assert(thrown instanceof XenconsoleMissingError);
    assertEquals(thrown.tried, [exe]);
    if (pathExists(XENCONSOLE)) assertEquals(findXenconsole(env(undefined)), XENCONSOLE);
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
