/**
 * The dom0 side of the `lifecycle_actions` scenario's crash loop: crashes guests by name,
 * `SCHEDOP_remote_shutdown` with `SHUTDOWN_crash` (`xc_domain_shutdown`), so Xen reports
 * reason code 3 as for a guest that crashed by itself (an arm64 Linux guest's panic has no
 * Xen crash notifier: it would reboot or hang, never report a crash). For each `NAME COUNT`
 * pair in turn: COUNT times, waits for a running domain of that name not crashed before,
 * gives it 2 s, crashes it and prints `crashed NAME DOMID`. Started early: deno is slow to
 * start under TCG.
 * usage: crash_guest.ts NAME COUNT [NAME COUNT...]
 *
 * @module
 */
import { openXenCtrl, SHUTDOWN_crash } from "../../../lib/xen/mod.ts";
import { openXenstore } from "../../../lib/xenstore/mod.ts";
import { nameToDomid } from "../../../lib/domain/rename.ts";

const xc = openXenCtrl();
const xs = await openXenstore();
const crashed = new Set<number>();
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
console.log("started");
const args = Deno.args;
for (let i = 0; i + 1 < args.length; i += 2) {
  const [name, count] = [args[i], Number(args[i + 1])];
  for (let n = 0; n < count; n++) {
    const deadline = Date.now() + 600_000;
    for (;;) {
      const domid = await nameToDomid(xc, xs, name);
      const info = domid === undefined ? undefined : xc.domainInfo(domid);
      if (domid !== undefined && info && !info.shutdown && !info.dying && !crashed.has(domid)) {
        await sleep(2000);
        crashed.add(domid);
        xc.shutdown(domid, SHUTDOWN_crash);
        console.log(`crashed ${name} ${domid}`);
        break;
      }
      if (Date.now() > deadline) {
        console.log(`timeout waiting for ${name}`);
        Deno.exit(1);
      }
      await sleep(300);
    }
  }
}
xs.close();
xc.close();
