/** The xenstore-* tools' value quoting, both ways (the CLI test compares with the tools). */
import { assertEquals } from "../support/assert.ts";
import { sanitiseValue, unsanitiseValue } from "../../lib/xenstore/sanitise.ts";

Deno.test("sanitiseValue: printable as is, C escapes, octal below 8, hex above", () => {
  assertEquals(
    sanitiseValue(new Uint8Array([0x61, 0x09, 0x0a, 0x0d, 0x5c, 0x00, 0x07, 0x08, 0x7f, 0xff])),
    "a\\t\\n\\r\\\\\\000\\007\\x08\\x7f\\xff",
  );
});

Deno.test("unsanitiseValue: inverse of sanitiseValue for every byte", () => {
  const all = new Uint8Array(256).map((_, i) => i);
  assertEquals(unsanitiseValue(sanitiseValue(all)), all);
});

Deno.test("unsanitiseValue: Xen's quirks (bare \\x, unknown escape, trailing backslash)", () => {
  assertEquals(Array.from(unsanitiseValue("\\xg")), [0x78, 0x67]);
  assertEquals(Array.from(unsanitiseValue("\\q")), [0x71]);
  assertEquals(Array.from(unsanitiseValue("a\\")), [0x61, 0]);
  assertEquals(Array.from(unsanitiseValue("\\1012")), [0x41, 0x32]);
});
