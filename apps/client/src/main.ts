/**
 * arctalk's command line: parses options, resolves the configuration and runs
 * the terminal UI (stdin and stdout are TTYs) or pipe mode (otherwise).
 * cli.tsx is the entry point that calls {@link main} and exits.
 */
import { readFileSync, statSync } from 'node:fs';
import { userInfo } from 'node:os';
import { Command, CommanderError, Option } from 'commander';
import packageJson from '../package.json' with { type: 'json' };
import {
  type ClientConfig,
  type CliOptions,
  DEFAULT_ACK_TIMEOUT,
  DEFAULT_CONNECT_TIMEOUT,
  DEFAULT_GROUP,
  DEFAULT_HANDSHAKE_TIMEOUT,
  DEFAULT_HOST,
  DEFAULT_KEEPALIVE,
  DEFAULT_MIN_GROUP_BITS,
  DEFAULT_PORT,
  DEFAULT_ROOM_NAME,
  GROUP_NAMES,
  resolveConfig,
  UsageError,
} from './config.js';
import { EXIT_CODE_HELP, ExitCode, type ExitCodeValue } from './exit-codes.js';
import { runPipe } from './pipe-mode.js';
import { openTerminalPrompt } from './terminal-prompt.js';
import { noColorRequested, theme } from './ui/theme.js';
import { VERIFY_OPTIONS_HINT } from './verification.js';

/** The client's version, from its package.json. */
export const VERSION: string = packageJson.version;

const HELP_AFTER = `
Environment:
  ARCTALK_SERVER      server HOST:PORT (default ${DEFAULT_HOST}:${DEFAULT_PORT})
  ARCTALK_ROOM        room (default ${DEFAULT_ROOM_NAME})
  ARCTALK_NAME        display name (default: your login name)
  ARCTALK_PASSPHRASE  optional shared secret (or --passphrase-file)
  NO_COLOR            no colours in the terminal UI

Modes:
  In a terminal, a split screen: your words above, your peer's below. Lines go
  out when you press return (--live: as you type). /quit /sas /help /clear;
  ^C quits, ^L redraws, PgUp/PgDn scroll (Tab picks the pane).
  In a pipe (stdin or stdout not a terminal), stdin is sent as it arrives and
  the peer's text is written to stdout as is (escaped if stdout is a terminal);
  status, SAS and errors go to stderr. At end of input arctalk sends END and exits once the peer has ended.
  Pipe mode sends nothing before the peer is authenticated: by a passphrase, by
  --expect-sas, or by your "yes" on the terminal after comparing the SAS; with no
  terminal it needs one of ${VERIFY_OPTIONS_HINT}.

Compare the SAS (shown once secured) with your peer by voice: if the two
differ, someone is in the middle.

Exit codes:
${EXIT_CODE_HELP.map(([code, text]) => `  ${String(code).padStart(2)}  ${text}`).join('\n')}
`;

/**
 * Builds the commander program (exported for tests).
 *
 * @returns the program; `.parse` it
 */
export function buildProgram(): Command {
  return new Command()
    .name('arctalk')
    .description('End-to-end encrypted talk(1)-style chat through an arctalk relay server.')
    .version(VERSION, '-V, --version', 'print the version')
    .helpOption('-h, --help', 'show this help')
    .argument(
      '[HOST:PORT]',
      `server address: HOST:PORT, HOST, or PORT alone on ${DEFAULT_HOST} (default ${DEFAULT_HOST}:${DEFAULT_PORT}, or ARCTALK_SERVER)`,
    )
    .option('-p, --port <port>', `server port, as in HOST:PORT (default ${DEFAULT_PORT})`)
    .option('-r, --room <room>', `room to meet your peer in (default ${DEFAULT_ROOM_NAME}, or ARCTALK_ROOM)`)
    .option('-n, --name <name>', 'your display name, 1..32 bytes (default: login name, or ARCTALK_NAME)')
    .addOption(
      new Option(
        '-g, --group <group>',
        `Diffie-Hellman group when you initiate (default ${DEFAULT_GROUP}, or the smallest ffdhe group of --min-group-bits)`,
      ).choices(GROUP_NAMES),
    )
    .option(
      '--min-group-bits <bits>',
      `refuse smaller DH groups from the peer (default ${DEFAULT_MIN_GROUP_BITS})`,
    )
    .option(
      '--passphrase-file <file>',
      'read an optional shared passphrase from this file (or ARCTALK_PASSPHRASE)',
    )
    .addOption(new Option('--passphrase <secret>').hideHelp())
    .option(
      '--expect-sas <words>',
      'the three SAS words your peer read to you beforehand: sending starts only if they match (pipe mode)',
    )
    .option(
      '--unverified',
      'pipe mode: send without authenticating the peer (a relay in the middle can read everything)',
    )
    .option('-l, --live', 'character-at-a-time typing, as talk(1) does')
    .option('-q, --quiet', 'pipe mode: no status lines on stderr (the SAS and errors still)')
    .option(
      '--connect-timeout <seconds>',
      `give up connecting after this long (default ${DEFAULT_CONNECT_TIMEOUT})`,
    )
    .option(
      '--handshake-timeout <seconds>',
      `give up when the key exchange makes no progress this long (default ${DEFAULT_HANDSHAKE_TIMEOUT}; waiting for a peer is not counted)`,
    )
    .option(
      '--ack-timeout <seconds>',
      `once both sides ended, wait this long for the peer to confirm it received everything (default ${DEFAULT_ACK_TIMEOUT}; then exit 12)`,
    )
    .option('--keepalive <seconds>', `PING the server this often, 0 for never (default ${DEFAULT_KEEPALIVE})`)
    .addHelpText('after', HELP_AFTER)
    .showSuggestionAfterError()
    .showHelpAfterError("arctalk: try 'arctalk --help'")
    .exitOverride()
    .configureOutput({
      writeErr: (text) => process.stderr.write(text),
      // Like every other error of arctalk: one line starting with "arctalk: ".
      outputError: (text, write) => write(`arctalk: ${text.replace(/^error: /, '')}`),
    });
}

/**
 * Runs the CLI.
 *
 * @param argv - process.argv
 * @returns the exit code
 */
export async function main(argv: readonly string[]): Promise<ExitCodeValue> {
  const program = buildProgram();
  let config: ClientConfig;
  try {
    program.parse(argv as string[]);
    const options = program.opts<CliOptions & { passphrase?: string }>();
    if (options.passphrase !== undefined) {
      throw new UsageError(
        'no --passphrase: other users can read command lines; use --passphrase-file FILE or ARCTALK_PASSPHRASE',
      );
    }
    config = resolveConfig(program.args[0], options, process.env, {
      readFile: (path) => readFileSync(path),
      username: () => process.env.USER ?? process.env.LOGNAME ?? safeUsername(),
      fileMode: (path) => statSync(path).mode,
      warn: (message) => process.stderr.write(`arctalk: ${message}\n`),
    });
  } catch (error) {
    if (error instanceof CommanderError) {
      // --help and --version exit 0; commander has printed the reason otherwise.
      return error.exitCode === 0 ? ExitCode.OK : ExitCode.USAGE;
    }
    if (error instanceof UsageError) {
      process.stderr.write(`arctalk: ${error.message}\narctalk: try 'arctalk --help'\n`);
      return ExitCode.USAGE;
    }
    throw error;
  }

  try {
    const interactive = Boolean(process.stdin.isTTY && process.stdout.isTTY);
    if (interactive) {
      const { runTty } = await importTerminalUi();
      return await runTty(config, {
        theme: theme(noColorRequested(process.env)),
        keepaliveMs: config.keepaliveMs,
      });
    }
    // The controlling terminal, to confirm the SAS on, only when nothing else authenticates.
    const needsPrompt = config.passphrase === undefined && !config.expectSas && !config.unverified;
    const prompt = needsPrompt ? openTerminalPrompt() : undefined;
    try {
      return await runPipe(
        config,
        { stdin: process.stdin, stdout: process.stdout, stderr: process.stderr },
        { keepaliveMs: config.keepaliveMs, prompt },
      );
    } finally {
      prompt?.close();
    }
  } catch (error) {
    if (error instanceof UsageError) {
      process.stderr.write(`arctalk: ${error.message}\narctalk: try 'arctalk --help'\n`);
      return ExitCode.USAGE;
    }
    // The session refused its options (e.g. a name or room the protocol does not accept).
    if (error instanceof Error && error.name === 'LocalProtocolError') {
      process.stderr.write(`arctalk: ${error.message}\narctalk: try 'arctalk --help'\n`);
      return ExitCode.USAGE;
    }
    throw error;
  }
}

/**
 * Loads the terminal UI (tty-mode, Ink, React) with the CI variables hidden. Ink reads
 * `CI` once, when it is imported (is-in-ci), and then draws nothing until exit; chalk
 * (supports-color) turns colour off. Many developers export `CI` in their shells, and
 * the UI is drawn because stdout is a terminal, whatever `CI` says. The variables are
 * restored as soon as the modules have loaded.
 *
 * @returns the tty-mode module
 */
async function importTerminalUi(): Promise<typeof import('./tty-mode.js')> {
  const names = ['CI', 'CONTINUOUS_INTEGRATION'] as const;
  const saved = names.map((name) => [name, process.env[name]] as const);
  for (const name of names) delete process.env[name];
  try {
    return await import('./tty-mode.js');
  } finally {
    for (const [name, value] of saved) if (value !== undefined) process.env[name] = value;
  }
}

function safeUsername(): string | undefined {
  try {
    return userInfo().username;
  } catch {
    return undefined;
  }
}
