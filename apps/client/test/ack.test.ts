/**
 * Acknowledged delivery (PROTOCOL.md §6.4, §6.5) with real client processes: exit 0
 * means the peer acknowledged, authenticated, every byte we sent and our END. A relay
 * that withholds alice's DATA and END but forwards bob's END leaves alice with exit 12
 * "sent but not confirmed received" (before acknowledgements she exited 0 "clean end").
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  cleanup,
  FrameSplitter,
  runClient,
  type ServerHandle,
  sleep,
  startProxy,
  startServer,
} from './helpers.js';

const DATA = 0x13;
const END = 0x14;
const ACK = 0x15;
let server: ServerHandle;
let counter = 0;
const room = () => `ack-${process.pid}-${counter++}`;

beforeAll(async () => {
  server = await startServer();
});
afterAll(cleanup);

/** A proxy that drops, from alice's connection (known by her HELLO) upwards, the frame types in `withhold`. */
async function withholding(withhold: ReadonlySet<number>) {
  const splitters = new Map<string, FrameSplitter>();
  const dropped: number[] = [];
  let alice: number | undefined;
  const proxy = await startProxy(server.port, (conn, direction, bytes) => {
    const key = `${conn}/${direction}`;
    if (!splitters.has(key)) splitters.set(key, new FrameSplitter());
    const frames = splitters.get(key)!.push(bytes);
    for (const f of frames) if (f[4] === 0x01 && f.subarray(5).includes(Buffer.from('alice'))) alice = conn;
    if (conn !== alice || direction !== 'up') return Buffer.concat(frames);
    const kept = frames.filter((f) => {
      if (!withhold.has(f[4]!)) return true;
      dropped.push(f[4]!);
      return false;
    });
    return Buffer.concat(kept);
  });
  return { proxy, dropped };
}

describe('exit 0 only once the peer acknowledged everything; otherwise 12', () => {
  it('a relay withholding alice’s DATA and END (forwarding bob’s END): alice exits 12, bob 6, nothing delivered', async () => {
    const { proxy, dropped } = await withholding(new Set([DATA, END]));
    const r = room();
    const args = (name: string) => [
      `127.0.0.1:${proxy.port}`,
      '--room',
      r,
      '--name',
      name,
      '--unverified',
      '--ack-timeout',
      '2',
    ];
    const alicePromise = runClient(args('alice'), { input: 'the secret plans\n' }, 30_000);
    await sleep(300);
    const bob = await runClient(args('bob'), { input: 'ok\n' }, 30_000);
    const alice = await alicePromise;
    proxy.close();
    expect(dropped).toContain(DATA);
    expect(dropped).toContain(END);
    expect(alice.code, alice.stderr).toBe(12);
    expect(alice.stderr).toMatch(
      /arctalk: sent but not confirmed received: no acknowledgement from bob within 2 s \(bob confirmed 0 bytes, not your END\)/,
    );
    expect(alice.stdout.toString()).toBe('ok\n'); // bob's text arrived whole, with his END
    expect(bob.code, bob.stderr).toBe(6);
    expect(bob.stdout.length).toBe(0);
  }, 40_000);

  it('a relay withholding alice’s ACKs: bob exits 12 "sent but not confirmed received", though all text arrived', async () => {
    const { proxy } = await withholding(new Set([ACK]));
    const r = room();
    const args = (name: string) => [
      `127.0.0.1:${proxy.port}`,
      '--room',
      r,
      '--name',
      name,
      '--unverified',
      '--ack-timeout',
      '2',
    ];
    const alicePromise = runClient(args('alice'), { input: 'hello\n' }, 30_000);
    await sleep(300);
    const bob = await runClient(args('bob'), { input: 'hi\n' }, 30_000);
    const alice = await alicePromise;
    proxy.close();
    // alice's ACKs never reach bob: bob cannot know his text arrived
    expect(bob.code, bob.stderr).toBe(12);
    expect(bob.stderr).toMatch(/sent but not confirmed received/);
    expect(alice.stdout.toString()).toBe('hi\n');
    expect(bob.stdout.toString()).toBe('hello\n');
    // alice got bob's ACKs, and bob's END: she may exit 0, or 12 if bob left before acknowledging her END
    expect([0, 12]).toContain(alice.code);
  }, 40_000);

  it('an honest relay: both exit 0, and the exit codes are in --help', async () => {
    const r = room();
    const args = (name: string) => [`127.0.0.1:${server.port}`, '--room', r, '--name', name, '--unverified'];
    const [alice, bob] = await Promise.all([
      runClient(args('alice'), { input: 'a'.repeat(300_000) }, 30_000),
      (async () => {
        await sleep(200);
        return runClient(args('bob'), { input: 'b\n' }, 30_000);
      })(),
    ]);
    expect([alice.code, bob.code], alice.stderr + bob.stderr).toEqual([0, 0]);
    expect(bob.stdout.length).toBe(300_000);
    const help = await runClient(['--help']);
    expect(help.stdout.toString()).toMatch(/12 {2}sent but not confirmed received/);
    expect(help.stdout.toString()).toMatch(/--ack-timeout <seconds>/);
  }, 40_000);
});
