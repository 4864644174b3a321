/**
 * The `arctalk` executable: runs {@link main} and exits with its code once
 * stdout and stderr are flushed. Every non-zero exit has printed one line on
 * stderr; see exit-codes.ts for the table.
 *
 * Start-up is kept small: `--version` alone is answered before anything else
 * loads, the command line and pipe mode load next, and the terminal UI (Ink,
 * React) only when it is drawn (tty-mode, a dynamic import in main.ts).
 */
import packageJson from '../package.json' with { type: 'json' };

/** Exit code of an unexpected failure (ExitCode.INTERNAL). */
const INTERNAL = 1;

/** Writes nothing more and exits once stdout and stderr are flushed. */
function exitAfterFlush(code: number): void {
  let pending = 2;
  const done = () => {
    if (--pending === 0) process.exit(code);
  };
  process.stdout.write('', done);
  process.stderr.write('', done);
}

const args = process.argv.slice(2);
if (args.length === 1 && (args[0] === '--version' || args[0] === '-V')) {
  // What commander prints for -V/--version, without loading it or the protocol.
  process.stdout.write(`${packageJson.version}\n`);
} else {
  import('./main.js')
    .then(({ main }) => main(process.argv))
    .then(exitAfterFlush, (error: unknown) => {
      const message = error instanceof Error ? (error.stack ?? error.message) : String(error);
      process.stderr.write(`arctalk: internal error: ${message}\n`);
      exitAfterFlush(INTERNAL);
    });
}
