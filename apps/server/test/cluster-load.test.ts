/**
 * Three real `arctalk-server --redis` processes and a real redis-server on loopback:
 * 1,000 pairs whose two clients are on different relays, every message delivered in
 * order exactly once; then one relay killed (SIGKILL) mid-traffic.
 */
import { decodeError, ErrorCode, FrameType, frameTypeName } from '@arctalk/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  cleanup,
  dataFrame,
  helloFrame,
  type RawClient,
  rawClient,
  type ServerProcess,
  sleep,
  spawnServer,
  waitUntil,
  within,
} from './helpers.js';
import { RedisProcess } from './redis.js';

const PAIRS = 1_000;
const MESSAGES = 10; // per direction per pair
const BATCH = 100; // pairs set up concurrently
const LEASE_TTL = 1_500;

let redis: RedisProcess;
let relays: { process: ServerProcess; port: number }[] = [];

beforeAll(async () => {
  redis = await RedisProcess.start();
  relays = await Promise.all(
    [0, 1, 2].map(async () => {
      const process = spawnServer([
        '--port',
        '0',
        '--redis',
        redis.url,
        '--lease-ttl',
        `${LEASE_TTL}ms`,
        '--max-connections',
        String(PAIRS * 4),
        '--max-per-address',
        String(PAIRS * 4),
        '--log-level',
        'warn',
      ]);
      const { port } = await within(process.listening, 30_000, 'relay listening');
      return { process, port };
    }),
  );
}, 360_000);

afterAll(async () => {
  await cleanup();
  await redis?.stop('SIGTERM');
});

function seqBody(seq: number): Uint8Array {
  const body = new Uint8Array(8);
  new DataView(body.buffer).setUint32(0, seq);
  return body;
}

function seqOf(body: Uint8Array): number {
  return new DataView(body.buffer, body.byteOffset).getUint32(0);
}

async function nextType(client: RawClient, what: string): Promise<string> {
  return frameTypeName((await client.frames.next(30_000, what)).type) ?? 'unknown';
}

/** `a` waits in `room` on relay port `pa`; `b` joins on `pb`; resolves once both are PAIRED. */
async function pair(pa: number, pb: number, room: string) {
  const a = await rawClient(pa);
  a.write(helloFrame(room, 'a'));
  expect(await nextType(a, 'WAITING')).toBe('WAITING');
  const b = await rawClient(pb);
  b.write(helloFrame(room, 'b'));
  const [ta, tb] = await Promise.all([nextType(a, 'PAIRED'), nextType(b, 'PAIRED')]);
  expect([ta, tb]).toEqual(['PAIRED', 'PAIRED']);
  return { a, b };
}

/** The DATA frames `client` got so far, as sequence numbers. */
function received(client: RawClient): number[] {
  return client.frames.all.filter((frame) => frame.type === FrameType.DATA).map((frame) => seqOf(frame.body));
}

describe('cluster of three relay processes', () => {
  it(`carries ${PAIRS} pairs across relays, every message in order exactly once`, async () => {
    const started = performance.now();
    const pairs: { a: RawClient; b: RawClient }[] = [];
    for (let start = 0; start < PAIRS; start += BATCH) {
      const batch = await Promise.all(
        Array.from({ length: BATCH }, (_, k) => {
          const i = start + k;
          return pair(relays[i % 3]!.port, relays[(i + 1) % 3]!.port, `load-${i}`);
        }),
      );
      pairs.push(...batch);
    }
    const paired = performance.now();
    for (const { a, b } of pairs) {
      for (let m = 0; m < MESSAGES; m++) {
        a.write(dataFrame(seqBody(m)));
        b.write(dataFrame(seqBody(m)));
      }
    }
    await within(
      waitUntil(
        () => pairs.every(({ a, b }) => received(a).length >= MESSAGES && received(b).length >= MESSAGES),
        60_000,
        'every message',
      ),
      70_000,
      'every message',
    );
    await sleep(200); // nothing more may come: exactly once
    const expected = Array.from({ length: MESSAGES }, (_, m) => m);
    for (const { a, b } of pairs) {
      expect(received(a)).toEqual(expected);
      expect(received(b)).toEqual(expected);
    }
    console.log(
      `cluster load: ${PAIRS} cross-relay pairs paired in ${Math.round(paired - started)} ms, ` +
        `${PAIRS * MESSAGES * 2} messages delivered in ${Math.round(performance.now() - paired)} ms`,
    );
    for (const { a, b } of pairs) {
      a.socket.destroy();
      b.socket.destroy();
    }
  }, 180_000);

  it('one relay killed mid-traffic: its forwarded clients get ERROR, other pairs go on, its rooms free up', async () => {
    const [p0, p1, p2] = relays.map((relay) => relay.port) as [number, number, number];
    const doomed = await Promise.all(Array.from({ length: 10 }, (_, i) => pair(p0, p1, `dead-${i}`))); // owner p0, b via p1
    const orphans = await Promise.all(Array.from({ length: 10 }, (_, i) => pair(p2, p0, `orphan-${i}`))); // owner p2, b via p0
    const safe = await Promise.all(Array.from({ length: 10 }, (_, i) => pair(p1, p2, `safe-${i}`))); // p1 and p2 only
    let seq = 0;
    const traffic = setInterval(() => {
      for (const { a, b } of [...doomed, ...orphans, ...safe]) {
        if (!a.socket.destroyed) a.write(dataFrame(seqBody(seq)));
        if (!b.socket.destroyed) b.write(dataFrame(seqBody(seq)));
      }
      seq++;
    }, 10);
    await sleep(300);
    relays[0]!.process.child.kill('SIGKILL');
    await within(relays[0]!.process.exited, 10_000, 'relay 0 exit');
    await sleep(300);
    clearInterval(traffic);
    const sent = seq;

    // Clients forwarded by p1 to the dead owner: ERROR from p1 (on a frame boundary), then closed.
    await within(Promise.all(doomed.map(({ b }) => b.closed)), 10_000, 'forwarded clients closed');
    let told = 0;
    for (const { b } of doomed) {
      const last = b.frames.all.at(-1)!;
      if (last.type === FrameType.ERROR) {
        told++;
        const error = decodeError(last.body);
        expect(error.code).toBe(ErrorCode.SERVER_SHUTTING_DOWN);
        expect(error.message).toMatch(/relay serving this room is gone/);
      }
      // what arrived before it is a gap-free prefix
      const got = received(b);
      expect(got).toEqual(got.map((_, k) => k));
    }
    expect(told).toBeGreaterThan(0);
    // Their peers were on the dead relay itself: their connections are gone.
    await within(Promise.all(doomed.map(({ a }) => a.closed)), 10_000, 'clients of the dead relay closed');
    // Pairs owned by p2 whose second client came through p0: the owner says PEER_LEFT.
    for (const { a } of orphans) {
      await waitUntil(
        () => a.frames.all.some((frame) => frame.type === FrameType.PEER_LEFT),
        10_000,
        'PEER_LEFT',
      );
      const got = received(a);
      expect(got).toEqual(got.map((_, k) => k));
    }
    // Pairs that never touched p0: everything, in order, exactly once.
    await waitUntil(
      () => safe.every(({ a, b }) => received(a).length >= sent && received(b).length >= sent),
      20_000,
      'safe pairs complete',
    );
    const all = Array.from({ length: sent }, (_, k) => k);
    for (const { a, b } of safe) {
      expect(received(a)).toEqual(all);
      expect(received(b)).toEqual(all);
    }
    // The dead relay's rooms free up once its leases expire (TTL), on the survivors.
    await sleep(LEASE_TTL + 500);
    const again = await pair(p1, p2, 'dead-0');
    again.a.write(dataFrame(seqBody(42)));
    await waitUntil(() => received(again.b).length === 1, 10_000, 'message in a reused room');
    expect(received(again.b)).toEqual([42]);
  }, 120_000);
});
