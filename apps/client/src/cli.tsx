/**
 * The `arctalk` executable: runs {@link main} and exits with its code once
 * stdout and stderr are flushed. Every non-zero exit has printed one line on
 * stderr; see exit-codes.ts for the table.
 */
import { ExitCode } from './exit-codes.js';
import { main } from './main.js';

/** Writes nothing more and exits once stdout and stderr are flushed. */
function exitAfterFlush(code: number): void {
  let pending = 2;
  const done = () => {
    if (--pending === 0) process.exit(code);
  };
  process.stdout.write('', done);
  process.stderr.write('', done);
}

main(process.argv).then(exitAfterFlush, (error: unknown) => {
  const message = error instanceof Error ? (error.stack ?? error.message) : String(error);
  process.stderr.write(`arctalk: internal error: ${message}\n`);
  exitAfterFlush(ExitCode.INTERNAL);
});
