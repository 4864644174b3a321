/**
 * A cluster of relays sharing rooms through a real redis-server on loopback: pairs
 * whose two clients reach different relays, order and exactly-once delivery across
 * relays, backpressure across relays with bounded memory, Redis stopped and
 * restarted mid-traffic, a lost lease, and (cluster-kill.test.ts) a relay killed.
 */
import { decodeError, ErrorCode, FrameType, frameTypeName } from '@arctalk/protocol';
import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { LeaseStore } from '../src/lease.js';
import type { ArctalkServer } from '../src/server.js';
import {
  cleanup,
  dataFrame,
  expectError,
  helloFrame,
  logLines,
  memoryLogger,
  type RawClient,
  rawClient,
  runCli,
  securedPair,
  sessionClient,
  spawnServer,
  startTestServer,
  waitUntil,
  within,
} from './helpers.js';
import { RedisProcess } from './redis.js';

let redis: RedisProcess;
let prefix = 0;

beforeAll(async () => {
  redis = await RedisProcess.start();
}, 360_000);
afterAll(async () => {
  await redis?.stop('SIGTERM');
});
afterEach(cleanup);

/** Three in-process relays of one cluster (their own key prefix, so tests never share rooms). */
async function cluster(count = 3, extra: Parameters<typeof startTestServer>[0] = {}) {
  const redisPrefix = `t${++prefix}:`;
  const logs = [];
  const relays: ArctalkServer[] = [];
  for (let i = 0; i < count; i++) {
    const { logger, lines } = memoryLogger('info');
    logs.push(lines);
    relays.push(await startTestServer({ redis: redis.url, redisPrefix, leaseTtl: 1_500, logger, ...extra }));
  }
  for (const relay of relays) await waitUntil(() => relay.cluster?.redisUp === true, 10_000, 'Redis up');
  return { relays, logs, redisPrefix };
}

async function expectFrame(client: RawClient, type: number, what = frameTypeName(type)) {
  const frame = await client.frames.next(10_000, what);
  expect(frameTypeName(frame.type)).toBe(frameTypeName(type));
  return frame;
}

/** `a` waits in `room` at relay `ra`, `b` joins it at relay `rb`: both PAIRED. */
async function pair(ra: ArctalkServer, rb: ArctalkServer, room: string) {
  const a = await rawClient(ra.port);
  a.write(helloFrame(room, 'a'));
  await expectFrame(a, FrameType.WAITING);
  const b = await rawClient(rb.port);
  b.write(helloFrame(room, 'b'));
  await Promise.all([expectFrame(a, FrameType.PAIRED), expectFrame(b, FrameType.PAIRED)]);
  return { a, b };
}

function seqFrame(seq: number, size = 8): Uint8Array {
  const body = new Uint8Array(size);
  new DataView(body.buffer).setUint32(0, seq);
  return dataFrame(body);
}

/** Reads `count` DATA frames and checks their sequence numbers are from, from+1, … */
async function expectSeq(client: RawClient, from: number, count: number) {
  for (let i = 0; i < count; i++) {
    const frame = await client.frames.next(10_000, `message ${from + i}`);
    expect(frameTypeName(frame.type)).toBe('DATA');
    expect(new DataView(frame.body.buffer, frame.body.byteOffset).getUint32(0)).toBe(from + i);
  }
}

describe('cluster', () => {
  it('pairs two clients on different relays and carries frames both ways, in order', async () => {
    const { relays } = await cluster();
    const [r1, r2, r3] = relays as [ArctalkServer, ArctalkServer, ArctalkServer];
    const { a, b } = await pair(r1, r2, 'across');
    expect(r1.cluster?.rooms).toBe(1);
    expect(r2.cluster?.forwarded).toBe(1);
    for (let i = 0; i < 50; i++) {
      a.write(seqFrame(i));
      b.write(seqFrame(1000 + i));
    }
    await Promise.all([expectSeq(b, 0, 50), expectSeq(a, 1000, 50)]);
    // A third client of that room, on a third relay, is refused by the owner: ROOM_FULL.
    const c = await rawClient(r3.port);
    c.write(helloFrame('across', 'c'));
    await expectError(c, ErrorCode.ROOM_FULL);
    // b leaves: a gets PEER_LEFT from the owner, across the link.
    b.socket.destroy();
    await expectFrame(a, FrameType.PEER_LEFT);
    a.socket.destroy();
    await waitUntil(() => r1.cluster?.rooms === 0 && r2.cluster?.forwarded === 0, 5_000, 'room released');
  });

  it('secures a real session across relays (SAS equal, text both ways)', async () => {
    const { relays } = await cluster(2);
    const [r1, r2] = relays as [ArctalkServer, ArctalkServer];
    const alice = await sessionClient(r1.port, { room: 'real', name: 'alice' });
    await alice.waitFor('waiting');
    const bob = await sessionClient(r2.port, { room: 'real', name: 'bob' });
    const [sa, sb] = await Promise.all([alice.waitFor('secured'), bob.waitFor('secured')]);
    expect(sa.sas).toBe(sb.sas);
    alice.sendText('hello from relay 1');
    bob.sendText('hello from relay 2');
    expect(await bob.readText(18)).toBe('hello from relay 1');
    expect(await alice.readText(18)).toBe('hello from relay 2');
    // and a same-relay pair still works in cluster mode
    const same = await securedPair(r2.port, 'same');
    expect(same.sas[0]).toBe(same.sas[1]);
  });

  it('keeps room names out of Redis: only SHA-256 lease keys and relay liveness', async () => {
    const { relays, redisPrefix } = await cluster(2);
    await pair(relays[0]!, relays[1]!, 'a secret room name');
    const client = new Redis(redis.url);
    try {
      const keys = await client.keys(`${redisPrefix}*`);
      expect(keys).toContain(`${redisPrefix}room:${LeaseStore.roomKey('a secret room name')}`);
      expect(keys.filter((key) => key.includes('secret'))).toEqual([]);
      expect(keys.filter((key) => key.startsWith(`${redisPrefix}relay:`))).toHaveLength(2);
      const owner = await client.get(`${redisPrefix}room:${LeaseStore.roomKey('a secret room name')}`);
      expect(owner).toBe(relays[0]!.cluster?.relayId);
      expect(
        await client.pttl(`${redisPrefix}room:${LeaseStore.roomKey('a secret room name')}`),
      ).toBeGreaterThan(0);
    } finally {
      client.disconnect();
    }
  });

  it('backpressure crosses relays: a slow reader stops the writer, memory stays bounded', async () => {
    const { relays } = await cluster(2);
    const [r1, r2] = relays as [ArctalkServer, ArctalkServer];
    for (const [owner, other, room] of [
      [r1, r2, 'slow-1'],
      [r2, r1, 'slow-2'],
    ] as const) {
      // reader on the owner, writer forwarded (room slow-1); then the other way round
      const { a: reader, b: writer } = await pair(owner, other, room);
      reader.socket.pause();
      const frame = 16 * 1024;
      const total = 40 * 1024 * 1024;
      let sent = 0;
      let seq = 0;
      // write until the writer's own socket is full and stays full
      while (sent < total) {
        const ok = writer.socket.write(seqFrame(seq++, frame));
        sent += frame;
        if (!ok) {
          const drained = await Promise.race([
            new Promise<boolean>((resolve) => writer.socket.once('drain', () => resolve(true))),
            new Promise<boolean>((resolve) => setTimeout(() => resolve(false), 1_500)),
          ]);
          if (!drained) break;
        }
      }
      expect(sent).toBeLessThan(total); // the writer was stopped
      const held = r1.bufferedBytes() + r2.bufferedBytes();
      expect(held).toBeLessThan(2 * 1024 * 1024);
      // the reader reads: everything arrives, in order, exactly once
      reader.socket.resume();
      const written = seq;
      await within(
        (async () => {
          for (let i = 0; i < written; i++) {
            const f = await reader.frames.next(20_000, `frame ${i}`);
            expect(new DataView(f.body.buffer, f.body.byteOffset).getUint32(0)).toBe(i);
          }
        })(),
        60_000,
        'the slow reader to catch up',
      );
      writer.socket.destroy();
      reader.socket.destroy();
    }
  }, 120_000);

  it('Redis stopped mid-traffic: pairs keep talking, new pairings across relays get ERROR, all recover when it returns', async () => {
    const { relays, logs } = await cluster(2);
    const [r1, r2] = relays as [ArctalkServer, ArctalkServer];
    const { a, b } = await pair(r1, r2, 'during');
    const waiting = await rawClient(r1.port);
    waiting.write(helloFrame('held', 'w'));
    await expectFrame(waiting, FrameType.WAITING);
    let seq = 0;
    const traffic = setInterval(() => a.write(seqFrame(seq++)), 5);
    try {
      await redis.stop('SIGKILL');
      await waitUntil(
        () => r1.cluster?.redisUp === false && r2.cluster?.redisUp === false,
        10_000,
        'Redis down seen',
      );
      // a new pairing across relays: refused with a clear ERROR
      const stranger = await rawClient(r2.port);
      stranger.write(helloFrame('new-room', 's'));
      expect(await expectError(stranger, ErrorCode.TOO_MANY_CONNECTIONS)).toMatch(/cannot reach Redis/);
      const held = await rawClient(r2.port);
      held.write(helloFrame('held', 'h'));
      expect(await expectError(held, ErrorCode.TOO_MANY_CONNECTIONS)).toMatch(/cannot reach Redis/);
      // a client of a room this relay holds is still served (locally)
      const local = await rawClient(r1.port);
      local.write(helloFrame('held', 'l'));
      await Promise.all([expectFrame(waiting, FrameType.PAIRED), expectFrame(local, FrameType.PAIRED)]);
      await new Promise((resolve) => setTimeout(resolve, 500));
      for (const lines of logs) {
        expect(lines.filter((line) => line.event === 'redis-down')).toHaveLength(1);
      }
      await redis.restart();
      await waitUntil(
        () => r1.cluster?.redisUp === true && r2.cluster?.redisUp === true,
        10_000,
        'Redis up seen',
      );
    } finally {
      clearInterval(traffic);
    }
    // every message sent while Redis was away arrived, in order
    await expectSeq(b, 0, seq);
    // the leases were taken again in the empty Redis
    const client = new Redis(redis.url);
    try {
      expect(await client.exists(`t${prefix}:room:${LeaseStore.roomKey('during')}`)).toBe(1);
    } finally {
      client.disconnect();
    }
    // new pairings across relays work again
    const again = await pair(r2, r1, 'after');
    again.a.write(seqFrame(7));
    await expectSeq(again.b, 7, 1);
    for (const lines of logs) expect(lines.some((line) => line.event === 'redis-up')).toBe(true);
  }, 60_000);

  it('a relay whose lease another relay took stops serving that room (ERROR to its clients)', async () => {
    const { relays, redisPrefix } = await cluster(2);
    const [r1, r2] = relays as [ArctalkServer, ArctalkServer];
    const { a, b } = await pair(r1, r2, 'stolen');
    const client = new Redis(redis.url);
    try {
      // as if r2 had taken the room while r1 was cut off from Redis
      await client.set(
        `${redisPrefix}room:${LeaseStore.roomKey('stolen')}`,
        r2.cluster!.relayId,
        'PX',
        60_000,
      );
    } finally {
      client.disconnect();
    }
    // one of the two is ended first: the other hears PEER_LEFT, then its own ERROR
    await within(Promise.all([a.closed, b.closed]), 10_000, 'both ended');
    for (const client of [a, b]) {
      const after = client.frames.all.slice(2).map((frame) => frameTypeName(frame.type));
      expect(['ERROR', 'PEER_LEFT,ERROR']).toContain(after.join());
      const error = decodeError(client.frames.all.at(-1)!.body);
      expect(error.code).toBe(ErrorCode.SERVER_SHUTTING_DOWN);
      expect(error.message).toMatch(/lost the room/);
    }
    await waitUntil(() => r1.cluster?.rooms === 0, 5_000, 'room dropped');
  });

  it('the command: bad Redis URLs and an undialable cluster address are usage errors (exit 2)', async () => {
    for (const url of ['http://127.0.0.1:6379', 'redis://', 'localhost:6379']) {
      const { code, stderr } = await runCli(['--redis', url]);
      expect(code).toBe(2);
      expect(stderr).toMatch(/^arctalk-server: .*--redis.*expected a URL like redis:\/\/HOST:PORT/m);
    }
    const { code, stderr } = await runCli([], { ARCTALK_REDIS: redis.url, ARCTALK_CLUSTER_HOST: '0.0.0.0' });
    expect(code).toBe(2);
    expect(stderr).toMatch(
      /^arctalk-server: ARCTALK_CLUSTER_HOST=0\.0\.0\.0 cannot be dialled.*--cluster-advertise/m,
    );
  });

  it('the command joins a cluster with --redis (environment ARCTALK_REDIS) and logs it', async () => {
    const relay = spawnServer(['--port', '0', '--log-level', 'info'], { ARCTALK_REDIS: redis.url });
    const { port } = await within(relay.listening, 20_000, 'listening');
    const other = await startTestServer({ redis: redis.url, leaseTtl: 1_500 });
    await waitUntil(() => other.cluster?.redisUp === true, 10_000, 'Redis up');
    await pair(other, { port } as ArctalkServer, 'cli-room');
    const joined = logLines(relay.stderr).find((line) => line.event === 'cluster');
    expect(joined).toMatchObject({ redis: redis.url, leaseTtl: 10_000 });
    expect(String(joined?.address)).toMatch(/^127\.0\.0\.1:\d+$/);
  });

  it('a single relay needs no Redis: without --redis there is no cluster', async () => {
    const relay = await startTestServer();
    expect(relay.cluster).toBeUndefined();
    await pair(relay, relay, 'solo');
  });
});
