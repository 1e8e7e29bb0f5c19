/**
 * `DOM` arguments as xl resolves them (`libxl_domain_qualifier_to_domid`): digits are taken
 * as they are, names are looked up in xenstore's `/local/domain/<domid>/name`.
 */
import { assertEquals, assertRejects } from "../support/assert.ts";
import { startXenstored, xenstoredMissing } from "../support/xenstored.ts";
import { openXenstore } from "../../lib/xenstore/mod.ts";
import { DomainQualifierError, numericDomid, resolveDomain } from "../../lib/domain/resolve.ts";

Deno.test("numericDomid: C strtoul into a uint32_t; the empty string is domid 0; names are not numbers", () => {
  assertEquals(numericDomid("5"), 5);
  assertEquals(numericDomid("007"), 7);
  assertEquals(numericDomid(""), 0);
  assertEquals(numericDomid("4294967301"), 5); // wraps like the C assignment
  assertEquals(numericDomid("99999999999999999999999"), 0xffffffff); // strtoul saturates
  assertEquals(numericDomid("guest"), undefined);
  assertEquals(numericDomid("5a"), undefined);
  assertEquals(numericDomid("-1"), undefined);
});

Deno.test({
  name: "resolveDomain: names from /local/domain/*/name, lowest domid first; unknown names rc=-6",
  ignore: xenstoredMissing("c") !== undefined,
  async fn() {
    await using xsd = await startXenstored({ flavour: "c" });
    const xs = await openXenstore({ path: xsd.socketPath });
    try {
      await xs.write("/local/domain/0/name", "Domain-0");
      await xs.write("/local/domain/12/name", "twin");
      await xs.write("/local/domain/3/name", "twin");
      await xs.write("/local/domain/7/name", "web");
      assertEquals(await resolveDomain(xs, "Domain-0"), 0);
      assertEquals(await resolveDomain(xs, "web"), 7);
      assertEquals(await resolveDomain(xs, "twin"), 3);
      assertEquals(await resolveDomain(xs, "42"), 42); // digits are not checked
      const error = await assertRejects(
        () => resolveDomain(xs, "nosuch"),
        DomainQualifierError,
        "nosuch is an invalid domain identifier",
      );
      assertEquals(error.rc, -6);
    } finally {
      xs.close();
    }
  },
});
