/**
 * Runs in dom0 (the testbed's `create_bench` scenario): `createDomain` (paused) N times in
 * one process, each followed by an untimed destroy, and prints per-phase means as
 * `<row> xlite <runs> <seconds>` lines for bench/create.ts: the toolstack's own work, without
 * Deno's start-up.
 *
 *   deno run -A bench/create_loop.ts CFG [N]
 *
 * @module
 */
import { withXenSession } from "../lib/domain/xen_session.ts";
import { openDomainBuilder } from "../lib/xen/domain_builder.ts";
import { createDomain } from "../lib/domain/create.ts";
import { destroyDomain } from "../lib/domain/destroy.ts";

const [cfg, n = "3"] = Deno.args;
const runs = Number(n);
await withXenSession(async ({ xc, xs }) => {
  const builder = openDomainBuilder();
  try {
    const totals: Record<string, number> = {};
    let whole = 0;
    for (let i = 0; i < runs; i++) {
      const start = performance.now();
      const created = await createDomain({ xc, xs, builder }, cfg, { paused: true });
      whole += performance.now() - start;
      for (const [phase, ms] of Object.entries(created.timings)) {
        totals[phase] = (totals[phase] ?? 0) + ms;
      }
      await destroyDomain(xc, xs, created.domid);
    }
    console.log(`create -p (in process) xlite ${runs} ${(whole / 1000).toFixed(3)}`);
    for (const [phase, ms] of Object.entries(totals)) {
      console.log(`  phase ${phase} (in process) xlite ${runs} ${(ms / 1000).toFixed(3)}`);
    }
  } finally {
    builder.close();
  }
});
