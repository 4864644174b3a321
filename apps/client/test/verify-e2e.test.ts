/**
 * Nothing is sent before the peer is authenticated: the real arctalk client in
 * pipe mode against a relay that runs its own key exchange with each side
 * (test/mitm.ts), and against the real server.
 */
import net from 'node:net';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { cleanup, runClient, type ServerHandle, sasOf, startServer } from './helpers.js';
import { type MitmHandle, startMitm } from './mitm.js';

let server: ServerHandle;
let roomCounter = 0;
const room = () => `verify-${process.pid}-${roomCounter++}`;
const SECRET = 'THE-SECRET-FILE-CONTENTS that only bob may read\n';
const REPLY = 'bob: got it\n';

beforeAll(async () => {
  server = await startServer();
});
afterAll(cleanup);

/** Alice sends SECRET, bob sends REPLY, through `port`, each with `extra` options. */
function transfer(port: number, extra: { alice: string[]; bob: string[] }, env: Record<string, string> = {}) {
  const r = room();
  return Promise.all([
    runClient([`127.0.0.1:${port}`, '--room', r, '--name', 'alice', ...extra.alice], { input: SECRET, env }),
    runClient([`127.0.0.1:${port}`, '--room', r, '--name', 'bob', ...extra.bob], { input: REPLY, env }),
  ]);
}

describe('pipe mode with nothing to authenticate the peer and no terminal', () => {
  it('exits 2 at once, naming the options, before connecting', async () => {
    let connections = 0;
    const listener = net.createServer((socket) => {
      connections++;
      socket.destroy();
    });
    await new Promise<void>((resolve) => listener.listen(0, '127.0.0.1', resolve));
    const port = (listener.address() as net.AddressInfo).port;
    try {
      const { code, stderr, stdout } = await runClient([`127.0.0.1:${port}`, '--room', room()], {
        input: SECRET,
      });
      expect(code, stderr).toBe(2);
      for (const option of ['--passphrase-file', '--expect-sas', '--unverified']) {
        expect(stderr).toContain(option);
      }
      expect(stderr).toMatch(/^arctalk: pipe mode sends nothing until the peer is authenticated/m);
      expect(stderr).not.toContain('connecting to');
      expect(stdout.length).toBe(0);
      expect(connections).toBe(0);
    } finally {
      listener.close();
    }
  });
});

describe('a relay in the middle of a pipe-mode transfer', () => {
  let mitm: MitmHandle;
  beforeEach(async () => {
    mitm = await startMitm();
  });
  afterEach(() => mitm.close());

  it('with --unverified on both sides, it reads everything and both exit 0 (what --unverified means)', async () => {
    const [alice, bob] = await transfer(mitm.port, { alice: ['--unverified'], bob: ['--unverified'] });
    expect([alice.code, bob.code], alice.stderr + bob.stderr).toEqual([0, 0]);
    expect(bob.stdout.toString()).toBe(SECRET);
    expect(mitm.readText()).toContain(SECRET.trim());
    expect(mitm.readBytes()).toBe(SECRET.length + REPLY.length);
    expect(alice.stderr).toMatch(
      /--unverified: mitm is not authenticated; a relay in the middle can read everything/,
    );
    // The two screens showed different SAS: the comparison nobody made.
    expect(sasOf(alice.stderr)).not.toBe(sasOf(bob.stderr));
  }, 60_000);

  it('with --expect-sas on both sides: the SAS differs, both exit 5, it reads nothing', async () => {
    const [alice, bob] = await transfer(mitm.port, {
      alice: ['--expect-sas', 'aardvark adroitness Zulu'],
      bob: ['--expect-sas', 'aardvark adroitness Zulu'],
    });
    expect([alice.code, bob.code], alice.stderr + bob.stderr).toEqual([5, 5]);
    expect(alice.stderr).toMatch(
      /is not the expected "aardvark adroitness Zulu": someone may be in the middle; nothing was sent/,
    );
    expect(mitm.readBytes()).toBe(0);
    expect(alice.stdout.length + bob.stdout.length).toBe(0);
  }, 60_000);

  it('with one side --unverified and the other --expect-sas: the careful side sends nothing', async () => {
    const [alice, bob] = await transfer(mitm.port, {
      alice: ['--expect-sas', 'aardvark adroitness Zulu'],
      bob: ['--unverified'],
    });
    expect(alice.code, alice.stderr).toBe(5);
    expect(mitm.readText()).not.toContain(SECRET.trim());
    // Only what the careless side sent was exposed, and it never reached alice.
    expect(mitm.readBytes()).toBeLessThanOrEqual(REPLY.length);
    expect(alice.stdout.length).toBe(0);
    expect(bob.stdout.length).toBe(0);
  }, 60_000);

  it('with no option and no terminal: neither client even connects', async () => {
    const connectionsBefore = mitm.connections();
    const [alice, bob] = await transfer(mitm.port, { alice: [], bob: [] });
    expect([alice.code, bob.code]).toEqual([2, 2]);
    expect(mitm.connections()).toBe(connectionsBefore);
  }, 60_000);

  it('with the same passphrase on both sides (the relay does not know it): CONFIRM fails on both sides, it reads nothing', async () => {
    const guessing = await startMitm({ passphrase: 'a guess' });
    try {
      const [alice, bob] = await transfer(
        guessing.port,
        { alice: [], bob: [] },
        { ARCTALK_PASSPHRASE: 'correct horse battery staple' },
      );
      expect([alice.code, bob.code], alice.stderr + bob.stderr).toEqual([5, 5]);
      expect(alice.stderr).toMatch(/wrong code or passphrase/);
      expect(guessing.readBytes()).toBe(0);
      expect(alice.stdout.length + bob.stdout.length).toBe(0);
    } finally {
      guessing.close();
    }
  }, 60_000);
});

describe('an honest relay', () => {
  it('--expect-sas with words that are not the SAS: exit 5 on that side, nothing sent', async () => {
    const [alice, bob] = await transfer(server.port, {
      alice: ['--expect-sas', 'aardvark adroitness Zulu'],
      bob: ['--unverified'],
    });
    // 2^-24 that the SAS really is aardvark adroitness Zulu.
    expect(alice.code, alice.stderr).toBe(5);
    expect(bob.stdout.length).toBe(0);
    expect(bob.code).toBe(6);
  }, 60_000);

  it('a bad --expect-sas is a usage error before connecting', async () => {
    const { code, stderr } = await runClient([`127.0.0.1:${server.port}`, '--expect-sas', 'hello world']);
    expect(code).toBe(2);
    expect(stderr).toMatch(/--expect-sas expects 3 words/);
  });
});
