/**
 * The structured log: pino, one JSON event per line, on stderr (stdout carries only
 * the `listening on HOST:PORT` line). Events are `connect`, `hello`, `pair`, `leave`,
 * `error`, `reject`, `timeout`, `shutdown`, each with the connection id `conn`.
 * Payload bytes are never logged; room names only at `debug`.
 *
 * @module
 */
import pino, { type DestinationStream, type Logger } from 'pino';
import type { LogLevel } from './config.js';

export type { Logger } from 'pino';

/** A logger plus the way to flush it before the process exits. */
export interface ServerLogger {
  readonly logger: Logger;
  /** Writes out whatever the asynchronous destination still holds (call before `process.exit`). */
  flush(): void;
}

/**
 * Creates the server's logger on stderr (file descriptor 2), buffered so that logging
 * never blocks the event loop on a slow terminal or pipe.
 *
 * @param level - the minimum level to write
 * @param destination - where to write instead of stderr (tests pass a stream)
 * @returns the logger and its flush function
 * @example
 * const { logger, flush } = createLogger('info');
 * logger.info({ event: 'connect', conn: 'c1' }, 'connect');
 */
export function createLogger(level: LogLevel, destination?: DestinationStream): ServerLogger {
  const options = {
    level,
    base: { pid: process.pid },
    timestamp: pino.stdTimeFunctions.isoTime,
    formatters: { level: (label: string) => ({ level: label }) },
  };
  if (destination) return { logger: pino(options, destination), flush: () => {} };
  const stderr = pino.destination({ fd: 2, sync: false, minLength: 0 });
  return {
    logger: pino(options, stderr),
    flush: () => {
      try {
        stderr.flushSync();
      } catch {
        // stderr closed under us (EPIPE): nothing more can be said.
      }
    },
  };
}
