/**
 * The per-release table (lib/xen/xen_abi.ts) against C compiled from real headers: the
 * host's libxen-dev (Debian bookworm: Xen 4.17) always, and Debian trixie's libxen-dev 4.20
 * when the trixie testbed cache holds it (tests/testbed/fetch.sh unpacks it to
 * `<cache>/trixie/dev`). The 4.18 and 4.19 rows were checked the same way against the
 * upstream headers at RELEASE-4.18.0 / RELEASE-4.19.0, which no package ships; here they are
 * data, held to what must relate them to the others.
 */
import { assert, assertEquals, assertThrows } from "../support/assert.ts";
import {
  type CreateDomainLayout,
  decodeCreatedArch,
  encodeCreateDomain,
  getdomaininfoSize,
  SUPPORTED_XEN_RANGE,
  UnsupportedXenError,
  XEN_ABIS,
  xenAbi,
} from "../../lib/xen/mod.ts";

const C_SOURCE = `
#include <stdio.h>
#include <stddef.h>
#include <stdint.h>
#undef __x86_64__
#undef __i386__
#define __aarch64__ 1
#define __XEN_TOOLS__ 1
#include <xen/xen.h>
#include <xen/domctl.h>
#include <xen/sysctl.h>
#define O(f) printf("\\"%s\\": %zu,", #f, offsetof(struct xen_domctl_createdomain, f));
int main(void) {
  printf("{");
  O(ssidref) O(handle) O(flags) O(iommu_opts) O(max_vcpus) O(max_evtchn_port)
  O(max_grant_frames) O(max_maptrack_frames) O(grant_opts)
#ifdef XEN_DOMCTL_ALTP2M_mode_mask
  O(altp2m_opts)
#endif
  O(vmtrace_size) O(cpupool_id) O(arch)
  printf("\\"size\\": %zu, \\"domctl\\": %d, \\"sysctl\\": %d, \\"getdomaininfo\\": %zu,"
         " \\"domctl_size\\": %zu, \\"major\\": %d, \\"minor\\": %d, \\"ffa\\": %d}\\n",
         sizeof(struct xen_domctl_createdomain), XEN_DOMCTL_INTERFACE_VERSION,
         XEN_SYSCTL_INTERFACE_VERSION, sizeof(struct xen_domctl_getdomaininfo),
         sizeof(struct xen_domctl), __XEN_LATEST_INTERFACE_VERSION__ >> 16 & 0xff,
         __XEN_LATEST_INTERFACE_VERSION__ >> 8 & 0xff,
#ifdef XEN_DOMCTL_CONFIG_TEE_FFA
         1
#else
         0
#endif
  );
  return 0;
}
`;

interface Compiled extends CreateDomainLayout {
  domctl: number;
  sysctl: number;
  getdomaininfo: number;
  domctl_size: number;
  ffa: number;
}

/** Compiles and runs the layout probe against `include` (a directory holding `xen/`). */
async function layoutFrom(include: string): Promise<Compiled> {
  const dir = await Deno.makeTempDir({ prefix: "xlite-abi-" });
  try {
    await Deno.writeTextFile(`${dir}/abi.c`, C_SOURCE);
    const cc = await new Deno.Command("cc", {
      args: ["-O0", "-Wall", "-I", include, "-o", `${dir}/abi`, `${dir}/abi.c`],
      stderr: "piped",
    }).output();
    if (!cc.success) throw new Error(new TextDecoder().decode(cc.stderr));
    const run = await new Deno.Command(`${dir}/abi`).output();
    return JSON.parse(new TextDecoder().decode(run.stdout));
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
}

function assertRowMatches(version: string, c: Compiled): void {
  const row = xenAbi({ major: 4, minor: Number(version.split(".")[1]) });
  const { domctl, sysctl, getdomaininfo, domctl_size, ffa, ...layout } = c;
  delete (layout as Record<string, unknown>).major;
  delete (layout as Record<string, unknown>).minor;
  assertEquals(row.createDomain, layout, `Xen ${version}: struct xen_domctl_createdomain`);
  assertEquals(row.domctlInterfaceVersion, domctl, `Xen ${version}: domctl interface version`);
  assertEquals(row.sysctlInterfaceVersion, sysctl, `Xen ${version}: sysctl interface version`);
  assertEquals(getdomaininfoSize("aarch64"), getdomaininfo, `Xen ${version}: getdomaininfo`);
  assertEquals(domctl_size, 144, `Xen ${version}: sizeof(struct xen_domctl)`);
  assertEquals(row.teeFfa, ffa === 1, `Xen ${version}: XEN_DOMCTL_CONFIG_TEE_FFA`);
}

const hostHeaders = (() => {
  try {
    return Deno.statSync("/usr/include/xen/domctl.h").isFile;
  } catch {
    return false;
  }
})();

Deno.test({
  name: "xen_abi: the 4.17 row equals C compiled from the host's libxen-dev 4.17 headers",
  ignore: !hostHeaders,
  async fn() {
    assertRowMatches("4.17", await layoutFrom("/usr/include"));
  },
});
if (!hostHeaders) console.log("skipping the 4.17 header check: no /usr/include/xen (libxen-dev)");

const cache = Deno.env.get("XLITE_TESTBED_CACHE") ??
  `${Deno.env.get("XDG_CACHE_HOME") ?? `${Deno.env.get("HOME")}/.cache`}/xlite-testbed`;
const trixieHeaders = `${cache}/trixie/dev/usr/include`;
const haveTrixie = (() => {
  try {
    return Deno.statSync(`${trixieHeaders}/xen/domctl.h`).isFile;
  } catch {
    return false;
  }
})();
if (!haveTrixie) {
  console.log(
    `skipping the 4.20 header check: no ${trixieHeaders} (XLITE_TESTBED_SUITE=trixie ` +
      "bash tests/testbed/run.sh --check fetches it)",
  );
}

Deno.test({
  name: "xen_abi: the 4.20 row equals C compiled from Debian trixie's libxen-dev 4.20 headers",
  ignore: !haveTrixie,
  async fn() {
    assertRowMatches("4.20", await layoutFrom(trixieHeaders));
  },
});

Deno.test("xen_abi: 4.17–4.20, altp2m_opts from 4.19 shifts the tail by 4 bytes", () => {
  assertEquals(XEN_ABIS.map((a) => `${a.version.major}.${a.version.minor}`), [
    "4.17",
    "4.18",
    "4.19",
    "4.20",
  ]);
  assertEquals(XEN_ABIS.map((a) => a.domctlInterfaceVersion), [0x15, 0x16, 0x17, 0x17]);
  assertEquals(XEN_ABIS.map((a) => a.createDomain.size), [68, 68, 72, 72]);
  assertEquals(xenAbi({ major: 4, minor: 20 }).xenctrlSonames, ["libxenctrl.so.4.20"]);
  for (const a of XEN_ABIS) {
    const L = a.createDomain;
    assertEquals(L.size, L.arch + 12, "the Arm arch config (12 bytes) ends the struct");
    assert(L.altp2m_opts === undefined || L.vmtrace_size === L.altp2m_opts + 4);
  }
});

Deno.test("xen_abi: a 4.20 request puts each field where 4.20's header has it", () => {
  const layout = xenAbi({ major: 4, minor: 20 }).createDomain;
  const bytes = encodeCreateDomain({
    ssidref: 0,
    handle: new Uint8Array(16).fill(0xab),
    flags: 3,
    iommuOpts: 0,
    maxVcpus: 4,
    maxEvtchnPort: 1023,
    maxGrantFrames: -1,
    maxMaptrackFrames: -1,
    grantOpts: 1,
    vmtraceSize: 0x55,
    cpupoolId: 7,
    gicVersion: 2,
    teeType: 2,
    nrSpis: 32,
  }, layout);
  const v = new DataView(bytes.buffer);
  assertEquals(bytes.length, 72);
  assertEquals(v.getUint32(48, true), 0, "altp2m_opts");
  assertEquals(v.getUint32(52, true), 0x55, "vmtrace_size");
  assertEquals(v.getUint32(56, true), 7, "cpupool_id");
  assertEquals([v.getUint8(60), v.getUint16(62, true), v.getUint32(64, true)], [2, 2, 32]);
  v.setUint32(68, 62_500_000, true); // clock_frequency, written by Xen
  assertEquals(decodeCreatedArch(bytes, layout), { gicVersion: 2, clockFrequency: 62_500_000 });
});

Deno.test("xen_abi: another release is refused in one line", () => {
  assertEquals(SUPPORTED_XEN_RANGE, "4.17–4.20");
  const error = assertThrows(() => xenAbi({ major: 4, minor: 23 }), UnsupportedXenError);
  assertEquals(error.message, "Xen 4.23 is not supported by this xlite: 4.17–4.20");
  assertThrows(() => xenAbi({ major: 4, minor: 16 }), UnsupportedXenError, "Xen 4.16");
});
