/**
 * `xlite xenstore read|write|ls|list|rm|chmod|watch|exists`: Xen's `xenstore-*` tools
 * (`tools/xenstore/xenstore_client.c`, Xen 4.17) with the same flags and the same output,
 * so a minimal image needs nothing else. `--json` where they print data.
 *
 * @module
 */
import { type Command, parseCommandArgs, printOut } from "./command.ts";
import { UsageError, XliteError } from "../errors.ts";
import {
  describeErrno,
  formatPermission,
  openXenstore,
  parsePermission,
  sanitiseValue,
  unsanitiseValue,
  type WatchEvent,
  type XenstoreClient,
  XenstoreError,
  type XenstoreOps,
  type XenstoreWatch,
  type XsPermission,
} from "../xenstore/mod.ts";

const USAGE = `usage: xlite xenstore <command> [options] ...

Xen's xenstore-* tools: same flags, same output (XENSTORED_PATH selects the daemon socket,
else /var/run/xenstored/socket, else /dev/xen/xenbus).

commands:
  read [-p] [-R] [-s] [--json] key [...]    print values (xenstore-read)
  write [-R] [-s] key value [...]           write values (xenstore-write)
  ls [-f] [-p] [-s] [--json] [path ...]     print a subtree (xenstore-ls)
  list [-p] [-s] [--json] key [...]         print children (xenstore-list)
  rm [-t] [-s] key [...]                    remove nodes; -t also empty parents (xenstore-rm)
  chmod [-u] [-r] [-s] key mode [mode ...]  set permissions n|r|w|b<domid> (xenstore-chmod)
  watch [-n NR] [-s] [--json] key [...]     print each changed path (xenstore-watch)
  exists [-s] key [...]                     exit 0 if every key exists (xenstore-exists)

options:
  -p  read/list: prefix with the path; ls: show permissions
  -f  ls: full paths, no truncation      -R  read/write: raw value (no quoting)
  -t  rm: tidy empty parents              -u  chmod: also every parent
  -r  chmod: also every child             -n  watch: stop after NR events
  -s  socket only (no xenbus device)      --json  machine-readable output`;

/** A failure after partial output: Xen's tools print what they have, then the error. */
class PartialFailure extends Error {
  constructor(readonly output: string, message: string) {
    super(message);
  }
}

function reason(error: unknown): string {
  if (error instanceof XenstoreError) {
    return error.kind === "daemon" ? describeErrno(error.errno) : error.message;
  }
  throw error;
}

interface Flags {
  prefix: boolean;
  raw: boolean;
  flat: boolean;
  tidy: boolean;
  upto: boolean;
  recurse: boolean;
  socket: boolean;
  json: boolean;
  number?: string;
}

const FLAGS_BY_COMMAND: Record<string, string[]> = {
  read: ["prefix", "raw", "socket", "json"],
  write: ["raw", "socket"],
  ls: ["flat", "prefix", "socket", "json"],
  list: ["prefix", "socket", "json"],
  rm: ["tidy", "socket"],
  chmod: ["upto", "recurse", "socket"],
  watch: ["number", "socket", "json"],
  exists: ["socket"],
};

const ALIASES: Record<string, string> = {
  p: "prefix",
  R: "raw",
  f: "flat",
  t: "tidy",
  u: "upto",
  r: "recurse",
  s: "socket",
  n: "number",
};

function parse(sub: string, args: string[]): { flags: Flags; keys: string[] } {
  const allowed = FLAGS_BY_COMMAND[sub];
  const alias: Record<string, string> = {};
  for (const [short, long] of Object.entries(ALIASES)) {
    if (allowed.includes(long)) alias[short] = long;
  }
  const parsed = parseCommandArgs(`xenstore ${sub}`, args, {
    boolean: allowed.filter((f) => f !== "number"),
    string: allowed.includes("number") ? ["number"] : [],
    alias,
  });
  const flags: Flags = {
    prefix: parsed.prefix === true,
    raw: parsed.raw === true,
    flat: parsed.flat === true,
    tidy: parsed.tidy === true,
    upto: parsed.upto === true,
    recurse: parsed.recurse === true,
    socket: parsed.socket === true,
    json: parsed.json === true,
    number: parsed.number as string | undefined,
  };
  return { flags, keys: parsed._ };
}

/** Runs `fn` as Xen's tools do: in a transaction, redone from scratch on EAGAIN. */
async function inTransaction(
  xs: XenstoreClient,
  use: boolean,
  fn: (ops: XenstoreOps) => Promise<string>,
): Promise<string> {
  try {
    return use ? await xs.transaction(fn) : await fn(xs);
  } catch (error) {
    if (error instanceof PartialFailure) {
      writeRaw(error.output);
      throw new XliteError(error.message);
    }
    throw error;
  }
}

async function read(xs: XenstoreClient, keys: string[], flags: Flags): Promise<number> {
  const output = await inTransaction(xs, keys.length > 1, async (ops) => {
    let out = "";
    const json: Record<string, string> = {};
    for (const key of keys) {
      let value: Uint8Array;
      try {
        value = await ops.readBytes(key);
      } catch (error) {
        throw new PartialFailure(
          flags.json ? "" : out,
          `xenstore read: couldn't read path ${key}: ${reason(error)}`,
        );
      }
      if (flags.json) json[key] = new TextDecoder().decode(value);
      else {
        if (flags.prefix) out += `${key}: `;
        out += flags.raw ? new TextDecoder().decode(value) : sanitiseValue(value) + "\n";
      }
    }
    return flags.json ? JSON.stringify(json) + "\n" : out;
  });
  writeRaw(output);
  return 0;
}

async function write(xs: XenstoreClient, keys: string[], flags: Flags): Promise<number> {
  await inTransaction(xs, keys.length > 2, async (ops) => {
    for (let i = 0; i < keys.length; i += 2) {
      const value = flags.raw ? keys[i + 1] : unsanitiseValue(keys[i + 1]);
      try {
        await ops.write(keys[i], value);
      } catch (error) {
        throw new PartialFailure(
          "",
          `xenstore write: could not write path ${keys[i]}: ${reason(error)}`,
        );
      }
    }
    return "";
  });
  return 0;
}

async function list(xs: XenstoreClient, keys: string[], flags: Flags): Promise<number> {
  const output = await inTransaction(xs, true, async (ops) => {
    let out = "";
    const json: Record<string, string[]> = {};
    for (const key of keys) {
      let names: string[];
      try {
        names = await ops.directory(key);
      } catch (error) {
        throw new PartialFailure(
          flags.json ? "" : out,
          `xenstore list: could not list path ${key}: ${reason(error)}`,
        );
      }
      json[key] = names;
      const pref = flags.prefix ? (key === "/" ? "" : key) + "/" : "";
      for (const name of names) out += pref + name + "\n";
    }
    return flags.json ? JSON.stringify(json) + "\n" : out;
  });
  writeRaw(output);
  return 0;
}

async function rm(xs: XenstoreClient, keys: string[], flags: Flags): Promise<number> {
  await inTransaction(xs, true, async (ops) => {
    for (const key of keys) {
      let path = key;
      for (;;) {
        try {
          await ops.rm(path);
        } catch (error) {
          throw new PartialFailure(
            "",
            `xenstore rm: could not remove path ${path}: ${reason(error)}`,
          );
        }
        if (!flags.tidy) break;
        // -t: also remove the parent while it has an empty value and no children
        const slash = path.lastIndexOf("/");
        if (slash < 0) break;
        const parent = path.slice(0, slash);
        const value = await ops.readBytes(parent).catch(() => undefined);
        if (value === undefined || value.length !== 0) break;
        const children = await ops.directory(parent).catch(() => undefined);
        if (children === undefined || children.length !== 0) break;
        path = parent;
      }
    }
    return "";
  });
  return 0;
}

async function exists(xs: XenstoreClient, keys: string[]): Promise<number> {
  let code = 0;
  await inTransaction(xs, true, async (ops) => {
    code = 0;
    for (const key of keys) {
      try {
        await ops.readBytes(key);
      } catch (error) {
        if (!(error instanceof XenstoreError)) throw error;
        code = 1;
        break;
      }
    }
    return "";
  });
  return code;
}

async function chmod(xs: XenstoreClient, keys: string[], flags: Flags): Promise<number> {
  if (keys.length < 2) throw new UsageError("xenstore chmod: need a key and at least one mode");
  const [key, ...modes] = keys;
  const perms: XsPermission[] = modes.map((mode) => {
    if (!"nrwb".includes(mode[0])) {
      throw new XliteError(`xenstore chmod: Invalid permission specification: '${mode[0]}'`);
    }
    // Xen's tool reads the domid with atoi(): a missing or bad number is domid 0
    const digits = /^\d*/.exec(mode.slice(1))![0];
    return parsePermission(`${mode[0]}${Number(digits || "0") & 0xffff}`);
  });
  await inTransaction(xs, true, async (ops) => {
    const set = async (path: string, upto: boolean, recurse: boolean): Promise<void> => {
      if (path === "") return;
      try {
        await ops.setPermissions(path, perms);
      } catch (error) {
        throw new PartialFailure(
          "",
          `xenstore chmod: Error occurred setting permissions on '${path}': ${reason(error)}`,
        );
      }
      if (upto) {
        const slash = path.lastIndexOf("/");
        if (slash < 0) {
          throw new PartialFailure(
            "",
            `xenstore chmod: Unable to locate path separator '/' in '${path}'`,
          );
        }
        await set(path.slice(0, slash), true, false);
      }
      if (recurse) {
        const children = await ops.directory(path).catch(() => [] as string[]);
        for (const child of children) await set(`${path}/${child}`, false, true);
      }
    };
    await set(key, flags.upto, flags.recurse);
    return "";
  });
  return 0;
}

/** Width of xenstore-ls lines: the terminal's columns minus 2, else 80 (as Xen's tool). */
function lsWidth(): number {
  try {
    if (Deno.stdout.isTerminal()) return Deno.consoleSize().columns - 2;
  } catch {
    // not a terminal
  }
  return 80;
}

const TAG_LEN = 8; // strlen(' = "..."')

async function ls(xs: XenstoreClient, keys: string[], flags: Flags): Promise<number> {
  const maxWidth = flags.flat ? Math.floor(0x7fffffff / 2) : lsWidth();
  const desiredWidth = flags.flat ? 0 : 60;
  const json: { path: string; value: string | null; perms?: string[] }[] = [];
  const encoder = new TextEncoder();
  const lines: string[] = [];
  const flush = () => {
    if (lines.length) Deno.stdout.writeSync(encoder.encode(lines.join("")));
    lines.length = 0;
  };

  const walk = async (path: string, depth: number): Promise<void> => {
    let names: string[];
    try {
      names = await xs.directory(path);
    } catch (error) {
      // a node that vanished while recursing is skipped, as Xen's tool does
      if (depth > 0 && error instanceof XenstoreError && error.errno === "ENOENT") return;
      flush();
      throw new XliteError(`xenstore ls: could not list path ${path}: ${reason(error)}`);
    }
    const sep = path.endsWith("/") ? "" : "/";
    const children = names.map((name) => `${path}${sep}${name}`);
    // pipelined: every value (and permission list) of this directory in flight at once
    const values = children.map((child) => xs.readBytes(child).catch(() => null));
    const perms = children.map((child) =>
      flags.prefix ? xs.getPermissions(child).catch(() => null) : Promise.resolve(null)
    );
    for (let i = 0; i < names.length; i++) {
      const value = await values[i];
      const perm = await perms[i];
      if (flags.json) {
        json.push({
          path: children[i],
          value: value === null ? null : new TextDecoder().decode(value),
          ...(flags.prefix ? { perms: perm?.map(formatPermission) ?? [] } : {}),
        });
      } else {
        lines.push(
          lsLine(names[i], children[i], depth, value, perm, flags, maxWidth, desiredWidth),
        );
        if (lines.length > 256) flush();
      }
      await walk(children[i], depth + 1);
    }
  };
  for (const key of keys.length ? keys : ["/"]) await walk(key, 0);
  if (flags.json) printOut(JSON.stringify(json));
  else flush();
  return 0;
}

/** One line of `xenstore-ls` output, byte for byte (do_ls in xenstore_client.c). */
function lsLine(
  name: string,
  fullPath: string,
  depth: number,
  value: Uint8Array | null,
  perms: XsPermission[] | null,
  flags: Flags,
  maxWidth: number,
  desiredWidth: number,
): string {
  let line = "";
  let width = 0;
  if (flags.flat) {
    line += fullPath;
  } else {
    line += " ".repeat(depth);
    width = depth;
    const shown = name.slice(0, Math.max(maxWidth - TAG_LEN - width, 0));
    line += shown;
    width += shown.length;
  }
  if (value === null) {
    line += ":\n";
  } else {
    const text = sanitiseValue(value);
    if (maxWidth < width + value.length + TAG_LEN) {
      line += ` = "${text.slice(0, Math.max(maxWidth - TAG_LEN - width, 0))}\\..."`;
    } else {
      const shown = ` = "${text}"`;
      line += shown;
      width += shown.length;
      if (flags.prefix) {
        line += " ";
        for (width++; width < Math.min(desiredWidth, maxWidth); width++) {
          line += width & 1 ? "." : " ";
        }
      }
    }
  }
  if (flags.prefix && perms) line += `  (${perms.map(formatPermission).join(",")})`;
  return line + "\n";
}

async function watch(xs: XenstoreClient, keys: string[], flags: Flags): Promise<number> {
  const limit = flags.number === undefined ? -1 : Number.parseInt(flags.number, 10);
  if (flags.number !== undefined && Number.isNaN(limit)) {
    throw new UsageError(`xenstore watch: -n wants a number, not '${flags.number}'`);
  }
  const watches: XenstoreWatch[] = [];
  for (const key of keys) {
    try {
      watches.push(await xs.watch(key, key)); // Xen's tool uses the path as the token
    } catch (error) {
      throw new XliteError(`xenstore watch: Unable to add watch on ${key}: ${reason(error)}`);
    }
  }
  const next = watches.map((w, i) => w.next().then((r) => ({ r, i })));
  for (let count = 0; limit < 0 || count < limit; count++) {
    const { r, i } = await Promise.race(next);
    if (r.done) break;
    next[i] = watches[i].next().then((r) => ({ r, i }));
    const event = r.value as WatchEvent;
    try {
      printOut(flags.json ? JSON.stringify(event) : event.path);
    } catch (error) {
      if (error instanceof Deno.errors.BrokenPipe) return 0; // `| head -n 3` has seen enough
      throw error;
    }
  }
  return 0;
}

function writeRaw(text: string): void {
  const bytes = new TextEncoder().encode(text);
  let off = 0;
  while (off < bytes.length) off += Deno.stdout.writeSync(bytes.subarray(off));
}

const SUBCOMMANDS = ["read", "write", "ls", "list", "rm", "chmod", "watch", "exists"];

/** `xlite xenstore ...`. */
export const command: Command = {
  summary: "read, write, list, watch xenstore (like Xen's xenstore-* tools)",
  usage: USAGE,
  async run(args: string[]): Promise<number> {
    const [sub, ...rest] = args;
    if (sub === undefined) {
      throw new UsageError("xenstore: missing command (try 'xlite xenstore --help')");
    }
    if (!SUBCOMMANDS.includes(sub)) {
      throw new UsageError(`xenstore: unknown command '${sub}' (try 'xlite xenstore --help')`);
    }
    const { flags, keys } = parse(sub, rest);
    if (sub !== "ls" && keys.length === 0) throw new UsageError(`xenstore ${sub}: missing key`);
    if (sub === "write" && keys.length % 2 === 1) {
      throw new UsageError("xenstore write: wants key value pairs");
    }
    const xs = await openXenstore({ socketOnly: flags.socket });
    try {
      switch (sub) {
        case "read":
          return await read(xs, keys, flags);
        case "write":
          return await write(xs, keys, flags);
        case "ls":
          return await ls(xs, keys, flags);
        case "list":
          return await list(xs, keys, flags);
        case "rm":
          return await rm(xs, keys, flags);
        case "chmod":
          return await chmod(xs, keys, flags);
        case "watch":
          return await watch(xs, keys, flags);
        default:
          return await exists(xs, keys);
      }
    } finally {
      xs.close();
    }
  },
};
