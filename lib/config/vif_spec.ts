/**
 * One `vif = [ "KEY=VALUE,..." ]` item (or `xl network-attach`'s words), read as xl's
 * `parse_nic_config` reads it (spec §2.5): keys `mac`, `bridge`, `ip`, `script`, `type`,
 * `backend`, `vifname`, `mtu`, `rate`, `model`, `gatewaydev`/`netdev`, `devid`, `trusted`,
 * `untrusted`, with xl's messages. `rate=` is `xlu_vif_parse_rate` (libxlutil).
 *
 * @module
 */
import { DomainConfigError } from "./domain_config_error.ts";
import type { VifDevice } from "./types.ts";

/** A word xl refuses in a vif; `message` is xl's line (`Invalid parameter `mac'.`). */
export class VifSpecError extends DomainConfigError {
  /** Makes the error; `message` is printed as is. */
  constructor(message: string) {
    super(message);
    this.name = "VifSpecError";
  }
}

/** `libxl_device_nic_init` plus xl's devid: every field unset. */
export function emptyVif(devid: number, spec = ""): VifDevice {
  return { spec, devid, backendDomid: 0, mtu: 0, mac: [0, 0, 0, 0, 0, 0] };
}

const SPACE = "[ \\t\\n\\v\\f\\r]*";

/**
 * C `strtoul(s, &end, base)` for bases 10 and 16: the value (wrapped as the C `unsigned long`
 * result, `ULONG_MAX` on overflow) and how many characters it read (0: no number).
 */
function strtoul(s: string, base: 10 | 16): { value: bigint; length: number } {
  const digits = base === 16 ? "[0-9a-fA-F]" : "[0-9]";
  const prefix = base === 16 ? `(?:0[xX](?=${digits}))?` : "";
  const m = new RegExp(`^${SPACE}([+-]?)${prefix}(${digits}+)`).exec(s);
  if (!m) return { value: 0n, length: 0 };
  const max = (1n << 64n) - 1n;
  let value = BigInt((base === 16 ? "0x" : "") + m[2]);
  if (value > max) value = max;
  else if (m[1] === "-") value = (-value) & max;
  return { value, length: m[0].length };
}

/**
 * xl's MAC loop: six `strtoul(…, 16)` numbers each ≤ 255 (stored through an `unsigned int`),
 * each followed by one separator character of any kind; trailing text is ignored.
 * Returns the bytes read before a failure and whether all six were read. xl reads on past
 * the end of a short value (into whatever follows in memory); xlite calls that a failure.
 */
function parseXlMac(text: string, mac: number[]): boolean {
  let rest = text;
  for (let i = 0; i < 6; i++) {
    const { value, length } = strtoul(rest, 16);
    const val = value & 0xffffffffn;
    if (length === 0 || val > 255n) return false;
    mac[i] = Number(val);
    if (i < 5 && length >= rest.length) return false;
    rest = rest.slice(length + 1);
  }
  return true;
}

/** xl's `parse_ulong`: base-10 `strtoul`, exiting on no number or `ULONG_MAX`. */
function parseUlong(text: string): bigint {
  const { value, length } = strtoul(text, 10);
  if (length === 0 || value === (1n << 64n) - 1n) {
    throw new VifSpecError(`xl: failed to convert "${text}" to number`);
  }
  return value;
}

/** `strtoull(s, &p, 0)` over text the rate regexes already checked (digits only). */
function strtoull0(s: string): { value: bigint; rest: string } {
  const m = /^(0[0-7]*|[1-9][0-9]*)/.exec(s)!;
  const value = m[1].length > 1 && m[1][0] === "0" ? BigInt("0o" + m[1].slice(1)) : BigInt(m[1]);
  return { value, rest: s.slice(m[1].length) };
}

const UINT32_MAX = 0xffffffffn;

/**
 * `xlu_vif_parse_rate`: `RATE[@INTERVAL]`, RATE `<n>[GMK]{B,b}/s`, INTERVAL `<n>[m|u][s]`
 * (default 50 ms). Throws {@linkcode VifSpecError} with libxlutil's line (xl then exits).
 */
export function parseVifRate(
  rate: string,
  source: string,
): { bytesPerInterval: bigint; intervalUsecs: number } {
  const fail = (what: string, text: string) =>
    new VifSpecError(`${source}: config parsing error in vif: ${what} in \`${text}'`);
  const at = rate.indexOf("@");
  const bytes = at < 0 ? rate : rate.slice(0, at);
  const interval = at < 0 ? undefined : rate.slice(at + 1);
  if (bytes === "") throw fail("no rate specified", rate);
  if (!/^[0-9]+[GMK]?[Bb]\/s$/.test(bytes)) throw fail("invalid rate", bytes);
  const parsed = strtoull0(bytes);
  let perSec = parsed.value;
  if (perSec === 0n || perSec > UINT32_MAX) throw fail("rate overflow", bytes);
  const unit = parsed.rest;
  if (unit[0] === "G") perSec *= 1_000_000_000n;
  else if (unit[0] === "M") perSec *= 1_000_000n;
  else if (unit[0] === "K") perSec *= 1000n;
  if (unit[0] === "b" || unit[1] === "b") perSec /= 8n;
  let usecs = 50_000n;
  if (interval !== undefined) {
    if (!/^[0-9]+[mu]?s?$/.test(interval)) throw fail("invalid replenishment interval", interval);
    const p = strtoull0(interval);
    usecs = p.value;
    if (usecs === 0n || usecs > UINT32_MAX) throw fail("replenishment interval overflow", interval);
    if (p.rest[0] === "s" || p.rest === "") usecs *= 1_000_000n;
    else if (p.rest[0] === "m") usecs *= 1000n;
    if (usecs > UINT32_MAX) throw fail("replenishment interval overflow", interval);
  }
  if (perSec > ((1n << 64n) - 1n) / usecs) throw fail("rate overflow", rate);
  return { bytesPerInterval: (perSec * usecs) / 1_000_000n, intervalUsecs: Number(usecs) };
}

/** `MATCH_OPTION`: `token` is `<name>=<value>`; the value, else `undefined`. */
function option(name: string, token: string): string | undefined {
  return token.startsWith(`${name}=`) ? token.slice(name.length + 1) : undefined;
}

/** The string keys and the field each sets (`replace_string`). */
const STRING_KEYS = [
  ["bridge", "bridge"],
  ["gatewaydev", "gatewaydev"],
  ["ip", "ip"],
  ["script", "script"],
  ["backend", "backendDomname"],
  ["vifname", "ifname"],
  ["model", "model"],
] as const;

/**
 * `parse_nic_config` for one `KEY=VALUE` word, applied to `nic`. Returns xl's message when
 * xl's parser returns 1 (`Invalid parameter `mac'.`, `unrecognized argument `x'`); throws
 * {@linkcode VifSpecError} where xl exits (`rate=`, `mtu=`, `devid=`). `warn` gets the lines
 * xl prints and carries on after (deprecated `netdev=`, `accel=`).
 */
export function applyVifSetting(
  nic: VifDevice,
  token: string,
  source: string,
  warn: (line: string) => void,
): string | undefined {
  let value: string | undefined;
  if ((value = option("type", token)) !== undefined) {
    if (value === "vif") nic.nictype = "vif";
    else if (value === "ioemu") nic.nictype = "vif_ioemu";
    else return "Invalid parameter `type'.";
    return undefined;
  }
  if ((value = option("mac", token)) !== undefined) {
    return parseXlMac(value, nic.mac) ? undefined : "Invalid parameter `mac'.";
  }
  if ((value = option("netdev", token)) !== undefined) {
    warn("the netdev parameter is deprecated, please use gatewaydev instead");
    nic.gatewaydev = value;
    return undefined;
  }
  for (const [key, field] of STRING_KEYS) {
    if ((value = option(key, token)) !== undefined) {
      nic[field] = value;
      return undefined;
    }
  }
  if ((value = option("rate", token)) !== undefined) {
    nic.rate = parseVifRate(value, source);
    return undefined;
  }
  if (token.startsWith("forwarddev=") || token.startsWith("colo_")) {
    // COLO replication needs QEMU's filters; xlite builds no device model for it.
    warn(`\`${token.slice(0, token.indexOf("="))}' (COLO) is not supported by xlite; ignored`);
    return undefined;
  }
  if (option("accel", token) !== undefined) {
    warn("the accel parameter for vifs is currently not supported");
    return undefined;
  }
  if ((value = option("devid", token)) !== undefined) {
    nic.devid = Number(BigInt.asIntN(32, parseUlong(value))); // libxl_devid is an int
    return undefined;
  }
  if ((value = option("mtu", token)) !== undefined) {
    nic.mtu = Number(BigInt.asUintN(32, parseUlong(value)));
    return undefined;
  }
  if (token === "trusted" || token === "untrusted") {
    nic.trusted = token === "trusted";
    return undefined;
  }
  return `unrecognized argument \`${token}'`;
}

/**
 * One `vif=` item of a config file, as `xl create` reads it: split at commas (C `strtok`),
 * leading spaces dropped. xl prints a refused word's message and goes on with the rest
 * (the item keeps what was read), so those messages join `warnings`; `rate=`, `mtu=` and
 * `devid=` errors throw {@linkcode VifSpecError}, as xl exits there.
 *
 * @example
 * ```ts
 * parseVifSpec("mac=00:16:3e:00:00:01,bridge=xenbr0", 0, "guest.cfg", []).bridge; // "xenbr0"
 * ```
 */
export function parseVifSpec(
  item: string,
  devid: number,
  source: string,
  warnings: string[],
): VifDevice {
  const nic = emptyVif(devid, item);
  const warn = (line: string) => void warnings.push(line);
  for (const field of item.split(",").filter((f) => f !== "")) {
    const failure = applyVifSetting(nic, field.replace(/^ +/, ""), source, warn);
    if (failure !== undefined) warnings.push(failure);
  }
  return nic;
}

/**
 * `xl network-attach`'s words (each one `KEY=VALUE`, no comma splitting): the first refused
 * word throws {@linkcode VifSpecError} with xl's message (xl exits 1). The devid is -1: libxl
 * takes the next free one.
 */
export function parseVifWords(
  words: readonly string[],
  warn: (line: string) => void = () => {},
): VifDevice {
  const nic = emptyVif(-1, words.join(" "));
  for (const word of words) {
    const failure = applyVifSetting(nic, word, "command line", warn);
    if (failure !== undefined) throw new VifSpecError(failure);
  }
  return nic;
}
