/**
 * The errno table of Xen call errors, checked against the real Linux headers (names and
 * numbers) and the real C library's `strerror` (texts), and the one line a failed call gives.
 */
import { assert, assertEquals } from "../support/assert.ts";
import { errnoName, errnoText, LINUX_ERRNOS, XenCallError } from "../../lib/xen/mod.ts";

const HEADERS = ["/usr/include/asm-generic/errno-base.h", "/usr/include/asm-generic/errno.h"];

/** Numbered `#define E... <n>` lines of the kernel headers (aliases name another E...). */
function headerErrnos(): Map<number, string> | undefined {
  const out = new Map<number, string>();
  for (const path of HEADERS) {
    let text: string;
    try {
      text = Deno.readTextFileSync(path);
    } catch {
      return undefined;
    }
    for (const m of text.matchAll(/^#define\s+(E\w+)\s+(\d+)\b/gm)) {
      if (!out.has(Number(m[2]))) out.set(Number(m[2]), m[1]);
    }
  }
  return out;
}

const headers = headerErrnos();
if (!headers) console.log(`skipping the header comparison: no ${HEADERS.join(" / ")}`);

Deno.test({
  name: "errno table: every number and name of Linux's asm-generic errno headers",
  ignore: !headers,
  fn() {
    assertEquals(new Map(LINUX_ERRNOS.map(([n, name]) => [n, name])), headers);
  },
});

Deno.test("errno table: each text is the C library's strerror", () => {
  const libc = Deno.dlopen("libc.so.6", { strerror: { parameters: ["i32"], result: "pointer" } });
  try {
    for (const [n, name, text] of LINUX_ERRNOS) {
      const at = libc.symbols.strerror(n);
      assert(at !== null);
      assertEquals(text, Deno.UnsafePointerView.getCString(at), name);
    }
  } finally {
    libc.close();
  }
});

Deno.test("errnoName / errnoText: ENODEV by number and by name; unknown numbers", () => {
  assertEquals(errnoName(19), "ENODEV");
  assertEquals(errnoText("ENODEV"), "No such device");
  assertEquals(errnoName(16), "EBUSY");
  assertEquals(errnoText("EBUSY"), "Device or resource busy");
  assertEquals(errnoName(4000), "E4000");
  assertEquals(errnoText("E4000"), "Unknown error 4000");
});

Deno.test("XenCallError: one line with the call, the errno name and its text", () => {
  const error = new XenCallError("xc_domain_create", "creating the domain", errnoName(19));
  assertEquals(
    error.message,
    "creating the domain failed: xc_domain_create: ENODEV (No such device)",
  );
  assertEquals(error.errno, "ENODEV");
});
