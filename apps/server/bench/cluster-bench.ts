/**
 * `pnpm bench` for a cluster: three `arctalk-server --redis` processes (and a real
 * redis-server on loopback) against one plain `arctalk-server`, in the same run,
 * interleaved rounds (which goes first alternates); every figure is the median with
 * its range (min–max), every ratio taken per round.
 *
 *  - messages/s and one-way latency p99 at PAIRS pairs (64-byte frames, one frame in
 *    flight each way per pair, each received frame answered: closed loop). In the
 *    cluster every pair's two clients are on different relays (connections dealt
 *    round robin over the three, as a load balancer does; then no pair is on one
 *    relay: the worst case, every frame takes one relay-to-relay hop);
 *  - pairing time: PAIRS pairs formed (first HELLO → both PAIRED), 50 at a time;
 *  - the hop: one pair, one frame at a time, round-trip time on one relay of the
 *    cluster vs across two of its relays.
 *
 * The clients run in this one process, with the relays and Redis on the same cores:
 * on a small machine three relays cannot be faster than one; what the figures show
 * is the cost of the cluster (the hop, Redis at pairing), not its gain on many cores.
 *
 * Usage: node --import tsx bench/cluster-bench.ts [--quick]
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { connect, type Socket } from 'node:net';
import { fileURLToPath } from 'node:url';
import { encodeFrame, encodeHello, FrameDecoder, FrameType } from '@arctalk/protocol';
import { loadLine, machineLine, spread } from '../../../scripts/bench-common';
import { RedisProcess } from '../test/redis';

const quick = process.argv.includes('--quick');
const SERVER_DIR = fileURLToPath(new URL('..', import.meta.url));
const PAIRS = quick ? 300 : 1_000;
const ROUNDS = quick ? 3 : 5;
const MEASURE_MS = quick ? 1_000 : 2_000;
const WARMUP_MS = 500;
const HOPS = quick ? 300 : 1_000;
const FRAME_SIZE = 64;

interface Relay {
  port: number;
  child: ChildProcess;
}

async function startRelay(args: string[]): Promise<Relay> {
  const child = spawn(
    process.execPath,
    [
      '--conditions=@arctalk/source',
      '--import',
      'tsx',
      'src/cli.ts',
      '--port',
      '0',
      '--max-connections',
      '20000',
      '--max-per-address',
      '20000',
      '--log-level',
      'warn',
      ...args,
    ],
    { cwd: SERVER_DIR, stdio: ['ignore', 'pipe', 'inherit'] },
  );
  const port = await new Promise<number>((resolve, reject) => {
    let buffer = '';
    child.stdout?.setEncoding('utf8');
    child.stdout?.on('data', (text: string) => {
      buffer += text;
      const match = /listening on [^\n]*:(\d+)\n/.exec(buffer);
      if (match) resolve(Number(match[1]));
    });
    child.once('exit', (code) => reject(new Error(`relay exited with ${code}`)));
  });
  return { port, child };
}

function stop(relay: Relay): Promise<void> {
  return new Promise((resolve) => {
    relay.child.once('exit', () => resolve());
    relay.child.kill('SIGTERM');
  });
}

// ---------------------------------------------------------------------------
// Clients

function open(port: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port, noDelay: true });
    socket.once('connect', () => resolve(socket));
    socket.once('error', reject);
  });
}

class Client {
  readonly decoder = new FrameDecoder();
  onFrame: (type: number, body: Uint8Array) => void = () => {};
  constructor(readonly socket: Socket) {
    socket.on('data', (chunk: Buffer) => {
      for (const frame of this.decoder.push(chunk)) this.onFrame(frame.type, frame.body);
    });
    socket.on('error', () => {});
  }
  until(type: number): Promise<Uint8Array> {
    return new Promise((resolve, reject) => {
      this.onFrame = (t, body) => {
        if (t === type) resolve(body);
        else if (t === FrameType.ERROR) reject(new Error('relay sent ERROR'));
      };
    });
  }
}

function hello(room: string): Uint8Array {
  return encodeFrame({ type: FrameType.HELLO, body: encodeHello({ room, name: 'bench' }) });
}

let roomSeq = 0;

/** One pair: `a` waits on relay port `pa`, `b` joins on `pb`. */
async function openPair(pa: number, pb: number): Promise<[Client, Client]> {
  const room = `bench-${process.pid}-${++roomSeq}`;
  const a = new Client(await open(pa));
  const waiting = a.until(FrameType.WAITING);
  a.socket.write(hello(room));
  await waiting;
  const b = new Client(await open(pb));
  const paired = Promise.all([a.until(FrameType.PAIRED), b.until(FrameType.PAIRED)]);
  b.socket.write(hello(room));
  await paired;
  return [a, b];
}

/** `count` pairs, connections dealt round robin over `ports`; returns them and the time taken. */
async function openPairs(ports: number[], count: number): Promise<{ pairs: [Client, Client][]; ms: number }> {
  const started = performance.now();
  const pairs: [Client, Client][] = [];
  const batch = 50;
  for (let start = 0; start < count; start += batch) {
    const made = await Promise.all(
      Array.from({ length: Math.min(batch, count - start) }, (_, k) => {
        const i = start + k;
        return openPair(ports[(2 * i) % ports.length]!, ports[(2 * i + 1) % ports.length]!);
      }),
    );
    pairs.push(...made);
  }
  return { pairs, ms: performance.now() - started };
}

function closePairs(pairs: [Client, Client][]): Promise<void> {
  return new Promise((resolve) => {
    let left = pairs.length * 2;
    if (left === 0) resolve();
    for (const pair of pairs) {
      for (const client of pair) {
        client.socket.once('close', () => {
          if (--left === 0) resolve();
        });
        client.socket.destroy();
      }
    }
  });
}

function stamped(): Uint8Array {
  const frame = encodeFrame({ type: FrameType.DATA, body: new Uint8Array(FRAME_SIZE - 5) });
  new DataView(frame.buffer, frame.byteOffset + 5, 8).setFloat64(0, performance.now());
  return frame;
}

interface Load {
  messagesPerSecond: number;
  p99: number;
  pairingMs: number;
}

async function load(ports: number[]): Promise<Load> {
  const { pairs, ms: pairingMs } = await openPairs(ports, PAIRS);
  let measuring = false;
  let running = true;
  let received = 0;
  const latencies: number[] = [];
  for (const pair of pairs) {
    for (const [me, other] of [pair, [pair[1], pair[0]] as const]) {
      me.onFrame = (type, body) => {
        if (type !== FrameType.DATA) throw new Error(`unexpected frame type ${type}`);
        if (measuring) {
          received++;
          latencies.push(performance.now() - new DataView(body.buffer, body.byteOffset, 8).getFloat64(0));
        }
        if (running) me.socket.write(stamped());
      };
      other.socket.write(stamped());
    }
  }
  await sleep(WARMUP_MS);
  measuring = true;
  const start = performance.now();
  await sleep(MEASURE_MS);
  measuring = false;
  const seconds = (performance.now() - start) / 1000;
  running = false;
  await closePairs(pairs);
  latencies.sort((x, y) => x - y);
  return {
    messagesPerSecond: received / seconds,
    p99: latencies[Math.min(latencies.length - 1, Math.floor(0.99 * latencies.length))] ?? Number.NaN,
    pairingMs,
  };
}

/** Median round trip (ms) of one frame at a time through one pair. */
async function hop(pa: number, pb: number): Promise<number> {
  const [a, b] = await openPair(pa, pb);
  b.onFrame = () => b.socket.write(stamped());
  const rtts: number[] = [];
  for (let i = 0; i < HOPS; i++) {
    const back = new Promise<number>((resolve) => {
      a.onFrame = (_, body) =>
        resolve(performance.now() - new DataView(body.buffer, body.byteOffset, 8).getFloat64(0));
    });
    const sentAt = performance.now();
    a.socket.write(stamped());
    await back;
    rtts.push(performance.now() - sentAt);
  }
  await closePairs([[a, b]]);
  return spread(rtts).median;
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
const fmt = (n: number, digits = 0) =>
  n.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
const cell = (values: number[], digits = 0) => {
  const x = spread(values);
  return `${fmt(x.median, digits)} (${fmt(x.min, digits)}–${fmt(x.max, digits)})`;
};
const ratio = (a: number[], b: number[]) =>
  cell(
    a.map((x, i) => x / b[i]!),
    2,
  );

async function main(): Promise<void> {
  console.log(
    `arctalk-server: three relays in a cluster (Redis) vs one relay (${quick ? 'quick' : 'full'} run): ${ROUNDS} interleaved rounds; median (min–max); ratio per round`,
  );
  console.log(machineLine());
  const redis = await RedisProcess.start();
  const single = await startRelay([]);
  const cluster = await Promise.all([0, 1, 2].map(() => startRelay(['--redis', redis.url])));
  const clusterPorts = cluster.map((relay) => relay.port);
  const one: Load[] = [];
  const three: Load[] = [];
  const same: number[] = [];
  const cross: number[] = [];
  try {
    // warm both (JIT, Redis scripts loaded)
    await load([single.port]);
    await load(clusterPorts);
    for (let round = 0; round < ROUNDS; round++) {
      if (round % 2 === 0) {
        one.push(await load([single.port]));
        three.push(await load(clusterPorts));
      } else {
        three.push(await load(clusterPorts));
        one.push(await load([single.port]));
      }
      same.push(await hop(clusterPorts[0]!, clusterPorts[0]!));
      cross.push(await hop(clusterPorts[0]!, clusterPorts[1]!));
      process.stderr.write(`round ${round + 1}/${ROUNDS} done\n`);
    }
  } finally {
    await Promise.all([single, ...cluster].map(stop));
    await redis.stop('SIGTERM');
  }
  const col = (loads: Load[], key: keyof Load) => loads.map((l) => l[key]);
  console.log(
    `\n${PAIRS} pairs, ${FRAME_SIZE}-byte frames, ${MEASURE_MS} ms per measurement; cluster: every pair across two relays\n`,
  );
  const rows = [
    ['', 'one relay', 'three relays (cluster)', 'ratio three/one'],
    [
      'messages/s',
      cell(col(one, 'messagesPerSecond')),
      cell(col(three, 'messagesPerSecond')),
      ratio(col(three, 'messagesPerSecond'), col(one, 'messagesPerSecond')),
    ],
    [
      'p99 latency, ms',
      cell(col(one, 'p99'), 2),
      cell(col(three, 'p99'), 2),
      ratio(col(three, 'p99'), col(one, 'p99')),
    ],
    [
      `pairing ${PAIRS} pairs, ms`,
      cell(col(one, 'pairingMs')),
      cell(col(three, 'pairingMs')),
      ratio(col(three, 'pairingMs'), col(one, 'pairingMs')),
    ],
  ];
  const widths = rows[0]!.map((_, c) => Math.max(...rows.map((row) => row[c]!.length)));
  for (const row of rows) console.log(row.map((text, c) => text.padEnd(widths[c]!)).join('  '));
  console.log(
    `\nhop: one pair, one frame at a time (${HOPS} round trips per round), median round trip, ms\n` +
      `  same relay (cluster): ${cell(same, 3)}\n  across two relays:    ${cell(cross, 3)}\n` +
      `  ratio across/same:    ${ratio(cross, same)}`,
  );
  console.log(loadLine());
}

await main();
