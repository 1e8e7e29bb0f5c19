#!/bin/sh
# Console and creation-xenstore scenario (one boot; Xen 4.17, or 4.20 with
# XLITE_TESTBED_SUITE=trixie): guests made by real `xl create -p`;
# for each, what xlite's writeDomainXenstore (+ lib/devices for its disks) would write for
# that config, fed the domid, uuid, ring pages, ports and start time xl used, is compared
# node for node (value and permissions) with what xl wrote; then `xlite console` and
# `xl console` attach to running guests and show their output.
. /mnt/xlite/tests/testbed/scenarios/lib.sh
T=/tmp/cx; mkdir -p $T
run() { n=$1; shift; "$@" > $T/$n.out 2> $T/$n.err; echo $? > $T/$n.rc; }
show() { for f in out err; do [ -s $T/$1.$f ] && sed "s/^/  $1.$f| /" $T/$1.$f; done; return 0; }
xdeno() {
  DENO_DIR=${DENO_DIR:-/tmp/deno-dir} DENO_NO_UPDATE_CHECK=1 NO_COLOR=1 \
    /mnt/tools/deno-aarch64 run -A --no-lock --config /mnt/xlite/deno.json "$@"
}

# The comparison, in one deno run for all guests (deno starts slowly under TCG).
cat > $T/compare.ts <<'EOTS'
import { nodesAfter, openXenstore, type XenstoreClient } from "/mnt/xlite/lib/xenstore/mod.ts";
import { prepareGuest, xenstoreResolver } from "/mnt/xlite/lib/domain/prepare_guest.ts";
import { planDomainDevices } from "/mnt/xlite/lib/devices/mod.ts";
import { domainXenstoreNodes } from "/mnt/xlite/lib/domain/domain_xenstore.ts";
import { defaultXenVersion } from "/mnt/xlite/lib/xen_version/mod.ts";

// the rules of the Xen that runs here (4.17 on bookworm, 4.20 on trixie), as xlite create uses
const release = defaultXenVersion();

const BACKEND_KEYS = new Set(["feature-max-indirect-segments", "multi-queue-max-queues",
  "max-ring-page-order", "node", "physical-device", "physical-device-path", "hotplug-status"]);
type Node = { value: string; perms: string };
const fmt = (p: { access: string; domid: number }[]) => p.map((x) => `${x.access}${x.domid}`).join(",");

async function walk(xs: XenstoreClient, path: string, out: Map<string, Node>) {
  const value = await xs.tryRead(path);
  if (value === undefined) return;
  out.set(path, { value, perms: fmt(await xs.getPermissions(path)) });
  for (const child of await xs.directory(path)) await walk(xs, `${path}/${child}`, out);
}

const xs = await openXenstore();
let bad = 0;
for (const arg of Deno.args) {
  const [name, cfg] = arg.split("=");
  const ids = await xs.directory("/local/domain");
  const names = await Promise.all(ids.map((id) => xs.tryRead(`/local/domain/${id}/name`)));
  if (!names.includes(name)) {
    console.log(`${name}: no such domain (xl create failed?)`);
    bad++;
    continue;
  }
  const domid = Number(ids[names.indexOf(name)]);
  const dom = `/local/domain/${domid}`;
  const uuid = (await xs.read(`${dom}/vm`)).slice("/vm/".length);
  const at = (k: string) => xs.tryRead(`${dom}/${k}`);
  // The config as xlite create prepares it (backends, virtio-mmio, disk defaults).
  const { config } = await prepareGuest(cfg, {
    xenVersion: release,
    resolveBackend: xenstoreResolver(xs),
  });
  const vuartPort = await at("vuart/0/port");
  const planned = domainXenstoreNodes({
    domid, name, uuid, config,
    storeRingPfn: BigInt((await at("store/ring-ref"))!), storePort: Number(await at("store/port")),
    consoleRingPfn: BigInt((await at("console/ring-ref"))!), consolePort: Number(await at("console/port")),
    vuart: vuartPort === undefined ? undefined
      : { ringPfn: BigInt((await at("vuart/0/ring-ref"))!), port: Number(vuartPort) },
    startTimeMs: Math.round(Number(await xs.read(`/vm/${uuid}/start_time`)) * 1000),
  });
  for (const plan of planDomainDevices(config, { domid, release })) planned.push(...nodesAfter(plan.ops));
  const want = new Map(planned.map((w) => [w.path, { value: w.value, perms: fmt(w.perms) }]));
  const have = new Map<string, Node>();
  for (const root of [dom, `/libxl/${domid}`, `/vm/${uuid}`]) await walk(xs, root, have);
  for (const kind of ["console", "vuart", "vbd"]) {
    await walk(xs, `/local/domain/0/backend/${kind}/${domid}`, have);
  }
  let diffs = 0;
  const differ = (msg: string) => { diffs++; console.log(`  ${name}: ${msg}`); };
  for (const [path, w] of want) {
    const h = have.get(path);
    if (!h) { differ(`missing ${path}`); continue; }
    let value = h.value;
    if (path === `${dom}/console/tty` && value.startsWith("/dev/pts/")) value = ""; // xenconsoled's
    if (/\/backend\/vbd\/\d+\/\d+\/state$/.test(path) && value === "2") value = "1"; // blkback's
    if (value !== w.value || h.perms !== w.perms) {
      differ(`${path}: xl wrote "${h.value}" (${h.perms}), xlite plans "${w.value}" (${w.perms})`);
    }
  }
  for (const [path, h] of have) {
    if (want.has(path)) continue;
    const key = path.slice(path.lastIndexOf("/") + 1);
    const parent = have.get(path.slice(0, path.lastIndexOf("/")));
    if (path === `${dom}/vuart/0/tty`) continue; // xenconsoled's
    if (/\/backend\/vbd\//.test(path) && BACKEND_KEYS.has(key)) continue; // blkback / block script
    // a directory libxl never wrote itself: created by xenstored, its parent's permissions
    if (h.value === "" && (!parent || parent.perms === h.perms)) continue;
    differ(`xl wrote ${path} = "${h.value}" (${h.perms}), xlite plans nothing there`);
  }
  console.log(`${name} (domid ${domid}): ${want.size} planned nodes, ${have.size} in xenstore, ${diffs} differences`);
  if (diffs) bad++;
}
xs.close();
Deno.exit(bad ? 1 : 0);
EOTS

say "--- xl create -p: plain, vuart + an offline vCPU, PV disk"
guest_cfg x1 $T/x1.cfg xlite.hold
guest_cfg x2 $T/x2.cfg xlite.hold
cat >> $T/x2.cfg <<'EOC'
vuart = "sbsa_uart"
vcpus = 2
maxvcpus = 3
EOC
dd if=/dev/zero of=/tmp/cx-d1.img bs=1M count=8 2>/dev/null
guest_cfg x3 $T/x3.cfg xlite.hold
echo "disk = [ 'format=raw, vdev=xvda, access=rw, target=/tmp/cx-d1.img' ]" >> $T/x3.cfg
for g in x1 x2 x3; do
  run create-$g xl create -q -p $T/$g.cfg; show create-$g
  expect_eq "xl create -p $g" "$(cat $T/create-$g.rc)" 0
done
for g in x1 x2 x3; do xenstore-ls -fp /local/domain/$(xl domid $g) > $T/xs-$g.txt 2>&1; done

say "--- what xlite would write == what xl wrote (values and permissions)"
run compare xdeno $T/compare.ts x1=$T/x1.cfg x2=$T/x2.cfg x3=$T/x3.cfg; show compare
expect_eq "creation xenstore: xlite's plan == xl's tree for x1, x2, x3" "$(cat $T/compare.rc)" 0

say "--- console: attached before the guest runs, it shows the guest's boot output"
# console_attached <pattern>: a xenconsole for that domain is running
console_attached() { ps | grep -v grep | grep -q "xenconsole $1 --num 0 --type pv"; }
for who in xlite xl; do
  g=x1; [ $who = xl ] && g=x3
  D=$(xl domid $g)
  $who console $g < /dev/null > $T/console-$who.out 2> $T/console-$who.err &
  P=$!
  check "$who console $g: xenconsole started with libxl's arguments" wait_for 60 console_attached $D
  xl unpause $g
  check "$who console $g shows the guest's output" wait_for 90 grep -q '===DOMU-DONE' $T/console-$who.out
  kill -TERM $P 2>/dev/null; wait $P; echo $? > $T/console-$who.rc
  show console-$who | grep -v FDT | head -5
done
expect_eq "xlite console ends as xl console does on SIGTERM" \
  "$(cat $T/console-xlite.rc)" "$(cat $T/console-xl.rc)"

say "--- console: errors, compared with xl"
run xl-c-bad xl console -t hvc x2; run xlite-c-bad xlite console -t hvc x2
same "xlite console -t hvc: xl's message" $T/xl-c-bad.err $T/xlite-c-bad.err
expect_eq "xlite console -t hvc: xl's exit code" "$(cat $T/xlite-c-bad.rc)" "$(cat $T/xl-c-bad.rc)"
run xl-c-name xl console nosuch; run xlite-c-name xlite console nosuch
same "xlite console <unknown name>: xl's message" $T/xl-c-name.err $T/xlite-c-name.err
run xl-c-0 xl console 0; run xlite-c-0 xlite console 0
# xl first logs libxl's complaint that /libxl/0/type is missing ("assuming HVM"); xlite does not
tail -1 $T/xl-c-0.err > $T/xl-c-0.last
same "xlite console 0: xenconsole's refusal, as with xl" $T/xl-c-0.last $T/xlite-c-0.err
expect_eq "xlite console 0: xl's exit code" "$(cat $T/xlite-c-0.rc)" "$(cat $T/xl-c-0.rc)"

for g in x1 x2 x3; do xl destroy $g 2>/dev/null; done
cp -r $T /mnt/out/console_xenstore 2>/dev/null
finish
