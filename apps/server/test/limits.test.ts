/**
 * Timers, caps, backpressure and shutdown of an in-process server.
 */
import { ErrorCode, encodeFrame, FrameType } from '@arctalk/protocol';
import { afterEach, describe, expect, it } from 'vitest';
import {
  cleanup,
  dataFrame,
  expectError,
  helloFrame,
  memoryLogger,
  type RawClient,
  rawClient,
  securedPair,
  sleep,
  startTestServer,
  waitUntil,
  within,
} from './helpers.js';

afterEach(cleanup);

const ping = () => Uint8Array.of(0, 0, 0, 1, FrameType.PING);
const encodePing = (size: number) => encodeFrame({ type: FrameType.PING, body: new Uint8Array(size) });

/** Two raw clients paired in `room`. */
async function rawPair(port: number, room: string): Promise<[RawClient, RawClient]> {
  const a = await rawClient(port);
  a.write(helloFrame(room, 'a'));
  expect((await a.frames.next()).type).toBe(FrameType.WAITING);
  const b = await rawClient(port);
  b.write(helloFrame(room, 'b'));
  expect((await a.frames.next()).type).toBe(FrameType.PAIRED);
  expect((await b.frames.next()).type).toBe(FrameType.PAIRED);
  return [a, b];
}

describe('handshake timeout', () => {
  it('no longer applies once a HELLO is accepted: a client may wait for its peer', async () => {
    // 400 ms for the HELLO to get through (a loaded machine can stall that long), then wait past it.
    const server = await startTestServer({ handshakeTimeout: 400 });
    const a = await rawClient(server.port);
    a.write(helloFrame('patient'));
    expect((await a.frames.next()).type).toBe(FrameType.WAITING);
    await sleep(800);
    expect(a.socket.readableEnded).toBe(false);
    const b = await rawClient(server.port);
    b.write(helloFrame('patient', 'b'));
    expect((await a.frames.next()).type).toBe(FrameType.PAIRED);
  });
});

describe('idle timeout', () => {
  it('closes a client silent in both directions, and tells its peer', async () => {
    const server = await startTestServer({ idleTimeout: 300 });
    const started = Date.now(); // b's idle timer starts after this, when it connects
    const [a, b] = await rawPair(server.port, 'idle');
    // a stays alive with PINGs (answered by the relay, not forwarded); b says and hears nothing.
    const pinger = setInterval(() => a.write(ping()), 50);
    try {
      await expectError(b, ErrorCode.IDLE_TIMEOUT);
      expect(Date.now() - started).toBeGreaterThanOrEqual(290);
      let frame = await a.frames.next();
      while (frame.type === FrameType.PONG) frame = await a.frames.next();
      expect(frame.type).toBe(FrameType.PEER_LEFT);
      await sleep(600);
      expect(a.socket.readableEnded).toBe(false);
    } finally {
      clearInterval(pinger);
    }
  });

  it('counts bytes written to a client as activity: a pure reader stays', async () => {
    const server = await startTestServer({ idleTimeout: 400 });
    const [a, b] = await rawPair(server.port, 'reader');
    for (let i = 0; i < 12; i++) {
      a.write(dataFrame(Uint8Array.of(i)));
      await sleep(80);
    }
    for (let i = 0; i < 12; i++) expect([...(await b.frames.next()).body]).toEqual([i]);
    expect(b.socket.readableEnded).toBe(false);
    await expectError(a, ErrorCode.IDLE_TIMEOUT, 2_000); // and silence ends it
  });
});

describe('connection caps', () => {
  it('refuses connections over the total cap with TOO_MANY_CONNECTIONS, then admits again', async () => {
    const log = memoryLogger('info');
    const server = await startTestServer({ maxConnections: 3, logger: log.logger });
    const admitted = await Promise.all([1, 2, 3].map(() => rawClient(server.port)));
    const refused = await rawClient(server.port);
    expect(await expectError(refused, ErrorCode.TOO_MANY_CONNECTIONS)).toBe('too many connections');
    expect(log.lines.some((line) => line.event === 'reject')).toBe(true);
    admitted[0]!.socket.destroy();
    await waitUntil(() => server.connections === 2);
    const next = await rawClient(server.port);
    next.write(helloFrame('cap'));
    expect((await next.frames.next()).type).toBe(FrameType.WAITING);
  });

  it('refuses connections over the per-address cap', async () => {
    const server = await startTestServer({ maxConnections: 100, maxConnectionsPerAddress: 2 });
    await rawClient(server.port);
    const second = await rawClient(server.port);
    const third = await rawClient(server.port);
    expect(await expectError(third, ErrorCode.TOO_MANY_CONNECTIONS)).toBe(
      'too many connections from this address',
    );
    second.write(helloFrame('addr'));
    expect((await second.frames.next()).type).toBe(FrameType.WAITING);
  });
});

describe('backpressure', () => {
  it('holds bounded memory for a reader that does not read while 100 MB are sent, and loses nothing', async () => {
    const server = await startTestServer({ idleTimeout: 0 });
    const [sender, reader] = await rawPair(server.port, 'slow');
    reader.socket.pause();

    const BODY = 65_535; // the largest frame the default cap allows
    const FRAMES = Math.ceil((100 * 1024 * 1024) / (BODY + 5));
    const fills = Array.from({ length: 256 }, (_, i) => Buffer.alloc(BODY - 4, i));
    let maxBuffered = 0;
    const sampler = setInterval(() => {
      maxBuffered = Math.max(maxBuffered, server.bufferedBytes());
    }, 2);

    let sent = 0;
    let sentBytes = 0;
    const pumped = new Promise<void>((resolve) => {
      const pump = () => {
        while (sent < FRAMES) {
          const body = new Uint8Array(BODY);
          new DataView(body.buffer).setUint32(0, sent);
          body.set(fills[sent & 0xff]!, 4);
          sent++;
          sentBytes += BODY + 5;
          if (!sender.socket.write(dataFrame(body))) {
            sender.socket.once('drain', pump);
            return;
          }
        }
        resolve();
      };
      pump();
    });

    try {
      // The stall must reach the sender: with the reader paused it cannot push 100 MB.
      let last = -1;
      while (last !== sentBytes) {
        last = sentBytes;
        await sleep(300);
      }
      if (process.env.SLOW_READER_STATS) console.log({ stalledAt: sentBytes, maxBuffered });
      expect(sentBytes).toBeLessThan(50 * 1024 * 1024);
      expect(maxBuffered).toBeLessThan(1024 * 1024);

      // Drain: every frame arrives once, in order, intact.
      let expected = 0;
      reader.socket.resume();
      while (expected < FRAMES) {
        const frame = await reader.frames.next(10_000, `frame ${expected}`);
        const body = Buffer.from(frame.body.buffer, frame.body.byteOffset, frame.body.length);
        expect(frame.type).toBe(FrameType.DATA);
        expect(body.length).toBe(BODY);
        if (body.readUInt32BE(0) !== expected) expect(body.readUInt32BE(0)).toBe(expected);
        if (!body.subarray(4).equals(fills[expected & 0xff]!)) throw new Error(`frame ${expected} corrupted`);
        expected++;
      }
      await within(pumped, 10_000, 'the sender to finish');
      expect(reader.frames.pending).toBe(0);
      if (process.env.SLOW_READER_STATS) console.log({ maxBuffered });
      expect(maxBuffered).toBeLessThan(1024 * 1024);
    } finally {
      clearInterval(sampler);
    }
  }, 60_000);
});

describe('backpressure on replies', () => {
  it('stops reading a client that floods PINGs without reading the PONGs', async () => {
    const server = await startTestServer({ idleTimeout: 0 });
    const flooder = await rawClient(server.port);
    flooder.socket.pause();
    const onePing = encodePing(32);
    const chunk = Buffer.concat(Array.from({ length: 1_000 }, () => onePing)); // 37 kB
    const TOTAL = 50 * 1024 * 1024;
    let written = 0;
    let maxBuffered = 0;
    const sampler = setInterval(() => {
      maxBuffered = Math.max(maxBuffered, server.bufferedBytes());
    }, 2);
    const pump = () => {
      while (written < TOTAL) {
        written += chunk.length;
        if (!flooder.socket.write(chunk)) {
          flooder.socket.once('drain', pump);
          return;
        }
      }
    };
    try {
      pump();
      let last = -1;
      while (last !== written) {
        last = written;
        await sleep(300);
      }
      expect(written).toBeLessThan(TOTAL);
      expect(maxBuffered).toBeLessThan(1024 * 1024);
      // The relay is still fine for everyone else.
      const { alice, bob } = await securedPair(server.port, 'unbothered');
      alice.sendText('hi');
      expect((await bob.waitFor('text')).data).toEqual(new TextEncoder().encode('hi'));
    } finally {
      clearInterval(sampler);
      flooder.socket.destroy();
    }
  }, 30_000);
});

describe('shutdown', () => {
  it('tells every client SERVER_SHUTTING_DOWN and closes within the close timeout, even a stuck one', async () => {
    const server = await startTestServer({ closeTimeout: 300 });
    const { alice, bob } = await securedPair(server.port, 'bye');
    const lone = await rawClient(server.port);
    lone.write(helloFrame('alone'));
    await lone.frames.next();
    const silent = await rawClient(server.port);
    // A paired client that stopped reading while its peer sends: its output cannot flush.
    const [pusher, stuck] = await rawPair(server.port, 'stuck');
    stuck.socket.pause();
    const chunk = dataFrame(new Uint8Array(60_000));
    for (let i = 0; i < 400; i++) pusher.write(chunk);
    await sleep(100);

    const started = Date.now();
    await within(server.shutdown(), 3_000, 'shutdown');
    expect(Date.now() - started).toBeLessThan(2_000);
    expect(server.connections).toBe(0);

    for (const client of [lone, silent]) await expectError(client, ErrorCode.SERVER_SHUTTING_DOWN);
    for (const session of [alice, bob]) {
      const event = await session.waitFor('error');
      expect(event.error).toMatchObject({ code: 'RELAY_ERROR', relayCode: ErrorCode.SERVER_SHUTTING_DOWN });
    }
    // The stuck one was cut off without its backlog: reading now, it finds the connection closed.
    stuck.socket.resume();
    await within(stuck.closed, 5_000, 'the stuck client to see the close');
  });
});
