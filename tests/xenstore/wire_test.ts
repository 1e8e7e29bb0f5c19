/** Framing: headers are four little-endian u32s; messages survive any chunking. */
import { assertEquals, assertThrows } from "../support/assert.ts";
import {
  createFrameDecoder,
  decodeStrings,
  encodeMessage,
  encodeStrings,
  WireError,
  XENSTORE_PAYLOAD_MAX,
  XS_READ,
  XS_WATCH_EVENT,
} from "../../lib/xenstore/wire.ts";

Deno.test("encodeMessage: header layout of xs_wire.h's struct xsd_sockmsg", () => {
  const bytes = encodeMessage({
    type: XS_READ,
    reqId: 0x01020304,
    txId: 7,
    payload: encodeStrings(["/a"]),
  });
  assertEquals(Array.from(bytes), [2, 0, 0, 0, 4, 3, 2, 1, 7, 0, 0, 0, 3, 0, 0, 0, 0x2f, 0x61, 0]);
  assertThrows(
    () =>
      encodeMessage({
        type: XS_READ,
        reqId: 1,
        txId: 0,
        payload: new Uint8Array(XENSTORE_PAYLOAD_MAX + 1),
      }),
    WireError,
  );
});

Deno.test("createFrameDecoder: messages split at every byte boundary come out whole", () => {
  const stream = new Uint8Array([
    ...encodeMessage({
      type: XS_READ,
      reqId: 1,
      txId: 0,
      payload: new TextEncoder().encode("value"),
    }),
    ...encodeMessage({
      type: XS_WATCH_EVENT,
      reqId: 0,
      txId: 0,
      payload: encodeStrings(["/p", "tok"]),
    }),
    ...encodeMessage({ type: XS_READ, reqId: 2, txId: 0, payload: new Uint8Array(0) }),
  ]);
  for (let cut = 0; cut <= stream.length; cut++) {
    const decoder = createFrameDecoder();
    const got = [...decoder.push(stream.slice(0, cut)), ...decoder.push(stream.slice(cut))];
    assertEquals(got.map((m) => m.reqId), [1, 0, 2]);
    assertEquals(new TextDecoder().decode(got[0].payload), "value");
    assertEquals(decodeStrings(got[1].payload), ["/p", "tok"]);
    assertEquals(got[2].payload.length, 0);
    assertEquals(decoder.buffered, 0);
  }
});

Deno.test("createFrameDecoder: an absurd length is a WireError, not a wait", () => {
  const header = new Uint8Array(16);
  new DataView(header.buffer).setUint32(12, 0xffffffff, true);
  assertThrows(() => createFrameDecoder().push(header), WireError, "announces 4294967295");
});

Deno.test("encodeStrings/decodeStrings: NUL-terminated parts, optional unterminated last", () => {
  assertEquals(Array.from(encodeStrings(["ab", "c"])), [0x61, 0x62, 0, 0x63, 0]);
  assertEquals(Array.from(encodeStrings(["k", new Uint8Array([1, 0])], false)), [0x6b, 0, 1, 0]);
  assertEquals(decodeStrings(new TextEncoder().encode("r1\0w2\0")), ["r1", "w2"]);
  assertEquals(decodeStrings(new Uint8Array(0)), []);
});
