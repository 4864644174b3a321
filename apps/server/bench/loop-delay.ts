/**
 * Preloaded into the server under test by bench/flood-bench.ts (`--import`): its
 * event-loop delay (perf_hooks.monitorEventLoopDelay, 1 ms resolution). On SIGUSR2 it
 * appends `{ p50, p99, max, count }` (ms) since the last SIGUSR2 to the file named by
 * LOOP_DELAY_FILE, one JSON line, and starts over. This is the server's own share of
 * a client's round trip: how long a ready socket can wait for the loop.
 */
import { appendFileSync } from 'node:fs';
import { monitorEventLoopDelay } from 'node:perf_hooks';

const file = process.env.LOOP_DELAY_FILE;
if (file) {
  const histogram = monitorEventLoopDelay({ resolution: 1 });
  histogram.enable();
  process.on('SIGUSR2', () => {
    const ms = (ns: number) => ns / 1e6;
    appendFileSync(
      file,
      `${JSON.stringify({
        p50: ms(histogram.percentile(50)),
        p99: ms(histogram.percentile(99)),
        max: ms(histogram.max),
        count: histogram.count,
      })}\n`,
    );
    histogram.reset();
  });
}
