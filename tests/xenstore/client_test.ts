/**
 * The client against both real daemons (Debian Xen 4.17 xenstored and oxenstored):
 * every operation, cross-checked with Debian's xenstore-* tools.
 */
import { assert, assertEquals, assertRejects } from "../support/assert.ts";
import {
  startXenstored,
  type Xenstored,
  xenstoredMissing,
  xenstoreTool,
} from "../support/xenstored.ts";
import { openXenstore, type XenstoreClient, XenstoreError } from "../../lib/xenstore/mod.ts";

const FLAVOURS = ["c", "ocaml"] as const;

/** One test per daemon flavour, with a private daemon and a connected client. */
function daemonTest(
  name: string,
  fn: (xs: XenstoreClient, xsd: Xenstored) => Promise<void>,
): void {
  for (const flavour of FLAVOURS) {
    const missing = xenstoredMissing(flavour);
    if (missing) console.log(`skipping "${name}" on ${flavour}: ${missing}`);
    Deno.test({
      name: `${name} [${flavour}]`,
      ignore: missing !== undefined,
      fn: async () => {
        await using xsd = await startXenstored({ flavour });
        const xs = await openXenstore({ path: xsd.socketPath });
        try {
          await fn(xs, xsd);
        } finally {
          xs.close();
        }
      },
    });
  }
}

daemonTest(
  "tryDirectory and tryRm: a missing node is empty / already gone, other errors stay",
  async (xs, xsd) => {
    await xs.write("/xlite/dir/a", "1");
    await xs.write("/xlite/dir/b", "2");
    assertEquals((await xs.tryDirectory("/xlite/dir")).sort(), ["a", "b"]);
    assertEquals(await xs.tryDirectory("/xlite/missing"), []);
    assertEquals(await xs.tryDirectory("/xlite/missing/deeper"), []);
    const absent = await assertRejects(() => xs.directory("/xlite/missing"), XenstoreError);
    assertEquals(absent.errno, "ENOENT");
    await xs.tryRm("/xlite/dir/a");
    assertEquals((await xenstoreTool(xsd, "exists", ["/xlite/dir/a"])).code, 1);
    await xs.tryRm("/xlite/dir/a"); // gone already: not an error
    // the daemon's answer tryRm forgives (and tryDirectory turns into [])
    const gone = await assertRejects(() => xs.rm("/xlite/missing/deeper"), XenstoreError);
    assertEquals(gone.errno, "ENOENT");
    await xs.tryRm("/xlite/missing/deeper");
    await xs.transaction(async (tx) => {
      assertEquals(await tx.tryDirectory("/xlite/missing"), []);
      await tx.tryRm("/xlite/missing");
      await tx.tryRm("/xlite/dir");
    });
    assertEquals(await xs.tryDirectory("/xlite/dir"), []);
    // anything but ENOENT is still an error
    const bad = "/xlite/nul\0name";
    assertEquals((await assertRejects(() => xs.tryDirectory(bad), XenstoreError)).errno, "EINVAL");
    assertEquals((await assertRejects(() => xs.tryRm(bad), XenstoreError)).errno, "EINVAL");
  },
);

daemonTest("read/write/mkdir/rm/directory round-trip, seen by Debian's tools", async (xs, xsd) => {
  assertEquals(xs.transport, "unix");
  await xs.write("/xlite/a", "hello");
  await xs.write("/xlite/b/c", new Uint8Array([0x61, 0x00, 0x62]));
  await xs.mkdir("/xlite/d");
  assertEquals(await xs.read("/xlite/a"), "hello");
  assertEquals(await xs.readBytes("/xlite/b/c"), new Uint8Array([0x61, 0x00, 0x62]));
  assertEquals(await xs.read("/xlite/d"), "");
  assertEquals((await xs.directory("/xlite")).sort(), ["a", "b", "d"]);
  assertEquals((await xenstoreTool(xsd, "read", ["/xlite/a"])).stdout, "hello\n");
  assertEquals((await xenstoreTool(xsd, "read", ["/xlite/b/c"])).stdout, "a\\000b\n");
  const ls = await xenstoreTool(xsd, "ls", ["/xlite"]);
  assertEquals(ls.stdout, 'a = "hello"\nb = ""\n c = "a\\000b"\nd = ""\n');
  assert(await xs.exists("/xlite/a"));
  await xs.rm("/xlite/b");
  assert(!(await xs.exists("/xlite/b")));
  assertEquals(await xs.tryRead("/xlite/b/c"), undefined);
  assertEquals((await xenstoreTool(xsd, "exists", ["/xlite/b"])).code, 1);
  // written by Debian's tool, read by xlite
  await xenstoreTool(xsd, "write", ["/from-debian", "v1"]);
  assertEquals(await xs.read("/from-debian"), "v1");
});

daemonTest("errors carry op, path and errno name", async (xs) => {
  const error = await assertRejects(() => xs.read("/no/such/node"), XenstoreError);
  assertEquals([error.op, error.path, error.errno, error.kind], [
    "read",
    "/no/such/node",
    "ENOENT",
    "daemon",
  ]);
  assertEquals(error.message, "xenstore read /no/such/node: ENOENT (no such node)");
  const bad = await assertRejects(() => xs.write("/bad path!", "x"), XenstoreError);
  assertEquals(bad.errno, "EINVAL");
  assertEquals(bad.kind, "daemon");
});

daemonTest("permissions: set, get, and as xenstore-ls -p shows them", async (xs, xsd) => {
  await xs.write("/perm/node", "v");
  assertEquals(await xs.getPermissions("/perm/node"), [{ access: "n", domid: 0 }]);
  await xs.setPermissions("/perm/node", ["b3", { access: "r", domid: 5 }, "w7"]);
  assertEquals(await xs.getPermissions("/perm/node"), [
    { access: "b", domid: 3 },
    { access: "r", domid: 5 },
    { access: "w", domid: 7 },
  ]);
  const ls = await xenstoreTool(xsd, "ls", ["-p", "/perm"]);
  assert(ls.stdout.includes("(b3,r5,w7)"), ls.stdout);
  await assertRejects(
    () => xs.setPermissions("/perm/node", ["x1"]),
    XenstoreError,
    "bad permission",
  );
});

daemonTest("transactions: isolation, commit, abort on throw", async (xs, xsd) => {
  await xs.transaction(async (tx) => {
    await tx.write("/tx/a", "1");
    await tx.write("/tx/b", "2");
    // not visible outside the transaction yet
    assertEquals((await xenstoreTool(xsd, "exists", ["/tx/a"])).code, 1);
    assertEquals(await tx.read("/tx/a"), "1");
  });
  assertEquals((await xenstoreTool(xsd, "read", ["/tx/a", "/tx/b"])).stdout, "1\n2\n");
  await assertRejects(
    () =>
      xs.transaction(async (tx) => {
        await tx.write("/tx/c", "3");
        throw new Error("changed my mind");
      }),
    Error,
    "changed my mind",
  );
  assertEquals(await xs.tryRead("/tx/c"), undefined);
  // a conflicting write makes the commit fail with EAGAIN; transaction() retries
  let attempts = 0;
  await xs.transaction(async (tx) => {
    attempts++;
    const v = await tx.read("/tx/a");
    if (attempts === 1) await xs.write("/tx/a", "changed-outside");
    await tx.write("/tx/a", v + "+");
  });
  assertEquals(attempts, 2);
  assertEquals(await xs.read("/tx/a"), "changed-outside+");
});

daemonTest("watch: initial event, events routed by token, unwatch", async (xs) => {
  await xs.mkdir("/w");
  const a = await xs.watch("/w/a", "tok-a");
  const b = await xs.watch("/w/b");
  assertEquals((await a.next()).value, { path: "/w/a", token: "tok-a" });
  assertEquals((await b.next()).value?.path, "/w/b");
  await xs.write("/w/b/x", "1");
  await xs.write("/w/a", "2");
  assertEquals((await a.next()).value, { path: "/w/a", token: "tok-a" });
  assertEquals((await b.next()).value?.path, "/w/b/x");
  await b.close();
  await xs.write("/w/b/y", "1");
  assertEquals((await b.next()).done, true);
  // a second watch on the same path with its own token gets its own events
  const again = await xs.watch("/w/b", "second");
  assertEquals((await again.next()).value, { path: "/w/b", token: "second" });
  await xs.write("/w/a/deep", "x");
  for await (const event of a) {
    assertEquals(event.path, "/w/a/deep");
    break; // ends the iteration and unwatches
  }
  assertEquals((await a.next()).done, true);
  await again.close();
  await assertRejects(
    () => xs.watch("/w/a", "second-use").then((w) => xs.watch("/w/a", w.token)),
    XenstoreError,
    "already in use",
  );
});

daemonTest(
  "pipelining: many requests in flight on one connection, matched by req_id",
  async (xs) => {
    const n = 200;
    await Promise.all(Array.from({ length: n }, (_, i) => xs.write(`/pipe/k${i}`, `v${i}`)));
    const values = await Promise.all(Array.from({ length: n }, (_, i) => xs.read(`/pipe/k${i}`)));
    assertEquals(values, Array.from({ length: n }, (_, i) => `v${i}`));
    assertEquals((await xs.directory("/pipe")).length, n);
  },
);

daemonTest("domains: get_domain_path, is_domain_introduced, introduce/release", async (xs) => {
  assertEquals(await xs.getDomainPath(7), "/local/domain/7");
  assertEquals(await xs.isDomainIntroduced(0), true);
  assertEquals(await xs.isDomainIntroduced(7), false);
  await xs.introduceDomain(7, 0x12345, 3);
  assertEquals(await xs.isDomainIntroduced(7), true);
  await xs.releaseDomain(7);
  assertEquals(await xs.isDomainIntroduced(7), false);
});

daemonTest("control (where the daemon allows) and reset_watches", async (xs) => {
  assertEquals(await xs.control("check"), "OK");
  const a = await xs.watch("/rw/a");
  await a.next(); // initial event
  await xs.resetWatches();
  const b = await xs.watch("/rw/b");
  await b.next();
  await xs.write("/rw/a", "1");
  await xs.write("/rw/b", "1");
  assertEquals((await b.next()).value?.path, "/rw/b");
  // /rw/a was written first, yet its (reset) watch has nothing
  const pending = Symbol("pending");
  assertEquals(await Promise.race([a.next(), Promise.resolve(pending)]), pending);
  await b.close();
});
