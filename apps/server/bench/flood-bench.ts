/**
 * `pnpm bench` (flood part): arctalk-server under hostile load, on loopback, the real
 * CLI as a child process, clients spread over several loopback addresses
 * (127.0.0.2 … 127.0.0.N, which Linux routes without setup).
 *
 *  - ping:    200 connections each send a HELLO then 20 MB of PING frames and never
 *             read, under `--max-old-space-size=128`; meanwhile an honest pair bounces
 *             a 64-byte frame (round trip every 20 ms). Reported: the server's idle RSS,
 *             its peak RSS, whether it survived, the honest round trip p50/p99.
 *  - trickle: 500 paired connections each send a 5-byte header announcing a 16 MiB frame
 *             (`--max-frame 16MiB`), then one byte a second. Reported: RSS growth.
 *  - storm:   1,000 clients connect at once. Reported: the kernel's ListenOverflows and
 *             ListenDrops counters (/proc/net/netstat) during the storm, connect time p99.
 *  - accept:  20 pairs stream 64 KiB frames both ways at full speed; a client connects,
 *             sends HELLO and waits for WAITING, one after the other. Reported: new
 *             connections per second, and the same with no load (the reference).
 *
 * The flooders run in a child process of their own (`--role=flooders`) so that the
 * honest pair's timing is not their event loop's. Each scenario runs ROUNDS times; a
 * figure is the median with its range.
 *
 * Usage: node --import tsx bench/flood-bench.ts [--quick] [--only=ping,trickle,storm,accept]
 *        [--server-dir=DIR] (another checkout's apps/server, to measure a before)
 */
import { type ChildProcess, fork, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { cpus } from 'node:os';
import { fileURLToPath } from 'node:url';
import { encodeFrame, encodeHello, FrameDecoder, FrameType } from '@arctalk/protocol';

const argv = process.argv.slice(2);
const flag = (name: string) => argv.find((a) => a.startsWith(`--${name}=`))?.slice(name.length + 3);
const quick = argv.includes('--quick');
const SERVER_DIR = flag('server-dir') ?? fileURLToPath(new URL('..', import.meta.url));
const only = new Set((flag('only') ?? 'ping,trickle,storm,accept').split(','));
const ROUNDS = Number(flag('rounds') ?? (quick ? 1 : 3));
const MiB = 1024 * 1024;

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

// ---------------------------------------------------------------------------
// The server under test

interface ServerUnderTest {
  child: ChildProcess;
  port: number;
  rss(): number;
  alive(): boolean;
  stderr: string[];
  stop(): Promise<void>;
}

async function startServer(args: string[], nodeArgs: string[] = []): Promise<ServerUnderTest> {
  const child = spawn(
    process.execPath,
    [...nodeArgs, '--conditions=@arctalk/source', '--import', 'tsx', 'src/cli.ts', ...args],
    {
      cwd: SERVER_DIR,
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  const stderr: string[] = [];
  child.stderr?.setEncoding('utf8');
  child.stderr?.on('data', (text: string) => {
    if (stderr.length < 2000) stderr.push(text);
  });
  let exited = false;
  child.once('exit', () => {
    exited = true;
  });
  const port = await new Promise<number>((resolve, reject) => {
    let buffer = '';
    child.stdout?.setEncoding('utf8');
    child.stdout?.on('data', (text: string) => {
      buffer += text;
      const match = /listening on [^\n]*:(\d+)\n/.exec(buffer);
      if (match) resolve(Number(match[1]));
    });
    child.once('exit', (code) => reject(new Error(`server exited with ${code}: ${stderr.join('')}`)));
  });
  return {
    child,
    port,
    stderr,
    rss: () => rssOf(child.pid!),
    alive: () => !exited,
    stop: () =>
      new Promise((resolve) => {
        if (exited) return resolve();
        child.once('exit', () => resolve());
        child.kill('SIGKILL');
      }),
  };
}

/** Resident set size of a process in bytes (Linux /proc), 0 once it is gone. */
export function rssOf(pid: number): number {
  try {
    const match = /^VmRSS:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match ? Number(match[1]) * 1024 : 0;
  } catch {
    return 0;
  }
}

/** Virtual memory size of a process in bytes (Linux /proc), 0 once it is gone. */
function vmOf(pid: number): number {
  try {
    const match = /^VmSize:\s+(\d+) kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match ? Number(match[1]) * 1024 : 0;
  } catch {
    return 0;
  }
}

/** Polls a process's RSS every `ms` until stopped; returns the peak. */
function rssWatch(server: ServerUnderTest, ms = 50) {
  let peak = server.rss();
  const timer = setInterval(() => {
    peak = Math.max(peak, server.rss());
  }, ms);
  return {
    stop: () => {
      clearInterval(timer);
      return peak;
    },
  };
}

// ---------------------------------------------------------------------------
// Clients

function open(port: number, localAddress = '127.0.0.1'): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port, localAddress, noDelay: true });
    socket.once('connect', () => {
      socket.off('error', reject);
      socket.on('error', () => {}); // a reset is seen as 'close'
      resolve(socket);
    });
    socket.once('error', reject);
  });
}

/** The loopback address of client `i` when `perAddress` clients share one address. */
const addressFor = (i: number, perAddress: number) => `127.0.0.${2 + Math.floor(i / perAddress)}`;

function hello(room: string): Uint8Array {
  return encodeFrame({ type: FrameType.HELLO, body: encodeHello({ room, name: 'bench' }) });
}

/** Resolves with the first frame of `type` on `socket` (frames before it are dropped). */
function nextFrame(socket: Socket, type: number, decoder = new FrameDecoder()): Promise<void> {
  return new Promise((resolve, reject) => {
    const onData = (chunk: Buffer) => {
      for (const frame of decoder.push(chunk)) {
        if (frame.type === type) {
          socket.off('data', onData);
          resolve();
          return;
        }
      }
    };
    socket.on('data', onData);
    socket.once('close', () => reject(new Error('closed before the expected frame')));
  });
}

async function pair(port: number, room: string, addresses: [string, string]): Promise<[Socket, Socket]> {
  const a = await open(port, addresses[0]);
  const waiting = nextFrame(a, FrameType.WAITING);
  a.write(hello(room));
  await waiting;
  const b = await open(port, addresses[1]);
  const paired = Promise.all([nextFrame(a, FrameType.PAIRED), nextFrame(b, FrameType.PAIRED)]);
  b.write(hello(room));
  await paired;
  return [a, b];
}

/** An honest pair bouncing one 64-byte frame: a round trip every `interval` ms. */
async function honestPair(port: number, interval = 20) {
  const [a, b] = await pair(port, 'honest', ['127.0.0.1', '127.0.0.1']);
  const rtts: number[] = [];
  const frame = encodeFrame({ type: FrameType.DATA, body: new Uint8Array(59) });
  const da = new FrameDecoder();
  const db = new FrameDecoder();
  let sentAt = 0;
  let inFlight = false;
  let recording = false;
  b.on('data', (chunk: Buffer) => {
    for (const f of db.push(chunk)) b.write(encodeFrame(f));
  });
  a.on('data', (chunk: Buffer) => {
    for (const _ of da.push(chunk)) {
      if (recording) rtts.push(performance.now() - sentAt);
      inFlight = false;
    }
  });
  const timer = setInterval(() => {
    if (inFlight) return; // a lost round is counted when it comes back
    inFlight = true;
    sentAt = performance.now();
    a.write(frame);
  }, interval);
  return {
    record: (on: boolean) => {
      recording = on;
    },
    rtts,
    /** stops; a round still out counts with the time it has been out so far */
    stop: () => {
      clearInterval(timer);
      a.destroy();
      b.destroy();
      return inFlight ? performance.now() - sentAt : undefined;
    },
  };
}

const quantile = (values: number[], q: number) => {
  const sorted = [...values].sort((x, y) => x - y);
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? Number.NaN;
};

// ---------------------------------------------------------------------------
// Flooders (child process)

const PING = Uint8Array.of(0, 0, 0, 1, FrameType.PING);

async function floodersRole(): Promise<void> {
  const port = Number(flag('port'));
  const count = Number(flag('count'));
  const bytes = Number(flag('bytes'));
  const perAddress = Number(flag('per-address'));
  // One buffer of PING frames shared by every connection: the flooders' memory is the
  // kernel's socket buffers, not copies.
  const flood = Buffer.alloc(Math.ceil(bytes / PING.length) * PING.length);
  for (let i = 0; i < flood.length; i += PING.length) flood.set(PING, i);
  const sockets: Socket[] = [];
  let closed = 0;
  await Promise.all(
    Array.from({ length: count }, async (_, i) => {
      const socket = await open(port, addressFor(i, perAddress)).catch(() => undefined);
      if (socket === undefined) return; // the server is gone (or refused): counted as not connected
      socket.pause(); // never read
      socket.on('error', () => {});
      socket.once('close', () => closed++);
      socket.write(hello(`flood-${i}`));
      socket.write(flood);
      sockets.push(socket);
    }),
  );
  process.send?.({ connected: sockets.length });
  process.on('message', (message) => {
    if (message === 'status') process.send?.({ closed });
    if (message === 'exit') {
      for (const socket of sockets) socket.destroy();
      process.exit(0);
    }
  });
}

/** Child role: `count` pairs streaming 64 KiB frames both ways as fast as they can. */
async function streamersRole(): Promise<void> {
  const port = Number(flag('port'));
  const count = Number(flag('count'));
  const frame = encodeFrame({ type: FrameType.DATA, body: new Uint8Array(65535) });
  let streamed = 0;
  const sockets: Socket[] = [];
  for (let p = 0; p < count; p++) {
    for (const socket of await pair(port, `stream-${p}`, ['127.0.0.1', '127.0.0.1'])) {
      sockets.push(socket);
      socket.on('data', (chunk: Buffer) => {
        streamed += chunk.length;
      });
      const pump = () => {
        while (!socket.destroyed && socket.write(frame)) {}
        if (!socket.destroyed) socket.once('drain', pump);
      };
      pump();
    }
  }
  process.send?.({ ready: true });
  process.on('message', (message) => {
    if (message === 'status') process.send?.({ streamed });
    if (message === 'exit') {
      for (const socket of sockets) socket.destroy();
      process.exit(0);
    }
  });
}

function startFlooders(port: number, count: number, bytes: number, perAddress: number) {
  const child = fork(
    fileURLToPath(import.meta.url),
    [
      '--role=flooders',
      `--port=${port}`,
      `--count=${count}`,
      `--bytes=${bytes}`,
      `--per-address=${perAddress}`,
    ],
    {
      execArgv: ['--conditions=@arctalk/source', '--import', 'tsx'],
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    },
  );
  const connected = new Promise<number>((resolve, reject) => {
    child.once('message', (m) => resolve((m as { connected: number }).connected));
    child.once('exit', (code) => reject(new Error(`flooders exited with ${code}`)));
  });
  return {
    connected,
    closed: () =>
      new Promise<number>((resolve) => {
        child.once('message', (m) => resolve((m as { closed: number }).closed));
        child.send('status');
      }),
    stop: () =>
      new Promise<void>((resolve) => {
        child.once('exit', () => resolve());
        child.send('exit');
      }),
  };
}

// ---------------------------------------------------------------------------
// Scenarios

interface PingResult {
  idle: number;
  peak: number;
  survived: boolean;
  p50: number;
  p99: number;
  rounds: number;
  closedByServer: number;
  /** p99 of the round trips while the 200 connections were being opened */
  connectP99: number;
}

async function pingFlood(): Promise<PingResult> {
  const FLOODERS = 200;
  const server = await startServer(['--port', '0', '--log-level', 'warn'], ['--max-old-space-size=128']);
  const honest = await honestPair(server.port);
  await sleep(1_000);
  const idle = server.rss();
  const watch = rssWatch(server);
  honest.record(true);
  const flooders = startFlooders(server.port, FLOODERS, 20 * 1_000_000, 50);
  await flooders.connected;
  const connectPhase = honest.rtts.splice(0); // accepts, HELLOs and first reads of 200 connections
  await sleep(quick ? 5_000 : 10_000);
  honest.record(false);
  const peak = watch.stop();
  const survived = server.alive();
  if (!survived) process.stderr.write(`server died: ${server.stderr.join('').slice(-2000)}\n`);
  const closedByServer = await flooders.closed();
  const out = honest.stop();
  const rtts = out === undefined ? honest.rtts : [...honest.rtts, out];
  await flooders.stop();
  await server.stop();
  return {
    idle,
    peak,
    survived,
    p50: quantile(rtts, 0.5),
    p99: quantile(rtts, 0.99),
    rounds: rtts.length,
    closedByServer,
    connectP99: quantile(connectPhase, 0.99),
  };
}

interface TrickleResult {
  before: number;
  after: number;
  peak: number;
  closed: number;
  survived: boolean;
  vmGrowth: number;
}

async function trickle(): Promise<TrickleResult> {
  const CONNECTIONS = 500;
  const server = await startServer(['--port', '0', '--log-level', 'warn', '--max-frame', '16MiB']);
  const sockets: Socket[] = [];
  for (let start = 0; start < CONNECTIONS; start += 100) {
    const made = await Promise.all(
      Array.from({ length: 50 }, (_, k) => {
        const i = start + 2 * k;
        return pair(server.port, `trickle-${i}`, [addressFor(i, 50), addressFor(i + 1, 50)]);
      }),
    );
    for (const p of made) sockets.push(...p);
  }
  let closed = 0;
  for (const socket of sockets) {
    socket.on('error', () => {});
    socket.once('close', () => closed++);
  }
  await sleep(1_000);
  const before = server.rss();
  const vmBefore = vmOf(server.child.pid!);
  let vmPeak = vmBefore;
  const vmTimer = setInterval(() => {
    vmPeak = Math.max(vmPeak, vmOf(server.child.pid!));
  }, 100);
  const watch = rssWatch(server);
  const header = new Uint8Array(5);
  new DataView(header.buffer).setUint32(0, 16 * MiB);
  header[4] = FrameType.DATA;
  for (const socket of sockets) socket.write(header);
  const seconds = quick ? 5 : 10;
  for (let s = 0; s < seconds; s++) {
    for (const socket of sockets) if (!socket.destroyed) socket.write(Uint8Array.of(s));
    await sleep(1_000);
  }
  const after = server.rss();
  const peak = watch.stop();
  clearInterval(vmTimer);
  const survived = server.alive();
  const closedByServer = closed; // before we close ours
  for (const socket of sockets) socket.destroy();
  await server.stop();
  return { before, after, peak, closed: closedByServer, survived, vmGrowth: vmPeak - vmBefore };
}

/** Linux TCP listen-queue counters, system-wide. */
function listenCounters(): { overflows: number; drops: number } {
  const lines = readFileSync('/proc/net/netstat', 'utf8').split('\n');
  const names = lines.find((l) => l.startsWith('TcpExt:'))!.split(/\s+/);
  const values = lines.filter((l) => l.startsWith('TcpExt:'))[1]!.split(/\s+/);
  const get = (name: string) => Number(values[names.indexOf(name)]);
  return { overflows: get('ListenOverflows'), drops: get('ListenDrops') };
}

interface StormResult {
  overflows: number;
  drops: number;
  failed: number;
  slow: number;
  p99: number;
}

async function storm(): Promise<StormResult> {
  const CLIENTS = 1_000;
  const server = await startServer(['--port', '0', '--log-level', 'warn']);
  const before = listenCounters();
  const times: number[] = [];
  let failed = 0;
  const sockets: Socket[] = [];
  await Promise.all(
    Array.from({ length: CLIENTS }, async (_, i) => {
      const start = performance.now();
      try {
        const socket = await open(server.port, addressFor(i, 50));
        sockets.push(socket);
        socket.on('error', () => {});
        times.push(performance.now() - start);
      } catch {
        failed++;
      }
    }),
  );
  const after = listenCounters();
  for (const socket of sockets) socket.destroy();
  await server.stop();
  return {
    overflows: after.overflows - before.overflows,
    drops: after.drops - before.drops,
    failed,
    // a SYN dropped by a full backlog is retried after 1 s: a connect that slow lost one
    slow: times.filter((t) => t >= 900).length,
    p99: quantile(times, 0.99),
  };
}

interface AcceptResult {
  loaded: number;
  unloaded: number;
  streamedMiB: number;
}

async function acceptRate(): Promise<AcceptResult> {
  const PAIRS = 20;
  const server = await startServer(['--port', '0', '--log-level', 'warn']);
  let failures = 0;
  const measure = async (ms: number) => {
    let made = 0;
    const end = performance.now() + ms;
    let i = 0;
    while (performance.now() < end) {
      const socket = await open(server.port, addressFor(i++ % 500, 10));
      const waiting = nextFrame(socket, FrameType.WAITING);
      socket.write(hello(`accept-${i}`));
      const ok = await waiting.then(
        () => true,
        () => false,
      );
      socket.destroy();
      if (ok) made++;
      else failures++;
    }
    return made / (ms / 1000);
  };
  const seconds = quick ? 2_000 : 4_000;
  const unloaded = await measure(seconds);
  // The streaming pairs run in a process of their own: their reads must not slow the
  // measuring client's event loop (that would measure the client, not the server).
  const streamers = fork(
    fileURLToPath(import.meta.url),
    ['--role=streamers', `--port=${server.port}`, `--count=${PAIRS}`],
    {
      execArgv: ['--conditions=@arctalk/source', '--import', 'tsx'],
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    },
  );
  const ask = () =>
    new Promise<number>((resolve) => {
      streamers.once('message', (m) => resolve((m as { streamed: number }).streamed));
      streamers.send('status');
    });
  await new Promise((resolve) => streamers.once('message', resolve)); // paired and pumping
  await sleep(500);
  const before = await ask();
  const loaded = await measure(seconds);
  const streamedMiB = ((await ask()) - before) / MiB / (seconds / 1000);
  await new Promise<void>((resolve) => {
    streamers.once('exit', () => resolve());
    streamers.send('exit');
  });
  await server.stop();
  if (failures > 0) console.log(`  (${failures} connections closed before WAITING)`);
  return { loaded, unloaded, streamedMiB };
}

// ---------------------------------------------------------------------------
// Report

const fmt = (n: number, digits = 0) =>
  Number.isFinite(n)
    ? n.toLocaleString('en-US', { minimumFractionDigits: digits, maximumFractionDigits: digits })
    : String(n);
const mib = (bytes: number) => `${fmt(bytes / MiB, 1)} MiB`;

/** "median (min..max)" of one field over the rounds. */
function summary<T>(runs: T[], key: (r: T) => number, unit: (n: number) => string = (n) => fmt(n, 1)) {
  const values = runs.map(key).sort((x, y) => x - y);
  const median = values[Math.floor((values.length - 1) / 2)]!;
  return {
    median,
    text:
      values.length === 1
        ? unit(median)
        : `${unit(median)} (${unit(values[0]!)} .. ${unit(values[values.length - 1]!)})`,
  };
}

async function main(): Promise<void> {
  console.log(
    `arctalk-server under floods: ${SERVER_DIR}\nnode ${process.version}, ${cpus().length} cores (${
      cpus()[0]?.model
    }), ${new Date().toISOString()}, ${ROUNDS} round(s), median (min .. max)\n`,
  );
  const goals: string[] = [];
  const goal = (ok: boolean) => (ok ? 'met' : 'NOT met');
  const run = async <T>(name: string, scenario: () => Promise<T>) => {
    const runs: T[] = [];
    for (let round = 0; round < ROUNDS; round++) runs.push(await scenario());
    console.log(`${name}:`);
    return runs;
  };

  if (only.has('ping')) {
    const runs = await run(
      'ping flood, 200 × 20 MB unread PINGs from 4 addresses, --max-old-space-size=128',
      pingFlood,
    );
    const growth = summary(runs, (r) => r.peak - r.idle, mib);
    const p99 = summary(
      runs,
      (r) => r.p99,
      (n) => `${fmt(n, 2)} ms`,
    );
    const survived = runs.filter((r) => r.survived).length;
    console.log(
      `  server RSS idle ${summary(runs, (r) => r.idle, mib).text}, peak ${summary(runs, (r) => r.peak, mib).text}`,
    );
    console.log(`  peak growth ${growth.text}; survived ${survived}/${runs.length}`);
    console.log(
      `  flooders closed by the server within the run: ${
        summary(
          runs,
          (r) => r.closedByServer,
          (n) => fmt(n),
        ).text
      }`,
    );
    console.log(
      `  honest pair round trip p50 ${
        summary(
          runs,
          (r) => r.p50,
          (n) => `${fmt(n, 2)} ms`,
        ).text
      }, p99 ${p99.text} (${
        summary(
          runs,
          (r) => r.rounds,
          (n) => fmt(n),
        ).text
      } rounds, 20 MB floods under way)`,
    );
    console.log(
      `  while the 200 connections were being opened: p99 ${
        summary(
          runs,
          (r) => r.connectP99,
          (n) => `${fmt(n, 2)} ms`,
        ).text
      }`,
    );
    goals.push(`goal peak RSS within 64 MiB of idle: ${goal(growth.median < 64 * MiB)}`);
    goals.push(`goal survives with --max-old-space-size=128: ${goal(survived === runs.length)}`);
    goals.push(`goal honest round trip p99 < 50 ms: ${goal(p99.median < 50)}`);
  }
  if (only.has('trickle')) {
    const runs = await run('trickle, 500 paired connections announce a 16 MiB frame, then 1 byte/s', trickle);
    const growth = summary(runs, (r) => r.peak - r.before, mib);
    console.log(
      `  server RSS before ${summary(runs, (r) => r.before, mib).text}; peak growth ${growth.text}`,
    );
    console.log(
      `  connections closed by the server: ${
        summary(
          runs,
          (r) => r.closed,
          (n) => fmt(n),
        ).text
      }`,
    );
    const survived = runs.filter((r) => r.survived).length;
    console.log(
      `  virtual memory growth ${summary(runs, (r) => r.vmGrowth, mib).text}; survived ${survived}/${runs.length}`,
    );
    goals.push(`goal RSS grows < 32 MiB: ${goal(growth.median < 32 * MiB && survived === runs.length)}`);
  }
  if (only.has('storm')) {
    const runs = await run('storm, 1,000 clients connect at once from 20 addresses', storm);
    console.log(
      `  kernel ListenOverflows ${
        summary(
          runs,
          (r) => r.overflows,
          (n) => fmt(n),
        ).text
      }, ListenDrops ${
        summary(
          runs,
          (r) => r.drops,
          (n) => fmt(n),
        ).text
      }`,
    );
    console.log(
      `  connects ≥ 900 ms (a SYN retried) ${
        summary(
          runs,
          (r) => r.slow,
          (n) => fmt(n),
        ).text
      }, failed ${
        summary(
          runs,
          (r) => r.failed,
          (n) => fmt(n),
        ).text
      }, connect p99 ${
        summary(
          runs,
          (r) => r.p99,
          (n) => `${fmt(n, 1)} ms`,
        ).text
      }`,
    );
    const worst = Math.max(...runs.map((r) => r.drops + r.failed + r.slow));
    goals.push(`goal none refused by the backlog: ${goal(worst === 0)}`);
  }
  if (only.has('accept')) {
    const runs = await run('accept, connect + HELLO + WAITING one after another', acceptRate);
    const loaded = summary(
      runs,
      (r) => r.loaded,
      (n) => `${fmt(n)}/s`,
    );
    const unloaded = summary(
      runs,
      (r) => r.unloaded,
      (n) => `${fmt(n)}/s`,
    );
    console.log(`  idle server ${unloaded.text}; while 20 pairs stream ${loaded.text}`);
    console.log(
      `  streamed meanwhile ${
        summary(
          runs,
          (r) => r.streamedMiB,
          (n) => `${fmt(n)} MiB/s`,
        ).text
      }; ratio loaded/idle ${fmt(loaded.median / unloaded.median, 2)}`,
    );
  }
  if (goals.length > 0) console.log(`\n${goals.join('\n')}`);
}

if (flag('role') === 'flooders') await floodersRole();
else if (flag('role') === 'streamers') await streamersRole();
else await main();
