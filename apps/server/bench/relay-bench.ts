/**
 * `pnpm bench` for arctalk-server: the relay against a bare Node relay that pipes two
 * sockets together, side by side in the same run. Each relay runs in its own child
 * process (bench/relay-child.ts); the clients run here, identical for both (they
 * frame with the protocol's encodeFrame / FrameDecoder, and only arctalk's clients
 * send a HELLO first).
 *
 *  - messages/s and one-way latency p50/p99 of 64-byte frames at 1, 100, 1000 pairs:
 *    each pair keeps WINDOW frames in flight each way; every frame received is
 *    answered by a new one (closed loop), the latency is receive time − send time;
 *  - bulk throughput of one pair: one side writes maximum-size frames as fast as
 *    backpressure allows, the other counts bytes;
 *  - memory per idle connection: RSS and heap (after GC) of a fresh relay process
 *    before and after opening 2000 idle connections (1000 pairs), divided by 2000.
 *
 * Usage: node --import tsx bench/relay-bench.ts [--quick] [--only=messages,bulk,memory]
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { connect, type Socket } from 'node:net';
import { fileURLToPath } from 'node:url';
import { encodeFrame, encodeHello, FrameDecoder, FrameType } from '@arctalk/protocol';
import { formatSpread, loadLine, machineLine, spread } from '../../../scripts/bench-common';

type Kind = 'arctalk' | 'bare';
const KINDS: Kind[] = ['arctalk', 'bare'];
const quick = process.argv.includes('--quick');
const onlyArg = process.argv.find((arg) => arg.startsWith('--only='));
const only = new Set(onlyArg ? onlyArg.slice('--only='.length).split(',') : ['messages', 'bulk', 'memory']);
const SERVER_DIR = fileURLToPath(new URL('..', import.meta.url));
const FRAME_SIZE = 64; // bytes on the wire: 4 length + 1 type + 59 body
const MEASURE_MS = quick ? 1_000 : 2_000;
const WARMUP_MS = quick ? 300 : 500;
const BULK_BYTES = (quick ? 128 : 256) * 1024 * 1024;
const IDLE_PAIRS = quick ? 250 : 1_000;
/** Paired rounds: arctalk and bare alternate which goes first; each figure is the median with its range. */
const ROUNDS = quick ? 3 : 5;

// ---------------------------------------------------------------------------
// Relay processes

interface RelayProcess {
  kind: Kind;
  port: number;
  child: ChildProcess;
  memory(): Promise<NodeJS.MemoryUsage>;
  /** CPU time (user + system) the relay process has used, in microseconds. */
  cpu(): Promise<number>;
  stop(): Promise<void>;
}

async function startRelay(kind: Kind): Promise<RelayProcess> {
  // BENCH_NODE_ARGS, e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof", profiles the relays.
  const extra = process.env.BENCH_NODE_ARGS?.split(' ').filter(Boolean) ?? [];
  const child = spawn(
    process.execPath,
    [
      ...extra,
      '--expose-gc',
      '--conditions=@arctalk/source',
      '--import',
      'tsx',
      'bench/relay-child.ts',
      kind,
    ],
    {
      cwd: SERVER_DIR,
      stdio: ['ignore', 'pipe', 'inherit', 'ipc'],
    },
  );
  const port = await new Promise<number>((resolve, reject) => {
    let buffer = '';
    child.stdout?.setEncoding('utf8');
    child.stdout?.on('data', (text: string) => {
      buffer += text;
      const match = /listening on [^\n]*:(\d+)\n/.exec(buffer);
      if (match) resolve(Number(match[1]));
    });
    child.once('exit', (code) => reject(new Error(`${kind} relay exited with ${code}`)));
  });
  return {
    kind,
    port,
    child,
    memory: () =>
      new Promise((resolve) => {
        child.once('message', (usage) => resolve(usage as NodeJS.MemoryUsage));
        child.send('memory');
      }),
    cpu: () =>
      new Promise((resolve) => {
        child.once('message', (reply) => resolve((reply as { cpu: number }).cpu));
        child.send('cpu');
      }),
    stop: () =>
      new Promise((resolve) => {
        child.once('exit', () => resolve());
        child.send('exit');
      }),
  };
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

/** Reads frames; resolves `until(type)` on the first frame of that type. */
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
    return new Promise((resolve) => {
      this.onFrame = (t, body) => {
        if (t === type) resolve(body);
      };
    });
  }
}

function hello(room: string): Uint8Array {
  return encodeFrame({ type: FrameType.HELLO, body: encodeHello({ room, name: 'bench' }) });
}

/** Opens `count` pairs on a relay: arctalk pairs by HELLO room, bare by accept order. */
async function openPairs(relay: RelayProcess, count: number): Promise<[Client, Client][]> {
  const pairs: [Client, Client][] = [];
  if (relay.kind === 'bare') {
    for (let i = 0; i < count; i++) {
      const a = new Client(await open(relay.port));
      const b = new Client(await open(relay.port));
      pairs.push([a, b]);
    }
    return pairs;
  }
  const batch = 50;
  for (let start = 0; start < count; start += batch) {
    const made = await Promise.all(
      Array.from({ length: Math.min(batch, count - start) }, async (_, k) => {
        const room = `bench-${start + k}`;
        const a = new Client(await open(relay.port));
        const waiting = a.until(FrameType.WAITING);
        a.socket.write(hello(room));
        await waiting;
        const b = new Client(await open(relay.port));
        const paired = Promise.all([a.until(FrameType.PAIRED), b.until(FrameType.PAIRED)]);
        b.socket.write(hello(room));
        await paired;
        return [a, b] as [Client, Client];
      }),
    );
    pairs.push(...made);
  }
  return pairs;
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

// ---------------------------------------------------------------------------
// Scenarios

interface MessageResult {
  messagesPerSecond: number;
  p50: number;
  p99: number;
  /** relay CPU time per relayed message, µs */
  cpuPerMessage: number;
}

const BODY = FRAME_SIZE - 5;

function stamped(): Uint8Array {
  const frame = encodeFrame({ type: FrameType.DATA, body: new Uint8Array(BODY) });
  new DataView(frame.buffer, frame.byteOffset + 5, 8).setFloat64(0, performance.now());
  return frame;
}

async function messages(relay: RelayProcess, pairCount: number, window: number): Promise<MessageResult> {
  const pairs = await openPairs(relay, pairCount);
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
          const sentAt = new DataView(body.buffer, body.byteOffset, 8).getFloat64(0);
          latencies.push(performance.now() - sentAt);
        }
        if (running) me.socket.write(stamped());
      };
      for (let i = 0; i < window; i++) other.socket.write(stamped());
    }
  }
  await sleep(WARMUP_MS);
  const cpuStart = await relay.cpu();
  measuring = true;
  const start = performance.now();
  await sleep(MEASURE_MS);
  measuring = false;
  const seconds = (performance.now() - start) / 1000;
  const cpu = (await relay.cpu()) - cpuStart;
  running = false;
  await closePairs(pairs);
  latencies.sort((x, y) => x - y);
  const pick = (q: number) =>
    latencies[Math.min(latencies.length - 1, Math.floor(q * latencies.length))] ?? NaN;
  return {
    messagesPerSecond: received / seconds,
    p50: pick(0.5),
    p99: pick(0.99),
    cpuPerMessage: cpu / received,
  };
}

interface BulkResult {
  mibPerSecond: number;
  /** relay CPU time per MiB relayed, ms */
  cpuPerMiB: number;
}

async function bulk(relay: RelayProcess): Promise<BulkResult> {
  const [pair] = await openPairs(relay, 1);
  const [sender, receiver] = pair!;
  const frame = encodeFrame({ type: FrameType.DATA, body: new Uint8Array(65535).fill(0x5a) });
  const frames = Math.ceil(BULK_BYTES / frame.length);
  const total = frames * frame.length;
  let got = 0;
  receiver.socket.removeAllListeners('data');
  const done = new Promise<void>((resolve) => {
    receiver.socket.on('data', (chunk: Buffer) => {
      got += chunk.length;
      if (got >= total) resolve();
    });
  });
  const cpuStart = await relay.cpu();
  const start = performance.now();
  let sent = 0;
  const pump = () => {
    while (sent < frames) {
      sent++;
      if (!sender.socket.write(frame)) {
        sender.socket.once('drain', pump);
        return;
      }
    }
  };
  pump();
  await done;
  const seconds = (performance.now() - start) / 1000;
  const cpu = (await relay.cpu()) - cpuStart;
  await closePairs([pair!]);
  const mib = total / (1024 * 1024);
  return { mibPerSecond: mib / seconds, cpuPerMiB: cpu / 1000 / mib };
}

interface MemoryResult {
  rssPerConnection: number;
  heapPerConnection: number;
}

async function idleMemory(kind: Kind): Promise<MemoryResult> {
  const relay = await startRelay(kind);
  // Warm the code paths once so that the JIT and first allocations are in the baseline.
  await closePairs(await openPairs(relay, 20));
  await sleep(200);
  const before = await relay.memory();
  const pairs = await openPairs(relay, IDLE_PAIRS);
  await sleep(500);
  const after = await relay.memory();
  const connections = IDLE_PAIRS * 2;
  await closePairs(pairs);
  await relay.stop();
  const heap = (m: NodeJS.MemoryUsage) => m.heapUsed + m.external;
  return {
    rssPerConnection: (after.rss - before.rss) / connections,
    heapPerConnection: (heap(after) - heap(before)) / connections,
  };
}

// ---------------------------------------------------------------------------
// Report

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));
const fmt = (n: number, digits = 0) =>
  n.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits });
/** Median (min–max) of some values, formatted like the rest of the table. */
const cell = (values: number[], digits = 0) => {
  const x = spread(values);
  return `${fmt(x.median, digits)} (${fmt(x.min, digits)}–${fmt(x.max, digits)})`;
};
/** Per-pair ratios a[i] / b[i]: median (min–max). */
const ratios = (a: number[], b: number[]) => spread(a.map((x, i) => x / b[i]!));

async function main(): Promise<void> {
  console.log(
    `arctalk-server vs bare Node relay (${quick ? 'quick' : 'full'} run): ${ROUNDS} paired, interleaved rounds; median (min–max); ratio per pair`,
  );
  console.log(machineLine());
  console.log(`${FRAME_SIZE}-byte frames, ${MEASURE_MS} ms per measurement\n`);
  const rows: string[][] = [['scenario', 'arctalk', 'bare', 'ratio']];
  const goals: string[] = [];
  const goal = (ok: boolean) => (ok ? 'met' : 'NOT met');

  if (only.has('messages') || only.has('bulk')) {
    const relays = { arctalk: await startRelay('arctalk'), bare: await startRelay('bare') };
    if (only.has('messages')) {
      for (const [pairCount, window] of [
        [1, 8],
        [100, 4],
        [1000, 2],
      ] as const) {
        const runs: Record<Kind, MessageResult[]> = { arctalk: [], bare: [] };
        for (let round = 0; round < ROUNDS; round++) {
          for (const kind of round % 2 === 0 ? KINDS : [...KINDS].reverse()) {
            runs[kind].push(await messages(relays[kind], pairCount, window));
          }
        }
        const mpsA = runs.arctalk.map((r) => r.messagesPerSecond);
        const mpsB = runs.bare.map((r) => r.messagesPerSecond);
        const ratio = ratios(mpsA, mpsB);
        rows.push([
          `${pairCount} pair(s), ${window} in flight each way: msg/s`,
          cell(mpsA),
          cell(mpsB),
          `${formatSpread(ratio)}x`,
        ]);
        const cpuA = runs.arctalk.map((r) => r.cpuPerMessage);
        const cpuB = runs.bare.map((r) => r.cpuPerMessage);
        rows.push([
          '  relay CPU per message (µs)',
          cell(cpuA, 2),
          cell(cpuB, 2),
          `${formatSpread(ratios(cpuA, cpuB))}x`,
        ]);
        const med = (values: number[]) => spread(values).median;
        rows.push([
          '  one-way latency p50 / p99 (ms), medians',
          `${fmt(med(runs.arctalk.map((r) => r.p50)), 3)} / ${fmt(med(runs.arctalk.map((r) => r.p99)), 3)}`,
          `${fmt(med(runs.bare.map((r) => r.p50)), 3)} / ${fmt(med(runs.bare.map((r) => r.p99)), 3)}`,
          '',
        ]);
        if (pairCount === 1000) {
          goals.push(
            `goal >= 0.7x bare msg/s at 1000 pairs: ${formatSpread(ratio)}x, ${goal(ratio.median >= 0.7)}`,
          );
        }
      }
    }
    if (only.has('bulk')) {
      const runs: Record<Kind, BulkResult[]> = { arctalk: [], bare: [] };
      for (let round = 0; round < ROUNDS; round++) {
        for (const kind of round % 2 === 0 ? KINDS : [...KINDS].reverse())
          runs[kind].push(await bulk(relays[kind]));
      }
      const a = runs.arctalk.map((r) => r.mibPerSecond);
      const b = runs.bare.map((r) => r.mibPerSecond);
      const cpuA = runs.arctalk.map((r) => r.cpuPerMiB);
      const cpuB = runs.bare.map((r) => r.cpuPerMiB);
      const ratio = ratios(a, b);
      rows.push([
        `bulk, 1 pair, ${BULK_BYTES / 1024 / 1024} MiB in 64 KiB frames: MiB/s`,
        cell(a),
        cell(b),
        `${formatSpread(ratio)}x`,
      ]);
      rows.push([
        '  relay CPU per MiB (ms)',
        cell(cpuA, 3),
        cell(cpuB, 3),
        `${formatSpread(ratios(cpuA, cpuB))}x`,
      ]);
      goals.push(`goal >= 0.8x bare bulk throughput: ${formatSpread(ratio)}x, ${goal(ratio.median >= 0.8)}`);
    }
    await relays.arctalk.stop();
    await relays.bare.stop();
  }

  if (only.has('memory')) {
    const runs: Record<Kind, MemoryResult[]> = { arctalk: [], bare: [] };
    for (let round = 0; round < ROUNDS; round++) {
      for (const kind of round % 2 === 0 ? KINDS : [...KINDS].reverse())
        runs[kind].push(await idleMemory(kind));
    }
    const rssA = runs.arctalk.map((r) => r.rssPerConnection / 1024);
    const rssB = runs.bare.map((r) => r.rssPerConnection / 1024);
    const heapA = runs.arctalk.map((r) => r.heapPerConnection / 1024);
    const heapB = runs.bare.map((r) => r.heapPerConnection / 1024);
    rows.push([
      `memory per idle connection (${IDLE_PAIRS * 2} conns): RSS KiB`,
      cell(rssA, 1),
      cell(rssB, 1),
      `${formatSpread(ratios(rssA, rssB))}x`,
    ]);
    rows.push([
      '  heap + external after GC, KiB',
      cell(heapA, 1),
      cell(heapB, 1),
      `${formatSpread(ratios(heapA, heapB))}x`,
    ]);
    const rss = spread(rssA);
    goals.push(
      `goal < 16 KiB per idle connection: ${formatSpread(rss, 1)} KiB RSS, ${goal(rss.median < 16)}`,
    );
  }

  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((row) => row[i]!.length)));
  for (const row of rows) {
    console.log(
      row.map((cell, i) => (i === 0 ? cell.padEnd(widths[i]!) : cell.padStart(widths[i]!))).join('  '),
    );
  }
  console.log(`\n${goals.join('\n')}`);
  console.log(loadLine());
}

await main();
