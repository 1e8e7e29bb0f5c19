import { assertEquals } from "../support/assert.ts";
import { extendedRegions } from "../../lib/arm/finalise.ts";
import { ramBanks } from "../../lib/arm/memory_layout.ts";

const v417 = { major: 4, minor: 17 };
const v421 = { major: 4, minor: 21 };
const GiB = 1n << 30n;

Deno.test("§4.5: 1 GiB RAM, gpaddr_bits 40 → bank-0 tail and all of bank 1", () => {
  assertEquals(extendedRegions(ramBanks(GiB), 40, v417, []), [
    { base: 0x80000000n, size: 0x80000000n },
    { base: 0x200000000n, size: 0xfe00000000n },
  ]);
});

Deno.test("allocated size rounds up to 2 MiB; gpaddr_bits caps bank 1", () => {
  const banks = ramBanks((128n << 20n) + 4096n);
  assertEquals(extendedRegions(banks, 36, v417, []), [
    { base: 0x48200000n, size: 0x100000000n - 0x48200000n },
    { base: 0x200000000n, size: (1n << 36n) - 0x200000000n },
  ]);
});

Deno.test("a tail under 64 MiB is skipped; gpaddr_bits 32 leaves no bank-1 region", () => {
  const banks = ramBanks(3n * GiB - (32n << 20n));
  assertEquals(extendedRegions(banks, 32, v417, []), []);
});

Deno.test("4.21: iomem ranges are carved out (sorted by gfn); pieces under 64 MiB dropped", () => {
  const banks = ramBanks(GiB);
  const iomem = [
    { start: 0n, numberOfPages: 0x100n, gfn: 0xc0000n }, // 0xc0000000 +1 MiB
    { start: 0n, numberOfPages: 0x10n, gfn: 0x80100n }, // 0x80100000: leaves a 1 MiB piece before
  ];
  assertEquals(extendedRegions(banks, 40, v421, iomem), [
    { base: 0x80110000n, size: 0xc0000000n - 0x80110000n },
    { base: 0xc0100000n, size: 0x100000000n - 0xc0100000n },
    { base: 0x200000000n, size: 0xfe00000000n },
  ]);
  // Before 4.21 iomem is ignored.
  assertEquals(extendedRegions(banks, 40, v417, iomem).length, 2);
});
