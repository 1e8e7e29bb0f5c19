/**
 * The IOREQ data plane's host-side parts: `struct ioreq` and the constants the device model
 * uses, byte for byte against a C peer built from Debian's libxen-dev 4.17 headers
 * (tests/native/xen-structs); the slot handshake (`serveIoreq`) on a page laid out by that
 * peer; and the "no Xen here" errors of every binding. The hypervisor side runs in the
 * testbed (tests/testbed/scenarios/ioreq.sh).
 */
import { assert, assertEquals, assertThrows } from "../support/assert.ts";
import {
  decodeIoreq,
  encodeIoreq,
  HVM_IOREQSRV_BUFIOREQ_OFF,
  IOREQ,
  IOREQ_READ,
  IOREQ_SIZE,
  IOREQ_TYPE_COPY,
  IOREQ_TYPE_INVALIDATE,
  IOREQ_TYPE_PCI_CONFIG,
  IOREQ_TYPE_PIO,
  IOREQ_TYPE_TIMEOFFSET,
  IOREQ_WRITE,
  ioreqEventPort,
  IoreqUnsupportedError,
  mapGuestRam,
  NO_XEN_MESSAGE,
  NoXenError,
  openDeviceModel,
  openEventChannels,
  openForeignMapping,
  PRIVCMD_DEVICE,
  serveIoreq,
  startIoreqServer,
  STATE_IOREQ_INPROCESS,
  STATE_IOREQ_NONE,
  STATE_IOREQ_READY,
  STATE_IORESP_READY,
  XENMEM_resource_ioreq_server,
  XENMEM_resource_ioreq_server_frame_bufioreq,
  XENMEM_resource_ioreq_server_frame_ioreq,
} from "../../lib/xen/mod.ts";
import { openXenFrontendCarrier } from "../../lib/devd/xen_carrier.ts";
import { toHex, xenStructsPeer } from "../native/xen-structs/peer.ts";

const fromHex = (hex: string) => Uint8Array.from(hex.match(/../g)!, (b) => parseInt(b, 16));

interface Case {
  addr: bigint;
  data: bigint;
  count: number;
  size: number;
  vpEport: number;
  state: number;
  dataIsPtr: boolean;
  dir: number;
  df: boolean;
  type: number;
}

const CASES: Case[] = [
  {
    addr: 0x2000000n,
    data: 0x1122334455667788n,
    count: 1,
    size: 4,
    vpEport: 7,
    state: STATE_IOREQ_READY,
    dataIsPtr: false,
    dir: IOREQ_READ,
    df: false,
    type: IOREQ_TYPE_COPY,
  },
  {
    addr: 0xffff_ffff_ffff_f000n,
    data: 0xffff_ffff_ffff_ffffn,
    count: 0xffffffff,
    size: 8,
    vpEport: 0xfffffffe,
    state: STATE_IORESP_READY,
    dataIsPtr: true,
    dir: IOREQ_WRITE,
    df: true,
    type: IOREQ_TYPE_INVALIDATE,
  },
  {
    addr: 0x20001f8n,
    data: 0n,
    count: 1,
    size: 1,
    vpEport: 0,
    state: STATE_IOREQ_INPROCESS,
    dataIsPtr: false,
    dir: IOREQ_READ,
    df: true,
    type: IOREQ_TYPE_PCI_CONFIG,
  },
];

const peerArgs = (c: Case) =>
  [
    "ioreq",
    `0x${c.addr.toString(16)}`,
    `0x${c.data.toString(16)}`,
    c.count,
    c.size,
    c.vpEport,
    c.state,
    c.dataIsPtr ? 1 : 0,
    c.dir,
    c.df ? 1 : 0,
    c.type,
  ].map(String);

Deno.test("ioreq constants equal Xen 4.17's public headers (ioreq.h, memory.h, hvm_op.h)", async () => {
  const c = Object.fromEntries(
    (await xenStructsPeer("ioreq-constants")).split("\n").map((l) => l.split("=")).map((
      [k, v],
    ) => [k, +v]),
  );
  assertEquals(c.sizeof_ioreq, IOREQ_SIZE);
  assertEquals(
    [c.STATE_IOREQ_NONE, c.STATE_IOREQ_READY, c.STATE_IOREQ_INPROCESS, c.STATE_IORESP_READY],
    [STATE_IOREQ_NONE, STATE_IOREQ_READY, STATE_IOREQ_INPROCESS, STATE_IORESP_READY],
  );
  assertEquals([c.IOREQ_READ, c.IOREQ_WRITE], [IOREQ_READ, IOREQ_WRITE]);
  assertEquals(
    [
      c.IOREQ_TYPE_PIO,
      c.IOREQ_TYPE_COPY,
      c.IOREQ_TYPE_PCI_CONFIG,
      c.IOREQ_TYPE_TIMEOFFSET,
      c.IOREQ_TYPE_INVALIDATE,
    ],
    [
      IOREQ_TYPE_PIO,
      IOREQ_TYPE_COPY,
      IOREQ_TYPE_PCI_CONFIG,
      IOREQ_TYPE_TIMEOFFSET,
      IOREQ_TYPE_INVALIDATE,
    ],
  );
  assertEquals(c.XENMEM_resource_ioreq_server, XENMEM_resource_ioreq_server);
  assertEquals(
    c.XENMEM_resource_ioreq_server_frame_bufioreq,
    XENMEM_resource_ioreq_server_frame_bufioreq,
  );
  assertEquals(
    c.XENMEM_resource_ioreq_server_frame_ioreq_0,
    XENMEM_resource_ioreq_server_frame_ioreq(0),
  );
  assertEquals(c.HVM_IOREQSRV_BUFIOREQ_OFF, HVM_IOREQSRV_BUFIOREQ_OFF);
});

Deno.test("struct ioreq: encodeIoreq == the C struct, decodeIoreq reads the C bytes back", async () => {
  for (const c of CASES) {
    const theirs = fromHex(await xenStructsPeer(...peerArgs(c)));
    assertEquals(theirs.length, IOREQ_SIZE);
    const page = new Uint8Array(4096);
    encodeIoreq(page, 3, c);
    assertEquals(toHex(page.subarray(3 * IOREQ_SIZE, 4 * IOREQ_SIZE)), toHex(theirs));
    const other = new Uint8Array(4096);
    other.set(theirs, 5 * IOREQ_SIZE);
    assertEquals(decodeIoreq(other, 5), c);
    assertEquals(ioreqEventPort(other, 5), c.vpEport);
  }
});

/** A page with vCPU `vcpu`'s slot written by the C peer (Xen's layout). */
async function pageWith(vcpu: number, c: Case): Promise<Uint8Array> {
  const page = new Uint8Array(4096).fill(0xee);
  page.set(fromHex(await xenStructsPeer(...peerArgs(c))), vcpu * IOREQ_SIZE);
  return page;
}

Deno.test("serveIoreq: a READY read gets the handler's value (masked to its size) and IORESP_READY", async () => {
  const page = await pageWith(1, { ...CASES[0], size: 2, data: 0n });
  const before = page.slice();
  const seen: number[] = [];
  const answered = serveIoreq(page, 1, (req) => {
    seen.push(req.state, req.size, Number(req.addr));
    return 0xabcd_1234n;
  });
  assert(answered);
  // the handler ran with the slot taken (INPROCESS), as QEMU marks it before handling
  assertEquals(seen, [STATE_IOREQ_INPROCESS, 2, 0x2000000]);
  const after = decodeIoreq(page, 1);
  assertEquals(after.state, STATE_IORESP_READY);
  assertEquals(after.data, 0x1234n);
  // nothing else changed: other slots, and this slot's other fields and bits
  assertEquals(page.subarray(0, IOREQ_SIZE), before.subarray(0, IOREQ_SIZE));
  assertEquals(page.subarray(2 * IOREQ_SIZE), before.subarray(2 * IOREQ_SIZE));
  assertEquals({ ...after, state: 0, data: 0n }, { ...decodeIoreq(before, 1), state: 0, data: 0n });
});

Deno.test("serveIoreq: a write passes its data and keeps it; INVALIDATE is acknowledged untouched", async () => {
  const write = await pageWith(0, { ...CASES[0], dir: IOREQ_WRITE, data: 0x55n });
  let data = -1n;
  assert(serveIoreq(write, 0, (req) => {
    data = req.data;
    return 0x99n;
  }));
  assertEquals(data, 0x55n);
  assertEquals(decodeIoreq(write, 0).data, 0x55n);
  assertEquals(decodeIoreq(write, 0).state, STATE_IORESP_READY);
  const inval = await pageWith(0, {
    ...CASES[0],
    type: IOREQ_TYPE_INVALIDATE,
    dir: IOREQ_WRITE,
    data: 0xffff_ffff_ffff_ffffn,
    size: 8,
  });
  assert(serveIoreq(inval, 0, () => 0n));
  assertEquals(decodeIoreq(inval, 0).data, 0xffff_ffff_ffff_ffffn);
  assertEquals(decodeIoreq(inval, 0).state, STATE_IORESP_READY);
});

Deno.test("serveIoreq: a slot that is not READY is a spurious event (nothing touched, no handler)", async () => {
  for (const state of [STATE_IOREQ_NONE, STATE_IOREQ_INPROCESS, STATE_IORESP_READY]) {
    const page = await pageWith(2, { ...CASES[0], state });
    const before = page.slice();
    let called = false;
    assert(
      !serveIoreq(page, 2, () => {
        called = true;
        return 0n;
      }),
    );
    assert(!called);
    assertEquals(page, before);
  }
});

Deno.test("serveIoreq: a handler that throws still answers (a read gets all ones)", async () => {
  const page = await pageWith(0, { ...CASES[0], size: 4 });
  assert(serveIoreq(page, 0, () => {
    throw new Error("device bug");
  }));
  assertEquals(decodeIoreq(page, 0).state, STATE_IORESP_READY);
  assertEquals(decodeIoreq(page, 0).data, 0xffff_ffffn);
});

Deno.test("IOREQ field offsets are those of the C struct", async () => {
  // one field at a time set in C: its first non-zero byte is where IOREQ says
  const zero: Case = {
    ...CASES[2],
    addr: 0n,
    data: 0n,
    count: 0,
    size: 0,
    state: 0,
    df: false,
    dir: 0,
  };
  const cases: [keyof typeof IOREQ, Case][] = [
    ["addr", { ...zero, addr: 0xffn, type: 0 }],
    ["data", { ...zero, data: 0xffn, type: 0 }],
    ["count", { ...zero, count: 0xff, type: 0 }],
    ["size", { ...zero, size: 0xff, type: 0 }],
    ["vp_eport", { ...zero, vpEport: 0xff, type: 0 }],
    ["flags", { ...zero, state: 0xf, type: 0 }],
    ["type", { ...zero, type: 0xff }],
  ];
  for (const [field, c] of cases) {
    const bytes = fromHex(await xenStructsPeer(...peerArgs(c)));
    assertEquals(bytes.findIndex((b) => b !== 0), IOREQ[field], field);
  }
});

let haveXen = true;
try {
  Deno.statSync(PRIVCMD_DEVICE);
} catch {
  haveXen = false;
}
if (haveXen) console.log(`skipping the no-Xen error tests: this host has ${PRIVCMD_DEVICE}`);

Deno.test({
  name: "without Xen every IOREQ binding fails with 'no Xen hypervisor here' naming privcmd",
  ignore: haveXen,
  async fn() {
    const calls: [string, () => unknown][] = [
      ["openDeviceModel", () => openDeviceModel()],
      ["openEventChannels", () => openEventChannels()],
      ["openForeignMapping", () => openForeignMapping()],
      ["mapGuestRam", () => mapGuestRam(1, [{ base: 0x40000000n, size: 0x100000n }])],
      ["startIoreqServer", () => startIoreqServer(1, 1)],
    ];
    for (const [name, call] of calls) {
      const error = assertThrows(call, NoXenError);
      assert(error.message.startsWith(NO_XEN_MESSAGE), `${name}: ${error.message}`);
      assert(error.message.includes(PRIVCMD_DEVICE), `${name}: ${error.message}`);
    }
    let carrierError: unknown;
    try {
      await openXenFrontendCarrier(1);
    } catch (e) {
      carrierError = e;
    }
    assert(carrierError instanceof NoXenError, String(carrierError));
  },
});

Deno.test("IoreqUnsupportedError says the hypervisor lacks CONFIG_IOREQ_SERVER, in one line", () => {
  const error = new IoreqUnsupportedError("creating an IOREQ server for domain 3");
  assert(error.message.startsWith("creating an IOREQ server for domain 3 failed: "));
  assert(error.message.includes("CONFIG_IOREQ_SERVER"));
  assert(!error.message.includes("\n"));
  assertEquals(error.exitCode, 1);
});
