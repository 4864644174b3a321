/**
 * Floods against the real `arctalk-server` process (and an in-process server for the
 * timers), on loopback, from several loopback addresses (127.0.0.2 …, which Linux
 * routes without setup). What is asserted is what cannot be a matter of machine speed:
 * memory bounds (RSS of the server process), survival under a small heap, delivery,
 * the ERROR codes, the kernel's listen-queue counters. Timings are in the benchmark
 * (bench/flood-bench.ts).
 */
import { readFileSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { ErrorCode, encodeFrame, FrameDecoder, FrameType } from '@arctalk/protocol';
import { afterEach, describe, expect, it } from 'vitest';
import {
  cleanup,
  dataFrame,
  expectError,
  helloFrame,
  logLines,
  memoryLogger,
  type RawClient,
  rawClient,
  sleep,
  spawnServer,
  startTestServer,
  waitUntil,
  within,
} from './helpers.js';

afterEach(cleanup);

const MiB = 1024 * 1024;
const PING = Uint8Array.of(0, 0, 0, 1, FrameType.PING);

/** Resident set size of a process in bytes (Linux /proc); 0 once it is gone. */
function rssOf(pid: number): number {
  try {
    const match = /^VmRSS:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return Number(match?.[1] ?? 0) * 1024;
  } catch {
    return 0;
  }
}

const watchers = new Set<NodeJS.Timeout>();
afterEach(() => {
  for (const timer of watchers) clearInterval(timer);
  watchers.clear();
});

/** Polls a process's RSS every 50 ms; `stop()` returns the peak. */
function watchRss(pid: number) {
  let peak = rssOf(pid);
  const timer = setInterval(() => {
    peak = Math.max(peak, rssOf(pid));
  }, 50);
  watchers.add(timer);
  return {
    stop: () => {
      clearInterval(timer);
      return Math.max(peak, rssOf(pid));
    },
  };
}

/** Linux TCP listen-queue counters (system-wide). */
function listenOverflows(): number {
  const lines = readFileSync('/proc/net/netstat', 'utf8').split('\n');
  const rows = lines.filter((l) => l.startsWith('TcpExt:'));
  const names = rows[0]!.split(/\s+/);
  return Number(rows[1]!.split(/\s+/)[names.indexOf('ListenOverflows')]);
}

const opened = new Set<Socket>();
afterEach(() => {
  for (const socket of opened) socket.destroy();
  opened.clear();
});

/** A TCP connection from `localAddress` (a loopback address). */
function open(port: number, localAddress: string): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port, localAddress, noDelay: true });
    opened.add(socket);
    socket.once('connect', () => {
      socket.off('error', reject);
      socket.on('error', () => {});
      resolve(socket);
    });
    socket.once('error', reject);
  });
}

/** The next frame of `type` on a socket (others are skipped); rejects if it closes first. */
function nextFrame(socket: Socket, type: number): Promise<Uint8Array> {
  const decoder = new FrameDecoder({ acceptType: () => true });
  return new Promise((resolve, reject) => {
    const onClose = () => reject(new Error(`closed before frame type ${type}`));
    const onData = (chunk: Buffer) => {
      for (const frame of decoder.push(chunk)) {
        if (frame.type === type) {
          socket.off('data', onData);
          socket.off('close', onClose);
          resolve(frame.body);
          return;
        }
      }
    };
    socket.on('data', onData);
    socket.once('close', onClose);
  });
}

/** Two raw clients paired in `room`, from the given addresses. */
async function pairFrom(port: number, room: string, from: [string, string]): Promise<[Socket, Socket]> {
  const a = await open(port, from[0]);
  const waiting = nextFrame(a, FrameType.WAITING);
  a.write(helloFrame(room, 'a'));
  await waiting;
  const b = await open(port, from[1]);
  const paired = Promise.all([nextFrame(a, FrameType.PAIRED), nextFrame(b, FrameType.PAIRED)]);
  b.write(helloFrame(room, 'b'));
  await paired;
  return [a, b];
}

/** 50 clients per loopback address: under the default cap of 64 per address. */
const addressOf = (i: number) => `127.0.0.${2 + Math.floor(i / 50)}`;

describe('PING flood (real server, --max-old-space-size=128)', () => {
  it('200 connections × 20 MB of unread PINGs: RSS within 64 MiB of idle, survives, an honest pair still talks, flooders read slowly', async () => {
    const server = spawnServer(
      ['--port', '0', '--log-level', 'info'],
      {},
      { nodeArgs: ['--max-old-space-size=128'] },
    );
    const { port } = await within(server.listening, 20_000, 'listening');
    const pid = server.child.pid!;
    const [alice, bob] = await pairFrom(port, 'honest', ['127.0.0.1', '127.0.0.1']);
    await sleep(500);
    const idle = rssOf(pid);
    const rss = watchRss(pid);

    // One buffer of PINGs shared by every flooder: the test's memory is the kernel's.
    const flood = Buffer.alloc(20_000_000);
    for (let i = 0; i + 5 <= flood.length; i += 5) flood.set(PING, i);
    const flooders = await Promise.all(
      Array.from({ length: 200 }, async (_, i) => {
        const socket = await open(port, addressOf(i));
        socket.pause(); // never reads its PONGs
        socket.write(helloFrame(`flood-${i}`));
        socket.write(flood.subarray(0, flood.length - (flood.length % 5)));
        return socket;
      }),
    );

    // The honest pair keeps talking through it: 20 round trips, every byte intact.
    const echo = new FrameDecoder();
    bob.on('data', (chunk: Buffer) => {
      for (const frame of echo.push(chunk)) bob.write(encodeFrame(frame));
    });
    for (let round = 0; round < 20; round++) {
      const body = Uint8Array.from({ length: 100 }, (_, k) => (round * 7 + k) & 255);
      const back = nextFrame(alice, FrameType.DATA);
      alice.write(dataFrame(body));
      expect([...(await within(back, 15_000, `round ${round}`))]).toEqual([...body]);
      await sleep(100);
    }

    const peak = rss.stop();
    expect(server.child.exitCode).toBe(null);
    if (process.env.FLOOD_STATS) console.log({ idle: idle / MiB, peak: peak / MiB });
    expect(peak - idle).toBeLessThan(64 * MiB);
    // PINGs are rate-limited by reading slower: of its 20 MB, the server read about its
    // 16 KiB burst plus 4 KiB a second from each flooder (and a read or two in flight).
    // A flooder in PONG debt is not read until the debt is paid (up to ~30 s here), so
    // the server sees its close only then.
    for (const socket of flooders) socket.destroy();
    await waitUntil(
      () => logLines(server.stderr).filter((l) => l.event === 'disconnect').length >= 200,
      60_000,
      'the flooders’ disconnects',
    );
    const lines = logLines(server.stderr);
    const flooderIds = new Set(
      lines.filter((l) => l.event === 'connect' && l.remote !== '127.0.0.1').map((l) => l.conn),
    );
    const bytesIn = lines
      .filter((l) => l.event === 'disconnect' && flooderIds.has(l.conn))
      .map((l) => l.bytesIn as number);
    expect(bytesIn).toHaveLength(200);
    expect(Math.max(...bytesIn)).toBeLessThan(1 * MiB);
    server.child.kill('SIGTERM');
    expect((await within(server.exited, 15_000, 'exit')).code).toBe(0);
  }, 150_000);
});

describe('frame headers that promise big bodies (real server, --max-frame 16MiB)', () => {
  it('500 paired connections trickling 16 MiB-frame headers: RSS grows < 32 MiB, all end FRAME_TIMEOUT', async () => {
    const server = spawnServer([
      '--port',
      '0',
      '--log-level',
      'warn',
      '--max-frame',
      '16MiB',
      '--frame-timeout',
      '2s',
    ]);
    const { port } = await within(server.listening, 20_000, 'listening');
    const pid = server.child.pid!;
    const sockets: Socket[] = [];
    for (let start = 0; start < 500; start += 100) {
      const pairs = await Promise.all(
        Array.from({ length: 50 }, (_, k) => {
          const i = start + 2 * k;
          return pairFrom(port, `trickle-${i}`, [addressOf(i), addressOf(i + 1)]);
        }),
      );
      for (const pair of pairs) sockets.push(...pair);
    }
    await sleep(500);
    const before = rssOf(pid);
    const rss = watchRss(pid);
    const errors = sockets.map((socket) => nextFrame(socket, FrameType.ERROR).catch(() => undefined));
    const header = new Uint8Array(5);
    new DataView(header.buffer).setUint32(0, 16 * MiB);
    header[4] = FrameType.DATA;
    for (const socket of sockets) socket.write(header);
    // One byte a second: progress, but not 1 KiB in 2 s.
    const trickle = setInterval(() => {
      for (const socket of sockets) if (!socket.destroyed && socket.writable) socket.write(Uint8Array.of(1));
    }, 1_000);
    try {
      const bodies = await within(Promise.all(errors), 30_000, 'ERROR on every connection');
      const peak = rss.stop();
      if (process.env.FLOOD_STATS) console.log({ before: before / MiB, peak: peak / MiB });
      expect(peak - before).toBeLessThan(32 * MiB);
      // Each trickler gets FRAME_TIMEOUT; its peer, ended at the same time, may get PEER_LEFT first.
      const codes = bodies.map((body) => (body ? (body[0]! << 8) | body[1]! : 0));
      expect(codes.filter((code) => code === ErrorCode.FRAME_TIMEOUT).length).toBe(500);
    } finally {
      clearInterval(trickle);
    }
    expect(server.child.exitCode).toBe(null);
  }, 90_000);
});

describe('connection storm (real server)', () => {
  it('1,000 clients connecting at once: none dropped by the listen queue, every one answered', async () => {
    const server = spawnServer(['--port', '0', '--log-level', 'warn', '--max-connections', '2000']);
    const { port } = await within(server.listening, 20_000, 'listening');
    await sleep(200);
    const before = listenOverflows();
    const sockets = await Promise.all(
      Array.from({ length: 1_000 }, (_, i) => open(port, `127.0.0.${2 + (i % 20)}`)),
    );
    const overflows = listenOverflows() - before;
    // Every connection was accepted and is served: a PING each, a PONG each.
    await within(
      Promise.all(
        sockets.map((socket) => {
          const pong = nextFrame(socket, FrameType.PONG);
          socket.write(PING);
          return pong;
        }),
      ),
      30_000,
      '1,000 PONGs',
    );
    expect(overflows).toBe(0);
  }, 60_000);

  it('the same storm against --backlog 16 does overflow the queue (the counter sees what it should)', async () => {
    const server = spawnServer(['--port', '0', '--log-level', 'warn', '--backlog', '16']);
    const { port } = await within(server.listening, 20_000, 'listening');
    await sleep(200);
    const before = listenOverflows();
    const sockets = await Promise.all(
      Array.from({ length: 1_000 }, (_, i) => open(port, `127.0.0.${2 + (i % 20)}`)),
    );
    expect(listenOverflows() - before).toBeGreaterThan(0);
    expect(sockets).toHaveLength(1_000); // retried SYNs get through in the end
  }, 60_000);
});

describe('out of file descriptors (real server under prlimit --nofile)', () => {
  it('refuses what its descriptors cannot hold with TOO_MANY_CONNECTIONS, logs a count at most once a second, keeps serving its pair', async () => {
    const server = spawnServer(
      ['--port', '0', '--log-level', 'info'],
      {},
      { wrapper: ['prlimit', '--nofile=100', '--'] },
    );
    const { port } = await within(server.listening, 20_000, 'listening');
    const [alice, bob] = await pairFrom(port, 'kept', ['127.0.0.1', '127.0.0.1']);
    const budget = logLines(server.stderr).find((l) => l.event === 'fd-limit');
    expect(budget).toMatchObject({ level: 'warn', limit: 100 });
    // Far more connections than descriptors, 300 in all.
    const started = Date.now();
    const extra = await Promise.all(
      Array.from({ length: 300 }, (_, i) => open(port, addressOf(i % 150)).catch(() => undefined)),
    );
    const codes: number[] = [];
    for (const socket of extra) {
      if (!socket) continue;
      nextFrame(socket, FrameType.ERROR).then(
        (body) => codes.push((body[0]! << 8) | body[1]!),
        () => {},
      );
    }
    await sleep(2_500);
    const lines = logLines(server.stderr).filter(
      (l) => l.event === 'reject' && l.reason === 'out of file descriptors',
    );
    const refused = lines.reduce((sum, l) => sum + (l.refused as number), 0);
    expect(refused).toBeGreaterThanOrEqual(300 - (budget!.connections as number));
    expect(lines.length).toBeLessThanOrEqual(Math.ceil((Date.now() - started) / 1000) + 1);
    // The first refusals were told why (the rest, past the spare descriptors, dropped bare).
    const told = codes.filter((code) => code === ErrorCode.TOO_MANY_CONNECTIONS);
    expect(told.length).toBeGreaterThan(0);
    // The pair it had is still served.
    const got = nextFrame(bob, 0x13);
    alice.write(dataFrame(Uint8Array.of(4, 2)));
    expect([...(await within(got, 10_000, 'the pair to talk'))]).toEqual([4, 2]);
    // And once descriptors are free again, new connections are served.
    for (const socket of extra) socket?.destroy();
    await sleep(500);
    const late = await open(port, '127.0.0.1');
    const waiting = nextFrame(late, FrameType.WAITING);
    late.write(helloFrame('late'));
    await within(waiting, 10_000, 'a late client served');
    expect(server.child.exitCode).toBe(null);
  }, 60_000);
});

describe('timers of the per-connection bound (in-process server)', () => {
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

  it('PINGs past the burst are answered at the rate: every PONG arrives, in order, none dropped', async () => {
    const log = memoryLogger('info');
    const server = await startTestServer({ logger: log.logger });
    const flooder = await rawClient(server.port);
    flooder.write(helloFrame('pinger'));
    expect((await flooder.frames.next()).type).toBe(FrameType.WAITING);
    // 6,000 PINGs (42 kB, numbered) at once: more than the 16 KiB burst. A client that
    // reads gets every PONG, in order.
    const COUNT = 6_000;
    const pings = Array.from({ length: COUNT }, (_, i) =>
      encodeFrame({ type: FrameType.PING, body: Uint8Array.of(i >> 8, i & 255) }),
    );
    flooder.write(Buffer.concat(pings));
    for (let i = 0; i < COUNT; i++) {
      const frame = await flooder.frames.next(20_000, `PONG ${i}`);
      if (frame.type !== FrameType.PONG || ((frame.body[0]! << 8) | frame.body[1]!) !== i)
        expect([frame.type, (frame.body[0]! << 8) | frame.body[1]!]).toEqual([FrameType.PONG, i]);
    }
    // 42 kB of PONGs: 16 KiB were free, the other ~26 kB put it ~6 s in debt at
    // 4 KiB/s. The next PING is read (and answered) once the debt is paid.
    const started = Date.now();
    flooder.write(encodeFrame({ type: FrameType.PING, body: Uint8Array.of(0xff, 0xff) }));
    const late = await flooder.frames.next(20_000, 'the PONG after the debt');
    expect([late.type, ...late.body]).toEqual([FrameType.PONG, 0xff, 0xff]);
    expect(Date.now() - started).toBeGreaterThan(2_000);
    expect(flooder.socket.readableEnded).toBe(false);
  }, 40_000);

  it('a PING flooder that does not read its PONGs holds little: under 1 MiB while 10 MB wait', async () => {
    const server = await startTestServer({});
    const flooder = await rawClient(server.port);
    flooder.socket.pause();
    const chunk = Buffer.alloc(5 * 20_000);
    for (let i = 0; i < chunk.length; i += 5) chunk.set(PING, i);
    let peak = 0;
    const sampler = setInterval(() => {
      peak = Math.max(peak, server.bufferedBytes());
    }, 5);
    try {
      for (let i = 0; i < 100; i++) flooder.socket.write(chunk); // 10 MB
      await sleep(2_000);
      expect(flooder.socket.writableLength).toBeGreaterThan(5 * MiB); // the server does not take it
      expect(peak).toBeLessThan(1 * MiB);
    } finally {
      clearInterval(sampler);
    }
  }, 30_000);

  it('a slow reader in a pair is ended SLOW_CONSUMER; its peer gets PEER_LEFT and everything before', async () => {
    const server = await startTestServer({ stallTimeout: 500, idleTimeout: 0 });
    const [sender, reader] = await rawPair(server.port, 'slow');
    reader.socket.pause();
    const frame = dataFrame(new Uint8Array(60_000));
    for (let i = 0; i < 300; i++) sender.write(frame);
    let next = await sender.frames.next(20_000, 'PEER_LEFT');
    expect(next.type).toBe(FrameType.PEER_LEFT);
    reader.socket.resume();
    next = await reader.frames.next(10_000);
    while (next.type === 0x13) next = await reader.frames.next(10_000);
    expect(next.type).toBe(FrameType.ERROR);
    expect((next.body[0]! << 8) | next.body[1]!).toBe(ErrorCode.SLOW_CONSUMER);
  }, 30_000);

  it('a frame trickled a byte at a time ends FRAME_TIMEOUT, its peer gets PEER_LEFT; a slow but steady one does not', async () => {
    const server = await startTestServer({ frameTimeout: 400, idleTimeout: 0 });
    const [trickler, peer] = await rawPair(server.port, 'trickle');
    const whole = dataFrame(new Uint8Array(60_000).fill(9));
    trickler.write(whole.subarray(0, 5));
    const trickle = setInterval(() => trickler.socket.writable && trickler.write(Uint8Array.of(9)), 50);
    try {
      await expectError(trickler, ErrorCode.FRAME_TIMEOUT, 10_000);
      expect((await peer.frames.next()).type).toBe(FrameType.PEER_LEFT);
    } finally {
      clearInterval(trickle);
    }
    // 2 KiB every 50 ms: a slow link, not an attack (1.5 s for the frame, the timer is 400 ms).
    const [steady, other] = await rawPair(server.port, 'steady');
    for (let at = 0; at < whole.length; at += 2048) {
      steady.write(whole.subarray(at, at + 2048));
      await sleep(50);
    }
    const got = await other.frames.next(10_000);
    expect(got.type).toBe(0x13);
    expect(got.body.length).toBe(whole.length - 5);
  }, 30_000);

  it('a partial frame we are not reading (its peer does not read) is not ended by the frame timer', async () => {
    const server = await startTestServer({ frameTimeout: 300, stallTimeout: 60_000, idleTimeout: 0 });
    const [sender, reader] = await rawPair(server.port, 'held');
    reader.socket.pause();
    const BODY = 65_535;
    const frames = 400; // 26 MB: far more than the kernel buffers hold, so the sender is held back
    const frame = dataFrame(new Uint8Array(BODY).fill(3));
    const half = Math.floor(frame.length / 2);
    for (let i = 0; i < frames; i++) sender.write(frame);
    sender.write(frame.subarray(0, half)); // and a frame cut in the middle, completed much later
    await sleep(1_500); // 5 frame timeouts
    expect(sender.socket.readableEnded).toBe(false);
    reader.socket.resume();
    sender.write(frame.subarray(half));
    for (let i = 0; i <= frames; i++) {
      const got = await reader.frames.next(20_000, `frame ${i}`);
      if (got.type !== 0x13 || got.body.length !== BODY) expect(got.type).toBe(0x13);
    }
    expect(sender.frames.pending).toBe(0);
  }, 60_000);
});
