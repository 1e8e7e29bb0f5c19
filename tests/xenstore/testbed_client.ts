/**
 * Run inside the testbed's dom0 (real Xen) by `testbed_xenbus.sh`: the client over the
 * transport XENSTORED_PATH names (the daemon socket or `/dev/xen/xenbus`), every operation
 * once. Prints one line per check; exits 1 on the first failure.
 */
import { openXenstore } from "../../lib/xenstore/mod.ts";

const xs = await openXenstore();
const check = (what: string, ok: boolean, detail = "") => {
  console.log(`${ok ? "ok" : "FAIL"}: [${xs.transport}] ${what}${ok ? "" : ` ${detail}`}`);
  if (!ok) Deno.exit(1);
};
try {
  const base = `/xlite-testbed/${xs.transport}`;
  await xs.write(`${base}/a`, "1");
  check("write + read", (await xs.read(`${base}/a`)) === "1");
  check("get_domain_path", (await xs.getDomainPath(0)) === "/local/domain/0");
  check("dom0 is introduced", await xs.isDomainIntroduced(0));
  const name = await xs.read("/local/domain/0/name");
  check("dom0's name", name === "Domain-0", name);
  const watch = await xs.watch(base);
  check("initial watch event", (await watch.next()).value?.path === base);
  await xs.transaction(async (tx) => {
    await tx.write(`${base}/b`, "2");
    await tx.write(`${base}/c`, "3");
  });
  const seen = new Set<string>();
  while (!(seen.has(`${base}/b`) && seen.has(`${base}/c`))) {
    seen.add((await watch.next()).value!.path);
  }
  check("transaction committed, watch saw both writes", true);
  await watch.close();
  const n = 100;
  await Promise.all(Array.from({ length: n }, (_, i) => xs.write(`${base}/p/${i}`, `${i}`)));
  const back = await Promise.all(Array.from({ length: n }, (_, i) => xs.read(`${base}/p/${i}`)));
  check(
    "100 concurrent writes and reads (pipelined over the socket)",
    back.every((v, i) => v === `${i}`),
  );
  await xs.setPermissions(`${base}/a`, ["n0", "r1"]);
  const perms = (await xs.getPermissions(`${base}/a`)).map((p) => `${p.access}${p.domid}`);
  check("permissions", perms.join(",") === "n0,r1", perms.join(","));
  await xs.rm(base);
  check("rm", !(await xs.exists(base)));
} finally {
  xs.close();
}
