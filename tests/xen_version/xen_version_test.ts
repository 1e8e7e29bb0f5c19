/** The one Xen version vocabulary (lib/xen_version). */
import { assert, assertEquals, assertThrows } from "../support/assert.ts";
import { UsageError } from "../../lib/errors.ts";
import {
  atLeast,
  compareXenVersion,
  DEFAULT_XEN_VERSION,
  formatXenVersion,
  parseXenVersion,
} from "../../lib/xen_version/mod.ts";

Deno.test("xen_version: parse, compare, format; versions before 4.17 are refused", () => {
  assertEquals(parseXenVersion(" 4.19 "), { major: 4, minor: 19 });
  assertEquals(formatXenVersion(DEFAULT_XEN_VERSION), "4.17");
  assert(compareXenVersion({ major: 4, minor: 18 }, { major: 4, minor: 17 }) > 0);
  assert(compareXenVersion({ major: 5, minor: 0 }, { major: 4, minor: 21 }) > 0);
  assert(atLeast({ major: 4, minor: 19 }, 4, 19) && !atLeast({ major: 4, minor: 18 }, 4, 19));
  assertThrows(() => parseXenVersion("4.16"), UsageError, "xlite emulates Xen 4.17 and later");
  assertThrows(() => parseXenVersion("4"), UsageError, "expected MAJOR.MINOR");
});
