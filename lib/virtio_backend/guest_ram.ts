/**
 * Guest RAM held in one host buffer: the {@linkcode GuestMemory} of tests, benchmarks and
 * fuzzing, and of a carrier that maps a guest's RAM bank contiguously.
 *
 * @module
 */
import type { GuestMemory } from "./interfaces.ts";

/**
 * A GuestMemory over `bytes`: guest RAM `[base, base + bytes.length)`. Every range is checked
 * against it, so a guest address outside it is refused, however large.
 */
export function memoryGuestRam(base: bigint, bytes: Uint8Array): GuestMemory {
  // Addresses are compared as numbers: a guest-physical address has at most 52 bits (Arm
  // LPA), and anything at or beyond 2^53 is outside this RAM anyway.
  const start = Number(base);
  const size = bytes.length;
  const offsetOf = (gpa: bigint, length: number): number => {
    if (length < 0 || !Number.isSafeInteger(length)) return -1;
    const at = Number(gpa) - start;
    // Number(gpa) rounds above 2^53; such an address cannot be in RAM that starts below it.
    if (gpa < base || at > size - length || Number(gpa) >= Number.MAX_SAFE_INTEGER) return -1;
    return at;
  };
  return {
    view(gpa, length) {
      const at = offsetOf(gpa, length);
      return at < 0 ? null : bytes.subarray(at, at + length);
    },
    read(gpa, into) {
      const at = offsetOf(gpa, into.length);
      if (at < 0) return false;
      into.set(bytes.subarray(at, at + into.length));
      return true;
    },
    write(gpa, from) {
      const at = offsetOf(gpa, from.length);
      if (at < 0) return false;
      bytes.set(from, at);
      return true;
    },
  };
}
