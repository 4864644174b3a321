/**
 * `arctalk-server`: the command line of the arctalk relay.
 *
 * Prints one line on stdout per listener once they are all bound: `listening on
 * HOST:PORT` (TCP) first, then `listening on ws://HOST:PORT/` with `--ws-port`;
 * everything else is the structured log on stderr. Exit codes: 0 after a
 * clean shutdown (SIGINT / SIGTERM), 1 when the server cannot start (e.g. the port
 * is taken), 2 for a bad flag or value.
 *
 * @module
 */
import { CommanderError } from 'commander';
import type { ServerConfig } from './config.js';
import { createLogger } from './logger.js';
import { parseArgs } from './options.js';
import type { ArctalkServer } from './server.js';

const EXIT_OK = 0;
const EXIT_FAILURE = 1;
const EXIT_USAGE = 2;

async function main(): Promise<void> {
  let config: ServerConfig;
  try {
    config = parseArgs(process.argv);
  } catch (error) {
    if (error instanceof CommanderError) {
      // --help and --version land here with exit code 0; every real error is usage (2).
      process.exitCode = error.exitCode === 0 ? EXIT_OK : EXIT_USAGE;
      return;
    }
    throw error;
  }

  const { logger, flush } = createLogger(config.logLevel);
  let server: ArctalkServer;
  try {
    // Loaded only once the flags are valid: --help and usage errors stay instant.
    const { startServer } = await import('./server.js');
    server = await startServer({ ...config, logger });
  } catch (error) {
    const { code, message } = error as NodeJS.ErrnoException;
    const reason =
      code === 'EADDRINUSE'
        ? 'address already in use'
        : code === 'EACCES'
          ? 'permission denied'
          : code === 'EADDRNOTAVAIL'
            ? 'address not available on this machine'
            : message;
    // Which listener failed: TCP binds first, so a failure after it is the WebSocket one.
    const where =
      (error as { listener?: string }).listener === 'ws'
        ? `ws://${config.wsHost ?? config.host}:${config.wsPort}/`
        : `${config.host}:${config.port}`;
    process.stderr.write(`arctalk-server: cannot listen on ${where}: ${reason}\n`);
    logger.fatal({ event: 'error', code, message }, 'cannot listen');
    flush();
    process.exitCode = EXIT_FAILURE;
    return;
  }
  process.stdout.write(`listening on ${server.address}\n`);
  if (server.wsUrl !== undefined) process.stdout.write(`listening on ${server.wsUrl}\n`);

  let stopping = false;
  const stop = (signal: NodeJS.Signals) => {
    if (stopping) {
      logger.warn({ event: 'signal', signal }, 'already shutting down');
      return;
    }
    stopping = true;
    logger.info({ event: 'signal', signal }, 'signal received');
    // The shutdown is bounded by closeTimeout; this is the belt to its braces.
    setTimeout(() => {
      logger.error({ event: 'shutdown', message: 'forced exit' }, 'shutdown overran');
      flush();
      process.exit(EXIT_OK);
    }, config.closeTimeout + 2_000).unref();
    server.shutdown().then(
      () => {
        flush();
        process.exit(EXIT_OK);
      },
      (error: unknown) => {
        logger.error({ event: 'error', err: error }, 'shutdown failed');
        flush();
        process.exit(EXIT_FAILURE);
      },
    );
  };
  process.on('SIGINT', stop);
  process.on('SIGTERM', stop);
}

await main();
