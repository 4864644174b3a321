/**
 * The real arctalk-server and arctalk clients as processes over loopback, in pipe mode.
 */
import { randomBytes } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  cleanup,
  closedPort,
  type Direction,
  FrameSplitter,
  runClient,
  type ServerHandle,
  sasOf,
  sha256,
  startClient,
  startProxy,
  startServer,
  waitUntil,
  within,
} from './helpers.js';

const DATA = 0x13;
let server: ServerHandle;
let roomCounter = 0;
const room = () => `e2e-${process.pid}-${roomCounter++}`;

/** Random printable text with newlines, `size` bytes. */
function randomText(size: number): Buffer {
  const bytes = randomBytes(size);
  for (let i = 0; i < size; i++) bytes[i] = i % 64 === 63 ? 0x0a : 0x20 + (bytes[i]! % 95);
  return bytes;
}

beforeAll(async () => {
  server = await startServer();
});
afterAll(cleanup);

describe('pipe mode: 1 MiB of random text each way, through a recording proxy', () => {
  const aliceText = randomText(1024 * 1024);
  const bobText = randomText(1024 * 1024);
  const marker = Buffer.from('THE-PLAINTEXT-MARKER-that-must-never-appear-on-the-wire\n');
  const aliceInput = Buffer.concat([marker, aliceText]);
  let results: { code: number | null; stdout: Buffer; stderr: string }[];
  let wire: Buffer;

  beforeAll(async () => {
    const proxy = await startProxy(server.port);
    const r = room();
    results = await Promise.all([
      runClient(
        [`127.0.0.1:${proxy.port}`, '--room', r, '--name', 'alice', '--unverified'],
        { input: aliceInput },
        50_000,
      ),
      runClient(
        [`127.0.0.1:${proxy.port}`, '--room', r, '--name', 'bob', '--unverified'],
        { input: bobText },
        50_000,
      ),
    ]);
    wire = Buffer.concat(proxy.captured.map((c) => c.bytes));
    proxy.close();
  }, 60_000);

  it('both clients exit 0', () => {
    expect(
      results.map((r) => r.code),
      results.map((r) => r.stderr).join('\n'),
    ).toEqual([0, 0]);
  });

  it('each side received exactly what the other sent (SHA-256 equal, byte for byte)', () => {
    const [alice, bob] = results as [(typeof results)[0], (typeof results)[0]];
    expect(bob.stdout.length).toBe(aliceInput.length);
    expect(sha256(bob.stdout)).toBe(sha256(aliceInput));
    expect(alice.stdout.length).toBe(bobText.length);
    expect(sha256(alice.stdout)).toBe(sha256(bobText));
  });

  it('both sides show the same SAS on stderr, with how to use it', () => {
    const [a, b] = results.map((r) => sasOf(r.stderr));
    expect(a).toBeTruthy();
    expect(a).toBe(b);
    expect(results[0]!.stderr).toContain('if the two codes differ, someone is in the middle');
  });

  it('the relayed bytes never contain the plaintext', () => {
    expect(wire.length).toBeGreaterThan(2 * 1024 * 1024);
    expect(wire.indexOf(marker)).toBe(-1);
    // 300 random 16-byte windows of each plaintext: none appears on the wire.
    for (const text of [aliceText, bobText]) {
      for (let i = 0; i < 300; i++) {
        const at = Math.floor(Math.random() * (text.length - 16));
        expect(wire.indexOf(text.subarray(at, at + 16))).toBe(-1);
      }
    }
  });
});

describe('failures', () => {
  it('a relay flipping one ciphertext bit each way: both clients exit 5 (tampering detected)', async () => {
    const splitters = new Map<string, FrameSplitter>();
    const holding = new Map<number, { frames: Buffer[]; forward: (b: Buffer) => void }>();
    let flipped = 0;
    const proxy = await startProxy(server.port, (conn, direction: Direction, bytes, forward) => {
      if (direction !== 'up') return bytes;
      const key = `${conn}`;
      if (!splitters.has(key)) splitters.set(key, new FrameSplitter());
      const out: Buffer[] = [];
      for (const frame of splitters.get(key)!.push(bytes)) {
        const held = holding.get(conn);
        if (held) {
          held.frames.push(frame); // keep order behind the held frame
          continue;
        }
        if (frame[4] === DATA && flipped < 2) {
          const copy = Buffer.from(frame);
          copy[5 + 8]! ^= 0x01; // first ciphertext byte (after the u64 offset)
          flipped++;
          holding.set(conn, { frames: [copy], forward });
          // Release once both directions have one: each client has then sent its own text.
          if (flipped === 2) {
            for (const h of holding.values()) h.forward(Buffer.concat(h.frames));
          }
          continue;
        }
        out.push(frame);
      }
      return Buffer.concat(out);
    });
    const r = room();
    const [alice, bob] = await Promise.all([
      runClient([`127.0.0.1:${proxy.port}`, '--room', r, '--name', 'alice', '--unverified'], {
        input: 'hello bob\n',
        keepOpen: true,
      }),
      runClient([`127.0.0.1:${proxy.port}`, '--room', r, '--name', 'bob', '--unverified'], {
        input: 'hello alice\n',
        keepOpen: true,
      }),
    ]);
    proxy.close();
    expect([alice.code, bob.code], alice.stderr + bob.stderr).toEqual([5, 5]);
    expect(alice.stderr).toMatch(/arctalk: authentication failed \/ tampering detected/);
    expect(bob.stderr).toMatch(/arctalk: authentication failed \/ tampering detected/);
    // Nothing forged reached stdout.
    expect(alice.stdout.length + bob.stdout.length).toBe(0);
  });

  it('a wrong passphrase: authentication fails (exit 5), nothing is exchanged', async () => {
    const r = room();
    const [alice, bob] = await Promise.all([
      runClient([`127.0.0.1:${server.port}`, '--room', r, '--name', 'alice'], {
        input: 'secret plans\n',
        env: { ARCTALK_PASSPHRASE: 'correct horse battery staple' },
      }),
      runClient([`127.0.0.1:${server.port}`, '--room', r, '--name', 'bob'], {
        input: 'more plans\n',
        env: { ARCTALK_PASSPHRASE: 'incorrect horse' },
      }),
    ]);
    // Each side checks the other's CONFIRM and fails on its own.
    expect([alice.code, bob.code], alice.stderr + bob.stderr).toEqual([5, 5]);
    expect(alice.stderr).toMatch(
      /arctalk: authentication failed \/ tampering detected \(AUTH_FAILED\): (key confirmation failed: )?wrong code or passphrase/,
    );
    expect(alice.stdout.length + bob.stdout.length).toBe(0);
    expect(sasOf(alice.stderr)).toBeUndefined();
  });

  it('the same passphrase on both sides works', async () => {
    const r = room();
    const env = { ARCTALK_PASSPHRASE: 'correct horse battery staple' };
    const [alice, bob] = await Promise.all([
      runClient([`127.0.0.1:${server.port}`, '--room', r, '--name', 'alice'], { input: 'psk ok\n', env }),
      runClient([`127.0.0.1:${server.port}`, '--room', r, '--name', 'bob'], { input: '', env }),
    ]);
    expect([alice.code, bob.code]).toEqual([0, 0]);
    expect(bob.stdout.toString()).toBe('psk ok\n');
  });

  it('a peer offering a DH group below your minimum: you refuse it (exit 8)', async () => {
    const r = room();
    // The first to arrive waits and becomes the initiator: it picks the group.
    const bob = startClient(
      [`127.0.0.1:${server.port}`, '--room', r, '--name', 'bob', '--group', 'ffdhe2048', '--unverified'],
      {
        input: 'hi\n',
      },
    );
    await waitUntil(() => bob.stderr().includes('waiting for a peer'), 20_000, 'bob to wait');
    const alice = await runClient(
      [
        `127.0.0.1:${server.port}`,
        '--room',
        r,
        '--name',
        'alice',
        '--min-group-bits',
        '3072',
        '--unverified',
      ],
      {
        input: 'only over 3072 bits\n',
      },
    );
    expect(alice.code, alice.stderr).toBe(8);
    expect(alice.stderr).toMatch(/arctalk: incompatible peer: .*2048/);
    expect(await within(bob.exited, 10_000, 'bob')).toBe(6);
    expect(alice.stdout.length + bob.stdout().length).toBe(0);
  });

  it('the peer quitting mid-way: the other side keeps what arrived and exits 6', async () => {
    const r = room();
    const alice = startClient([`127.0.0.1:${server.port}`, '--room', r, '--name', 'alice', '--unverified'], {
      input: 'first part\n',
      keepOpen: true,
    });
    const bob = startClient([`127.0.0.1:${server.port}`, '--room', r, '--name', 'bob', '--unverified'], {
      input: 'bob is done\n',
    });
    await waitUntil(
      () => bob.stdout().toString() === 'first part\n',
      20_000,
      'bob to receive the first part',
    );
    alice.child.kill('SIGKILL');
    const code = await within(bob.exited, 10_000, 'bob to exit');
    expect(code).toBe(6);
    expect(bob.stderr()).toMatch(/arctalk: alice left before ending the conversation/);
    expect(bob.stdout().toString()).toBe('first part\n');
  });

  it('the server killed mid-way: both clients exit 4 (connection lost)', async () => {
    const own = await startServer();
    const r = room();
    const args = (name: string) => [`127.0.0.1:${own.port}`, '--room', r, '--name', name, '--unverified'];
    const alice = startClient(args('alice'), { input: 'one\n', keepOpen: true });
    const bob = startClient(args('bob'), { input: 'two\n', keepOpen: true });
    await waitUntil(() => alice.stdout().length > 0 && bob.stdout().length > 0, 20_000, 'the exchange');
    own.kill('SIGKILL');
    const codes = await within(Promise.all([alice.exited, bob.exited]), 10_000, 'clients to exit');
    expect(codes).toEqual([4, 4]);
    expect(alice.stderr()).toContain(`arctalk: connection to 127.0.0.1:${own.port} lost`);
  });

  it('keepalive PINGs keep a client waiting for its peer past the server idle timeout', async () => {
    const own = await startServer(['--idle-timeout', '2s']);
    const r = room();
    const args = (name: string, keepalive: string) => [
      `127.0.0.1:${own.port}`,
      '--room',
      r,
      '--name',
      name,
      '--keepalive',
      keepalive,
      '--unverified',
    ];
    const alice = startClient(args('alice', '1'), { input: 'still here\n' });
    // Without keepalive, the server's idle timer closes a quiet client: refused (7).
    const quiet = await runClient(
      [`127.0.0.1:${own.port}`, '--room', room(), '--keepalive', '0', '--unverified'],
      {
        keepOpen: true,
      },
    );
    expect(quiet.code).toBe(7);
    expect(quiet.stderr).toMatch(/the server ended the session: the connection was idle/i);
    // Alice has waited longer than the idle timeout; bob arrives and the talk goes through.
    const bob = await runClient(args('bob', '1'), { input: '' });
    expect(bob.code).toBe(0);
    expect(bob.stdout.toString()).toBe('still here\n');
    expect(await within(alice.exited, 10_000, 'alice')).toBe(0);
    own.kill();
  });

  it('a closed port: exit 3, naming the address', async () => {
    const port = await closedPort();
    const { code, stderr } = await runClient([`127.0.0.1:${port}`, '--unverified']);
    expect(code).toBe(3);
    expect(stderr).toContain(`arctalk: cannot connect to 127.0.0.1:${port}: ECONNREFUSED`);
  });

  it('a third client in a full room is refused by the server: exit 7', async () => {
    const r = room();
    const args = (name: string) => [`127.0.0.1:${server.port}`, '--room', r, '--name', name, '--unverified'];
    const alice = startClient(args('alice'), { keepOpen: true });
    const bob = startClient(args('bob'), { keepOpen: true });
    await waitUntil(
      () => sasOf(alice.stderr()) !== undefined && sasOf(bob.stderr()) !== undefined,
      20_000,
      'pairing',
    );
    const carol = await runClient(args('carol'));
    expect(carol.code).toBe(7);
    expect(carol.stderr).toMatch(/arctalk: refused by the server: .*full/i);
    alice.end();
    bob.end();
    expect(await within(Promise.all([alice.exited, bob.exited]), 10_000, 'alice and bob')).toEqual([0, 0]);
  });
});
