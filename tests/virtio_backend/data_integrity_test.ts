/**
 * Valid requests at random against a model of the disk: reads, writes, discards, write-zeroes
 * and flushes, each split into random buffers (directly chained or in an indirect table), on a
 * real temp image file. Every read returns what the model holds, and at the end the file is
 * byte for byte the model. Seed printed (XLITE_INTEGRITY_SEED to replay).
 */
import { assertEquals } from "../support/assert.ts";
import { VIRTIO_BLK_S, VIRTIO_BLK_T } from "../../lib/virtio_backend/virtio_constants.ts";
import { rig } from "./helpers.ts";

const SEED = Number(Deno.env.get("XLITE_INTEGRITY_SEED") ?? (Math.random() * 2 ** 32) >>> 0);

Deno.test("random valid requests keep the image file equal to a model of the disk", () => {
  console.log(`integrity seed ${SEED}`);
  let state = SEED >>> 0;
  const rnd = (n: number) => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return state % n;
  };
  const sectors = 2048;
  const r = rig({ bytes: sectors * 512, ramBytes: 4 << 20, discard: true });
  const model = new Uint8Array(sectors * 512);
  try {
    r.driver.start();
    for (let op = 0; op < 1500; op++) {
      r.driver.freeAll();
      const count = 1 + rnd(64);
      const sector = rnd(sectors - count + 1);
      const bytes = count * 512;
      // Split into 1..8 buffers on sector boundaries or not (any split is legal framing).
      const pieces = 1 + rnd(8);
      const cuts = [0, ...Array.from({ length: pieces - 1 }, () => rnd(bytes)), bytes]
        .sort((a, b) => a - b);
      const indirect = rnd(2) === 0;
      const kind = rnd(10);
      if (kind < 4) {
        const at = r.driver.alloc(bytes);
        const data = [];
        for (let i = 0; i + 1 < cuts.length; i++) {
          if (cuts[i + 1] > cuts[i]) {
            data.push({ at: at + cuts[i], len: cuts[i + 1] - cuts[i], write: true });
          }
        }
        const res = r.driver.request(VIRTIO_BLK_T.IN, sector, data, { indirect });
        assertEquals(res.status, VIRTIO_BLK_S.OK);
        assertEquals(r.ram.slice(at, at + bytes), model.slice(sector * 512, sector * 512 + bytes));
      } else if (kind < 8) {
        const at = r.driver.alloc(bytes);
        for (let i = 0; i < bytes; i++) r.ram[at + i] = rnd(256);
        const data = [];
        for (let i = 0; i + 1 < cuts.length; i++) {
          if (cuts[i + 1] > cuts[i]) data.push({ at: at + cuts[i], len: cuts[i + 1] - cuts[i] });
        }
        const res = r.driver.request(VIRTIO_BLK_T.OUT, sector, data, { indirect });
        assertEquals(res.status, VIRTIO_BLK_S.OK);
        model.set(r.ram.subarray(at, at + bytes), sector * 512);
      } else if (kind === 8) {
        const type = rnd(2) === 0 ? VIRTIO_BLK_T.DISCARD : VIRTIO_BLK_T.WRITE_ZEROES;
        const res = r.driver.ranges(type, [{
          sector,
          sectors: count,
          flags: type === VIRTIO_BLK_T.WRITE_ZEROES ? rnd(2) : 0,
        }]);
        assertEquals(res.status, VIRTIO_BLK_S.OK);
        model.fill(0, sector * 512, sector * 512 + bytes);
      } else {
        assertEquals(r.driver.request(VIRTIO_BLK_T.FLUSH, 0, []).status, VIRTIO_BLK_S.OK);
      }
    }
    assertEquals(r.driver.request(VIRTIO_BLK_T.FLUSH, 0, []).status, VIRTIO_BLK_S.OK);
    assertEquals(Deno.readFileSync(r.file!), model);
    assertEquals(r.logs, []);
  } finally {
    r.cleanup();
  }
});
