/** Transport choice, and the xenbus device transport's framing (against a plain file). */
import { assertEquals, assertRejects } from "../support/assert.ts";
import { openTransport, XenstoreError, xenstoreOverTransport } from "../../lib/xenstore/mod.ts";

Deno.test("openTransport: a path that is not a socket is opened as the xenbus device", async () => {
  // fake_xenbus: a regular file takes the written request; reading it back hits EOF
  const file = await Deno.makeTempFile({ prefix: "xlite-fake-xenbus-" });
  try {
    const transport = await openTransport({ path: file });
    assertEquals([transport.kind, transport.path], ["xenbus", file]);
    const xs = xenstoreOverTransport(transport);
    const error = await assertRejects(() => xs.read("/dev"), XenstoreError);
    assertEquals([error.kind, error.errno], ["closed", "ECONNRESET"]);
    xs.close();
    const bytes = await Deno.readFile(file);
    const view = new DataView(bytes.buffer);
    // one XS_READ message: type 2, req_id 1, tx 0, len 5, "/dev\0"
    assertEquals([view.getUint32(0, true), view.getUint32(4, true), view.getUint32(8, true)], [
      2,
      1,
      0,
    ]);
    assertEquals(view.getUint32(12, true), 5);
    assertEquals(new TextDecoder().decode(bytes.subarray(16)), "/dev\0");
  } finally {
    await Deno.remove(file);
  }
});

Deno.test("xenbus transport: full duplex (a write while a read is pending does not block)", async () => {
  // fake_xenbus loopback: a FIFO echoes each request back, which the client takes as the
  // reply (same type and req_id). The reader is blocked in read() when each write happens.
  const dir = await Deno.makeTempDir({ prefix: "xlite-fake-xenbus-" });
  const fifo = `${dir}/xenbus`;
  const made = await new Deno.Command("mkfifo", { args: [fifo] }).output();
  assertEquals(made.code, 0);
  try {
    const xs = xenstoreOverTransport(await openTransport({ path: fifo }), { timeoutMs: 5000 });
    try {
      assertEquals(xs.transport, "xenbus");
      await new Promise((r) => setTimeout(r, 50)); // the read loop is now waiting
      assertEquals(await xs.read("/dev"), "/dev\0");
      const many = await Promise.all(["/a", "/b", "/c"].map((p) => xs.read(p)));
      assertEquals(many, ["/a\0", "/b\0", "/c\0"]);
    } finally {
      xs.close();
    }
  } finally {
    await Deno.remove(dir, { recursive: true });
  }
});

Deno.test("openTransport: nothing to connect to is one clear error naming the paths", async () => {
  const error = await assertRejects(
    () => openTransport({ path: "/nonexistent/xenstored/socket" }),
    XenstoreError,
    "cannot reach xenstore (/nonexistent/xenstored/socket: ",
  );
  assertEquals([error.kind, error.op], ["unavailable", "open"]);
});
