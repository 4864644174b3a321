/**
 * A relay in its own process for the benchmark: `arctalk` (startServer, as the CLI
 * runs it, logging at info to /dev/null) or `bare` (bare-relay.ts). It prints
 * `listening on 127.0.0.1:PORT` and answers the IPC message `"memory"` with
 * `process.memoryUsage()` taken after two full garbage collections (`--expose-gc`),
 * and `"cpu"` with `{ cpu }`, the process's user + system CPU time in microseconds.
 *
 * Usage: node --expose-gc --import tsx bench/relay-child.ts arctalk|bare
 */
import pino from 'pino';
import { startBareRelay } from './bare-relay.js';

const kind = process.argv[2];
let port: number;
if (kind === 'arctalk') {
  const { startServer } = await import('../src/server.js');
  const logger = pino({ level: 'info' }, pino.destination({ dest: '/dev/null', sync: false }));
  // Defaults everywhere except the caps, which a benchmark from one address exceeds.
  const server = await startServer({
    host: '127.0.0.1',
    port: 0,
    maxConnections: 100_000,
    maxConnectionsPerAddress: 100_000,
    logger,
  });
  port = server.port;
} else if (kind === 'bare') {
  port = (await startBareRelay(0)).port;
} else {
  throw new TypeError(`"kind" expected arctalk or bare, got ${JSON.stringify(kind)}`);
}

const gc = (globalThis as { gc?: () => void }).gc;
process.on('message', (message) => {
  if (message === 'memory') {
    gc?.();
    gc?.();
    process.send?.(process.memoryUsage());
  } else if (message === 'cpu') {
    const { user, system } = process.cpuUsage();
    process.send?.({ cpu: user + system });
  } else if (message === 'exit') {
    process.exit(0);
  }
});
process.on('disconnect', () => process.exit(0));
process.stdout.write(`listening on 127.0.0.1:${port}\n`);
