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
 * Robustness: every child process (server, flooders, streamers) is tracked and killed
 * when the bench ends, fails, or is interrupted; children exit on their own when the
 * bench goes away (IPC disconnect, or their parent's pid gone); every wait has a
 * deadline, and a scenario that overruns its own (SCENARIO_TIMEOUT) fails the bench
 * with a message naming it, exit code 1. Nothing is left running and nothing hangs.
 *
 * Usage: node --import tsx bench/flood-bench.ts [--quick] [--only=ping,trickle,storm,accept]
 *        [--server-dir=DIR] (another checkout's apps/server, to measure a before)
 *        [--rounds=N]
 * Environment: BENCH_SERVER_NODE_ARGS, e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof",
 * adds Node flags to the server under test (it is stopped with SIGTERM, so that a
 * profile is written).
 */
import { type ChildProcess, fork, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { connect, type Socket } from 'node:net';
import { cpus, tmpdir } from 'node:os';
import { join } from 'node:path';
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

/** How long one round of a scenario may take before the bench gives up on it. */
const SCENARIO_TIMEOUT = 120_000;

/** `promise`, or a rejection naming `what` after `ms`. */
function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: no answer within ${ms / 1000} s`)), ms);
  });
  return Promise.race([promise, deadline]).finally(() => clearTimeout(timer));
}

/** Every child process started by this run: killed on the way out, whatever the way. */
const children = new Set<ChildProcess>();

function track(child: ChildProcess): ChildProcess {
  children.add(child);
  child.once('exit', () => children.delete(child));
  return child;
}

function killChildren(): void {
  for (const child of children) child.kill('SIGKILL');
  children.clear();
}

/** Resolves once `child` has exited (at once if it has already). */
function exited(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => child.once('exit', () => resolve()));
}

/** SIGTERM (a profile gets written), then SIGKILL if it has not exited within `grace` ms. */
async function stopChild(child: ChildProcess, grace = 5_000): Promise<void> {
  const done = exited(child);
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), grace);
  await done;
  clearTimeout(timer);
}

/** The next IPC message from `child`, or a rejection if it exits first or takes over `ms`. */
function reply<T>(child: ChildProcess, what: string, ms = 30_000, send?: string): Promise<T> {
  if (child.exitCode !== null || child.signalCode !== null || !child.connected) {
    return Promise.reject(new Error(`${what}: the child process is gone`));
  }
  const answer = new Promise<T>((resolve, reject) => {
    const onExit = (code: number | null, signal: string | null) =>
      reject(new Error(`${what}: the child process exited (${signal ?? code})`));
    child.once('message', (message) => {
      child.off('exit', onExit);
      resolve(message as T);
    });
    child.once('exit', onExit);
  });
  if (send !== undefined) child.send(send);
  return within(answer, ms, what);
}

/** In a child role: exit as soon as the bench that started us is gone. */
function exitWithParent(): void {
  process.on('disconnect', () => process.exit(0));
  const parent = process.ppid;
  setInterval(() => {
    try {
      process.kill(parent, 0);
    } catch {
      process.exit(0);
    }
  }, 1_000).unref();
}

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
  const extra = process.env.BENCH_SERVER_NODE_ARGS?.split(' ').filter(Boolean) ?? [];
  const child = track(
    spawn(
      process.execPath,
      [...extra, '--conditions=@arctalk/source', '--import', 'tsx', ...nodeArgs, 'src/cli.ts', ...args],
      {
        cwd: SERVER_DIR,
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    ),
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
  const port = await within(
    new Promise<number>((resolve, reject) => {
      let buffer = '';
      child.stdout?.setEncoding('utf8');
      child.stdout?.on('data', (text: string) => {
        buffer += text;
        const match = /listening on [^\n]*:(\d+)\n/.exec(buffer);
        if (match) resolve(Number(match[1]));
      });
      child.once('exit', (code) => reject(new Error(`server exited with ${code}: ${stderr.join('')}`)));
      child.once('error', (error) => reject(new Error(`server did not start: ${error.message}`)));
    }),
    30_000,
    'server start',
  );
  return {
    child,
    port,
    stderr,
    rss: () => rssOf(child.pid!),
    alive: () => !exited,
    stop: () => stopChild(child),
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

/** CPU time (user + system) a process has used, in ms (Linux /proc), 0 once it is gone. */
function cpuOf(pid: number): number {
  try {
    const fields = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    return ((Number(fields[11]) + Number(fields[12])) * 1000) / 100; // utime, stime in USER_HZ (100)
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

/** A connection from `localAddress`; rejects on error or after `ms` (a connect that hangs). */
function open(port: number, localAddress = '127.0.0.1', ms = 20_000): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port, localAddress, noDelay: true });
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`connect from ${localAddress}: no answer within ${ms / 1000} s`));
    }, ms);
    socket.once('connect', () => {
      clearTimeout(timer);
      socket.off('error', onError);
      socket.on('error', () => {}); // a reset is seen as 'close'
      resolve(socket);
    });
    const onError = (error: Error) => {
      clearTimeout(timer);
      reject(error);
    };
    socket.once('error', onError);
  });
}

/** The loopback address of client `i` when `perAddress` clients share one address. */
const addressFor = (i: number, perAddress: number) => `127.0.0.${2 + Math.floor(i / perAddress)}`;

function hello(room: string): Uint8Array {
  return encodeFrame({ type: FrameType.HELLO, body: encodeHello({ room, name: 'bench' }) });
}

/** Resolves with the first frame of `type` on `socket` (frames before it are dropped); rejects on close or after `ms`. */
function nextFrame(socket: Socket, type: number, decoder = new FrameDecoder(), ms = 30_000): Promise<void> {
  return within(
    new Promise((resolve, reject) => {
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
    }),
    ms,
    `frame type ${type}`,
  );
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
  exitWithParent();
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
  // Loaded and ready: the bench starts timing only now (our start-up is not the server's cost).
  await new Promise<void>((resolve) => {
    process.once('message', () => resolve());
    process.send?.({ ready: true });
  });
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
  exitWithParent();
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
  const child = track(
    fork(
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
    ),
  );
  const ready = reply(child, 'flooders start-up', 60_000);
  return {
    ready,
    go: () =>
      reply<{ connected: number }>(child, 'flooders connecting', 60_000, 'go').then((m) => m.connected),
    closed: () => reply<{ closed: number }>(child, 'flooders status', 10_000, 'status').then((m) => m.closed),
    stop: () => stopChild(child),
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
  /** the server's own event-loop delay p99 (ms), while connecting and while flooded */
  loopConnectP99: number;
  loopFloodP99: number;
}

async function pingFlood(): Promise<PingResult> {
  const FLOODERS = 200;
  const dir = mkdtempSync(join(tmpdir(), 'flood-bench-'));
  const loopFile = join(dir, 'loop-delay.jsonl');
  process.env.LOOP_DELAY_FILE = loopFile;
  const server = await startServer(
    ['--port', '0', '--log-level', 'warn'],
    ['--max-old-space-size=128', '--import', fileURLToPath(new URL('./loop-delay.ts', import.meta.url))],
  );
  const loopDelay = () => server.child.kill('SIGUSR2');
  const honest = await honestPair(server.port);
  const flooders = startFlooders(server.port, FLOODERS, 20 * 1_000_000, 50);
  await flooders.ready;
  await sleep(1_000);
  const idle = server.rss();
  const watch = rssWatch(server);
  honest.record(true);
  loopDelay(); // starts over
  await flooders.go();
  loopDelay(); // the connect phase
  const connectPhase = honest.rtts.splice(0); // accepts, HELLOs and first reads of 200 connections
  await sleep(quick ? 5_000 : 10_000);
  honest.record(false);
  loopDelay(); // the flood
  const peak = watch.stop();
  const survived = server.alive();
  if (!survived) process.stderr.write(`server died: ${server.stderr.join('').slice(-2000)}\n`);
  const closedByServer = await flooders.closed();
  const out = honest.stop();
  const rtts = out === undefined ? honest.rtts : [...honest.rtts, out];
  await flooders.stop();
  await server.stop();
  const loops = readFileSync(loopFile, 'utf8')
    .trim()
    .split('\n')
    .map((line) => JSON.parse(line) as { p99: number });
  rmSync(dir, { recursive: true, force: true });
  return {
    loopConnectP99: loops[1]?.p99 ?? Number.NaN,
    loopFloodP99: loops[2]?.p99 ?? Number.NaN,
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
  /** server CPU time per MiB streamed while loaded, ms */
  cpuPerMiB: number;
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
  const streamers = track(
    fork(fileURLToPath(import.meta.url), ['--role=streamers', `--port=${server.port}`, `--count=${PAIRS}`], {
      execArgv: ['--conditions=@arctalk/source', '--import', 'tsx'],
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
    }),
  );
  const ask = () =>
    reply<{ streamed: number }>(streamers, 'streamers status', 10_000, 'status').then((m) => m.streamed);
  await reply(streamers, 'streamers pairing', 60_000); // paired and pumping
  await sleep(500);
  const before = await ask();
  const cpuBefore = cpuOf(server.child.pid!);
  const loaded = await measure(seconds);
  const streamed = ((await ask()) - before) / MiB;
  const cpuPerMiB = (cpuOf(server.child.pid!) - cpuBefore) / streamed;
  const streamedMiB = streamed / (seconds / 1000);
  await stopChild(streamers);
  await server.stop();
  if (failures > 0) console.log(`  (${failures} connections closed before WAITING)`);
  return { loaded, unloaded, streamedMiB, cpuPerMiB };
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
    for (let round = 0; round < ROUNDS; round++) {
      runs.push(
        await within(scenario(), SCENARIO_TIMEOUT, `scenario ${name.split(',')[0]}, round ${round + 1}`),
      );
    }
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
    console.log(
      `  the server's own event-loop delay p99: ${
        summary(
          runs,
          (r) => r.loopFloodP99,
          (n) => `${fmt(n, 2)} ms`,
        ).text
      } flooded, ${
        summary(
          runs,
          (r) => r.loopConnectP99,
          (n) => `${fmt(n, 2)} ms`,
        ).text
      } while connecting`,
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
    console.log(
      `  server CPU per MiB streamed ${
        summary(
          runs,
          (r) => r.cpuPerMiB,
          (n) => `${fmt(n, 2)} ms`,
        ).text
      }`,
    );
  }
  if (goals.length > 0) console.log(`\n${goals.join('\n')}`);
}

if (flag('role') === 'flooders') await floodersRole();
else if (flag('role') === 'streamers') await streamersRole();
else {
  // Whatever ends this run, no child is left behind (a leftover child holding our
  // stdout would keep `pnpm bench` waiting forever).
  process.once('exit', killChildren);
  for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    process.once(signal, () => {
      console.error(`flood bench: ${signal}, stopping`);
      killChildren();
      process.exit(1);
    });
  }
  const fail = (error: unknown) => {
    console.error(`flood bench FAILED: ${error instanceof Error ? error.message : String(error)}`);
    killChildren();
    process.exit(1);
  };
  // An error no await sees (a child's 'error' event, a socket's) fails the run too.
  process.on('uncaughtException', fail);
  process.on('unhandledRejection', fail);
  try {
    await main();
    killChildren();
    process.exit(0);
  } catch (error) {
    fail(error);
  }
}
