/**
 * Shared by the device tests: spec §2.5's layout rules written out independently of
 * `lib/devices` (the expected trees), a parser for Debian's `xenstore-ls -fp`, a simulated
 * backend driver domain, and a way to run the `xlite` CLI.
 */
import { type Xenstored, xenstoreTool } from "../support/xenstored.ts";
import { openXenstore, type XenstoreClient } from "../../lib/xenstore/mod.ts";
import { runXlite, type XliteRun } from "../support/xlite_cli.ts";

/** A xenstore tree: `path -> [value, perms]`, perms spelled as `xenstore-ls -p` does. */
export type Tree = Record<string, [string, string]>;

/**
 * The nodes one device add writes (spec §2.5): libxl's copy of the paths and backend keys
 * (`n0`, inherited from `/libxl/<domid>`), the frontend (owned by the guest, readable by the
 * backend) and the backend (owned by the backend domain, readable by the guest).
 * `withLibxlDir` adds the libxl directory node itself, which xenstored creates implicitly.
 */
export function expectedDeviceTree(opts: {
  domid: number;
  backendDomid: number;
  kind: string;
  backendKind: string;
  devid: number;
  backend: [string, string][];
  frontend: [string, string][];
  withLibxlDir?: boolean;
}): Tree {
  const { domid, backendDomid: b, kind, backendKind, devid } = opts;
  const be = `/local/domain/${b}/backend/${backendKind}/${domid}/${devid}`;
  const fe = `/local/domain/${domid}/device/${kind}/${devid}`;
  const lx = `/libxl/${domid}/device/${kind}/${devid}`;
  const bePerm = `n${b},r${domid}`;
  const fePerm = `n${domid},r${b}`;
  const tree: Tree = {};
  if (opts.withLibxlDir) tree[lx] = ["", "n0"];
  tree[`${lx}/frontend`] = [fe, "n0"];
  tree[`${lx}/backend`] = [be, "n0"];
  tree[fe] = ["", fePerm];
  tree[`${fe}/backend`] = [be, fePerm];
  for (const [k, v] of opts.frontend) tree[`${fe}/${k}`] = [v, fePerm];
  tree[be] = ["", bePerm];
  tree[`${be}/frontend`] = [fe, bePerm];
  for (const [k, v] of opts.backend) tree[`${be}/${k}`] = [v, bePerm];
  for (const [k, v] of opts.backend) tree[`${lx}/${k}`] = [v, "n0"];
  return tree;
}

/** Parses `xenstore-ls -fp` output into a tree, keeping the daemon's child order. */
export function parseXenstoreLs(text: string): { tree: Tree; order: string[] } {
  const tree: Tree = {};
  const order: string[] = [];
  for (const line of text.split("\n")) {
    if (line === "") continue;
    const m = /^(\S+) = "(.*)" {3}\(([^)]*)\)$/.exec(line);
    if (!m) throw new Error(`unexpected xenstore-ls line: ${line}`);
    tree[m[1]] = [m[2], m[3]];
    order.push(m[1]);
  }
  return { tree, order };
}

/** The whole store as Debian's `xenstore-ls -fp` sees it. */
export async function dumpStore(xsd: Xenstored): Promise<{ tree: Tree; order: string[] }> {
  const out = await xenstoreTool(xsd, "ls", ["-fp"]);
  if (out.code !== 0) throw new Error(`xenstore-ls failed: ${out.stderr}`);
  return parseXenstoreLs(out.stdout);
}

/** The part of `tree` at or below any of `roots`. */
export function subtree(tree: Tree, roots: string[]): Tree {
  const out: Tree = {};
  for (const [path, node] of Object.entries(tree)) {
    if (roots.some((r) => path === r || path.startsWith(`${r}/`))) out[path] = node;
  }
  return out;
}

/**
 * What `xl create` leaves before any device is added: dom0 and the guest in
 * `/local/domain`, and `/libxl/<domid>` owned by dom0 (libxl__domain_make's `noperm`) with
 * its `type` key (so the device cleanup, which drops empty parents, stops there as it does
 * on a real host).
 */
export async function seedDomains(
  xs: XenstoreClient,
  guests: Record<number, string> = { 5: "guest" },
): Promise<void> {
  await xs.write("/local/domain/0/name", "Domain-0");
  await xs.write("/local/domain/0/domid", "0");
  for (const [domid, name] of Object.entries(guests)) {
    await xs.write(`/local/domain/${domid}/name`, name);
    await xs.mkdir(`/libxl/${domid}`);
    await xs.setPermissions(`/libxl/${domid}`, [{ domid: 0, access: "n" }]);
    await xs.write(`/libxl/${domid}/type`, "pvh");
  }
}

/**
 * A driver domain's backend, simulated on the real daemon: under `/local/domain/<b>/backend`
 * it answers a new device (`state=1`) with InitWait (2) and a close request (5) with
 * Closed (6), as blkback does. `stop()` ends it.
 */
export async function simulateBackend(
  socketPath: string,
  backendDomid = 0,
): Promise<{ stop(): Promise<void>; seen: string[] }> {
  const xs = await openXenstore({ path: socketPath });
  const root = `/local/domain/${backendDomid}/backend`;
  const watch = await xs.watch(root);
  const seen: string[] = [];
  const loop = (async () => {
    try {
      for await (const event of watch) {
        if (!event.path.endsWith("/state")) continue;
        const state = await xs.tryRead(event.path);
        const answer = state === "1" ? "2" : state === "5" ? "6" : undefined;
        if (answer === undefined) continue;
        seen.push(`${event.path}=${answer}`);
        await xs.write(event.path, answer).catch(() => {});
      }
    } catch {
      // connection closed by stop()
    }
  })();
  return {
    seen,
    async stop() {
      await watch.close().catch(() => {});
      xs.close();
      await loop;
    },
  };
}

/** Runs `xlite <args>` against `xsd`; returns exit code, stdout and stderr. */
export function xlite(xsd: Xenstored, args: string[]): Promise<XliteRun> {
  return runXlite(args, xsd.env);
}
