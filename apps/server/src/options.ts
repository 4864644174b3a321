/**
 * The command-line definition of `arctalk-server` (commander), apart from the
 * entry point so that tests and the manual generator can read it without
 * starting a server. The manual (docs/manual.md) is checked against it.
 *
 * @module
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Command, InvalidArgumentError, Option } from 'commander';
import packageJson from '../package.json' with { type: 'json' };
import {
  ConfigError,
  DEFAULT_CONFIG,
  effectiveMaxBuffer,
  LOG_LEVELS,
  type LogLevel,
  parseDuration,
  parseHost,
  parseInteger,
  parseRedisUrl,
  parseSize,
  type ServerConfig,
} from './config.js';

/**
 * Wraps a config parser so that commander reports what is wrong as an invalid
 * argument. Commander names the flag (or the environment variable) the value came
 * from, so the reason leaves out the API's name of the setting.
 */
function arg<T>(parse: (text: string) => T): (text: string) => T {
  return (text) => {
    try {
      return parse(text);
    } catch (error) {
      if (error instanceof ConfigError) throw new InvalidArgumentError(`${error.reason}.`);
      throw error;
    }
  };
}

/** Every error of the command is one line (plus the usage hint) starting with `arctalk-server: `. */
function outputError(text: string, write: (text: string) => void): void {
  write(`arctalk-server: ${text.replace(/^error: /, '')}`);
}

/** Where the command writes: stderr and stdout by default; tests capture them. */
export interface CommandOutput {
  writeErr?: (text: string) => void;
  writeOut?: (text: string) => void;
}

/**
 * The command definition.
 *
 * @param output - where help and errors go (default: stdout, stderr)
 * @returns a commander `Command` that throws `CommanderError` instead of exiting
 */
export function program(output: CommandOutput = {}): Command {
  const d = DEFAULT_CONFIG;
  return new Command('arctalk-server')
    .description('The arctalk relay: pairs clients two by two in rooms and forwards their ciphertext.')
    .version(packageJson.version, '-V, --version', 'print the version and exit')
    .helpOption('-h, --help', 'print this help and exit')
    .addOption(
      new Option('--host <host>', 'address to listen on (IP or host name; "::" or 0.0.0.0 for all)')
        .env('ARCTALK_HOST')
        .default(d.host)
        .argParser(arg(parseHost)),
    )
    .addOption(
      new Option('-p, --port <port>', 'TCP port to listen on; 0 picks a free one')
        .env('ARCTALK_PORT')
        .default(d.port)
        .argParser(arg((text) => parseInteger('port', text))),
    )
    .addOption(
      new Option('--ws-port <port>', 'also accept WebSocket connections on this port (0 picks a free one)')
        .env('ARCTALK_WS_PORT')
        .argParser(arg((text) => parseInteger('wsPort', text))),
    )
    .addOption(
      new Option('--ws-host <host>', 'address of the WebSocket listener (default: --host)')
        .env('ARCTALK_WS_HOST')
        .argParser(arg(parseHost)),
    )
    .addOption(
      new Option('--web', 'serve the arctalk web page on the WebSocket port (http://HOST:WS-PORT/)').env(
        'ARCTALK_WEB',
      ),
    )
    .addOption(
      new Option(
        '--max-frame <bytes>',
        'largest frame accepted (length field: type + body), e.g. 65536 or 64KiB',
      )
        .env('ARCTALK_MAX_FRAME')
        .default(d.maxFrameLength)
        .argParser(arg((text) => parseSize('maxFrameLength', text))),
    )
    .addOption(
      new Option('--max-connections <n>', 'most open connections in total')
        .env('ARCTALK_MAX_CONNECTIONS')
        .default(d.maxConnections)
        .argParser(arg((text) => parseInteger('maxConnections', text))),
    )
    .addOption(
      new Option(
        '--max-per-address <n>',
        'most open connections from one remote address (IPv6: from one /64)',
      )
        .env('ARCTALK_MAX_PER_ADDRESS')
        .default(d.maxConnectionsPerAddress)
        .argParser(arg((text) => parseInteger('maxConnectionsPerAddress', text))),
    )
    .addOption(
      new Option(
        '--handshake-timeout <duration>',
        'time a new connection has to send its HELLO (ms, or 10s, 1m)',
      )
        .env('ARCTALK_HANDSHAKE_TIMEOUT')
        .default(d.handshakeTimeout)
        .argParser(arg((text) => parseDuration('handshakeTimeout', text))),
    )
    .addOption(
      new Option(
        '--idle-timeout <duration>',
        'close a connection silent this long in both directions; 0 = never',
      )
        .env('ARCTALK_IDLE_TIMEOUT')
        .default(d.idleTimeout)
        .argParser(arg((text) => parseDuration('idleTimeout', text))),
    )
    .addOption(
      new Option('--close-timeout <duration>', 'time a closing connection gets to flush (errors, shutdown)')
        .env('ARCTALK_CLOSE_TIMEOUT')
        .default(d.closeTimeout)
        .argParser(arg((text) => parseDuration('closeTimeout', text))),
    )
    .addOption(
      new Option(
        '--max-buffer <bytes>',
        'most bytes held for one connection (partial frame + unsent output); 0 = max-frame + 64KiB',
      )
        .env('ARCTALK_MAX_BUFFER')
        .default(d.maxBuffer)
        .argParser(arg((text) => parseSize('maxBuffer', text))),
    )
    .addOption(
      new Option(
        '--stall-timeout <duration>',
        'close (SLOW_CONSUMER) a connection whose output does not drain for this long',
      )
        .env('ARCTALK_STALL_TIMEOUT')
        .default(d.stallTimeout)
        .argParser(arg((text) => parseDuration('stallTimeout', text))),
    )
    .addOption(
      new Option(
        '--frame-timeout <duration>',
        'close (FRAME_TIMEOUT) a connection whose unfinished frame gains < 1KiB in this long',
      )
        .env('ARCTALK_FRAME_TIMEOUT')
        .default(d.frameTimeout)
        .argParser(arg((text) => parseDuration('frameTimeout', text))),
    )
    .addOption(
      new Option('--backlog <n>', 'queue of connections not yet accepted (capped by net.core.somaxconn)')
        .env('ARCTALK_BACKLOG')
        .default(d.backlog)
        .argParser(arg((text) => parseInteger('backlog', text))),
    )
    .addOption(
      new Option(
        '--redis <url>',
        'join a cluster of relays that share rooms through this Redis (redis://HOST:PORT); none = a single relay',
      )
        .env('ARCTALK_REDIS')
        .argParser(arg(parseRedisUrl)),
    )
    .addOption(
      new Option('--cluster-host <host>', 'cluster: address to listen on for other relays (their links)')
        .env('ARCTALK_CLUSTER_HOST')
        .default(d.clusterHost)
        .argParser(arg(parseHost)),
    )
    .addOption(
      new Option(
        '--cluster-port <port>',
        'cluster: port for other relays; 0 picks a free one (published in Redis)',
      )
        .env('ARCTALK_CLUSTER_PORT')
        .default(d.clusterPort)
        .argParser(arg((text) => parseInteger('clusterPort', text))),
    )
    .addOption(
      new Option(
        '--cluster-advertise <host>',
        'cluster: address other relays dial to reach this one (default: --cluster-host; required with 0.0.0.0 or ::)',
      )
        .env('ARCTALK_CLUSTER_ADVERTISE')
        .argParser(arg(parseHost)),
    )
    .addOption(
      new Option(
        '--lease-ttl <duration>',
        'cluster: lifetime of a room lease in Redis unless renewed (renewed every third)',
      )
        .env('ARCTALK_LEASE_TTL')
        .default(d.leaseTtl)
        .argParser(arg((text) => parseDuration('leaseTtl', text))),
    )
    .addOption(
      new Option('--log-level <level>', 'log level on stderr')
        .env('ARCTALK_LOG_LEVEL')
        .choices(LOG_LEVELS)
        .default(d.logLevel),
    )
    .addHelpText(
      'after',
      '\nPrints "listening on HOST:PORT" on stdout once ready; logs JSON lines on stderr.\n' +
        'Exit codes: 0 clean shutdown (SIGINT/SIGTERM), 1 cannot start (e.g. port taken), 2 bad usage.',
    )
    .showHelpAfterError('(run arctalk-server --help for usage)')
    .configureOutput({ ...output, outputError })
    .exitOverride()
    .allowExcessArguments(false);
}

export interface CliOptions {
  host: string;
  port: number;
  maxFrame: number;
  maxConnections: number;
  maxPerAddress: number;
  handshakeTimeout: number;
  idleTimeout: number;
  closeTimeout: number;
  maxBuffer: number;
  stallTimeout: number;
  frameTimeout: number;
  backlog: number;
  logLevel: LogLevel;
  redis?: string;
  clusterHost: string;
  clusterPort: number;
  clusterAdvertise?: string;
  leaseTtl: number;
  wsPort?: number;
  wsHost?: string;
  web?: boolean;
}

/**
 * Parses the command line (and the ARCTALK_* environment) into a config.
 *
 * @param argv - `process.argv` (node, script, then the arguments)
 * @param output - where help and errors go (default: stdout, stderr)
 * @returns the validated config
 * @throws CommanderError after writing its message (`arctalk-server: …`): exit code 2 for
 *   bad usage, 0 for --help and --version
 */
export function parseArgs(argv: string[], output: CommandOutput = {}): ServerConfig {
  const command = program(output);
  command.parse(argv);
  const o = command.opts<CliOptions>();
  try {
    effectiveMaxBuffer({ maxBuffer: o.maxBuffer, maxFrameLength: o.maxFrame });
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    // Named as the user gave them: the flag or the environment variable, for both values.
    const named = (key: 'maxBuffer' | 'maxFrame', flag: string, env: string, value: number) =>
      command.getOptionValueSource(key) === 'env' ? `${env}=${value}` : `${flag} ${value}`;
    const frame =
      command.getOptionValueSource('maxFrame') === 'default'
        ? `--max-frame (default ${o.maxFrame})`
        : named('maxFrame', '--max-frame', 'ARCTALK_MAX_FRAME', o.maxFrame);
    command.error(
      `error: ${named('maxBuffer', '--max-buffer', 'ARCTALK_MAX_BUFFER', o.maxBuffer)} is too small: ` +
        `expected 0 or at least ${frame} + 65536 = ${o.maxFrame + 65_536} bytes ` +
        '(one whole frame and one socket read).',
      { code: 'arctalk.maxBuffer', exitCode: 2 },
    );
  }
  const advertise = o.clusterAdvertise ?? '';
  if (o.redis && advertise === '' && (o.clusterHost === '0.0.0.0' || o.clusterHost === '::')) {
    const given =
      command.getOptionValueSource('clusterHost') === 'env'
        ? `ARCTALK_CLUSTER_HOST=${o.clusterHost}`
        : `--cluster-host ${o.clusterHost}`;
    command.error(
      `error: ${given} cannot be dialled by the other relays: set --cluster-advertise (ARCTALK_CLUSTER_ADVERTISE) to this machine's address.`,
      { code: 'arctalk.clusterAdvertise', exitCode: 2 },
    );
  }
  if (o.wsPort === undefined && (o.wsHost !== undefined || o.web)) {
    command.error(`error: ${o.web ? "'--web'" : "'--ws-host'"} needs --ws-port (the WebSocket listener)`, {
      code: 'arctalk.wsPort',
      exitCode: 2,
    });
  }
  let webPage: string | undefined;
  if (o.web) {
    webPage = findWebPage();
    if (webPage === undefined) {
      command.error(
        `error: '--web': the web page is not built (looked for ${WEB_PAGE_CANDIDATES.map((url) => fileURLToPath(url)).join(', ')}); run pnpm build`,
        { code: 'arctalk.web', exitCode: 2 },
      );
    }
  }
  return {
    host: o.host,
    port: o.port,
    maxFrameLength: o.maxFrame,
    maxConnections: o.maxConnections,
    maxConnectionsPerAddress: o.maxPerAddress,
    handshakeTimeout: o.handshakeTimeout,
    idleTimeout: o.idleTimeout,
    closeTimeout: o.closeTimeout,
    maxBuffer: o.maxBuffer,
    stallTimeout: o.stallTimeout,
    frameTimeout: o.frameTimeout,
    backlog: o.backlog,
    logLevel: o.logLevel,
    redis: o.redis ?? '',
    clusterHost: o.clusterHost,
    clusterPort: o.clusterPort,
    clusterAdvertise: advertise,
    leaseTtl: o.leaseTtl,
    wsPort: o.wsPort,
    wsHost: o.wsHost,
    webPage,
  };
}

/**
 * Where `--web` finds the page (apps/web's one-file build): beside the bundled CLI
 * (`dist/web/index.html`, copied there by tsup.config.ts, so it ships in the npm
 * package), else in the workspace (`apps/web/dist/index.html`, running from source).
 */
export const WEB_PAGE_CANDIDATES = [
  new URL('./web/index.html', import.meta.url),
  new URL('../../web/dist/index.html', import.meta.url),
];

/** The first of {@link WEB_PAGE_CANDIDATES} that exists, as a path. */
export function findWebPage(): string | undefined {
  const found = WEB_PAGE_CANDIDATES.find((url) => existsSync(url));
  return found && fileURLToPath(found);
}
