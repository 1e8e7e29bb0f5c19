/**
 * Runs in dom0 (the testbed's `bench` scenario): xlite's `list` path (libxenctrl FFI +
 * xenstore names + formatting) N times in one process, timed after start-up, and prints
 * `list xN (in process) xlite 1 <seconds>` for bench/xen_lifecycle.ts.
 *
 * @module
 */
import { formatDomainList, listDomainRows } from "../lib/domain/list.ts";
import { withXenSession } from "../lib/domain/xen_session.ts";

const loops = Number(Deno.args[0] ?? 50);
await withXenSession(async ({ xc, xs }) => {
  await listDomainRows(xc, xs); // warm-up: FFI symbols, xenstore connection
  const start = performance.now();
  for (let i = 0; i < loops; i++) formatDomainList(await listDomainRows(xc, xs));
  const seconds = (performance.now() - start) / 1000;
  console.log(`list x${loops} (in process) xlite 1 ${seconds.toFixed(3)}`);
});
