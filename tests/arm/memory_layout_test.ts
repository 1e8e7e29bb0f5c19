import { assertEquals, assertThrows } from "../support/assert.ts";
import { layoutMemory, MemoryLayoutError, ramBanks } from "../../lib/arm/memory_layout.ts";
import { probeKernel, syntheticArm64Image } from "../../lib/arm/kernel_image.ts";

const kernel = await probeKernel(syntheticArm64Image(), "synthetic");

Deno.test("§3.6 golden: 128 MiB + 989,558-byte ramdisk → ramdisk 0x47f0d000–0x47fff000, DTB 0x47fff000", () => {
  const layout = layoutMemory({ memoryMiB: 128, kernel, ramdiskSize: 989_558, dtbSize: 2345 });
  assertEquals(layout.ramdisk, { start: 0x47f0d000n, end: 0x47fff000n });
  assertEquals(layout.dtb, { start: 0x47fff000n, end: 0x48000000n });
  assertEquals(layout.banks, [{ base: 0x40000000n, size: 128n << 20n }, {
    base: 0x200000000n,
    size: 0n,
  }]);
});

Deno.test("§3.6 golden: 160 MiB → boot modules at 128 MiB (0x48000000)", () => {
  const layout = layoutMemory({ memoryMiB: 160, kernel, ramdiskSize: 989_558, dtbSize: 2345 });
  assertEquals(layout.ramdisk?.start, 0x48000000n);
  assertEquals(layout.dtb.start, 0x48000000n + 0xf2000n);
});

Deno.test("no ramdisk: the DTB alone goes at 128 MiB, or at the top of a small bank 0", () => {
  assertEquals(layoutMemory({ memoryMiB: 256, kernel, dtbSize: 100 }).dtb, {
    start: 0x48000000n,
    end: 0x48001000n,
  });
  const small = layoutMemory({ memoryMiB: 64, kernel, dtbSize: 5000 });
  assertEquals(small.ramdisk, undefined);
  assertEquals(small.dtb, { start: 0x44000000n - 0x2000n, end: 0x44000000n });
});

Deno.test("memory spanning both banks: bank 0 full (3 GiB), rest in bank 1", () => {
  assertEquals(ramBanks(4096n << 20n), [
    { base: 0x40000000n, size: 0xc0000000n },
    { base: 0x200000000n, size: 1n << 30n },
  ]);
  const layout = layoutMemory({ memoryMiB: 4096, kernel, dtbSize: 4096 });
  assertEquals(layout.banks[1].size, 1n << 30n);
  assertEquals(layout.moduleBase, 0x48000000n);
});

Deno.test("text_offset moves the kernel; a big kernel pushes modules to the top of bank 0", async () => {
  const k = await probeKernel(syntheticArm64Image(4096, 0x80000n), "k");
  const layout = layoutMemory({ memoryMiB: 128, kernel: k, dtbSize: 4096 });
  assertEquals(layout.kernel.start, 0x40080000n);
  const big = { ...kernel, size: 130 << 20 }; // kernend past 128 MiB
  const l2 = layoutMemory({ memoryMiB: 512, kernel: big, dtbSize: 4096 });
  assertEquals(l2.moduleBase, 0x40000000n + (512n << 20n) - 0x1000n);
});

Deno.test("Xen's errors: ram size 0, too large, kernel+modules bigger than bank 0", () => {
  assertThrows(
    () => layoutMemory({ memoryMiB: 0, kernel, dtbSize: 1 }),
    MemoryLayoutError,
    "meminit: ram size is 0",
  );
  assertThrows(
    () => layoutMemory({ memoryMiB: 1024 * 1024 + 1, kernel, dtbSize: 1 }),
    MemoryLayoutError,
    "ram size is too large for guest address space",
  );
  assertThrows(
    () => layoutMemory({ memoryMiB: 128, kernel, ramdiskSize: 3 * 1024 ** 3, dtbSize: 1 }),
    MemoryLayoutError,
    "meminit: Not enough memory for the kernel+dtb+initrd",
  );
});
