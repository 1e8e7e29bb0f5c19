import { assertEquals, assertThrows } from "../support/assert.ts";
import { CpuRangeError, parseCpuRange, printBitmap } from "../../lib/config/cpumap.ts";
import { clockTime, uptimeLine, uptimeToString } from "../../lib/domain/uptime.ts";
import { parseMemSizeKb } from "../../lib/domain/memory.ts";
import { formatXlInfo, type HostReport, xlInfoJson } from "../../lib/domain/xl_info.ts";
import { printfFixed1, VCPU_LIST_HEADER, vcpuLine } from "../../lib/domain/vcpu.ts";
import { decodePhysinfo, PHYSINFO_SIZE, XEN_SYSCTL_PHYSCAP } from "../../lib/xen/host_control.ts";
import { strtolDomid } from "../../lib/cli/domname.ts";

const map = (...bits: number[]) => {
  const m = new Uint8Array(2);
  for (const b of bits) m[b >> 3] |= 1 << (b & 7);
  return m;
};

Deno.test("printBitmap: xl's print_bitmap ranges, 'all' and 'none'", () => {
  assertEquals(printBitmap(map(), 4), "none");
  assertEquals(printBitmap(map(0, 1, 2, 3), 4), "all");
  assertEquals(printBitmap(map(0), 1), "all");
  assertEquals(printBitmap(map(1), 2), "1");
  assertEquals(printBitmap(map(0, 1, 3), 4), "0-1,3");
  assertEquals(printBitmap(map(1, 2, 3), 4), "1-3");
  // bits past the printed length are not looked at
  assertEquals(printBitmap(map(0, 1, 9), 2), "all");
  assertEquals(printBitmap(map(0, 2, 3, 4, 7, 8), 10), "0,2-4,7-8");
});

Deno.test("parseCpuRange: lists, ranges, '^' removal and 'all' as xl's parse_cpurange", () => {
  assertEquals(printBitmap(parseCpuRange("0-3,^1", 1), 8), "0,2-3");
  assertEquals(printBitmap(parseCpuRange("all", 1), 8), "all");
  assertEquals(printBitmap(parseCpuRange("all,^0", 1), 8), "1-7");
  assertEquals(printBitmap(parseCpuRange("5", 1), 8), "5");
  // a CPU past the map is dropped, as libxl_bitmap_set does
  assertEquals(printBitmap(parseCpuRange("1,12", 1), 8), "1");
  assertThrows(() => parseCpuRange("3-1", 1), CpuRangeError, "Invalid pcpu range: 3-1.");
  assertThrows(() => parseCpuRange("x", 1), CpuRangeError, "Invalid pcpu range: x.");
  assertThrows(() => parseCpuRange("1x", 1), CpuRangeError, "Invalid pcpu range: 1x.");
  assertThrows(() => parseCpuRange("^all", 1), CpuRangeError, `Can't combine "^" and "all".`);
});

Deno.test("uptimeToString: xl's long and short forms, one day and several", () => {
  assertEquals(uptimeToString(5, false), " 0:00:05");
  assertEquals(uptimeToString(3 * 3600 + 7 * 60 + 9, false), " 3:07:09");
  assertEquals(uptimeToString(86400 + 12 * 3600 + 60, false), "1 day, 12:01:00");
  assertEquals(uptimeToString(3 * 86400 + 59, true), "3 days,  0:00");
  assertEquals(uptimeToString(61, true), " 0:01");
});

Deno.test("uptimeLine: '%-33s %4d %s' and the short ' HH:MM:SS up ..., name (id)'", () => {
  const now = new Date(2026, 0, 2, 3, 4, 5);
  assertEquals(clockTime(now), "03:04:05");
  assertEquals(uptimeLine("g1", 3, 65, false, now), `g1${" ".repeat(31)}    3  0:01:05`);
  assertEquals(uptimeLine("g1", 3, 65, true, now), " 03:04:05 up  0:01, g1 (3)");
  assertEquals(uptimeLine(undefined, 7, 0, false, now).slice(0, 6), "(null)");
});

Deno.test("parseMemSizeKb: xl's parse_mem_size_kb (MiB by default, b/k/m/g/t)", () => {
  assertEquals(parseMemSizeKb("128"), 131072);
  assertEquals(parseMemSizeKb("100m"), 102400);
  assertEquals(parseMemSizeKb("1G"), 1048576);
  assertEquals(parseMemSizeKb("1t"), 1073741824);
  assertEquals(parseMemSizeKb("2048k"), 2048);
  assertEquals(parseMemSizeKb("4096b"), 4);
  assertEquals(parseMemSizeKb("12q"), undefined);
  assertEquals(parseMemSizeKb("12mb"), undefined);
});

Deno.test("decodePhysinfo: struct xen_sysctl_physinfo's offsets", () => {
  const buf = new Uint8Array(PHYSINFO_SIZE);
  const v = new DataView(buf.buffer);
  v.setUint32(0, 1, true); // threads_per_core
  v.setUint32(4, 2, true); // cores_per_socket
  v.setUint32(8, 2, true); // nr_cpus
  v.setUint32(12, 1, true); // max_cpu_id
  v.setUint32(16, 1, true); // nr_nodes
  v.setUint32(24, 62500, true); // cpu_khz
  v.setUint32(28, XEN_SYSCTL_PHYSCAP.hvm | XEN_SYSCTL_PHYSCAP.hap, true);
  v.setUint32(32, 4, true); // arch_capabilities: SVE 512 bits
  v.setBigUint64(40, 524288n, true);
  v.setBigUint64(48, 100000n, true);
  v.setBigUint64(64, 7n, true);
  v.setUint32(80 + 28, 0xdead, true);
  const p = decodePhysinfo(v);
  assertEquals([p.threadsPerCore, p.coresPerSocket, p.nrCpus, p.maxCpuId, p.nrNodes], [
    1,
    2,
    2,
    1,
    1,
  ]);
  assertEquals([p.cpuKhz, p.totalPages, p.freePages, p.outstandingPages], [
    62500,
    524288n,
    100000n,
    7n,
  ]);
  assertEquals(p.hwCap[7], 0xdead);
  assertEquals(p.archCapabilities, 4);
});

const REPORT: HostReport = {
  uname: { nodename: "dom0", release: "6.1.0", version: "#1 SMP", machine: "aarch64" },
  phys: {
    threadsPerCore: 1,
    coresPerSocket: 1,
    nrCpus: 2,
    maxCpuId: 1,
    nrNodes: 1,
    cpuKhz: 62500,
    capabilities: XEN_SYSCTL_PHYSCAP.hvm | XEN_SYSCTL_PHYSCAP.hap |
      XEN_SYSCTL_PHYSCAP.gnttab_v1,
    archCapabilities: 0,
    totalPages: 524288n,
    freePages: 300000n,
    scrubPages: 0n,
    outstandingPages: 256n,
    hwCap: [0, 0, 0, 0, 0, 0, 0, 0],
  },
  sharing: { freed: 0n, used: 0n },
  version: {
    major: 4,
    minor: 17,
    extra: ".7",
    capabilities: "xen-3.0-aarch64 xen-3.0-armv7l ",
    changeset: "",
    virtStart: 0x200000n,
    pagesize: 4096,
    commandline: "dom0_mem=768M",
    compiler: "gcc",
    compileBy: "pkg",
    compileDomain: "debian.org",
    compileDate: "Mon Jan 1",
    buildId: "ab01",
  },
  freeCpus: 0,
  scheduler: "credit2",
};

Deno.test("formatXlInfo: xl info's lines (23-column names), memory in MiB", () => {
  const text = formatXlInfo(REPORT);
  const lines = text.split("\n");
  assertEquals(lines[0], "host                   : dom0");
  assertEquals(lines.at(-1), "");
  assertEquals(lines.at(-2), "xend_config_format     : 4");
  const byName = (name: string) => lines.find((l) => l.startsWith(name + " "));
  assertEquals(byName("cpu_mhz"), "cpu_mhz                : 62.500");
  assertEquals(
    byName("hw_caps"),
    `hw_caps                : ${Array(8).fill("00000000").join(":")}`,
  );
  assertEquals(byName("virt_caps"), "virt_caps              : hvm hap gnttab-v1");
  assertEquals(byName("total_memory"), "total_memory           : 2048");
  assertEquals(byName("free_memory"), "free_memory            : 1170"); // (300000-256)/256
  assertEquals(byName("xen_version"), "xen_version            : 4.17.7");
  assertEquals(byName("platform_params"), "platform_params        : virt_start=0x200000");
  assertEquals(byName("arm_sve_vector_length"), undefined); // xl 4.17 has no such line
});

Deno.test("formatXlInfo on Xen 4.18+: arm_sve_vector_length after virt_caps, as xl 4.20 prints it", () => {
  const report = (sve: number): HostReport => ({
    ...REPORT,
    phys: { ...REPORT.phys, archCapabilities: sve },
    version: { ...REPORT.version, minor: 20, extra: ".4" },
  });
  const lines = formatXlInfo(report(0)).split("\n");
  const at = lines.findIndex((l) => l.startsWith("virt_caps "));
  assertEquals(lines[at + 1], "arm_sve_vector_length  : 0");
  assertEquals(lines[at + 2].startsWith("total_memory "), true);
  assertEquals(formatXlInfo(report(4 | 0x20), "arm_sve"), "512\n"); // only bits 0-4 count
});

Deno.test("formatXlInfo FIELD: maybe_printf prints the values of the lines starting with it", () => {
  assertEquals(formatXlInfo(REPORT, "xen_version"), "4.17.7\n");
  assertEquals(formatXlInfo(REPORT, "xen_m"), "4\n17\n");
  assertEquals(formatXlInfo(REPORT, "nosuch"), "");
  // virt_caps has no space after its colon when empty: not matched, as in xl
  const bare = { ...REPORT, phys: { ...REPORT.phys, capabilities: 0 } };
  assertEquals(formatXlInfo(bare, "virt_caps"), "");
  assertEquals(xlInfoJson(REPORT).xen_caps, "xen-3.0-aarch64 xen-3.0-armv7l ");
});

Deno.test("vcpuLine: xl vcpu-list's columns, online and offline vCPUs", () => {
  assertEquals(
    VCPU_LIST_HEADER,
    "Name                                ID  VCPU   CPU State   Time(s) Affinity (Hard / Soft)",
  );
  const v = {
    vcpuid: 1,
    online: true,
    blocked: true,
    running: false,
    cpuTime: 1_250_000_000,
    cpu: 0,
    hard: map(1),
    soft: map(0, 1),
  };
  assertEquals(
    vcpuLine("g1", 5, v, 2),
    "g1                                   5     1    0   -b-       1.2  1 / all",
  );
  assertEquals(
    vcpuLine("g1", 5, { ...v, online: false }, 2),
    "g1                                   5     1    -   --p       1.2  1 / all",
  );
});

Deno.test("strtolDomid: C strtol into a uint32_t, undefined without digits", () => {
  assertEquals(strtolDomid("5"), 5);
  assertEquals(strtolDomid("5abc"), 5);
  assertEquals(strtolDomid(" 7"), 7);
  assertEquals(strtolDomid("-1"), 0xffffffff);
  assertEquals(strtolDomid("abc"), undefined);
});

Deno.test("printfFixed1: glibc's %.1f rounds exact ties to even, toFixed would round up", () => {
  assertEquals(printfFixed1(1.25), "1.2");
  assertEquals(printfFixed1(1.75), "1.8");
  assertEquals(printfFixed1(0.25), "0.2");
  assertEquals(printfFixed1(2.5), "2.5");
  assertEquals(printfFixed1(1.26), "1.3");
  assertEquals(printfFixed1(0.05), "0.1"); // not a tie: 0.05 is a little above
  assertEquals(printfFixed1(0.15), "0.1"); // not a tie: 0.15 is a little below
});
