import { assert, assertEquals } from "../support/assert.ts";
import { startXenstored, xenstoredMissing, xenstoreTool } from "../support/xenstored.ts";

for (const flavour of ["c", "ocaml"] as const) {
  const missing = xenstoredMissing(flavour);
  if (missing) console.log(`skipping ${flavour} xenstored harness test: ${missing}`);
  Deno.test({
    name: `harness: a private ${flavour} xenstored starts, survives kill+restart, and stops`,
    ignore: missing !== undefined,
    fn: async () => {
      const xsd = await startXenstored({ flavour });
      try {
        assertEquals((await xenstoreTool(xsd, "write", ["/harness", "1"])).code, 0);
        assertEquals((await xenstoreTool(xsd, "read", ["/harness"])).stdout, "1\n");
        const first = xsd.pid;
        await xsd.kill();
        assert((await xenstoreTool(xsd, "read", ["/"])).code !== 0, "daemon still answers");
        await xsd.restart();
        assert(xsd.pid !== first);
        assertEquals((await xenstoreTool(xsd, "read", ["/"])).code, 0);
      } finally {
        await xsd.stop();
      }
      let gone = false;
      try {
        Deno.statSync(xsd.dir);
      } catch {
        gone = true;
      }
      assert(gone, "run directory left behind");
    },
  });
}
