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
let roomCounter = 0;
beforeAll(async () => {
  server = await startServer();
});
afterAll(cleanup);

const configFor = (name: string, room: string) =>
  resolveConfig(
    `127.0.0.1:${server.port}`,
    { room, name, keepalive: '0', unverified: true },
    {},
    { readFile: () => new Uint8Array(0), username: () => name },
  );

/**
 * Alice runs pipe mode with nothing to say and `stdout`; bob, once secured,
 * sends each of `messages` as its own DATA frame, as fast as he can, then ends.
 *
 * @returns alice's exit code
 */
async function bobSends(stdout: Writable, messages: readonly Uint8Array[]): Promise<number> {
  const room = `pipe-${process.pid}-${roomCounter++}`;
  const stderr = new PassThrough();
  stderr.resume();
  const alice = runPipe(configFor('alice', room), { stdin: Readable.from([]), stdout, stderr });
  const bobSession = createSession(configFor('bob', room));
  const bob = new Connection(await connectTcp('127.0.0.1', server.port, 10_000), bobSession, {
    onEvent: (event) => {
      if (event.type === 'secured') {
        for (const message of messages) bobSession.send(message);
        void bob.end();
      }
      if (event.type === 'closed') void bob.finish();
    },
    onClose: () => {},
  });
  try {
    return await within(alice, 30_000, 'alice to finish');
  } finally {
    bob.close();
  }
}

/** A stdout double that keeps what it is given; `slow` takes each chunk a turn later. */
function recorder(options: { slow?: boolean; isTTY?: boolean } = {}) {
  const chunks: Buffer[] = [];
  const stdout = new Writable({
    highWaterMark: options.slow ? 1 : 16_384,
    write(chunk: Buffer, _encoding, callback) {
      chunks.push(chunk);
      if (options.slow) setImmediate(callback);
      else callback();
    },
  });
  if (options.isTTY) Object.assign(stdout, { isTTY: true });
  return { stdout, text: () => Buffer.concat(chunks) };
}

const utf8 = (text: string) => new TextEncoder().encode(text);
const hostile = [
  utf8('hello\n\x1b]2;PWNED\x07\x1b[2J\x1b[Hfake prompt$ \x9b\r\n'),
  Uint8Array.of(0xe4, 0xb8), // a character split across frames...
  Uint8Array.of(0xad, 0x0a, 0xff, 0x7f, 0x0d), // ...completed; an invalid byte, DEL, a trailing CR
];

describe('pipe mode', () => {
  it('a burst of small frames into a slow stdout: paused once per stall, nothing lost', async () => {
    const { stdout, text } = recorder({ slow: true });
    let maxDrainListeners = 0;
    stdout.on('newListener', (event) => {
      if (event === 'drain')
        queueMicrotask(() => {
          maxDrainListeners = Math.max(maxDrainListeners, stdout.listenerCount('drain'));
        });
    });
    const warnings: Error[] = [];
    const onWarning = (warning: Error) => warnings.push(warning);
    process.on('warning', onWarning);
    try {
      // 3000 one-line messages, each its own DATA frame.
      const lines = Array.from({ length: 3000 }, (_, i) => `line ${i}\n`);
      expect(await bobSends(stdout, lines.map(utf8))).toBe(0);
      expect(text().toString()).toBe(lines.join(''));
      expect(maxDrainListeners).toBeLessThanOrEqual(1);
      expect(warnings.filter((w) => w.name === 'MaxListenersExceededWarning')).toEqual([]);
    } finally {
      process.off('warning', onWarning);
    }
  });

  it('into a file or a pipe: the peer text byte for byte, controls and invalid bytes included', async () => {
    const { stdout, text } = recorder();
    expect(await bobSends(stdout, hostile)).toBe(0);
    expect(text()).toEqual(Buffer.concat(hostile));
  });

  it('into a terminal: the peer text escaped, never as control sequences', async () => {
    const { stdout, text } = recorder({ isTTY: true });
    expect(await bobSends(stdout, hostile)).toBe(0);
    expect(text().toString()).toBe('hello\n^[]2;PWNED^G^[[2J^[[Hfake prompt$ <U+009B>\n中\n\\xFF^?^M');
  });

  it('through a server with the smallest frame cap it allows: every DATA frame fits, nothing lost', async () => {
    const small = await startServer(['--max-frame', '4096']);
    const room = `pipe-small-cap-${process.pid}`;
    const config = (name: string) =>
      resolveConfig(
        `127.0.0.1:${small.port}`,
        { room, name, keepalive: '0', unverified: true },
        {},
        { readFile: () => new Uint8Array(0), username: () => name },
      );
    const said = new Uint8Array(200_000).map((_, i) => 32 + ((i * 7) % 90));
    const quiet = () => {
      const stderr = new PassThrough();
      stderr.resume();
      return stderr;
    };
    const alice = recorder();
    const bob = recorder();
    const codes = await within(
      Promise.all([
        runPipe(config('alice'), { stdin: Readable.from([said]), stdout: alice.stdout, stderr: quiet() }),
        runPipe(config('bob'), { stdin: Readable.from([]), stdout: bob.stdout, stderr: quiet() }),
      ]),
      30_000,
      'both pipes to finish',
    );
    expect(codes).toEqual([0, 0]);
    expect(Buffer.compare(bob.text(), Buffer.from(said))).toBe(0);
    expect(alice.text().length).toBe(0);
  });
});
