/**
 * The daemon's log: one line per event, as text (`<time> <level>: <message>`) or, with
 * `--json-log`, as one JSON object per line (`time`, `level`, `msg` and the event's fields,
 * e.g. `domid`, `devid`, `backend`), so a collector can parse it without guessing.
 *
 * @module
 */

/** How bad an event is. */
export type LogLevel = "info" | "warn" | "error";

/** Extra facts about an event (the device's domid, devid, backend path, ...). */
export type LogFields = Record<string, string | number | boolean | undefined>;

/** Where the daemon reports what it does. */
export interface DevdLog {
  /** Something happened as expected (a device served, a domain released). */
  info(msg: string, fields?: LogFields): void;
  /** Something odd that the daemon survived. */
  warn(msg: string, fields?: LogFields): void;
  /** Something failed (a device could not be served). */
  error(msg: string, fields?: LogFields): void;
}

/** Options for {@linkcode createDevdLog}. */
export interface DevdLogOptions {
  /** One JSON object per line instead of text. */
  json?: boolean;
  /** Receives each line, without its newline (default: stderr). */
  write?: (line: string) => void;
  /** The clock (tests pin it). */
  now?: () => Date;
}

const encoder = new TextEncoder();

function writeStderr(line: string): void {
  const bytes = encoder.encode(line + "\n");
  let written = 0;
  while (written < bytes.length) written += Deno.stderr.writeSync(bytes.subarray(written));
}

/** Makes the daemon's log. A line never spans several lines: newlines become spaces. */
export function createDevdLog(options: DevdLogOptions = {}): DevdLog {
  const write = options.write ?? writeStderr;
  const now = options.now ?? (() => new Date());
  const emit = (level: LogLevel, msg: string, fields: LogFields = {}) => {
    const oneLine = msg.replace(/\s*\n\s*/g, " ");
    const time = now().toISOString();
    if (options.json) {
      const record: Record<string, unknown> = { time, level, msg: oneLine };
      for (const [key, value] of Object.entries(fields)) {
        if (value !== undefined && !(key in record)) record[key] = value;
      }
      write(JSON.stringify(record));
    } else {
      write(`${time} ${level}: ${oneLine}`);
    }
  };
  return {
    info: (msg, fields) => emit("info", msg, fields),
    warn: (msg, fields) => emit("warn", msg, fields),
    error: (msg, fields) => emit("error", msg, fields),
  };
}
