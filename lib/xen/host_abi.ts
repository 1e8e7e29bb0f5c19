/**
 * Which {@linkcode XenAbi} this host needs: the release the hypervisor reports, asked once
 * per process. Linux's `/sys/hypervisor/version` first (no library needed, so even a release
 * whose libraries xlite cannot name is recognised and refused in one line); where Linux shows
 * none, `xc_version(XENVER_version)` through whichever supported libxenctrl loads.
 *
 * @module
 */
import { readHostXenVersion, type XenVersion } from "../xen_version/mod.ts";
import { NoXenError } from "./errors.ts";
import { requirePrivcmd } from "./library.ts";
import { XEN_ABIS, type XenAbi, xenAbi } from "./xen_abi.ts";

/** `XENVER_version` (public/version.h): `(major << 16) | minor`. */
export const XENVER_version = 0;

const XC_VERSION = {
  xc_interface_open: { parameters: ["pointer", "pointer", "u32"], result: "pointer" },
  xc_interface_close: { parameters: ["pointer"], result: "i32" },
  xc_version: { parameters: ["pointer", "i32", "pointer"], result: "i32" },
} as const satisfies Deno.ForeignLibraryInterface;

/** `xc_version(XENVER_version)` through the first libxenctrl that loads; undefined if none. */
function versionFromLibxenctrl(): XenVersion | undefined {
  for (const soname of [...XEN_ABIS.flatMap((a) => a.xenctrlSonames), "libxenctrl.so"]) {
    let lib: Deno.DynamicLibrary<typeof XC_VERSION>;
    try {
      lib = Deno.dlopen(soname, XC_VERSION);
    } catch {
      continue;
    }
    try {
      const xch = lib.symbols.xc_interface_open(null, null, 0);
      if (xch === null) return undefined;
      const v = lib.symbols.xc_version(xch, XENVER_version, null);
      lib.symbols.xc_interface_close(xch);
      return v < 0 ? undefined : { major: v >>> 16, minor: v & 0xffff };
    } finally {
      lib.close();
    }
  }
  return undefined;
}

let cached: XenAbi | undefined;

/**
 * The host's {@linkcode XenAbi}: `NoXenError` without Xen, `UnsupportedXenError` ("Xen 4.23
 * is not supported by this xlite: 4.17–4.20") for a release xlite does not know.
 */
export function hostXenAbi(): XenAbi {
  if (cached) return cached;
  requirePrivcmd();
  const version = readHostXenVersion() ?? versionFromLibxenctrl();
  if (!version) throw new NoXenError("the hypervisor's version could not be read");
  cached = xenAbi(version);
  return cached;
}
