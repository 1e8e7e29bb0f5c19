import { assert, assertEquals, assertThrows } from "../support/assert.ts";
import {
  decodeDomainInfo,
  GETDOMAININFO,
  getdomaininfoSize,
  NO_XEN_MESSAGE,
  NoXenError,
  openLibrary,
  openXenCtrl,
  PRIVCMD_DEVICE,
  readGuestMemory,
  requirePrivcmd,
  XEN_DOMINF_blocked,
  XEN_DOMINF_paused,
  XEN_DOMINF_shutdown,
} from "../../lib/xen/mod.ts";

let haveXen = true;
try {
  Deno.statSync(PRIVCMD_DEVICE);
} catch {
  haveXen = false;
}
if (haveXen) console.log(`skipping the no-Xen error tests: this host has ${PRIVCMD_DEVICE}`);

Deno.test({
  name: "openXenCtrl without Xen: 'no Xen hypervisor here; use --dry-run' naming the device",
  ignore: haveXen,
  fn() {
    const error = assertThrows(() => openXenCtrl(), NoXenError);
    assert(error.message.startsWith(NO_XEN_MESSAGE), error.message);
    assert(error.message.includes(PRIVCMD_DEVICE), error.message);
    assertEquals(error.exitCode, 1);
  },
});

Deno.test({
  name: "readGuestMemory without Xen: the same clear error",
  ignore: haveXen,
  fn() {
    assertThrows(() => readGuestMemory(1, 0x40000000n, 16), NoXenError, NO_XEN_MESSAGE);
  },
});

Deno.test("requirePrivcmd accepts a device that exists, names one that does not", () => {
  requirePrivcmd("/dev/null");
  assertThrows(() => requirePrivcmd("/dev/xen/nonexistent"), NoXenError, "/dev/xen/nonexistent");
});

Deno.test("openLibrary: no loadable library is a NoXenError naming every name tried", () => {
  const error = assertThrows(
    () => openLibrary(["libxenctrl.so.0.0-missing", "libxenctrl-also-missing.so"], {}),
    NoXenError,
  );
  assert(error.message.includes("libxenctrl.so.0.0-missing / libxenctrl-also-missing.so"));
});

Deno.test("decodeDomainInfo: xen_domctl_getdomaininfo fields as libxl_dominfo has them", () => {
  const size = getdomaininfoSize("aarch64");
  assertEquals(size, 120);
  const buf = new Uint8Array(size * 2);
  const view = new DataView(buf.buffer);
  const at = size; // the second record
  view.setUint16(at + GETDOMAININFO.domain, 7, true);
  const flags = XEN_DOMINF_shutdown | XEN_DOMINF_paused | XEN_DOMINF_blocked | (3 << 16);
  view.setUint32(at + GETDOMAININFO.flags, flags, true);
  view.setBigUint64(at + GETDOMAININFO.tot_pages, 32768n, true);
  view.setBigUint64(at + GETDOMAININFO.max_pages, 33024n, true);
  view.setBigUint64(at + GETDOMAININFO.outstanding_pages, 256n, true);
  view.setBigUint64(at + GETDOMAININFO.cpu_time, 1_234_567_890n, true);
  view.setUint32(at + GETDOMAININFO.nr_online_vcpus, 2, true);
  view.setUint32(at + GETDOMAININFO.max_vcpu_id, 1, true);
  buf.set([0x5f, 0xb0, 0xeb, 0xe3, 0xb4, 0x9e, 0x46, 0x23], at + GETDOMAININFO.handle);
  buf.set([0xa1, 0x63, 0x35, 0x6f, 0x5b, 0xa0, 0xbd, 0xb3], at + GETDOMAININFO.handle + 8);
  view.setUint8(at + GETDOMAININFO.gpaddr_bits, 40);
  const info = decodeDomainInfo(view, at);
  assertEquals(info.domid, 7);
  assertEquals(info.uuid, "5fb0ebe3-b49e-4623-a163-356f5ba0bdb3");
  assertEquals([info.running, info.blocked, info.paused, info.shutdown, info.dying], [
    false,
    true,
    true,
    true,
    false,
  ]);
  assertEquals(info.shutdownReason, 3);
  assertEquals(info.currentMemkb, 131072);
  assertEquals(info.maxMemkb, 132096);
  assertEquals(info.outstandingMemkb, 1024);
  assertEquals(info.cpuTime, 1234567890);
  assertEquals([info.vcpuOnline, info.vcpuMaxId, info.gpaddrBits], [2, 1, 40]);
});
