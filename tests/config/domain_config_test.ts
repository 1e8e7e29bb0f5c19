/**
 * parseDomainConfig: xl's defaults and combination rules (xl_parse.c, libxl), the Arm type
 * rules, generic virtio tokenising (spec §2.9), disks through the disk-spec engine, and
 * the errors for bad values.
 */
import { assert, assertEquals, assertThrows } from "../support/assert.ts";
import {
  DomainConfigError,
  parseDomainConfig,
  parseVirtioSpec,
  readDomainConfig,
  VirtioSpecError,
  XlCfgError,
} from "../../lib/config/mod.ts";
import { DiskSpecError } from "../../lib/disk/mod.ts";
import { DOMAIN_KEYS } from "../../lib/config/domain_config.ts";
import { KNOWN_XL_KEYS } from "../../lib/config/xl_keys.ts";

const V417 = { major: 4, minor: 17 };
const V418 = { major: 4, minor: 18 };
const V419 = { major: 4, minor: 19 };
const fixture = (name: string) => new URL(`../fixtures/${name}`, import.meta.url).pathname;
const base = 'name = "vm"\nkernel = "/boot/Image"\n';
const parse = (extra: string, options = {}) =>
  parseDomainConfig(base + extra, { source: "vm.cfg", xenVersion: V419, ...options });
const refuse = (extra: string, message: string, options = {}) => {
  const error = assertThrows(() => parse(extra, options));
  assertEquals((error as Error).message, message);
  return error;
};

Deno.test("defaults: 32 MiB, one vCPU, destroy/restart/destroy, pvh, GIC default", async () => {
  const config = await readDomainConfig(fixture("minimal.cfg"));
  assertEquals(config.source, fixture("minimal.cfg"));
  assertEquals(
    [config.memory, config.maxmem, config.vcpus, config.maxvcpus],
    [32, 32, 1, 1],
  );
  assertEquals([config.onPoweroff, config.onReboot, config.onCrash], [
    "destroy",
    "restart",
    "destroy",
  ]);
  assertEquals([config.type, config.gicVersion, config.tee], ["pvh", "default", "none"]);
  assertEquals([config.disks, config.virtios, config.vifs, config.irqs], [[], [], [], []]);
  assertEquals(config.warnings, []);
  assertEquals(config.vuart, undefined);
  assertEquals(config.nrSpis, undefined);
});

Deno.test("memory/maxmem and vcpus/maxvcpus follow each other as in xl", () => {
  const a = parse("memory = 512\n");
  assertEquals([a.memory, a.maxmem], [512, 512]);
  const b = parse("maxmem = 768\n");
  assertEquals([b.memory, b.maxmem], [768, 768]);
  const c = parse("vcpus = 3\n");
  assertEquals([c.vcpus, c.maxvcpus], [3, 3]);
  const d = parse("maxvcpus = 4\n");
  assertEquals([d.vcpus, d.maxvcpus], [1, 4]);
  refuse("vcpus = 4\nmaxvcpus = 2\n", "xl: maxvcpus < vcpus");
  refuse(
    "memory = 512\nmaxmem = 256\n",
    "vm.cfg: maxmem (256) is smaller than memory (512); a guest cannot start above its maximum",
  );
});

Deno.test("the fixture guest: every key an Arm guest uses", async () => {
  const config = await readDomainConfig(fixture("arm_virtio_guest.cfg"), { xenVersion: V419 });
  assertEquals(config.name, "guest1");
  assertEquals(config.cmdline, "root=/dev/vda console=hvc0 earlycon");
  assertEquals([config.kernel, config.ramdisk], ["/boot/Image", "/boot/initrd.img"]);
  assertEquals([config.memory, config.vcpus, config.vuart, config.gicVersion], [
    1024,
    2,
    "sbsa_uart",
    "v3",
  ]);
  assertEquals(config.disks.length, 1);
  assertEquals(config.disks[0].specification, "virtio");
  assertEquals(config.disks[0].vdev, "xvda");
  assertEquals(config.virtios, [{
    backendDomid: 1,
    backendDomname: "1",
    transport: "mmio",
    type: "virtio,device22",
    devid: 0,
    irq: 0,
    base: 0n,
  }]);
  assertEquals(config.vifs, [{
    spec: "mac=00:16:3e:5a:00:01,bridge=xenbr0",
    devid: 0,
    backendDomid: 0,
    mtu: 0,
    mac: [0x00, 0x16, 0x3e, 0x5a, 0x00, 0x01],
    bridge: "xenbr0",
  }]);
  assertEquals(config.onCrash, "preserve");
});

Deno.test("cmdline, root and extra combine as xl's parse_cmdline", () => {
  assertEquals(parse("root = '/dev/vda'\n").cmdline, "root=/dev/vda");
  assertEquals(parse("extra = 'quiet'\n").cmdline, "quiet");
  assertEquals(parse("root = '/dev/vda'\nextra = 'quiet'\n").cmdline, "root=/dev/vda quiet");
  const both = parse("cmdline = 'a b'\nroot = '/dev/vda'\n");
  assertEquals(both.cmdline, "a b");
  assert(both.warnings.includes("Warning: ignoring root= and extra= in favour of cmdline="));
  assertEquals(parse("").cmdline, undefined);
});

Deno.test("type: prefix matching, pv converted to pvh with libxl's warnings, hvm refused", () => {
  const pv = parse("type = 'pv'\n");
  assertEquals(pv.type, "pvh");
  assertEquals(pv.warnings, [
    "libxl: warning: Converting PV guest to PVH.",
    "libxl: warning: Arm guest are now PVH.",
    "libxl: warning: Please fix your configuration file/toolstack.",
  ]);
  assertEquals(parse("builder = 'generic'\n").warnings.length, 3); // deprecated builder = pv
  refuse("type = 'hvm'\n", "Unsupported Arm guest type hvm");
  refuse("type = 'h'\n", "Unsupported Arm guest type hvm"); // xl's strncmp prefix match
  refuse("type = 'pvx'\n", "Invalid domain type pvx.");
  refuse("type = 'pv'\nbuilder = 'hvm'\n", `Contradicting "builder" and "type" options specified.`);
});

Deno.test("overrides on the command line replace file values", () => {
  const config = parse("memory = 256\n", {
    overrides: ["memory=512", "disk=['/x,raw,xvda,specification=virtio']"],
  });
  assertEquals(config.memory, 512);
  assertEquals(config.disks[0].pdevPath, "/x");
});

Deno.test("unknown keys are warnings; xl keys xlite ignores say so", () => {
  const config = parse("memroy = 512\npci = []\ncpu_weight = 256\n");
  assertEquals(config.warnings, [
    "vm.cfg: warning: unknown option `memroy'; ignored",
    "vm.cfg: warning: `pci' is not supported by xlite (Arm guests); ignored",
    "vm.cfg: warning: `cpu_weight' is not supported by xlite (Arm guests); ignored",
  ]);
});

Deno.test("cpus / cpus_soft: a string for every vCPU, a list for the first ones, xl's errors", () => {
  const one = parse("vcpus = 3\ncpus = '0-1'\ncpus_soft = ['1', '0', '1', '0']\n");
  assertEquals(one.vcpuHardAffinity, ["0-1", "0-1", "0-1"]);
  assertEquals(one.vcpuSoftAffinity, ["1", "0", "1"]);
  assertEquals(parse("vcpus = 2\ncpus = ['all']\n").vcpuHardAffinity, ["all"]);
  assertEquals(parse("").vcpuHardAffinity, undefined);
  refuse("cpus = '3-1'\n", "Invalid pcpu range: 3-1.");
  refuse("cpus_soft = '^all'\n", `Can't combine "^" and "all".`);
});

Deno.test("release differences: virtio= from 4.18, nr_spis= from 4.19, tee=ffa from 4.18", () => {
  const text = "virtio = ['type=virtio,device22,transport=mmio']\nnr_spis = 64\n";
  const old = parse(text, { xenVersion: V417 });
  assertEquals([old.virtios, old.nrSpis], [[], undefined]);
  assertEquals(old.warnings, [
    "vm.cfg: warning: `virtio' needs Xen 4.18 or later (emulating Xen 4.17); ignored",
    "vm.cfg: warning: `nr_spis' needs Xen 4.19 or later (emulating Xen 4.17); ignored",
  ]);
  const mid = parse(text, { xenVersion: V418 });
  assertEquals([mid.virtios.length, mid.nrSpis], [1, undefined]);
  assertEquals(mid.warnings, [
    "vm.cfg: warning: `nr_spis' needs Xen 4.19 or later (emulating Xen 4.18); ignored",
  ]);
  assertEquals(parse(text).nrSpis, 64);
  assertEquals(parse(text).warnings, []);
  assertEquals(parse("tee = 'FFA'\n").tee, "ffa");
  // libxl_types.idl: libxl_tee_type gained `ffa` in RELEASE-4.18.0.
  assertEquals(parse("tee = 'ffa'\n", { xenVersion: V418 }).tee, "ffa");
  refuse("tee = 'ffa'\n", `Unknown tee "ffa" specified`, { xenVersion: V417 });
});

Deno.test("vif items are read as xl's parse_nic_config: devid by index, no warning", () => {
  const config = parse("vif = ['bridge=xenbr0', ' ip=10.0.0.2,,type=vif,devid=7']\n");
  assertEquals(config.vifs.map((v) => [v.devid, v.bridge, v.ip, v.nictype]), [
    [0, "xenbr0", undefined, undefined],
    [7, undefined, "10.0.0.2", "vif"],
  ]);
  assertEquals(config.warnings, []);
});

Deno.test("a refused vif word is xl's message and the item goes on (xl create ignores it)", () => {
  const config = parse("vif = ['mac=00:16:3e:zz:00:01,bridge=br1,colour=blue']\n");
  // xl keeps the bytes read before the bad one.
  assertEquals(config.vifs[0].mac, [0x00, 0x16, 0x3e, 0, 0, 0]);
  assertEquals(config.vifs[0].bridge, "br1");
  assertEquals(config.warnings, [
    "Invalid parameter `mac'.",
    "unrecognized argument `colour=blue'",
  ]);
});

Deno.test("vif rate= errors end the parse with libxlutil's line", () => {
  refuse(
    "vif = ['rate=10Xb/s']\n",
    "vm.cfg: config parsing error in vif: invalid rate in `10Xb/s'",
  );
  refuse("vif = ['mtu=x']\n", 'xl: failed to convert "x" to number');
});

Deno.test("the key table: xl keys only, each once, none newer than the Xen xlite knows", () => {
  const keys = DOMAIN_KEYS.map((row) => row.key);
  assertEquals(keys.filter((key) => !KNOWN_XL_KEYS.has(key)), []);
  assertEquals(new Set(keys).size, keys.length);
  assertEquals(DOMAIN_KEYS.filter((row) => row.ignored).map((row) => row.key), []);
  assertEquals(
    DOMAIN_KEYS.filter((row) => row.since.minor > 17).map((row) => `${row.key} ${row.since.minor}`),
    ["nr_spis 19", "virtio 18"],
  );
});

Deno.test("vpmu and llc_colors are xl keys, warned as unsupported rather than unknown", () => {
  assertEquals(parse("vpmu = 1\nllc_colors = ['0-3']\n").warnings, [
    "vm.cfg: warning: `vpmu' is not supported by xlite (Arm guests); ignored",
    "vm.cfg: warning: `llc_colors' is not supported by xlite (Arm guests); ignored",
  ]);
});

Deno.test("invalid values: xl's own texts, or libxlutil's text for the problem", () => {
  refuse("memory = 'lots'\n", `vm.cfg:3: parameter \`memory' is not a valid number (got "lots")`);
  refuse("memory = 0\n", "vm.cfg:3: parameter `memory' = 0 is out of range (1..4398046511104)");
  refuse("memory += 1\n", "vm.cfg:3: can't use += with numbers for parameter `memory' (got \"1\")");
  refuse("kernel = ['a']\n", "vm.cfg:3: parameter `kernel' is a list but should be a single value");
  refuse(
    "disk = '/x,raw,xvda'\n",
    "vm.cfg:3: parameter `disk' is a single value but should be a list",
  );
  refuse("vuart = 'pl011'\n", `ERROR: invalid value "pl011" for "vuart"`);
  refuse("gic_version = 'v4'\n", `Unknown gic_version "v4" specified`);
  refuse("on_crash = 'explode'\n", `Unknown on_crash action "explode" specified`);
  refuse("on_watchdog = 'x'\n", `Unknown on_watchdog action "x" specified`);
  refuse("uuid = 'not-a-uuid'\n", "Failed to parse UUID: not-a-uuid");
  refuse("irqs = ['12a']\n", "xl: Invalid argument parsing irq: 12a");
  refuse("irqs = ['4294967295']\n", "xl: irq ffffffff too big");
  refuse("irqs = [['1']]\n", "xl: Unable to get element 0 in irq list");
  refuse("iomem = ['0x100']\n", "xl: Invalid argument parsing iomem: 0x100");
  refuse("nr_spis = '-1'\n", "vm.cfg:3: parameter `nr_spis' = -1 is out of range (0..4294967294)");
  const noName = assertThrows(
    () => parseDomainConfig('kernel = "/k"\n', { source: "x.cfg" }),
    DomainConfigError,
  );
  assertEquals(noName.message, "Domain name must be specified.");
  assertEquals(
    assertThrows(() => parseDomainConfig('name = "x"\n', { source: "x.cfg" })).message,
    "Neither kernel nor bootloader specified",
  );
  assertThrows(() => parse("memory = = 1\n"), XlCfgError);
});

Deno.test("disks go through the disk-spec engine with the config file as source", () => {
  const error = assertThrows(() => parse("disk = ['/x,raw,xvda', 'foo=bar']\n"), DiskSpecError);
  assertEquals(
    error.message,
    "vm.cfg: config parsing error in disk specification: unknown parameter: near `foo=b' in `foo=bar'",
  );
  // xl reads list items up to the first non-string.
  assertEquals(parse("disk = ['/x,raw,xvda', ['nested'], '/y,raw,xvdb']\n").disks.length, 1);
});

Deno.test("iomem, irqs and dtdev are carried", () => {
  const config = parse(
    "iomem = ['0x1000,2@0x2000', 'ff,1']\nirqs = ['100', ' 7']\ndtdev = ['/soc/x']\n",
  );
  assertEquals(config.iomem, [
    { start: 0x1000n, numberOfPages: 2n, gfn: 0x2000n },
    { start: 0xffn, numberOfPages: 1n, gfn: 0xffn },
  ]);
  assertEquals(config.irqs, [100, 7]);
  assertEquals(config.dtdev, ["/soc/x"]);
});

Deno.test("virtio spec tokenising (spec §2.9): glued type, devid = index, xl's errors", () => {
  const config = parse(
    "virtio = ['type=virtio,device22,transport=mmio', 'backend=dom1, type=virtio,device29,grant_usage=0x0', 'type=virtio-x,y']\n",
  );
  assertEquals(config.virtios.map((v) => [v.devid, v.type, v.transport]), [
    [0, "virtio,device22", "mmio"],
    [1, "virtio,device29", "unknown"],
    [2, "virtio-x,y", "unknown"],
  ]);
  assertEquals([config.virtios[1].backendDomname, config.virtios[1].grantUsage], ["dom1", false]);
  assertEquals(parseVirtioSpec("grant_usage=1,,,transport=MMIO", 5), {
    backendDomid: 0,
    transport: "mmio",
    devid: 5,
    irq: 0,
    base: 0n,
    grantUsage: true,
  });
  // The quirk: a `type=virtio…` glues the next field even when that is another key.
  assertEquals(
    parseVirtioSpec("type=virtio-foo,transport=mmio", 0).type,
    "virtio-foo,transport=mmio",
  );
  const unknown = assertThrows(
    () => parseVirtioSpec("type=virtio,device22,irq=5", 0),
    VirtioSpecError,
  );
  assertEquals(unknown.message, 'Unknown string "irq=5" in virtio spec');
  assertEquals(
    assertThrows(() => parseVirtioSpec("transport=mmio, ", 0)).message,
    'Unknown string "" in virtio spec',
  );
  assertThrows(() => parseVirtioSpec("transport=pci", 0), VirtioSpecError, "unknown transport");
  assertThrows(() => parseVirtioSpec("type=virtio", 0), VirtioSpecError, "needs the device part");
});
