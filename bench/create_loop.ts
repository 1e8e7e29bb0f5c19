/**
 * Runs in dom0 (the testbed's `create_bench` scenario): `createDomain` (paused) N times in
 * one process (at least 2), each followed by an untimed destroy, and prints the first run, the
 * mean of the later ones and their per-phase means as `<row> xlite <runs> <seconds>` lines for
 * bench/create.ts: the toolstack's own work, without Deno's start-up.
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
const runs = Math.max(2, Number(n));
await withXenSession(async ({ xc, xs }) => {
  const builder = openDomainBuilder();
  try {
    // The first create in a process also compiles xlite's WASM and JITs its code (what every
    // `xlite create` process pays); the later ones show the work itself.
    const totals: Record<string, number> = {};
    let first = 0;
    let later = 0;
    for (let i = 0; i < runs; i++) {
      const start = performance.now();
      const created = await createDomain({ xc, xs, builder }, cfg, { paused: true });
      const ms = performance.now() - start;
      if (i === 0) {
        first = ms;
      } else {
        later += ms;
        for (const [phase, phaseMs] of Object.entries(created.timings)) {
          totals[phase] = (totals[phase] ?? 0) + phaseMs;
        }
      }
      await destroyDomain(xc, xs, created.domid);
    }
    console.log(`create -p (in process, first) xlite 1 ${(first / 1000).toFixed(3)}`);
    console.log(`create -p (in process, later) xlite ${runs - 1} ${(later / 1000).toFixed(3)}`);
    for (const [phase, ms] of Object.entries(totals)) {
      console.log(`  phase ${phase} (later) xlite ${runs - 1} ${(ms / 1000).toFixed(3)}`);
    }
  } finally {
    builder.close();
  }
});
