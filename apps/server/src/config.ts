/**
 * arctalk-server configuration: defaults, limits and the parsers that turn flag and
 * environment values into validated numbers. Every value a deployer might want to
 * change is here, with its flag, its environment variable and its bounds, so that
 * the CLI, the README and the tests agree on one table.
 *
 * @module
 */
import { isIP } from 'node:net';

/** The TCP port arctalk-server listens on when none is given (`--port`, `ARCTALK_PORT`). */
export const DEFAULT_PORT = 5518;

/** The address arctalk-server listens on when none is given (`--host`, `ARCTALK_HOST`). */
export const DEFAULT_HOST = '127.0.0.1';

/** pino log levels accepted by `--log-level`. */
export const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'] as const;

/** One of {@link LOG_LEVELS}. */
export type LogLevel = (typeof LOG_LEVELS)[number];

/** Everything the relay needs to run; {@link DEFAULT_CONFIG} holds the defaults. */
export interface ServerConfig {
  /** Address to listen on: an IPv4/IPv6 literal or a host name. */
  host: string;
  /** TCP port; 0 asks the OS for a free one. */
  port: number;
  /** Cap on a frame's `length` field (type + body), in bytes. A larger frame is refused. */
  maxFrameLength: number;
  /** Cap on open connections, all addresses together. */
  maxConnections: number;
  /** Cap on open connections from one remote address. */
  maxConnectionsPerAddress: number;
  /** Milliseconds a new connection has to send a valid HELLO. */
  handshakeTimeout: number;
  /** Milliseconds without a byte in either direction before a connection is closed; 0 = never. */
  idleTimeout: number;
  /** Milliseconds a closing connection gets to flush its last frames before it is destroyed. */
  closeTimeout: number;
  /**
   * Cap on the bytes held for one connection: its partial frame, its unread input and
   * its unsent output (PONGs, ERRORs, frames from its peer). Past it the connection is
   * not read until its output drains. 0 = `maxFrameLength` + 64 KiB (one whole frame
   * and one socket read); else at least that.
   */
  maxBuffer: number;
  /** Milliseconds a connection's unsent output may stay over the high-water mark without draining before ERROR SLOW_CONSUMER. */
  stallTimeout: number;
  /** Milliseconds an unfinished frame may go without gaining {@link FRAME_PROGRESS} bytes before ERROR FRAME_TIMEOUT. */
  frameTimeout: number;
  /** Length of the kernel's queue of connections not yet accepted (`listen(2)` backlog; capped by net.core.somaxconn). */
  backlog: number;
  /** pino level for the structured log on stderr. */
  logLevel: LogLevel;
  /** Redis URL of a cluster (`redis://HOST:PORT`); '' = a single relay, nothing else needed. */
  redis: string;
  /** Address the cluster listener binds (relay-to-relay links). */
  clusterHost: string;
  /** Port of the cluster listener; 0 = any free one (it is published in Redis). */
  clusterPort: number;
  /** Address other relays dial to reach this one; '' = `clusterHost` (set it when that is 0.0.0.0 or ::). */
  clusterAdvertise: string;
  /** Milliseconds a room lease and a relay's liveness live in Redis unless renewed (every third of it). */
  leaseTtl: number;
  /** WebSocket port (`--ws-port`); undefined = no WebSocket listener. 0 asks the OS for a free one. */
  wsPort?: number | undefined;
  /** Address of the WebSocket listener (`--ws-host`); defaults to {@link ServerConfig.host}. */
  wsHost?: string | undefined;
  /** The web page served on the WebSocket port's `GET /` (`--web`): its file; undefined = none. */
  webPage?: string | undefined;
}

/** The defaults, as documented in the README and `--help`. */
export const DEFAULT_CONFIG: Readonly<ServerConfig> = Object.freeze({
  host: DEFAULT_HOST,
  port: DEFAULT_PORT,
  maxFrameLength: 65536,
  maxConnections: 10_000,
  maxConnectionsPerAddress: 64,
  handshakeTimeout: 10_000,
  idleTimeout: 600_000,
  closeTimeout: 5_000,
  maxBuffer: 0,
  stallTimeout: 30_000,
  frameTimeout: 20_000,
  backlog: 4_096,
  logLevel: 'info',
  redis: '',
  clusterHost: DEFAULT_HOST,
  clusterPort: 0,
  clusterAdvertise: '',
  leaseTtl: 10_000,
});

/** What an unfinished frame must gain per `frameTimeout` (or be finished): 1 KiB. */
export const FRAME_PROGRESS = 1024;

/** What one socket read can bring at most (libuv reads 64 KiB at a time). */
export const READ_CHUNK = 65_536;

/**
 * The per-connection bound in force: `maxBuffer`, or `maxFrameLength` + 64 KiB when 0.
 *
 * @param config - `maxBuffer` and `maxFrameLength`, in bytes
 * @returns bytes
 * @throws {ConfigError} when `maxBuffer` is set below `maxFrameLength` + 64 KiB (a whole
 *   frame and a read must fit, or a legitimate frame could never be reassembled)
 * @example
 * effectiveMaxBuffer({ maxBuffer: 0, maxFrameLength: 65536 }); // 131072
 */
export function effectiveMaxBuffer(config: Pick<ServerConfig, 'maxBuffer' | 'maxFrameLength'>): number {
  const floor = config.maxFrameLength + READ_CHUNK;
  if (config.maxBuffer === 0) return floor;
  if (config.maxBuffer < floor) {
    throw new ConfigError(
      'maxBuffer',
      `expected 0 or at least maxFrameLength + 65536 = ${floor} bytes, got ${config.maxBuffer} bytes`,
    );
  }
  return config.maxBuffer;
}

/** Bounds enforced on numeric settings (inclusive). */
export const LIMITS = Object.freeze({
  port: { min: 0, max: 65_535 },
  wsPort: { min: 0, max: 65_535 },
  // A HELLO and an ffdhe8192 KEX must fit; beyond 16 MiB a single frame is a memory risk.
  maxFrameLength: { min: 4_096, max: 16 * 1024 * 1024 },
  maxConnections: { min: 1, max: 1_000_000 },
  maxConnectionsPerAddress: { min: 1, max: 1_000_000 },
  handshakeTimeout: { min: 1, max: 3_600_000 },
  idleTimeout: { min: 0, max: 2_147_483_647 },
  closeTimeout: { min: 1, max: 600_000 },
  maxBuffer: { min: 0, max: 1024 * 1024 * 1024 },
  stallTimeout: { min: 1, max: 3_600_000 },
  frameTimeout: { min: 1, max: 3_600_000 },
  backlog: { min: 1, max: 65_535 },
  clusterPort: { min: 0, max: 65_535 },
  leaseTtl: { min: 300, max: 3_600_000 },
});

/**
 * A value that failed validation. `message` names the setting as the API spells it
 * (`"maxFrameLength" expected …`); `reason` is the same without the name (`expected
 * 4096..16777216 bytes (4KiB..16MiB), got 1 byte`), for the CLI, which names the flag
 * or environment variable the user actually typed instead.
 */
export class ConfigError extends Error {
  override name = 'ConfigError';
  /** What is wrong, without the setting's name. */
  readonly reason: string;
  /**
   * @param setting - the setting as the API spells it, e.g. `maxFrameLength`
   * @param reason - what is wrong, e.g. `expected 1..65535, got 0`
   */
  constructor(setting: string, reason: string) {
    super(`"${setting}" ${reason}`);
    this.reason = reason;
  }
}

/** `4KiB`, `16MiB`: a size in the largest binary unit that divides it; undefined if none does. */
function binaryUnit(bytes: number): string | undefined {
  for (const [unit, size] of [
    ['GiB', 1024 ** 3],
    ['MiB', 1024 ** 2],
    ['KiB', 1024],
  ] as const) {
    if (bytes >= size && bytes % size === 0) return `${bytes / size}${unit}`;
  }
  return undefined;
}

/** `1 byte`, `100 bytes`, `65536 bytes (64KiB)`. */
function bytesText(bytes: number): string {
  if (bytes === 1) return '1 byte';
  const unit = binaryUnit(bytes);
  return unit === undefined ? `${bytes} bytes` : `${bytes} bytes (${unit})`;
}

const INTEGER = /^\d+$/;

function checkRange(name: string, value: number, unit: '' | ' ms' | ' bytes'): number {
  const range = LIMITS[name as keyof typeof LIMITS];
  if (!range) return value;
  if (value < range.min || value > range.max) {
    const low = binaryUnit(range.min) ?? String(range.min);
    const high = binaryUnit(range.max) ?? String(range.max);
    const span =
      unit === ' bytes'
        ? `${range.min}..${range.max} bytes (${low}..${high})`
        : `${range.min}..${range.max}${unit}`;
    const got = unit === ' bytes' ? bytesText(value) : `${value}${unit}`;
    throw new ConfigError(name, `expected ${span}, got ${got}`);
  }
  return value;
}

/**
 * Parses a whole, non-negative decimal number and checks it against {@link LIMITS}.
 *
 * @param name - the setting's name, used in the error message
 * @param text - the raw flag or environment value
 * @returns the number
 * @throws {ConfigError} when `text` is not a decimal integer or is out of range
 * @example
 * parseInteger('port', '5518'); // 5518
 */
export function parseInteger(name: string, text: string): number {
  const trimmed = text.trim();
  if (!INTEGER.test(trimmed))
    throw new ConfigError(name, `expected a whole number, got ${JSON.stringify(text)}`);
  return checkRange(name, Number(trimmed), '');
}

const DURATION = /^(\d+)\s*(ms|s|m|h)?$/;
const DURATION_UNIT: Record<string, number> = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000 };

/**
 * Parses a duration: milliseconds as a bare number, or with a unit `ms`, `s`, `m`, `h`.
 *
 * @param name - the setting's name, used in the error message
 * @param text - e.g. `"10000"`, `"10s"`, `"500ms"`, `"10m"`
 * @returns milliseconds
 * @throws {ConfigError} when `text` is not a duration or is out of range
 * @example
 * parseDuration('idleTimeout', '10m'); // 600000
 */
export function parseDuration(name: string, text: string): number {
  const match = DURATION.exec(text.trim());
  if (!match) {
    throw new ConfigError(name, `expected a duration like 500ms, 10s or 5m, got ${JSON.stringify(text)}`);
  }
  const ms = Number(match[1]) * (DURATION_UNIT[match[2] ?? 'ms'] ?? 1);
  return checkRange(name, ms, ' ms');
}

const SIZE = /^(\d+)\s*(b|k|kib|m|mib)?$/i;
const SIZE_UNIT: Record<string, number> = { b: 1, k: 1024, kib: 1024, m: 1024 * 1024, mib: 1024 * 1024 };

/**
 * Parses a byte size: a bare number of bytes, or with a unit `KiB` / `MiB` (`k` / `m`).
 *
 * @param name - the setting's name, used in the error message
 * @param text - e.g. `"65536"`, `"64KiB"`, `"1m"`
 * @returns bytes
 * @throws {ConfigError} when `text` is not a size or is out of range
 * @example
 * parseSize('maxFrameLength', '64KiB'); // 65536
 */
export function parseSize(name: string, text: string): number {
  const match = SIZE.exec(text.trim());
  if (!match) throw new ConfigError(name, `expected a size like 65536 or 64KiB, got ${JSON.stringify(text)}`);
  const bytes = Number(match[1]) * (SIZE_UNIT[(match[2] ?? 'b').toLowerCase()] ?? 1);
  return checkRange(name, bytes, ' bytes');
}

// RFC 1123 host names: dot-separated labels of letters, digits and inner hyphens.
const HOSTNAME =
  /^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)(\.[a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?)*\.?$/i;

/**
 * Validates a listen address: an IPv4 or IPv6 literal (brackets allowed) or a host name.
 *
 * @param text - e.g. `"127.0.0.1"`, `"::"`, `"[::1]"`, `"localhost"`
 * @returns the address without brackets
 * @throws {ConfigError} when `text` is neither an IP literal nor a valid host name
 * @example
 * parseHost('[::1]'); // '::1'
 */
export function parseHost(text: string): string {
  const trimmed = text.trim();
  const unbracketed = trimmed.startsWith('[') && trimmed.endsWith(']') ? trimmed.slice(1, -1) : trimmed;
  if (isIP(unbracketed) !== 0) return unbracketed;
  if (unbracketed === trimmed && HOSTNAME.test(trimmed)) return trimmed;
  throw new ConfigError('host', `expected an IP address or a host name, got ${JSON.stringify(text)}`);
}

/**
 * Validates a Redis URL (ioredis' form): `redis://[[USER]:PASSWORD@]HOST[:PORT][/DB]`,
 * or `rediss://` for TLS.
 *
 * @param text - e.g. `"redis://127.0.0.1:6379"`
 * @returns the URL as given (trimmed)
 * @throws {ConfigError} when `text` is not a redis:// or rediss:// URL with a host
 * @example
 * parseRedisUrl('redis://10.0.0.9:6379'); // 'redis://10.0.0.9:6379'
 */
export function parseRedisUrl(text: string): string {
  const trimmed = text.trim();
  let url: URL | undefined;
  try {
    url = new URL(trimmed);
  } catch {
    url = undefined;
  }
  if (!url || (url.protocol !== 'redis:' && url.protocol !== 'rediss:') || url.hostname === '') {
    throw new ConfigError(
      'redis',
      `expected a URL like redis://HOST:PORT (or rediss:// for TLS), got ${JSON.stringify(text)}`,
    );
  }
  return trimmed;
}

/**
 * Validates a log level against {@link LOG_LEVELS}.
 *
 * @param text - e.g. `"info"`
 * @returns the level
 * @throws {ConfigError} when `text` is not a pino level
 * @example
 * parseLogLevel('debug'); // 'debug'
 */
export function parseLogLevel(text: string): LogLevel {
  const level = text.trim().toLowerCase();
  if ((LOG_LEVELS as readonly string[]).includes(level)) return level as LogLevel;
  throw new ConfigError('logLevel', `expected one of ${LOG_LEVELS.join(', ')}, got ${JSON.stringify(text)}`);
}

/**
 * Formats `host:port` the way it is printed in `listening on HOST:PORT`, with IPv6
 * literals in brackets.
 *
 * @param host - the bound address
 * @param port - the bound port
 * @returns e.g. `"127.0.0.1:5518"` or `"[::1]:5518"`
 * @example
 * formatAddress('::1', 5518); // '[::1]:5518'
 */
export function formatAddress(host: string, port: number): string {
  return isIP(host) === 6 ? `[${host}]:${port}` : `${host}:${port}`;
}
