/**
 * The xenstore side of `xlite create` against real libxl: for each golden config, the tree
 * `writeDomainXenstore` (+ the device adds of `lib/devices`, as create runs them) leaves in
 * the real C xenstored and oxenstored equals the snapshot real `xl create -p` left on real
 * Xen 4.17 (`tests/golden/<name>/xenstore.txt`) key for key, value for value, permission for
 * permission. The golden domid, uuid, ring pages, ports and start time are fed in, so nothing
 * is masked but what other processes wrote after libxl: the console `tty` (xenconsoled) and
 * the device backends' own keys (blkback, the block script, the virtio stand-in). With the C
 * daemon, which lists children in creation order, the order is libxl's too.
 *
 * Also: XS_INTRODUCE, the cleanup, the duplicate-name refusal, and the userdata file against
 * two files real libxl 4.17 stored on the testbed (`fixtures/userdata-*.libxl-json`).
 */
import { assert, assertEquals, assertRejects } from "../support/assert.ts";
import {
  startXenstored,
  type XenstoredFlavour,
  xenstoredMissing,
  xenstoreTool,
} from "../support/xenstored.ts";
import { openXenstore, type XenstoreClient } from "../../lib/xenstore/mod.ts";
import { parseDomainConfig, readDomainConfig } from "../../lib/config/domain_config.ts";
import { prepareGuest } from "../../lib/domain/mod.ts";
import { planDomainDevices, writeDevice } from "../../lib/devices/mod.ts";
import {
  domainXenstoreNodes,
  type DomainXenstoreParams,
  introduceDomain,
  removeDomainXenstore,
  startTimeValue,
  writeDomainXenstore,
} from "../../lib/domain/domain_xenstore.ts";
import { domainUserdataJson, writeDomainUserdata } from "../../lib/domain/userdata.ts";
import type { DomainConfig } from "../../lib/config/types.ts";
import { XliteError } from "../../lib/errors.ts";

const GOLDEN = new URL("../golden/", import.meta.url).pathname;
const FIXTURES = new URL("./fixtures/", import.meta.url).pathname;
const RELEASE = { major: 4, minor: 17 };

/** `path -> [value, perms]`. */
type Tree = Record<string, [string, string]>;

/** Keys a device backend or its hotplug script writes after libxl (never libxl itself). */
const WRITTEN_BY_BACKEND = new Set([
  "feature-max-indirect-segments",
  "multi-queue-max-queues",
  "max-ring-page-order",
  "node",
  "physical-device",
  "physical-device-path",
  "hotplug-status",
]);

/** A disk's node: frontend, backend or libxl copy. */
const DISK_NODE = /\/(device|backend)\/(vbd|vbd3|qdisk|virtio_disk)(\/|$)/;

interface Golden {
  domid: number;
  name: string;
  uuid: string;
  /** `xenstore-ls -fp ROOT` sections. */
  sections: Map<string, Tree>;
}

function parseLs(text: string): Tree {
  const tree: Tree = {};
  for (const line of text.split("\n")) {
    const m = /^(\/\S*) = "(.*)" {3}\(([^)]*)\)$/.exec(line);
    if (m) tree[m[1]] = [m[2], m[3]];
  }
  return tree;
}

function readGolden(name: string): Golden {
  const text = Deno.readTextFileSync(`${GOLDEN}${name}/xenstore.txt`);
  const header = /^# domid=(\d+) name=(\S+)/.exec(text)!;
  const sections = new Map<string, Tree>();
  for (const part of text.split(/^### xenstore-ls -fp /m).slice(1)) {
    const root = part.slice(0, part.indexOf("\n"));
    sections.set(root, parseLs(part));
  }
  const domid = Number(header[1]);
  const vm = sections.get(`/local/domain/${domid}`)![`/local/domain/${domid}/vm`][0];
  return { domid, name: header[2], uuid: vm.slice("/vm/".length), sections };
}

/** The builder's values for the domain as the snapshot shows them (ring pages, ports, time). */
function builderValues(g: Golden): Omit<DomainXenstoreParams, "config"> {
  const dom = g.sections.get(`/local/domain/${g.domid}`)!;
  const at = (key: string) => dom[`/local/domain/${g.domid}/${key}`]?.[0];
  const vm = g.sections.get(`/vm/${g.uuid}`)!;
  const startTime = Number(vm[`/vm/${g.uuid}/start_time`][0]);
  return {
    domid: g.domid,
    name: g.name,
    uuid: g.uuid,
    storeRingPfn: BigInt(at("store/ring-ref")!),
    storePort: Number(at("store/port")),
    consoleRingPfn: BigInt(at("console/ring-ref")!),
    consolePort: Number(at("console/port")),
    vuart: at("vuart/0/port") === undefined
      ? undefined
      : { ringPfn: BigInt(at("vuart/0/ring-ref")!), port: Number(at("vuart/0/port")) },
    startTimeMs: Math.round(startTime * 1000),
  };
}

/** Driver domains of the golden runs (`# golden-driver-domain:` in the config). */
const DRIVER_DOMAINS: Record<string, number> = { "xlite-drv": 3 };

/** A driver domain as xl created it before the guest: the same writes, its own values. */
async function createDriverDomain(xs: XenstoreClient, name: string, domid: number) {
  const config = parseDomainConfig(`name="${name}"\nmemory=128\nkernel="/k"\n`, {
    xenVersion: RELEASE,
  });
  await writeDomainXenstore(xs, {
    domid,
    name,
    uuid: "00000000-0000-0000-0000-00000000000" + domid,
    config,
    storeRingPfn: 1,
    storePort: 1,
    consoleRingPfn: 2,
    consolePort: 2,
  });
}

/** Normalises what another process than libxl wrote; drops nodes of other domains. */
function comparable(tree: Tree, domid: number, mine: boolean): Tree {
  const out: Tree = {};
  for (const [path, [value, perms]] of Object.entries(tree)) {
    const key = path.slice(path.lastIndexOf("/") + 1);
    const backend = /^\/local\/domain\/\d+\/backend\/([^/]+)(?:\/(\d+))?(?:\/\d+\/(.*))?$/
      .exec(path);
    if (backend && backend[2] !== undefined && Number(backend[2]) !== domid) continue;
    if (backend?.[3] !== undefined && WRITTEN_BY_BACKEND.has(backend[3])) continue;
    if (path === `/local/domain/${domid}/vuart/0/tty`) continue; // xenconsoled's
    let shown = value;
    if (path === `/local/domain/${domid}/console/tty`) {
      // libxl writes "", xenconsoled the pty's path
      shown = mine ? (value === "" ? "<tty>" : `unexpected ${value}`) : "<tty>";
    } else if (
      backend && key === "state" && backend[1] !== "console" && backend[1] !== "vuart"
    ) {
      // libxl writes 1 (Initialising); the device backend moved it on to 2 (InitWait)
      shown = mine
        ? (value === "1" ? "<1 then 2>" : value)
        : (value === "2" ? "<1 then 2>" : value);
    }
    out[path] = [shown, perms];
  }
  return out;
}

const flavours: XenstoredFlavour[] = ["c", "ocaml"];
const missing = Object.fromEntries(flavours.map((f) => [f, xenstoredMissing(f)]));
for (const f of flavours) {
  if (missing[f]) console.log(`skipping the ${f} xenstored tests: ${missing[f]}`);
}

function daemonTest(
  name: string,
  fn: (
    xs: XenstoreClient,
    run: { flavour: XenstoredFlavour; ls(root: string): Promise<Tree> },
  ) => Promise<void>,
) {
  for (const flavour of flavours) {
    Deno.test({
      name: `${name} (${flavour === "c" ? "C xenstored" : "oxenstored"})`,
      ignore: missing[flavour] !== undefined,
      async fn() {
        await using xsd = await startXenstored({ flavour, domains: "0-10" });
        const xs = await openXenstore({ path: xsd.socketPath });
        try {
          await xs.write("/local/domain/0/name", "Domain-0");
          await xs.write("/local/domain/0/domid", "0");
          await fn(xs, {
            flavour,
            async ls(root: string) {
              const out = await xenstoreTool(xsd, "ls", ["-fp", root]);
              if (out.code !== 0) throw new Error(`xenstore-ls ${root}: ${out.stderr}`);
              return parseLs(out.stdout);
            },
          });
        } finally {
          xs.close();
        }
      },
    });
  }
}

/** A golden config as `prepareGuest` leaves it (the golden host's disk images were files). */
async function goldenConfig(name: string): Promise<DomainConfig> {
  const { config } = await prepareGuest(`${GOLDEN}cfg/${name}.cfg`, {
    xenVersion: RELEASE,
    resolveBackend: (n) => Promise.resolve(DRIVER_DOMAINS[n]),
    statTarget: () => "file",
  });
  return config;
}

for (const name of ["plain", "vuart", "gicv2", "disks", "virtio-grant", "virtio-max"]) {
  daemonTest(
    `golden ${name}: the domain's xenstore tree is the one real xl 4.17 left`,
    async (xs, run) => {
      const g = readGolden(name);
      const config = await goldenConfig(name);
      for (const [drv, id] of Object.entries(DRIVER_DOMAINS)) {
        if (config.disks.some((d) => d.backendDomname === drv)) {
          await createDriverDomain(xs, drv, id);
        }
      }
      await writeDomainXenstore(xs, { ...builderValues(g), config });
      const plans = planDomainDevices(config, { domid: g.domid, release: RELEASE });
      for (const plan of plans) await writeDevice(xs, plan);
      assert(g.sections.size >= 4);
      for (const [root, golden] of g.sections) {
        const mine = await run.ls(root);
        const ours = comparable(mine, g.domid, true);
        const theirs = comparable(golden, g.domid, false);
        assertEquals(ours, theirs, root);
        // The C daemon lists children in creation order: libxl's order shows through. (libxl
        // adds the disks before the consoles; xlite's create adds them after, so the order of
        // the domain's own nodes is compared without the disks'.)
        if (run.flavour === "c") {
          const own = (tree: Tree) => Object.keys(tree).filter((p) => !DISK_NODE.test(p));
          assertEquals(own(ours), own(theirs), `${root} order`);
        }
      }
    },
  );
}

daemonTest(
  "the writes are one transaction: a failure half-way leaves the store as it was",
  async (xs) => {
    const g = readGolden("vuart");
    const config = await goldenConfig("vuart");
    const dom = `/local/domain/${g.domid}`;
    // What a stale domain left: libxl's first operation removes it, inside the transaction.
    await xs.write(`${dom}/stale`, "left over");
    // A name over xenstore's 4096-byte payload limit fails some writes after the removal.
    const tooLong = "n".repeat(5000);
    await assertRejects(() =>
      writeDomainXenstore(xs, {
        ...builderValues(g),
        name: tooLong,
        config: { ...config, name: tooLong },
      })
    );
    assertEquals(await xs.read(`${dom}/stale`), "left over");
    assertEquals(await xs.directory(dom), ["stale"]);
    assertEquals(await xs.exists(`/libxl/${g.domid}`), false);
    assertEquals(await xs.exists(`/vm/${g.uuid}`), false);
    // The same call with a sound name writes every node.
    await writeDomainXenstore(xs, { ...builderValues(g), config });
    assertEquals(await xs.exists(`${dom}/stale`), false);
    for (const node of domainXenstoreNodes({ ...builderValues(g), config })) {
      assertEquals(await xs.read(node.path), node.value, node.path);
    }
  },
);

daemonTest("a second domain with the same name is refused, nothing written", async (xs) => {
  const g = readGolden("plain");
  const config = await goldenConfig("plain");
  await writeDomainXenstore(xs, { ...builderValues(g), config });
  const err = await assertRejects(
    () =>
      writeDomainXenstore(xs, { ...builderValues(g), config, domid: 7, uuid: crypto.randomUUID() }),
    XliteError,
  );
  assertEquals(err.message, `domain with name "plain" already exists.`);
  assertEquals(await xs.exists("/local/domain/7"), false);
  assertEquals(await xs.exists("/libxl/7"), false);
  // Re-writing the same domain (same domid) is not a clash.
  await writeDomainXenstore(xs, { ...builderValues(g), config });
});

daemonTest(
  "introduceDomain, then removeDomainXenstore leaves nothing of the domain",
  async (xs, run) => {
    const g = readGolden("disks");
    const config = await goldenConfig("disks");
    const values = builderValues(g);
    await writeDomainXenstore(xs, { ...values, config });
    for (
      const plan of planDomainDevices(config, { domid: g.domid })
    ) await writeDevice(xs, plan);
    assertEquals(await xs.isDomainIntroduced(g.domid), false);
    await introduceDomain(xs, g.domid, values.storeRingPfn, values.storePort);
    assertEquals(await xs.isDomainIntroduced(g.domid), true);
    await removeDomainXenstore(xs, g.domid);
    const left = Object.keys(await run.ls("/")).filter((p) =>
      p.startsWith(`/local/domain/${g.domid}`) || p.startsWith(`/libxl/${g.domid}`) ||
      p.startsWith(`/vm/${g.uuid}`) ||
      new RegExp(`^/local/domain/0/backend/[^/]+/${g.domid}(/|$)`).test(p)
    );
    assertEquals(left, []);
    // Cleaning up twice (a half-failed create, then destroy) is fine.
    await removeDomainXenstore(xs, g.domid);
  },
);

Deno.test("vuart without a vuart ring is refused before anything is written", async () => {
  const config = await goldenConfig("vuart");
  const values = builderValues(readGolden("vuart"));
  let thrown: unknown;
  try {
    domainXenstoreNodes({ ...values, config, vuart: undefined });
  } catch (error) {
    thrown = error;
  }
  assert(thrown instanceof XliteError);
  assertEquals(thrown.message, `domain 5: vuart="sbsa_uart" but no vuart ring was set up`);
});

Deno.test("start_time is seconds and hundredths, as libxl prints it", () => {
  assertEquals(startTimeValue(1795243662630), "1795243662.63");
  assertEquals(startTimeValue(1795243662005), "1795243662.00");
  assertEquals(startTimeValue(1795243662099), "1795243662.09");
});

Deno.test("vCPUs beyond vcpus= are offline, as libxl__build_post writes them", () => {
  const config = parseDomainConfig(`name="m"\nkernel="/k"\nmemory=64\nvcpus=2\nmaxvcpus=4\n`, {
    xenVersion: RELEASE,
  });
  const nodes = domainXenstoreNodes({
    domid: 9,
    name: "m",
    uuid: "11111111-2222-3333-4444-555555555555",
    config,
    storeRingPfn: 1n,
    storePort: 1,
    consoleRingPfn: 2n,
    consolePort: 2,
  });
  const avail = nodes.filter((n) => n.path.endsWith("/availability")).map((n) => n.value);
  assertEquals(avail, ["online", "online", "offline", "offline"]);
});

/** Two files real libxl 4.17 stored on the testbed, and the configs they came from. */
const USERDATA_CASES = [
  {
    file: "userdata-g1.libxl-json",
    uuid: "a862968c-2ec6-4c9a-b66b-8e38f9ea30da",
    cfg: `name = "g1"
type = "pvh"
kernel = "/boot/domu-kernel.gz"
ramdisk = "/boot/domu-initrd.gz"
extra = "console=hvc0 rdinit=/init xlite.hold"
memory = 128
vcpus = 1
`,
  },
  {
    file: "userdata-g2.libxl-json",
    uuid: "1e006528-ada4-447d-bb3a-ca6a96a28e52",
    cfg: `name = "g2"
type = "pvh"
kernel = "/boot/domu-kernel.gz"
ramdisk = "/boot/domu-initrd.gz"
extra = "console=hvc0 rdinit=/init xlite.hold"
memory = 128
vcpus = 2
maxvcpus = 3
vuart = "sbsa_uart"
disk = [ '/tmp/disk2.img,raw,xvda,rw' ]
`,
  },
];

for (const c of USERDATA_CASES) {
  Deno.test(`userdata: ${c.file} byte for byte as real libxl 4.17 stored it`, () => {
    const config = parseDomainConfig(c.cfg, { xenVersion: RELEASE });
    const real = Deno.readTextFileSync(`${FIXTURES}${c.file}`);
    assertEquals(domainUserdataJson(config, c.uuid), real);
  });
}

// Not "disks": there libxl 4.17's refresh drops disks it fails to match in xenstore
// ("both xen and virtio paths are present"), so xl list -l is not the stored JSON.
for (const name of ["plain", "vuart", "gicv2", "virtio-grant", "virtio-max"]) {
  Deno.test(`userdata: golden ${name}: what xl list -l showed is the stored JSON, refreshed`, async () => {
    // xl list -l prints libxl's stored config with the scheduler parameters filled in from
    // the hypervisor (the rest of the refresh — name, memory, online vCPUs — is unchanged
    // for a paused, never-run guest). Its stderr (libxl's warnings) precedes the JSON.
    const text = Deno.readTextFileSync(`${GOLDEN}${name}/xl-list-l.json`);
    const listed = JSON.parse(text.slice(text.indexOf("[\n"))) as {
      config: { c_info: { uuid: string }; b_info: { sched_params: unknown } };
    }[];
    const golden = listed[0].config;
    const config = await readDomainConfig(`${GOLDEN}cfg/${name}.cfg`, { xenVersion: RELEASE });
    const stored = domainUserdataJson(config, golden.c_info.uuid);
    assert(stored.endsWith("}\n\0"));
    const ours = JSON.parse(stored.slice(0, -1));
    ours.b_info.sched_params = golden.b_info.sched_params;
    assertEquals(JSON.stringify(ours, null, 1), JSON.stringify(golden, null, 1));
  });
}

Deno.test("userdata: stored 0600 under libxl's name, no temp file left", async () => {
  const dir = await Deno.makeTempDir({ prefix: "xlite-userdata-" });
  try {
    const c = USERDATA_CASES[0];
    const config = parseDomainConfig(c.cfg, { xenVersion: RELEASE });
    const path = await writeDomainUserdata(3, c.uuid, config, dir);
    assertEquals(path, `${dir}/userdata-d.3.${c.uuid}.libxl-json`);
    assertEquals((await Deno.stat(path)).mode! & 0o777, 0o600);
    assertEquals(await Deno.readTextFile(path), domainUserdataJson(config, c.uuid));
    assertEquals([...Deno.readDirSync(dir)].map((e) => e.name), [
      `userdata-d.3.${c.uuid}.libxl-json`,
    ]);
    const err = await assertRejects(
      () => writeDomainUserdata(3, c.uuid, config, `${dir}/missing`),
      XliteError,
    );
    assert(err.message.startsWith(`cannot store the domain config in ${dir}/missing/`));
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});
