/**
 * The virtio-mmio transport, version 2 registers (virtio 1.2 §4.2.2): identification, feature
 * negotiation in 32-bit halves, the status machine with reset and DEVICE_NEEDS_RESET, queue
 * set-up, notify, interrupt status and acknowledge, and the device's config space at 0x100.
 * A device type plugs in as a {@linkcode VirtioDeviceModel}.
 *
 * Requests are served synchronously inside the write to QueueNotify: the IOREQ that carried
 * the notify is answered once the requests are done, with no queue, thread or promise per
 * request. Measured by bench/virtio_blk.ts on this project's 2-core host: a blocking FFI
 * `pread` of 4 KiB from the page cache ran at about 180-400k/s, the same call on Deno's FFI
 * thread pool (`nonblocking`, 32 in flight) at about 45-70k/s. The price: one slow image
 * stalls the other devices served by the same thread while its request runs.
 *
 * @module
 */
import type { GuestMemory, InterruptLine, MmioHandler } from "./interfaces.ts";
import type { GuestLog } from "./guest_log.ts";
import { type DescriptorChain, POP_BROKEN, POP_EMPTY, SplitVirtqueue } from "./split_virtqueue.ts";
import {
  VIRTIO_CONFIG_S,
  VIRTIO_F,
  VIRTIO_MMIO,
  VIRTIO_MMIO_INT_CONFIG,
  VIRTIO_MMIO_INT_VRING,
  VIRTIO_MMIO_MAGIC,
  VIRTIO_MMIO_VERSION,
  VIRTIO_MMIO_WINDOW_SIZE,
} from "./virtio_constants.ts";

/**
 * `VendorID`: "XLIT" in little-endian bytes. Linux's driver only prints it; QEMU uses "QEMU"
 * (0x554d4551), so a fixed value of our own tells the two backends apart in a guest.
 */
export const XLITE_VIRTIO_VENDOR_ID = 0x54494c58;

/** A virtio device on the virtio-mmio transport (virtio 1.x, register version 2). */
export interface VirtioMmioDevice extends MmioHandler {
  /** Back to the state after creation (as a driver's write of 0 to Status does). */
  reset(): void;
  /** Stops serving: releases the image; later accesses read 0 / are ignored. */
  close(): void;
  /** Counters for logs and benchmarks. */
  readonly stats: { requests: number; errors: number; notifies: number; interrupts: number };
}

/** What a device type adds to the transport: its id, features, config space and requests. */
export interface VirtioDeviceModel {
  /** `DeviceID` (virtio 1.2 §5). */
  readonly deviceId: number;
  /** Feature bits offered, the device-independent ones included. */
  readonly features: bigint;
  /** The device-specific config space (read-only to the driver). */
  readonly config: Uint8Array;
  /** The driver's accepted features (at FEATURES_OK), or 0n on reset. */
  negotiated(features: bigint): void;
  /**
   * Serves one chain; returns the bytes written to its device-writable buffers, or -1 when the
   * chain cannot even be answered (no status byte): the queue is then broken with `fault`.
   */
  serve(chain: DescriptorChain): number;
  /** Why the last `serve` returned -1. */
  readonly fault: string;
  /** Releases what the device holds (its image). */
  close(): void;
}

/** Size of the one virtqueue the device offers (`QueueNumMax`), as QEMU's default. */
export const DEFAULT_QUEUE_SIZE = 256;

const { DRIVER_OK, FEATURES_OK, NEEDS_RESET } = VIRTIO_CONFIG_S;
const R = VIRTIO_MMIO;

/**
 * A virtio-mmio device serving `model`: reads and writes of its 0x200-byte window go to the
 * registers; guest mistakes are logged through `log` (budgeted); nothing throws out of
 * `read`/`write`.
 */
export function createVirtioMmioDevice(options: {
  model: VirtioDeviceModel;
  memory: GuestMemory;
  interrupt: InterruptLine;
  log: GuestLog;
  queueSize?: number;
}): VirtioMmioDevice {
  const { model, interrupt, log } = options;
  const queue = new SplitVirtqueue(options.memory, options.queueSize ?? DEFAULT_QUEUE_SIZE);
  const chain = queue.newChain();
  const stats = { requests: 0, errors: 0, notifies: 0, interrupts: 0 };
  let status = 0;
  let deviceFeaturesSel = 0;
  let driverFeaturesSel = 0;
  let driverFeatures = 0n;
  let queueSel = 0;
  let interruptStatus = 0;
  let closed = false;
  let continuation: ReturnType<typeof setTimeout> | undefined;

  const mistake = (line: string) => {
    stats.errors++;
    log(line);
  };

  const raise = (bit: number) => {
    interruptStatus |= bit;
    stats.interrupts++;
    try {
      interrupt.raise();
    } catch (error) {
      // The carrier's failure is not the guest's; the device goes on (the driver may poll).
      mistake(`raising the interrupt failed: ${(error as Error)?.message ?? error}`);
    }
  };

  /** §2.1.2: a device that cannot go on sets DEVICE_NEEDS_RESET and says so. */
  const needsReset = (reason: string) => {
    mistake(`${reason}: device needs reset`);
    if (queue.brokenReason === null) queue.break(reason);
    if ((status & NEEDS_RESET) !== 0) return;
    status |= NEEDS_RESET;
    if ((status & DRIVER_OK) !== 0) raise(VIRTIO_MMIO_INT_CONFIG);
  };

  const doReset = () => {
    status = 0;
    deviceFeaturesSel =
      driverFeaturesSel =
      queueSel =
      interruptStatus =
        0;
    driverFeatures = 0n;
    queue.reset();
    model.negotiated(0n);
    log.renew();
    if (continuation !== undefined) clearTimeout(continuation);
    continuation = undefined;
  };

  // A driver keeping the ring full from other vCPUs must not hold this thread (and the other
  // devices it serves) forever: after this many chains per notify, go on from a timer.
  const chainsPerTurn = () => 4 * queue.num;

  const serveQueue = () => {
    let left = chainsPerTurn();
    for (;;) {
      const found = queue.pop(chain);
      if (found === POP_EMPTY) {
        if (queue.armNotify()) continue;
        break;
      }
      if (found === POP_BROKEN) break;
      const written = model.serve(chain);
      if (written < 0) {
        queue.break(model.fault);
        break;
      }
      queue.push(chain.head, written);
      stats.requests++;
      if (--left === 0) {
        if (queue.hasAvailable()) {
          continuation = setTimeout(() => {
            continuation = undefined;
            guarded(serveQueue);
          }, 0);
        }
        break;
      }
    }
    if (queue.publish()) raise(VIRTIO_MMIO_INT_VRING);
    if (queue.brokenReason !== null) needsReset(queue.brokenReason);
  };

  const guarded = (fn: () => void) => {
    try {
      fn();
    } catch (error) {
      // A bug here must not take the daemon down with the guest's access; the device stops.
      mistake(`internal error: ${(error as Error)?.message ?? error}`);
      try {
        if ((status & NEEDS_RESET) === 0) needsReset("internal error");
      } catch {
        status |= NEEDS_RESET;
      }
    }
  };

  const setStatus = (value: number) => {
    if (value === 0) {
      doReset();
      return;
    }
    if ((value & FEATURES_OK) !== 0 && (status & FEATURES_OK) === 0) {
      // §3.1.1: FEATURES_OK only for a subset of the offered features including VERSION_1
      // (this transport has no legacy interface); otherwise the driver reads it back unset.
      const unknown = driverFeatures & ~model.features;
      if (unknown !== 0n || ((driverFeatures >> BigInt(VIRTIO_F.VERSION_1)) & 1n) === 0n) {
        mistake(
          unknown !== 0n
            ? `driver accepted features the device does not offer (0x${unknown.toString(16)})`
            : "driver did not accept VIRTIO_F_VERSION_1",
        );
        value &= ~FEATURES_OK;
      } else {
        model.negotiated(driverFeatures);
      }
    }
    const wasOk = (status & DRIVER_OK) !== 0;
    status = (value & ~NEEDS_RESET) | (status & NEEDS_RESET);
    // Buffers a driver made available (and notified) before DRIVER_OK are served now.
    if (!wasOk && (status & (DRIVER_OK | NEEDS_RESET)) === DRIVER_OK && queue.hasAvailable()) {
      serveQueue();
    }
  };

  const queueRegister = (offset: number, value: number) => {
    if (queueSel !== 0) {
      mistake(`write to queue ${queueSel}, which does not exist`);
      return;
    }
    if (queue.ready) {
      needsReset("queue changed while running");
      return;
    }
    const low = (old: bigint) => (old & ~0xffffffffn) | BigInt(value);
    const high = (old: bigint) => (old & 0xffffffffn) | (BigInt(value) << 32n);
    switch (offset) {
      case R.QUEUE_NUM:
        queue.num = value;
        break;
      case R.QUEUE_DESC_LOW:
        queue.descAddr = low(queue.descAddr);
        break;
      case R.QUEUE_DESC_HIGH:
        queue.descAddr = high(queue.descAddr);
        break;
      case R.QUEUE_AVAIL_LOW:
        queue.availAddr = low(queue.availAddr);
        break;
      case R.QUEUE_AVAIL_HIGH:
        queue.availAddr = high(queue.availAddr);
        break;
      case R.QUEUE_USED_LOW:
        queue.usedAddr = low(queue.usedAddr);
        break;
      case R.QUEUE_USED_HIGH:
        queue.usedAddr = high(queue.usedAddr);
        break;
    }
  };

  const setQueueReady = (value: number) => {
    if (queueSel !== 0) {
      mistake(`QueueReady for queue ${queueSel}, which does not exist`);
      return;
    }
    if (value === 0) {
      queue.ready = false;
      return;
    }
    if (queue.ready) return;
    if ((status & FEATURES_OK) === 0) {
      mistake("QueueReady before FEATURES_OK");
      return;
    }
    const f = driverFeatures;
    const problem = queue.activate({
      indirect: ((f >> BigInt(VIRTIO_F.RING_INDIRECT_DESC)) & 1n) === 1n,
      eventIdx: ((f >> BigInt(VIRTIO_F.RING_EVENT_IDX)) & 1n) === 1n,
    });
    if (problem !== null) needsReset(problem);
  };

  const notify = (value: number) => {
    stats.notifies++;
    if ((value & 0xffff) !== 0) {
      mistake(`notify for queue ${value & 0xffff}, which does not exist`);
      return;
    }
    // §2.1.2: no buffer is consumed before DRIVER_OK (served when DRIVER_OK is set).
    if ((status & (NEEDS_RESET | DRIVER_OK)) !== DRIVER_OK) return;
    serveQueue();
  };

  const readRegister = (offset: number): number => {
    switch (offset) {
      case R.MAGIC_VALUE:
        return VIRTIO_MMIO_MAGIC;
      case R.VERSION:
        return VIRTIO_MMIO_VERSION;
      case R.DEVICE_ID:
        return model.deviceId;
      case R.VENDOR_ID:
        return XLITE_VIRTIO_VENDOR_ID;
      case R.DEVICE_FEATURES:
        return deviceFeaturesSel > 1
          ? 0
          : Number((model.features >> BigInt(32 * deviceFeaturesSel)) & 0xffffffffn);
      case R.QUEUE_NUM_MAX:
        return queueSel === 0 ? queue.maxSize : 0;
      case R.QUEUE_READY:
        return queueSel === 0 && queue.ready ? 1 : 0;
      case R.INTERRUPT_STATUS:
        return interruptStatus;
      case R.STATUS:
        return status;
      // §4.2.2: no shared memory regions; their length reads as -1.
      case R.SHM_LEN_LOW:
      case R.SHM_LEN_HIGH:
      case R.SHM_BASE_LOW:
      case R.SHM_BASE_HIGH:
        return 0xffffffff;
      case R.CONFIG_GENERATION:
        return 0; // the config space never changes while the device runs
      default:
        mistake(`read of register 0x${offset.toString(16)}, which is not readable`);
        return 0;
    }
  };

  const writeRegister = (offset: number, value: number) => {
    switch (offset) {
      case R.DEVICE_FEATURES_SEL:
        deviceFeaturesSel = value;
        return;
      case R.DRIVER_FEATURES_SEL:
        driverFeaturesSel = value;
        return;
      case R.DRIVER_FEATURES: {
        if ((status & FEATURES_OK) !== 0 || driverFeaturesSel > 1) {
          mistake("DriverFeatures written after FEATURES_OK or for a half that does not exist");
          return;
        }
        const shift = BigInt(32 * driverFeaturesSel);
        driverFeatures = (driverFeatures & ~(0xffffffffn << shift)) | (BigInt(value) << shift);
        return;
      }
      case R.QUEUE_SEL:
        queueSel = value;
        return;
      case R.QUEUE_NUM:
      case R.QUEUE_DESC_LOW:
      case R.QUEUE_DESC_HIGH:
      case R.QUEUE_AVAIL_LOW:
      case R.QUEUE_AVAIL_HIGH:
      case R.QUEUE_USED_LOW:
      case R.QUEUE_USED_HIGH:
        queueRegister(offset, value);
        return;
      case R.QUEUE_READY:
        setQueueReady(value);
        return;
      case R.QUEUE_NOTIFY:
        notify(value);
        return;
      case R.INTERRUPT_ACK:
        interruptStatus &= ~value;
        return;
      case R.STATUS:
        setStatus(value & 0xff);
        return;
      case R.SHM_SEL:
        return;
      default:
        mistake(`write of register 0x${offset.toString(16)}, which is not writable`);
    }
  };

  const readConfig = (offset: number, size: number): bigint => {
    const config = model.config;
    let value = 0n;
    for (let i = size - 1; i >= 0; i--) {
      const at = offset - R.CONFIG + i;
      value = (value << 8n) | BigInt(at < config.length ? config[at] : 0);
    }
    return value;
  };

  /** §4.2.2.2: registers are 32-bit aligned words; config fields naturally aligned. */
  const badAccess = (offset: number, size: number): boolean => {
    if (offset < 0 || offset + size > VIRTIO_MMIO_WINDOW_SIZE) return true;
    if (offset < R.CONFIG) return size !== 4 || (offset & 3) !== 0;
    if (size !== 1 && size !== 2 && size !== 4 && size !== 8) return true;
    return (offset & (Math.min(size, 4) - 1)) !== 0;
  };

  return {
    stats,
    read(offset, size) {
      if (closed) return 0n;
      try {
        if (badAccess(offset, size)) {
          mistake(`read of ${size} bytes at 0x${offset.toString(16)} (bad size or alignment)`);
          return 0n;
        }
        if (offset >= R.CONFIG) return readConfig(offset, size);
        return BigInt(readRegister(offset) >>> 0);
      } catch (error) {
        mistake(`internal error: ${(error as Error)?.message ?? error}`);
        return 0n;
      }
    },
    write(offset, size, value) {
      if (closed) return;
      guarded(() => {
        if (badAccess(offset, size)) {
          mistake(`write of ${size} bytes at 0x${offset.toString(16)} (bad size or alignment)`);
          return;
        }
        if (offset >= R.CONFIG) {
          mistake(`write to config space at 0x${offset.toString(16)} (read-only)`);
          return;
        }
        writeRegister(offset, Number(BigInt.asUintN(32, value)));
      });
    },
    reset() {
      if (!closed) guarded(doReset);
    },
    close() {
      if (closed) return;
      closed = true;
      if (continuation !== undefined) clearTimeout(continuation);
      continuation = undefined;
      queue.reset();
      model.close();
    },
  };
}
