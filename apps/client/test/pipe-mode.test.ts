/**
 * Pipe mode in-process (runPipe with stream doubles) against the real server, the
 * peer a Connection driven by the test.
 */
import { PassThrough, Readable, Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resolveConfig } from '../src/config.js';
import { Connection, connectTcp, createSession } from '../src/connection.js';
import { runPipe } from '../src/pipe-mode.js';
import { cleanup, type ServerHandle, startServer, within } from './helpers.js';

let server: ServerHandle;
beforeAll(async () => {
  server = await startServer();
});
afterAll(cleanup);

const configFor = (name: string, room: string) =>
  resolveConfig(
    `127.0.0.1:${server.port}`,
    { room, name, keepalive: '0' },
    {},
    { readFile: () => new Uint8Array(0), username: () => name },
  );

describe('pipe mode', () => {
  it('a burst of small frames into a slow stdout: paused once per stall, nothing lost', async () => {
    const room = `pipe-${process.pid}`;
    // stdout that takes every chunk slowly: each write reports "full".
    const received: Buffer[] = [];
    let maxDrainListeners = 0;
    const stdout = new Writable({
      highWaterMark: 1,
      write(chunk: Buffer, _encoding, callback) {
        received.push(chunk);
        setImmediate(callback);
      },
    });
    const countListeners = () => {
      maxDrainListeners = Math.max(maxDrainListeners, stdout.listenerCount('drain'));
    };
    stdout.on('newListener', (event) => {
      if (event === 'drain') queueMicrotask(countListeners);
    });
    const warnings: Error[] = [];
    const onWarning = (warning: Error) => warnings.push(warning);
    process.on('warning', onWarning);

    const stderr = new PassThrough();
    stderr.resume();
    const alice = runPipe(configFor('alice', room), { stdin: Readable.from([]), stdout, stderr });

    // Bob: 3000 one-line messages, each its own DATA frame, written as fast as possible.
    const lines = Array.from({ length: 3000 }, (_, i) => `line ${i}\n`);
    const bobSession = createSession(configFor('bob', room));
    const bob = new Connection(await connectTcp('127.0.0.1', server.port, 10_000), bobSession, {
      onEvent: (event) => {
        if (event.type === 'secured') {
          for (const line of lines) bobSession.send(new TextEncoder().encode(line));
          void bob.end();
        }
        if (event.type === 'closed') void bob.finish();
      },
      onClose: () => {},
    });

    try {
      expect(await within(alice, 30_000, 'alice to finish')).toBe(0);
      expect(Buffer.concat(received).toString()).toBe(lines.join(''));
      expect(maxDrainListeners).toBeLessThanOrEqual(1);
      expect(warnings.filter((w) => w.name === 'MaxListenersExceededWarning')).toEqual([]);
    } finally {
      process.off('warning', onWarning);
      bob.close();
    }
  });
});
