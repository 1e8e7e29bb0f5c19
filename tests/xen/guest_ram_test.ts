/**
 * mapGuestRam's bounds arithmetic, which stands between guest-supplied addresses and host
 * memory: banks, holes (pages Xen refused), 2 MiB chunk edges, hostile lengths. The real
 * mapping runs in the testbed (tests/testbed/scenarios/ioreq.sh reads a guest's RAM through
 * it); here a FAKE ForeignMapping backs the chunks with plain memory and refuses chosen pages,
 * because without Xen there is nothing real to map and the edge cases must be hit exactly.
 */
import { assert, assertEquals } from "../support/assert.ts";
import { GUEST_RAM_CHUNK, mapGuestRam } from "../../lib/xen/guest_ram.ts";
import type { ForeignMapping, ForeignPages } from "../../lib/xen/foreign_mapping.ts";

const PAGE = 4096n;

/**
 * FAKE: each page filled with its pfn's low byte (plus `generation`, bumped to model the guest
 * getting new pages); `refused` pfns come back with -EINVAL. A remap (`at`) refills `at`.
 */
function fakeForeignMapping(refused: Set<bigint>) {
  const calls: { pfn: bigint; pages: number; remap?: boolean }[] = [];
  let unmapped = 0;
  let closed = false;
  const state = { generation: 0 };
  const mapping: ForeignMapping = {
    mapPages(_domid, firstPfn, pages, at): ForeignPages {
      calls.push(at ? { pfn: firstPfn, pages, remap: true } : { pfn: firstPfn, pages });
      const bytes = at ?? new Uint8Array(pages * 4096);
      const errors = new Int32Array(pages);
      for (let i = 0; i < pages; i++) {
        const pfn = firstPfn + BigInt(i);
        if (refused.has(pfn)) errors[i] = -22;
        else bytes.fill(Number((pfn + BigInt(state.generation)) & 0xffn), i * 4096, (i + 1) * 4096);
      }
      return { bytes, errors, unmap: () => void unmapped++ };
    },
    mapResource() {
      throw new Error("not used");
    },
    close() {
      closed = true;
    },
  };
  return { mapping, calls, state, unmappedCount: () => unmapped, isClosed: () => closed };
}

const BANK0 = 0x4000_0000n;
const BANK1 = 0x2_0000_0000n;

Deno.test("guest RAM: accesses inside the banks work, everything else is refused untouched", () => {
  const fake = fakeForeignMapping(new Set());
  const ram = mapGuestRam(
    7,
    [{ base: BANK0, size: 8n << 20n }, { base: BANK1, size: 4n << 20n }],
    fake.mapping,
  );
  assertEquals(fake.calls.length, 0, "nothing is mapped before it is touched");
  const out = new Uint8Array(16);
  assert(ram.read(BANK0, out));
  assertEquals(out[0], Number((BANK0 / PAGE) & 0xffn));
  assert(ram.write(BANK1 + 100n, new Uint8Array([1, 2, 3])));
  const back = new Uint8Array(3);
  assert(ram.read(BANK1 + 100n, back));
  assertEquals([...back], [1, 2, 3]);
  for (
    const [gpa, length] of [
      [BANK0 - 1n, 2], // straddles the bank start
      [BANK0 + (8n << 20n) - 4n, 8], // straddles the bank end
      [BANK0 + (8n << 20n), 1], // just past bank 0
      [0n, 4], // below RAM
      [0x200_0000n, 4], // a virtio-mmio window, not RAM
      [-4096n, 4], // negative
      [BANK1 + (4n << 20n), 1], // past bank 1
      [0xffff_ffff_ffff_f000n, 4096], // the top of the address space
      [BANK0, 0x7fff_ffff], // a length far past the bank
    ] as [bigint, number][]
  ) {
    const into = new Uint8Array(Math.min(length, 64)).fill(0xaa);
    assertEquals(ram.view(gpa, length), null, `view ${gpa.toString(16)}+${length}`);
    if (length <= 64) {
      assert(!ram.read(gpa, into), `read ${gpa.toString(16)}`);
      assert(into.every((b) => b === 0xaa), "a refused read copies nothing");
      assert(!ram.write(gpa, into), `write ${gpa.toString(16)}`);
    }
  }
  assertEquals(ram.view(BANK0, -1), null);
});

Deno.test("guest RAM: mapped once per 2 MiB chunk, on first touch; close unmaps each once", () => {
  const fake = fakeForeignMapping(new Set());
  const ram = mapGuestRam(7, [{ base: BANK0, size: 5n << 20n }], fake.mapping);
  for (let i = 0; i < 100; i++) ram.read(BANK0 + BigInt(i * 4096), new Uint8Array(8));
  assertEquals(fake.calls, [{ pfn: BANK0 / PAGE, pages: GUEST_RAM_CHUNK / 4096 }]);
  ram.read(BANK0 + (4n << 20n), new Uint8Array(8)); // the last, partial chunk: 1 MiB
  assertEquals(fake.calls[1], { pfn: (BANK0 + (4n << 20n)) / PAGE, pages: 256 });
  assertEquals(ram.mappedChunks, 2);
  ram.close();
  assertEquals(fake.unmappedCount(), 2);
  assert(fake.isClosed());
  assert(!ram.read(BANK0, new Uint8Array(1)), "nothing after close");
  ram.close();
  assertEquals(fake.unmappedCount(), 2, "a second close does nothing");
});

Deno.test("guest RAM: a view never spans chunks; read/write do, piece by piece", () => {
  const fake = fakeForeignMapping(new Set());
  const ram = mapGuestRam(7, [{ base: BANK0, size: 8n << 20n }], fake.mapping);
  const edge = BANK0 + BigInt(GUEST_RAM_CHUNK);
  assertEquals(ram.view(edge - 4n, 8), null);
  assertEquals(ram.view(edge - 4n, 4)?.length, 4);
  const data = Uint8Array.from({ length: 8192 }, (_, i) => i & 0xff);
  assert(ram.write(edge - 4096n, data));
  const back = new Uint8Array(8192);
  assert(ram.read(edge - 4096n, back));
  assertEquals(back, data);
  // the two halves landed in their own chunks
  assertEquals(ram.view(edge - 4096n, 4096), data.subarray(0, 4096));
  assertEquals(ram.view(edge, 4096), data.subarray(4096));
});

Deno.test("guest RAM: pages Xen refused are holes; neighbours stay usable", () => {
  const hole = BANK0 / PAGE + 3n;
  const fake = fakeForeignMapping(new Set([hole]));
  const ram = mapGuestRam(7, [{ base: BANK0, size: 4n << 20n }], fake.mapping);
  const at = hole * PAGE;
  assertEquals(ram.view(at, 1), null);
  assertEquals(ram.view(at - 1n, 2), null, "a range ending in the hole");
  assert(!ram.read(at - 8n, new Uint8Array(16)));
  assert(!ram.write(at + 4095n, new Uint8Array(1)));
  assertEquals(ram.view(at - 4096n, 4096)?.length, 4096);
  assertEquals(ram.view(at + 4096n, 4096)?.length, 4096);
});

Deno.test("guest RAM: a chunk Xen refuses as a whole is refused from then on, not retried", () => {
  let calls = 0;
  const mapping: ForeignMapping = {
    mapPages() {
      calls++;
      throw new Error("EINVAL");
    },
    mapResource() {
      throw new Error("not used");
    },
    close() {},
  };
  const ram = mapGuestRam(7, [{ base: BANK0, size: 2n << 20n }], mapping);
  assert(!ram.read(BANK0, new Uint8Array(4)));
  assertEquals(ram.view(BANK0 + 8n, 4), null);
  assertEquals(calls, 1);
  assertEquals(ram.mappedChunks, 0);
});

Deno.test("guest RAM: invalidate remaps every mapped chunk in place; old views see the new pages", () => {
  const refused = new Set<bigint>();
  const fake = fakeForeignMapping(refused);
  const ram = mapGuestRam(7, [{ base: BANK0, size: 8n << 20n }], fake.mapping);
  const view = ram.view(BANK0 + 4096n, 16)!;
  const first = view[0];
  ram.read(BANK0 + (4n << 20n), new Uint8Array(1)); // a second chunk
  fake.state.generation = 1; // the guest got other pages
  refused.add(BANK0 / PAGE + 2n); // and gave one back
  ram.invalidate();
  assertEquals(ram.invalidations, 1);
  assertEquals(fake.calls.filter((c) => c.remap).length, 2, "both chunks, only those");
  assertEquals(view[0], (first + 1) & 0xff, "the old view reads the new page");
  assertEquals(ram.view(BANK0 + 2n * PAGE, 1), null, "the page given back is a hole now");
  assertEquals(ram.mappedChunks, 2);
  ram.close();
  assertEquals(fake.unmappedCount(), 2, "each chunk unmapped once (the remap replaced the map)");
});

Deno.test("guest RAM: a chunk whose remap fails is refused from then on", () => {
  const fake = fakeForeignMapping(new Set());
  let fail = false;
  const mapping: ForeignMapping = {
    ...fake.mapping,
    mapPages(domid, pfn, pages, at) {
      if (fail) throw new Error("ENOMEM");
      return fake.mapping.mapPages(domid, pfn, pages, at);
    },
  };
  const ram = mapGuestRam(7, [{ base: BANK0, size: 4n << 20n }], mapping);
  assert(ram.read(BANK0, new Uint8Array(4)));
  fail = true;
  ram.invalidate();
  assert(!ram.read(BANK0, new Uint8Array(4)));
  assertEquals(ram.view(BANK0, 4), null);
  assertEquals(ram.mappedChunks, 0);
  ram.close();
  assertEquals(fake.unmappedCount(), 1, "the dead chunk's address range is still released");
});
