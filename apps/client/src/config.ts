/**
 * Configuration resolution: command line, then environment, then defaults.
 * Pure apart from the injected file reader, so every rule is testable.
 *
 * | setting      | option                 | environment          | default                      |
 * | ------------ | ---------------------- | -------------------- | ---------------------------- |
 * | server       | `[HOST:PORT]` argument | `ARCTALK_SERVER`     | `127.0.0.1:5518`             |
 * | room         | `--room R`             | `ARCTALK_ROOM`       | `lobby`                      |
 * | name         | `--name N`             | `ARCTALK_NAME`       | your login name (`$USER`)    |
 * | DH group     | `--group G`            | —                    | `ffdhe2048` (see defaultGroupFor) |
 * | min group    | `--min-group-bits N`   | —                    | 2048                         |
 * | passphrase   | `--passphrase-file F`  | `ARCTALK_PASSPHRASE` | none                         |
 *
 * The passphrase is never accepted as a command-line argument: other users can
 * read a process's arguments (`ps`, /proc/PID/cmdline).
 *
 * Room, name and passphrase identify or authenticate, so each is decoded as strict
 * UTF-8 from whichever source gave it (invalid bytes: a UsageError naming that
 * source) and put in Unicode Normalization Form C (PROTOCOL.md §1): `café` typed
 * precomposed on one machine and decomposed on another is one room and one passphrase.
 */
import {
  DEFAULT_MIN_GROUP_BITS,
  DEFAULT_ROOM,
  defaultGroupFor,
  GroupId,
  groupId,
  lengths,
  validateName,
  validateRoom,
} from '@arctalk/protocol';
import { UsageError } from './usage-error.js';
import { parseExpectedSas } from './verification.js';

/** Default server host when neither the argument nor `ARCTALK_SERVER` gives one. */
export const DEFAULT_HOST = '127.0.0.1';
/** Default server port (the same default as `arctalk-server`). */
export const DEFAULT_PORT = 5518;
/** Default room (the protocol's DEFAULT_ROOM). */
export const DEFAULT_ROOM_NAME = DEFAULT_ROOM;
/** Default DH group and minimum group size accepted from the peer: the protocol's. */
export { DEFAULT_GROUP, DEFAULT_MIN_GROUP_BITS } from '@arctalk/protocol';
/** Longest display name, in bytes of UTF-8 (the protocol's limit). */
export const MAX_NAME_BYTES = lengths.maxName;
/** Longest room name, in bytes of UTF-8 (the protocol's limit). */
export const MAX_ROOM_BYTES = lengths.maxRoom;
/** Default connect timeout, in seconds. */
export const DEFAULT_CONNECT_TIMEOUT = 10;
/**
 * Default handshake timeout, in seconds: how long the key exchange may stay at one
 * step (after HELLO, and from pairing to secured) before the client gives up. The
 * exchange takes well under a second on a working path; waiting for a peer to join
 * is not counted.
 */
export const DEFAULT_HANDSHAKE_TIMEOUT = 30;
/**
 * Default acknowledgement timeout, in seconds: once both ENDs have crossed, how long
 * the client waits for the peer's ACK of its END (PROTOCOL.md §6.5) before it reports
 * "sent but not confirmed received" (exit 12). An honest peer answers within a round trip.
 */
export const DEFAULT_ACK_TIMEOUT = 30;
/** Default keepalive (PING) interval, in seconds: well inside the server's default 10-minute idle timeout. */
export const DEFAULT_KEEPALIVE = 30;

/** Size in bits of a group the protocol knows. */
const groupBits = (name: string): number => groupId(name)!.group.bits;

/** The DH groups the protocol knows (RFC 7919 ffdhe*, then RFC 3526 modp*), smallest first. */
export const GROUP_NAMES: readonly string[] = Object.keys(GroupId).sort(
  (a, b) => Number(b.startsWith('ffdhe')) - Number(a.startsWith('ffdhe')) || groupBits(a) - groupBits(b),
);

export { UsageError } from './usage-error.js';

/** Everything the client needs to run. */
export interface ClientConfig {
  readonly host: string;
  readonly port: number;
  /** `host:port` as shown to the user (IPv6 in brackets) */
  readonly address: string;
  readonly room: string;
  readonly name: string;
  readonly group: string;
  readonly minGroupBits: number;
  readonly passphrase: Uint8Array | undefined;
  readonly live: boolean;
  readonly quiet: boolean;
  readonly connectTimeoutMs: number;
  /** give up when the handshake makes no progress this long, ms */
  readonly handshakeTimeoutMs: number;
  /** once both ENDs crossed, wait this long for the peer's ACK of ours, ms */
  readonly ackTimeoutMs: number;
  /** PING interval, ms (0: never) */
  readonly keepaliveMs: number;
  /** `--expect-sas`: the SAS words that authenticate the peer */
  readonly expectSas: readonly string[] | undefined;
  /** `--unverified`: send without authenticating the peer (the relay can read everything) */
  readonly unverified: boolean;
}

/** The parsed command line, as commander gives it. */
export interface CliOptions {
  room?: string;
  name?: string;
  group?: string;
  minGroupBits?: string;
  passphraseFile?: string;
  port?: string;
  live?: boolean;
  quiet?: boolean;
  connectTimeout?: string;
  handshakeTimeout?: string;
  ackTimeout?: string;
  keepalive?: string;
  expectSas?: string;
  unverified?: boolean;
}

/** What resolution may read from the outside world. */
export interface ConfigDeps {
  /** reads a whole file; throws like fs.readFileSync */
  readFile(path: string): Uint8Array;
  /** the login name, for the default display name */
  username(): string | undefined;
  /** called with a warning line (e.g. a world-readable passphrase file) */
  warn?(message: string): void;
  /** file mode bits, to warn about a passphrase file others can read */
  fileMode?(path: string): number | undefined;
}

const utf8Length = (text: string): number => new TextEncoder().encode(text).length;

/**
 * Parses `HOST:PORT`, `HOST`, `:PORT`, `PORT`, `[IPv6]:PORT` or `[IPv6]`. A bare
 * number is a port on the default host (`5518` → 127.0.0.1:5518), never a host.
 *
 * @param text - the address
 * @param defaultPort - used when no port is given
 * @returns host and port
 * @throws UsageError naming what is wrong
 * @example
 * parseAddress('example.org:7000', 5518); // { host: 'example.org', port: 7000 }
 * parseAddress('[::1]:7000', 5518);       // { host: '::1', port: 7000 }
 * parseAddress('7000', 5518);             // { host: '127.0.0.1', port: 7000 }
 */
export function parseAddress(text: string, defaultPort: number): { host: string; port: number } {
  const value = text.trim();
  let host: string;
  let portText: string | undefined;
  const bracketed = /^\[([^\]]+)\](?::(.*))?$/.exec(value);
  if (/^\d+$/.test(value)) {
    host = '';
    portText = value;
  } else if (bracketed) {
    host = bracketed[1]!;
    portText = bracketed[2];
  } else if ((value.match(/:/g) ?? []).length > 1) {
    throw new UsageError(`"${text}": write an IPv6 address in brackets, e.g. [::1]:${defaultPort}`);
  } else {
    const colon = value.lastIndexOf(':');
    host = colon >= 0 ? value.slice(0, colon) : value;
    portText = colon >= 0 ? value.slice(colon + 1) : undefined;
  }
  if (host === '') host = DEFAULT_HOST;
  if (!/^[A-Za-z0-9._:%-]+$/.test(host)) throw new UsageError(`"${text}": invalid host "${host}"`);
  let port = defaultPort;
  if (portText !== undefined) {
    if (!/^\d{1,5}$/.test(portText) || Number(portText) < 1 || Number(portText) > 65535) {
      throw new UsageError(`"${text}": port must be 1..65535, got "${portText}"`);
    }
    port = Number(portText);
  }
  return { host, port };
}

/**
 * Formats a host and port for display and `--help`.
 *
 * @param host - host name or IP address
 * @param port - TCP port
 * @returns `host:port`, IPv6 in brackets
 */
export function formatAddress(host: string, port: number): string {
  return host.includes(':') ? `[${host}]:${port}` : `${host}:${port}`;
}

/**
 * Text that identifies or authenticates, as the protocol wants it (PROTOCOL.md §1):
 * valid UTF-8, in Unicode Normalization Form C. Node decodes arguments and the
 * environment leniently, turning each invalid byte into U+FFFD, so a U+FFFD here
 * means the bytes were not UTF-8 (or the user typed the replacement character,
 * which no one does on purpose).
 *
 * @param source - where the text came from, for the message (`--room`, `ARCTALK_NAME`...)
 * @param value - the text as Node decoded it
 * @returns its NFC form
 * @throws UsageError naming the source when the bytes were not valid UTF-8
 * @example
 * identifyingText('--room', 'cafe\u0301'); // 'café' (U+00E9)
 */
export function identifyingText(source: string, value: string): string {
  if (value.includes('\ufffd') || /[\ud800-\udfff]/u.test(value)) {
    throw new UsageError(`${source} is not valid UTF-8 (check the terminal's or the file's encoding)`);
  }
  return value.normalize('NFC');
}

/**
 * Decodes bytes read from a file as strict UTF-8 (a leading BOM is dropped) and
 * puts them in NFC.
 *
 * @param source - where the bytes came from, for the message
 * @param bytes - the file's bytes
 * @returns the NFC text
 * @throws UsageError naming the source on invalid UTF-8 (a lone 0xFF, a cut sequence, an overlong form...)
 */
export function decodeIdentifyingBytes(source: string, bytes: Uint8Array): string {
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    throw new UsageError(`${source} is not valid UTF-8 (save it as UTF-8 text)`);
  }
  return text.normalize('NFC');
}

function checkLabel(kind: 'name' | 'room', source: string, raw: string, max: number): string {
  const value = identifyingText(source, raw);
  if (value.length === 0) throw new UsageError(`${kind} must not be empty`);
  if (utf8Length(value) > max) throw new UsageError(`${kind} must be at most ${max} bytes of UTF-8`);
  try {
    // The protocol's own rule (controls, bidi formatting, lone surrogates): one rule set.
    (kind === 'name' ? validateName : validateRoom)(value);
  } catch {
    throw new UsageError(`${kind} must not contain control or bidirectional-formatting characters`);
  }
  return value;
}

function positiveInteger(option: string, text: string, min: number, max: number): number {
  if (!/^\d+$/.test(text) || Number(text) < min || Number(text) > max) {
    throw new UsageError(`${option} must be an integer ${min}..${max}, got "${text}"`);
  }
  return Number(text);
}

/** Strips one trailing LF or CR LF (editors add one to the passphrase file). */
function stripNewline(bytes: Uint8Array): Uint8Array {
  let end = bytes.length;
  if (end > 0 && bytes[end - 1] === 0x0a) end--;
  if (end > 0 && bytes[end - 1] === 0x0d && end === bytes.length - 1) end--;
  return bytes.subarray(0, end);
}

/**
 * Resolves the configuration.
 *
 * @param server - the `[HOST:PORT]` argument, if given
 * @param options - the parsed options
 * @param env - the environment (process.env)
 * @param deps - file reader and login name
 * @returns the configuration
 * @throws UsageError on any invalid value
 * @example
 * resolveConfig(undefined, { room: 'x' }, {}, { readFile, username: () => 'alice' }).address; // '127.0.0.1:5518'
 */
export function resolveConfig(
  server: string | undefined,
  options: CliOptions,
  env: Readonly<Record<string, string | undefined>>,
  deps: ConfigDeps,
): ClientConfig {
  const address = server ?? env.ARCTALK_SERVER ?? '';
  let { host, port } = parseAddress(address, DEFAULT_PORT);
  if (options.port !== undefined) {
    const { port: given } = parseAddress(`:${options.port}`, DEFAULT_PORT);
    const explicit = /^\d+$/.test(address.trim()) || /:\d+$/.test(address.trim());
    if (explicit && given !== port) {
      throw new UsageError(`--port ${given} contradicts the port of "${address}"`);
    }
    port = given;
  }
  const room = checkLabel(
    'room',
    options.room !== undefined
      ? '--room'
      : env.ARCTALK_ROOM !== undefined
        ? 'ARCTALK_ROOM'
        : 'the default room',
    options.room ?? env.ARCTALK_ROOM ?? DEFAULT_ROOM_NAME,
    MAX_ROOM_BYTES,
  );

  let name = options.name ?? env.ARCTALK_NAME;
  const nameSource =
    options.name !== undefined
      ? '--name'
      : env.ARCTALK_NAME !== undefined
        ? 'ARCTALK_NAME'
        : 'the login name';
  if (name === undefined) {
    // The login name is only a default: what cannot be sent is left out rather than refused.
    name =
      (deps.username() ?? '')
        .normalize('NFC')
        .replace(/[\u0000-\u001f\u007f-\u009f\ufffd]|[\ud800-\udfff]/gu, '') || 'anonymous';
    while (utf8Length(name) > MAX_NAME_BYTES) name = [...name].slice(0, -1).join('');
  }
  name = checkLabel('name', nameSource, name, MAX_NAME_BYTES);

  const minGroupBits =
    options.minGroupBits === undefined
      ? DEFAULT_MIN_GROUP_BITS
      : positiveInteger('--min-group-bits', options.minGroupBits, 512, 65536);
  // Without --group, the smallest RFC 7919 group that meets your own minimum.
  const group = (options.group ?? defaultGroupFor(minGroupBits)).toLowerCase();
  if (!GROUP_NAMES.includes(group)) {
    throw new UsageError(`unknown --group "${options.group}"; one of: ${GROUP_NAMES.join(', ')}`);
  }
  if (groupBits(group) < minGroupBits) {
    throw new UsageError(
      `--group ${group} has ${groupBits(group)} bits, below --min-group-bits ${minGroupBits}`,
    );
  }

  let passphrase: Uint8Array | undefined;
  if (options.passphraseFile !== undefined) {
    const path = options.passphraseFile;
    let bytes: Uint8Array;
    try {
      bytes = deps.readFile(path);
    } catch (error) {
      const reason = (error as { code?: string }).code ?? (error as Error).message;
      throw new UsageError(`cannot read --passphrase-file "${path}": ${reason}`);
    }
    const text = decodeIdentifyingBytes(`--passphrase-file "${path}"`, stripNewline(bytes));
    if (text.length === 0) throw new UsageError(`--passphrase-file "${path}" is empty`);
    passphrase = new TextEncoder().encode(text);
    const mode = deps.fileMode?.(path);
    if (mode !== undefined && (mode & 0o077) !== 0) {
      deps.warn?.(`warning: passphrase file "${path}" is readable by other users (chmod 600 it)`);
    }
  } else if (env.ARCTALK_PASSPHRASE) {
    passphrase = new TextEncoder().encode(identifyingText('ARCTALK_PASSPHRASE', env.ARCTALK_PASSPHRASE));
  }

  const connectTimeoutMs =
    1000 *
    (options.connectTimeout === undefined
      ? DEFAULT_CONNECT_TIMEOUT
      : positiveInteger('--connect-timeout', options.connectTimeout, 1, 3600));

  const handshakeTimeoutMs =
    1000 *
    (options.handshakeTimeout === undefined
      ? DEFAULT_HANDSHAKE_TIMEOUT
      : positiveInteger('--handshake-timeout', options.handshakeTimeout, 1, 3600));

  const ackTimeoutMs =
    1000 *
    (options.ackTimeout === undefined
      ? DEFAULT_ACK_TIMEOUT
      : positiveInteger('--ack-timeout', options.ackTimeout, 1, 3600));

  const keepaliveMs =
    1000 *
    (options.keepalive === undefined
      ? DEFAULT_KEEPALIVE
      : positiveInteger('--keepalive', options.keepalive, 0, 3600));

  const expectSas = options.expectSas === undefined ? undefined : parseExpectedSas(options.expectSas);
  const unverified = options.unverified ?? false;
  if (expectSas && unverified) throw new UsageError('--expect-sas and --unverified contradict each other');

  return Object.freeze({
    host,
    port,
    address: formatAddress(host, port),
    room,
    name,
    group,
    minGroupBits,
    passphrase,
    live: options.live ?? false,
    quiet: options.quiet ?? false,
    connectTimeoutMs,
    handshakeTimeoutMs,
    ackTimeoutMs,
    keepaliveMs,
    expectSas,
    unverified,
  });
}
