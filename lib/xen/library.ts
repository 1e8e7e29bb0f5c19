/**
 * Finding Xen's C libraries at run time (`Deno.dlopen`), and C's `errno` after a failed call.
 * Nothing is loaded until a command needs Xen.
 *
 * @module
 */
import { NoXenError } from "./errors.ts";

/** The privileged-command device every Xen control library needs (dom0 / a control domain). */
export const PRIVCMD_DEVICE = "/dev/xen/privcmd";

/**
 * Fails with {@linkcode NoXenError} unless `/dev/xen/privcmd` exists (checked first so the
 * libraries never print their own errors on a host without Xen).
 */
export function requirePrivcmd(device: string = PRIVCMD_DEVICE): void {
  try {
    Deno.statSync(device);
  } catch {
    throw new NoXenError(`${device} not found`);
  }
}

/**
 * Opens the first of `sonames` that loads, with `symbols`; {@linkcode NoXenError} naming the
 * libraries when none does.
 */
export function openLibrary<S extends Deno.ForeignLibraryInterface>(
  sonames: string[],
  symbols: S,
): Deno.DynamicLibrary<S> {
  for (const soname of sonames) {
    try {
      return Deno.dlopen(soname, symbols);
    } catch {
      // try the next name
    }
  }
  throw new NoXenError(`${sonames.join(" / ")} not found`);
}

let errnoLib:
  | Deno.DynamicLibrary<{ __errno_location: { parameters: []; result: "pointer" } }>
  | null = null;

/** The calling thread's C `errno` (read right after a failed library call). */
export function lastErrno(): number {
  errnoLib ??= Deno.dlopen("libc.so.6", {
    __errno_location: { parameters: [], result: "pointer" },
  });
  const at = errnoLib.symbols.__errno_location();
  return at === null ? 0 : new Deno.UnsafePointerView(at).getInt32();
}
