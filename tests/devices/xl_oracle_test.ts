/**
 * Differential tests against Debian's real `xl` 4.17 (libxl 4.17) with no hypervisor: xl runs
 * under two LD_PRELOAD shims (tests/native/xl-shim + the xenstored shim) against a private
 * real C xenstored. xl and xlite do the same thing on twin stores; the stores, the outputs
 * and the messages must match (libxl's `file.c:line:function:` prefix aside).
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
import { parseDiskSpec, setDiskDefaults } from "../../lib/disk/mod.ts";
import { planDiskAdd, writeDevice } from "../../lib/devices/mod.ts";
import { dumpStore, seedDomains, simulateBackend, xlite } from "./helpers.ts";

const XL = "/usr/lib/xen-4.17/bin/xl";
const XLSHIM = new URL("../../.build/xl-shim/xlshim.so", import.meta.url).pathname;
const USERDATA_DIR = "/var/lib/xen";

function whyMissing(): string | undefined {
  const daemon = xenstoredMissing("c");
  if (daemon) return daemon;
  if (!pathExists(XL)) return `${XL} not installed (xen-utils-4.17)`;
  if (!pathExists(XLSHIM)) return `${XLSHIM} not built (tests/native/xl-shim)`;
  if (!pathExists(USERDATA_DIR)) {
    return `${USERDATA_DIR} missing (libxl keeps domain userdata there)`;
  }
  return undefined;
}

const missing = whyMissing();
if (missing) console.log(`skipping the real-xl differential tests: ${missing}`);

/** Guests of these tests, so parallel tests never share a libxl userdata file. */
const GUESTS = { 5: "guest", 6: "virtguest", 7: "mixed", 8: "empty", 1: "driver" };

/** One xl "host": a private daemon with the guests, and xl's userdata files for them. */
async function host() {
  const xsd = await startXenstored({ flavour: "c" });
  const xs = await openXenstore({ path: xsd.socketPath });
  await seedDomains(xs, GUESTS);
  const uuidSeed = Array.from(crypto.getRandomValues(new Uint8Array(15)))
    .map((b) => b.toString(16).padStart(2, "0")).join("");
  const uuid = (domid: number) => {
    const hex = uuidSeed + domid.toString(16).padStart(2, "0");
    return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${
      hex.slice(20)
    }`;
  };
  // What xl create would have stored: the domain's libxl JSON config (xl block-attach adds to it).
  for (const [domid, name] of Object.entries(GUESTS)) {
    await Deno.writeTextFile(
      `${USERDATA_DIR}/userdata-d.${domid}.${uuid(Number(domid))}.libxl-json`,
      JSON.stringify({ c_info: { type: "pvh", name }, b_info: { "type.pvh": {} } }),
    );
  }
  return {
    xsd,
    xs,
    async xl(args: string[]) {
      const out = await new Deno.Command(XL, {
        args,
        env: { ...xsd.env, LD_PRELOAD: `${XLSHIM}:${XSSHIM_PATH}`, XLSHIM_UUID: uuidSeed },
        stdout: "piped",
        stderr: "piped",
      }).output();
      const dec = new TextDecoder();
      return { code: out.code, stdout: dec.decode(out.stdout), stderr: dec.decode(out.stderr) };
    },
    async [Symbol.asyncDispose]() {
      xs.close();
      await xsd.stop();
      const ours = Object.keys(GUESTS).map((domid) => `.${domid}.${uuid(Number(domid))}.`);
      for (const entry of Deno.readDirSync(USERDATA_DIR)) {
        if (ours.some((tag) => entry.name.includes(tag))) {
          await Deno.remove(`${USERDATA_DIR}/${entry.name}`);
        }
      }
    },
  };
}

/** libxl's log lines without the `file.c:line:function: ` part xlite does not print. */
function normalise(stderr: string): string[] {
  return stderr.split("\n").filter((l) => l !== "").map((l) =>
    l.replace(/^libxl: (error|warning): [a-z_]+\.c:\d+:[A-Za-z_0-9]+: /, "libxl: $1: ")
  );
}

function test(name: string, fn: () => Promise<void>) {
  Deno.test({ name, ignore: missing !== undefined, fn });
}

async function withBackends<T>(xsd: Xenstored, fn: () => Promise<T>): Promise<T> {
  const dom0 = await simulateBackend(xsd.socketPath, 0);
  const driver = await simulateBackend(xsd.socketPath, 1);
  try {
    return await fn();
  } finally {
    await dom0.stop();
    await driver.stop();
  }
}

test("xl vs xlite block-attach: identical stores (phy, cdrom, driver-domain backend by name)", async () => {
  await using xl = await host();
  await using xl2 = await host();
  const target = await Deno.makeTempFile({ prefix: "xlite-oracle-" });
  try {
    const specs = [
      [`${target},raw,xvdb,rw,script=/bin/true`],
      [`${target},raw,hdc,devtype=cdrom`, "script=/bin/true"],
      ["/dev/in-driver,raw,xvdd,w,backend=driver"],
    ];
    for (const spec of specs) {
      const real = await withBackends(xl.xsd, () => xl.xl(["block-attach", "guest", ...spec]));
      assertEquals(real.code, 0, real.stderr);
      const ours = await withBackends(
        xl2.xsd,
        () => xlite(xl2.xsd, ["block-attach", "guest", ...spec]),
      );
      assertEquals(ours, { code: 0, stdout: "", stderr: "" });
    }
    const [a, b] = [await dumpStore(xl.xsd), await dumpStore(xl2.xsd)];
    assertEquals(b.tree, a.tree);
    assertEquals(b.order, a.order); // C xenstored keeps creation order: same writes, same order
  } finally {
    await Deno.remove(target);
  }
});

test("xl vs xlite block-list: same bytes for PV disks, virtio disks, both (error), unknown and empty domains", async () => {
  await using h = await host();
  const target = await Deno.makeTempFile({ prefix: "xlite-oracle-" });
  try {
    const add = async (xs: XenstoreClient, spec: string, domid: number, base?: bigint) => {
      const disk = setDiskDefaults(parseDiskSpec(spec), { hotplug: false });
      if (base !== undefined) [disk.base, disk.irq] = [base, 33];
      await writeDevice(xs, planDiskAdd(disk, domid));
    };
    await add(h.xs, `${target},raw,xvda,rw`, 5);
    await add(h.xs, `${target},raw,xvdb,ro,script=/bin/true`, 5);
    await h.xs.write("/local/domain/5/device/vbd/51712/state", "4");
    await h.xs.write("/local/domain/5/device/vbd/51712/event-channel", "17");
    await h.xs.write("/local/domain/5/device/vbd/51712/ring-ref", "8");
    await add(h.xs, `${target},raw,xvda,rw,specification=virtio`, 6, 0x2000000n);
    await add(h.xs, `${target},raw,xvda,rw`, 7);
    await add(h.xs, `${target},raw,xvdb,rw,specification=virtio`, 7, 0x2000200n);
    const args = ["block-list", "guest", "6", "mixed", "nosuch", "8"];
    const real = await h.xl(args);
    const ours = await xlite(h.xsd, args);
    assertEquals(ours.code, real.code);
    assertEquals(ours.stdout, real.stdout);
    assertEquals(normalise(ours.stderr), normalise(real.stderr));
    // Sanity: the listing is not empty and shows the virtio disk's backend path.
    assertStringIncludes(ours.stdout, "/local/domain/0/backend/virtio_disk/6/51712");
    assertStringIncludes(
      ours.stderr,
      "Invalid configuration, both xen and virtio paths are present",
    );
  } finally {
    await Deno.remove(target);
  }
});

test("xl vs xlite block-detach (by vdev and by number): identical stores afterwards", async () => {
  await using xl = await host();
  await using xl2 = await host();
  const target = await Deno.makeTempFile({ prefix: "xlite-oracle-" });
  try {
    for (const h of [xl, xl2]) {
      await withBackends(
        h.xsd,
        () => xlite(h.xsd, ["block-attach", "5", `${target},raw,xvdb,rw,script=/bin/true`]),
      );
      await withBackends(
        h.xsd,
        () => xlite(h.xsd, ["block-attach", "5", `${target},raw,xvdc,rw,script=/bin/true`]),
      );
    }
    for (const vdev of ["xvdb", "51744"]) {
      const real = await withBackends(xl.xsd, () => xl.xl(["block-detach", "guest", vdev]));
      assertEquals(real.code, 0, real.stderr);
      const ours = await withBackends(
        xl2.xsd,
        () => xlite(xl2.xsd, ["block-detach", "guest", vdev]),
      );
      assertEquals(ours, { code: 0, stdout: "", stderr: "" });
    }
    const [a, b] = [await dumpStore(xl.xsd), await dumpStore(xl2.xsd)];
    assertEquals(b.tree, a.tree);
    assert(!Object.keys(b.tree).some((p) => p.includes("/device/vbd")), "all disks gone");
  } finally {
    await Deno.remove(target);
  }
});

const FIXTURES = new URL("./fixtures/", import.meta.url).pathname;

test("xl vs xlite: hotplug scripts run with the same action and environment, failures report alike", async () => {
  await using xl = await host();
  await using xl2 = await host();
  const target = await Deno.makeTempFile({ prefix: "xlite-oracle-" });
  try {
    const spec = [`${target},raw,xvdb,rw`, `script=${FIXTURES}record_hotplug.sh`];
    const real = await withBackends(xl.xsd, () => xl.xl(["block-attach", "guest", ...spec]));
    assertEquals(real.code, 0, real.stderr);
    const ours = await withBackends(
      xl2.xsd,
      () => xlite(xl2.xsd, ["block-attach", "guest", ...spec]),
    );
    assertEquals(ours.code, 0, ours.stderr);
    assertEquals(ours.stderr, real.stderr); // the script's own output, passed through
    for (const args of [["block-detach", "guest", "xvdb"]]) {
      assertEquals((await withBackends(xl.xsd, () => xl.xl(args))).code, 0);
      assertEquals((await withBackends(xl2.xsd, () => xlite(xl2.xsd, args))).code, 0);
    }
    const [a, b] = [await dumpStore(xl.xsd), await dumpStore(xl2.xsd)];
    assertStringIncludes(a.tree["/tool/hotplug/add"][0], "|vbd|backend/vbd/5/51728|backend");
    assertEquals(b.tree, a.tree);
    const failing = [
      "block-attach",
      "guest",
      `${target},raw,xvdc,script=${FIXTURES}failing_hotplug.sh`,
    ];
    const realFail = await withBackends(xl.xsd, () => xl.xl(failing));
    const ourFail = await withBackends(xl2.xsd, () => xlite(xl2.xsd, failing));
    const [r, o] = [normalise(realFail.stderr), normalise(ourFail.stderr)];
    assertEquals([ourFail.code, o.at(-1)], [realFail.code, r.at(-1)]);
    assertEquals(o, ["libxl: error: script: no such disk here", "libxl_device_disk_add failed."]);
    for (const line of o) assert(r.includes(line), `xl did not print ${line}`);
  } finally {
    await Deno.remove(target);
  }
});

test("xl vs xlite: refusals and errors end with xl's line and exit code", async () => {
  await using h = await host();
  const target = await Deno.makeTempFile({ prefix: "xlite-oracle-" });
  try {
    const virtio = setDiskDefaults(parseDiskSpec(`${target},raw,xvda,specification=virtio`), {
      hotplug: false,
    });
    await writeDevice(h.xs, planDiskAdd(virtio, 6));
    await writeDevice(h.xs, planDiskAdd(virtio, 7));
    const pv = setDiskDefaults(parseDiskSpec(`${target},raw,xvdb`), { hotplug: false });
    await writeDevice(h.xs, planDiskAdd(pv, 7));
    const cases: string[][] = [
      ["block-attach", "guest", `${target},raw,xvde,specification=virtio`],
      ["block-detach", "virtguest", "xvda"],
      ["block-detach", "mixed", "xvdb"], // both disk families: get_path refuses
      ["block-detach", "guest", "xvdz"],
      ["block-detach", "guest", "nonsense"],
      ["block-detach", "nosuch", "xvda"],
      ["block-attach", "nosuch", `${target},raw,xvde`],
      ["block-attach", "77", `${target},raw,xvde`], // the shim has domains 0..63 only
      ["block-attach", "guest", `${target},raw,xvde,backend=nosuch`],
      ["block-attach", "guest", "foo=bar,xvdb"],
      ["block-attach", "guest", "/nonexistent/disk,raw,xvdb"],
      ["block-attach", "guest", `${target},qcow2,xvdb,backendtype=phy`],
      ["block-attach", "guest", `${target},raw,xvdb`, "grant_usage=1"],
    ];
    for (const args of cases) {
      const real = await h.xl(args);
      const ours = await xlite(h.xsd, args);
      const [r, o] = [normalise(real.stderr), normalise(ours.stderr)];
      assertEquals([ours.code, o.at(-1)], [real.code, r.at(-1)], args.join(" "));
      for (const line of o) assert(r.includes(line), `${args.join(" ")}: xl did not print ${line}`);
    }
    const dry = ["-N", "block-attach", "guest", `${target},raw,xvda,specification=virtio`];
    const real = await h.xl(dry);
    const ours = await xlite(h.xsd, [dry[1], "-N", ...dry.slice(2)]);
    assertEquals(ours, real);
  } finally {
    await Deno.remove(target);
  }
});

test("xl vs xlite: attach with no backend times out after 10 s with libxl's error", async () => {
  await using xl = await host();
  await using xl2 = await host();
  const spec = ["/dev/in-driver,raw,xvdb,w,backend=driver"];
  const [real, ours] = await Promise.all([
    xl.xl(["block-attach", "guest", ...spec]),
    xlite(xl2.xsd, ["block-attach", "guest", ...spec]),
  ]);
  const [r, o] = [normalise(real.stderr), normalise(ours.stderr)];
  assertEquals([ours.code, o.at(-1)], [real.code, r.at(-1)]);
  assertEquals(o, [
    "libxl: error: Domain 5:unable to add device with path /local/domain/1/backend/vbd/5/51728",
    "libxl_device_disk_add failed.",
  ]);
  for (const line of o) assert(r.includes(line), `xl did not print ${line}`);
  // libxl leaves the half-attached device; xlite removes it (a deliberate difference).
  assert(Object.keys((await dumpStore(xl.xsd)).tree).some((p) => p.includes("/device/vbd/51728")));
  assert(!Object.keys((await dumpStore(xl2.xsd)).tree).some((p) => p.includes("51728")));
});
