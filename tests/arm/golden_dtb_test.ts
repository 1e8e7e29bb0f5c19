// xlite's DTB for each golden config (tests/golden, captured from real libxl 4.17 on real
// Xen) is byte-for-byte the DTB real libxl put in guest memory, with /chosen/rng-seed masked.
import { assertEquals } from "../support/assert.ts";
import { assertDryRunMatchesGolden } from "../golden/golden_dry_run.ts";

const ROOT = new URL("../..", import.meta.url).pathname;
const GOLDEN = `${ROOT}tests/golden`;
const names = [...Deno.readDirSync(`${GOLDEN}/cfg`)]
  .filter((e) => e.name.endsWith(".cfg"))
  .map((e) => e.name.slice(0, -4))
  .sort();

for (const name of names) {
  Deno.test(`golden ${name}: DTB == real libxl 4.17's (rng-seed masked); segments == real Xen's`, () =>
    assertDryRunMatchesGolden({
      goldenDir: GOLDEN,
      name,
      xenVersion: "4.17",
      gic: name === "gicv2" ? "v2" : "v3",
      domains: new Map([["xlite-drv", 3]]),
    }));
}

for (const name of names) {
  Deno.test(`golden ${name}: the plan's config section == real 'xl -N create' (uuid masked)`, async () => {
    const { parseDomainConfig } = await import("../../lib/config/domain_config.ts");
    const { domainConfigToXlJson, printYajl } = await import("../../lib/domain/xl_json.ts");
    const text = await Deno.readTextFile(`${GOLDEN}/cfg/${name}.cfg`);
    const config = parseDomainConfig(text, { source: `${name}.cfg` });
    const mask = (json: string) => json.replace(/"uuid": "[0-9a-f-]{36}"/, '"uuid": "*"');
    const ours = printYajl(domainConfigToXlJson(config)) + "\n";
    assertEquals(mask(ours), mask(await Deno.readTextFile(`${GOLDEN}/${name}/xl-N.json`)));
  });
}
