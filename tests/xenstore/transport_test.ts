/** Transport choice, and the xenbus device transport's framing (against a plain file). */
import { assertEquals, assertRejects } from "../support/assert.ts";
import {
  openTransport,
  XenstoreError,
  xenstoreOverTransport,
  type XenstoreTransport,
} from "../../lib/xenstore/mod.ts";

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

Deno.test("xenbus transport: one request in flight at a time (Linux's driver needs it)", async () => {
  // fake_xenbus transport: answers each request after a delay and records how many were
  // written while unanswered. The socket transport pipelines; xenbus must not.
  let outstanding = 0;
  let most = 0;
  let deliver: ((bytes: Uint8Array) => void) | undefined;
  const replies: Uint8Array[] = [];
  const transport: XenstoreTransport = {
    kind: "xenbus",
    path: "fake_xenbus",
    read(buf) {
      const next = replies.shift();
      if (next) {
        buf.set(next);
        return Promise.resolve(next.length);
      }
      return new Promise((resolve) => {
        deliver = (bytes) => {
          buf.set(bytes);
          resolve(bytes.length);
        };
      });
    },
    write(data) {
      most = Math.max(most, ++outstanding);
      setTimeout(() => {
        outstanding--;
        const reply = data.slice(); // echo: same type and req_id, payload = the path
        if (deliver) {
          const d = deliver;
          deliver = undefined;
          d(reply);
        } else replies.push(reply);
      }, 5);
      return Promise.resolve();
    },
    close() {
      deliver?.(new Uint8Array(0));
    },
  };
  const xs = xenstoreOverTransport(transport);
  try {
    const values = await Promise.all(["/a", "/b", "/c", "/d"].map((p) => xs.read(p)));
    assertEquals(values, ["/a\0", "/b\0", "/c\0", "/d\0"]);
    assertEquals(most, 1);
  } finally {
    xs.close();
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
