/**
 * Set-up shared by the virtio_backend tests: a guest-RAM image, a device over an image (a temp
 * file, or memory where the test is about the queue), the test driver, and the log lines.
 */
import {
  type BlockImage,
  createVirtioBlkDevice,
  memoryBlockImage,
  memoryGuestRam,
  openBlockImage,
  type VirtioMmioDevice,
} from "../../lib/virtio_backend/mod.ts";
import { RAM_BASE, TestDriver } from "./test_driver.ts";

/** A device, its driver and what it logged. */
export interface Rig {
  device: VirtioMmioDevice;
  driver: TestDriver;
  ram: Uint8Array;
  image: BlockImage;
  logs: string[];
  raised: { count: number };
  /** The image file (when file-backed), removed by `cleanup`. */
  file?: string;
  cleanup(): void;
}

/** A temp image file of `bytes` bytes filled with `fill(offset)` (or zeros). */
export function tempImage(bytes: number, fill?: (i: number) => number): string {
  const file = Deno.makeTempFileSync({ prefix: "xlite-vblk-", suffix: ".img" });
  const data = new Uint8Array(bytes);
  if (fill) { for (let i = 0; i < bytes; i++) data[i] = fill(i); }
  Deno.writeFileSync(file, data);
  return file;
}

/** A byte pattern that differs per sector and position. */
export const pattern = (seed: number) => (i: number): number =>
  ((i >> 9) * 31 + i * 7 + seed) & 0xff;

/** A rig over a temp file (default) or a memory image. */
export function rig(
  options: {
    bytes?: number;
    ramBytes?: number;
    readOnly?: boolean;
    discard?: boolean;
    memoryImage?: boolean;
    fill?: (i: number) => number;
    serial?: string;
    eventIdx?: boolean;
    queueSize?: number;
  } = {},
): Rig {
  const bytes = options.bytes ?? 1 << 20;
  const ram = new Uint8Array(options.ramBytes ?? 1 << 20);
  let file: string | undefined;
  let image: BlockImage;
  if (options.memoryImage) {
    const data = new Uint8Array(bytes);
    if (options.fill) { for (let i = 0; i < bytes; i++) data[i] = options.fill(i); }
    image = memoryBlockImage(data, { readOnly: options.readOnly });
  } else {
    file = tempImage(bytes, options.fill);
    image = openBlockImage(file, { readOnly: options.readOnly ?? false });
  }
  const logs: string[] = [];
  const raised = { count: 0 };
  const device = createVirtioBlkDevice({
    memory: memoryGuestRam(RAM_BASE, ram),
    interrupt: { raise: () => raised.count++ },
    image,
    discard: options.discard ?? false,
    serial: options.serial,
    log: (line) => logs.push(line),
    eventIdx: options.eventIdx,
    queueSize: options.queueSize,
  });
  return {
    device,
    driver: new TestDriver(device, ram),
    ram,
    image,
    logs,
    raised,
    file,
    cleanup() {
      device.close();
      if (file) Deno.removeSync(file);
    },
  };
}
