/**
 * `arctalk-server`: the command line of the arctalk relay.
 *
 * Prints exactly one line on stdout, `listening on HOST:PORT`, once the port is
 * bound; everything else is the structured log on stderr. Exit codes: 0 after a
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
    process.stderr.write(`arctalk-server: cannot listen on ${config.host}:${config.port}: ${reason}\n`);
    logger.fatal({ event: 'error', code, message }, 'cannot listen');
    flush();
    process.exitCode = EXIT_FAILURE;
    return;
  }
  process.stdout.write(`listening on ${server.address}\n`);

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
