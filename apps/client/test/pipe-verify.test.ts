/**
 * Pipe mode's authentication step in-process (runPipe with stream doubles and a
 * stand-in for the controlling terminal) against the real server; the peer is a
 * Connection driven by the test.
 */
import { createHash } from 'node:crypto';
import { PassThrough, Readable, Writable } from 'node:stream';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resolveConfig } from '../src/config.js';
import { Connection, connectTcp, createSession } from '../src/connection.js';
import { runPipe } from '../src/pipe-mode.js';
import type { TerminalPrompt } from '../src/terminal-prompt.js';
import { cleanup, type ServerHandle, startServer, waitUntil, within } from './helpers.js';

let server: ServerHandle;
let roomCounter = 0;
beforeAll(async () => {
  server = await startServer();
});
afterAll(cleanup);

const configFor = (name: string, room: string, extra: { expectSas?: string; unverified?: boolean } = {}) =>
  resolveConfig(
    `127.0.0.1:${server.port}`,
    { room, name, keepalive: '0', ...extra },
    {},
    { readFile: () => new Uint8Array(0), username: () => name },
  );

/** A deterministic randomness source: SHA-256(seed ‖ counter) blocks. */
function seeded(seed: string): (length: number) => Uint8Array {
  let counter = 0;
  let pool = Buffer.alloc(0);
  return (length) => {
    while (pool.length < length) {
      pool = Buffer.concat([pool, createHash('sha256').update(`${seed}/${counter++}`).digest()]);
    }
    const out = new Uint8Array(pool.subarray(0, length));
    pool = pool.subarray(length);
    return out;
  };
}

/** A terminal double that answers every question with `answer` after `delayMs`. */
function fakeTerminal(answer: string, delayMs = 0) {
  const questions: string[] = [];
  let closed = false;
  const prompt: TerminalPrompt = {
    ask: (question) => {
      questions.push(question);
      return new Promise((resolve) => setTimeout(() => resolve(answer), delayMs));
    },
    close: () => {
      closed = true;
    },
  };
  return { prompt, questions, closed: () => closed };
}

interface Outcome {
  code: number;
  aliceStdout: string;
  aliceStderr: string;
  bobReceived: string;
  bobSas: string | undefined;
}

/**
 * Alice in pipe mode (waiting first, so she is the initiator) says `aliceSays`; bob,
 * once secured, says `bobSays` at once and ends when alice has ended.
 */
async function converse(options: {
  room?: string;
  alice?: { expectSas?: string; unverified?: boolean };
  prompt?: TerminalPrompt;
  seeds?: [string, string];
  aliceSays: string;
  bobSays: string;
}): Promise<Outcome> {
  const room = options.room ?? `pipe-verify-${process.pid}-${roomCounter++}`;
  const stderr = new PassThrough();
  let aliceStderr = '';
  stderr.on('data', (chunk: Buffer) => {
    aliceStderr += chunk.toString();
  });
  const out: Buffer[] = [];
  const stdout = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      out.push(chunk);
      callback();
    },
  });
  const alice = runPipe(
    configFor('alice', room, options.alice),
    { stdin: Readable.from([Buffer.from(options.aliceSays)]), stdout, stderr },
    {
      ...(options.prompt ? { prompt: options.prompt } : {}),
      ...(options.seeds ? { randomBytes: seeded(options.seeds[0]) } : {}),
    },
  );
  await waitUntil(() => aliceStderr.includes('waiting for a peer'), 20_000, 'alice to wait');
  const bobSession = createSession(
    configFor('bob', room),
    options.seeds ? seeded(options.seeds[1]) : undefined,
  );
  let bobReceived = '';
  let bobSas: string | undefined;
  const bob = new Connection(await connectTcp('127.0.0.1', server.port, 10_000), bobSession, {
    onEvent: (event) => {
      if (event.type === 'secured') {
        bobSas = event.sas;
        bobSession.send(new TextEncoder().encode(options.bobSays));
      }
      if (event.type === 'text') bobReceived += new TextDecoder().decode(event.data);
      if (event.type === 'peer-ended') void bob.end();
      if (event.type === 'closed') void bob.finish();
    },
    onClose: () => {},
  });
  try {
    const code = await within(alice, 30_000, 'alice to finish');
    return { code, aliceStdout: Buffer.concat(out).toString(), aliceStderr, bobReceived, bobSas };
  } finally {
    bob.close();
  }
}

describe('pipe mode asks on the controlling terminal when nothing else authenticates the peer', () => {
  it('yes: the question shows the SAS, then stdin is sent and the peer’s text shown', async () => {
    const terminal = fakeTerminal('yes');
    const r = await converse({ prompt: terminal.prompt, aliceSays: 'for bob only\n', bobSays: 'hi alice\n' });
    expect(r.code, r.aliceStderr).toBe(0);
    expect(terminal.questions).toHaveLength(1);
    expect(terminal.questions[0]).toContain(`"${r.bobSas}"`);
    expect(terminal.questions[0]).toMatch(/Type yes to send/);
    expect(r.bobReceived).toBe('for bob only\n');
    expect(r.aliceStdout).toBe('hi alice\n');
    expect(r.aliceStderr).toMatch(/SAS confirmed on the terminal: authenticated/);
    expect(terminal.closed()).toBe(true);
  });

  it.each(['no', '', 'n', 'what?'])(
    'answer %j: exit 5, nothing sent, and what the peer sent meanwhile is not shown',
    async (answer) => {
      // The answer comes late: bob's text has reached alice's side by then.
      const terminal = fakeTerminal(answer, 400);
      const r = await converse({
        prompt: terminal.prompt,
        aliceSays: 'for bob only\n',
        bobSays: 'injected\n',
      });
      expect(r.code).toBe(5);
      expect(r.aliceStderr).toMatch(/the SAS was not confirmed: nothing was sent/);
      expect(r.bobReceived).toBe('');
      expect(r.aliceStdout).toBe('');
    },
  );

  it('a terminal that closes before answering: exit 5, nothing sent', async () => {
    const prompt: TerminalPrompt = {
      ask: () => Promise.reject(new Error('the terminal closed')),
      close: () => {},
    };
    const r = await converse({ prompt, aliceSays: 'for bob only\n', bobSays: 'x\n' });
    expect(r.code).toBe(5);
    expect(r.bobReceived).toBe('');
  });

  it('without a terminal and without an option, runPipe refuses before connecting', async () => {
    const stderr = new PassThrough();
    await expect(
      runPipe(configFor('alice', 'never'), { stdin: Readable.from([]), stdout: new PassThrough(), stderr }),
    ).rejects.toThrow(/--expect-sas/);
  });
});

describe('--expect-sas with the real SAS', () => {
  it('sends once the SAS matches (the same handshake replayed from fixed randomness)', async () => {
    const room = `pipe-verify-fixed-${process.pid}`;
    const seeds: [string, string] = ['alice-seed', 'bob-seed'];
    // First run, unverified, to learn the SAS these random bytes give.
    const first = await converse({
      room,
      seeds,
      alice: { unverified: true },
      aliceSays: 'one\n',
      bobSays: '',
    });
    expect(first.code, first.aliceStderr).toBe(0);
    expect(first.bobSas).toMatch(/^\S+ \S+ \S+$/);
    // Second run: the same SAS, now expected; in upper case, as someone might type it.
    const second = await converse({
      room,
      seeds,
      alice: { expectSas: first.bobSas!.toUpperCase() },
      aliceSays: 'for bob only\n',
      bobSays: 'hi\n',
    });
    expect(second.bobSas).toBe(first.bobSas);
    expect(second.code, second.aliceStderr).toBe(0);
    expect(second.aliceStderr).toMatch(/the SAS is the one given with --expect-sas: authenticated/);
    expect(second.bobReceived).toBe('for bob only\n');
    expect(second.aliceStdout).toBe('hi\n');
  });
});
