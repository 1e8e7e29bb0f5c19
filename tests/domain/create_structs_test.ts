/**
 * The structs `xlite create` hands to Xen, byte for byte against a C peer that fills the same
 * structs from Debian's libxen-dev 4.17 headers (tests/native/xen-structs), and the pure
 * helpers of the build (RAM extents, P2M pool size).
 */
import { assertEquals } from "../support/assert.ts";
import {
  CREATEDOMAIN,
  decodeCreatedArch,
  encodeCreateDomain,
  XEN_DOMCTL_CDF_hap,
  XEN_DOMCTL_CDF_hvm,
} from "../../lib/xen/create_domain_config.ts";
import { arm64BootContext, VCPU_GUEST_CONTEXT } from "../../lib/domain/arm_boot.ts";
import { populateExtents, requiredShadowKb } from "../../lib/domain/build_domain.ts";
import { toHex, xenStructsPeer } from "../native/xen-structs/peer.ts";

Deno.test("xen_domctl_createdomain (Arm) equals the C struct from Xen 4.17's headers", async () => {
  const cases = [
    { flags: XEN_DOMCTL_CDF_hvm | XEN_DOMCTL_CDF_hap, vcpus: 1, gic: 0, tee: 0, spis: 0 },
    { flags: XEN_DOMCTL_CDF_hvm | XEN_DOMCTL_CDF_hap, vcpus: 4, gic: 2, tee: 1, spis: 12 },
    { flags: 0xa3, vcpus: 128, gic: 1, tee: 0, spis: 991 },
  ];
  for (const c of cases) {
    const handle = crypto.getRandomValues(new Uint8Array(16));
    const ours = encodeCreateDomain({
      ssidref: 0,
      handle,
      flags: c.flags,
      iommuOpts: 0,
      maxVcpus: c.vcpus,
      maxEvtchnPort: 1023,
      maxGrantFrames: -1,
      maxMaptrackFrames: -1,
      grantOpts: 1,
      vmtraceSize: 0,
      cpupoolId: 0,
      gicVersion: c.gic,
      teeType: c.tee,
      nrSpis: c.spis,
    });
    const theirs = await xenStructsPeer(
      "createdomain",
      toHex(handle),
      String(c.flags),
      String(c.vcpus),
      "1023",
      "-1",
      "-1",
      "1",
      String(c.gic),
      String(c.tee),
      String(c.spis),
    );
    assertEquals(ours.length, CREATEDOMAIN.size);
    assertEquals(toHex(ours), theirs, JSON.stringify(c));
  }
});

Deno.test("the OUT fields are read where Xen writes them", () => {
  const bytes = new Uint8Array(CREATEDOMAIN.size);
  const view = new DataView(bytes.buffer);
  view.setUint8(CREATEDOMAIN.arch, 2);
  view.setUint32(CREATEDOMAIN.arch + 8, 62_500_000, true);
  assertEquals(decodeCreatedArch(bytes), { gicVersion: 2, clockFrequency: 62_500_000 });
});

Deno.test("arm64 vCPU 0 context equals vcpu_arm64's (xg_dom_arm.c) in C", async () => {
  for (const [entry, dtb] of [[0x40000000n, 0x47fff000n], [0x40080000n, 0x4bfff000n]]) {
    const ours = arm64BootContext({ entry, dtbAddress: dtb });
    assertEquals(ours.length, VCPU_GUEST_CONTEXT.size);
    assertEquals(
      toHex(ours),
      await xenStructsPeer("vcpu", `0x${entry.toString(16)}`, `0x${dtb.toString(16)}`),
    );
  }
});

Deno.test("RAM is populated in 2 MiB extents where aligned, pages elsewhere, nothing twice", () => {
  const mib = 1024n * 1024n;
  const plain = populateExtents(0x40000000n, 128n * mib);
  assertEquals(plain.map((e) => [e.order, e.pfns.length]), [[9, 64]]); // "0x40/0x40 entries with shift 9"
  assertEquals(plain[0].pfns[0], 0x40000n);
  assertEquals(plain[0].pfns[1], 0x40200n);
  const odd = populateExtents(0x40001000n, 3n * mib);
  const pages = new Set<bigint>();
  for (const { order, pfns } of odd) {
    for (const pfn of pfns) {
      for (let i = 0n; i < 1n << BigInt(order); i++) {
        assertEquals(pages.has(pfn + i), false);
        pages.add(pfn + i);
      }
    }
  }
  assertEquals(pages.size, 3 * 256);
  assertEquals(Math.min(...[...pages].map(Number)), 0x40001);
  assertEquals(Math.max(...[...pages].map(Number)), 0x40001 + 767);
});

Deno.test("P2M pool: libxl_get_required_shadow_memory", () => {
  assertEquals(requiredShadowKb(128 * 1024, 1), 2048);
  assertEquals(requiredShadowKb(1024 * 1024, 4), 4 * (1024 + 2048));
});
