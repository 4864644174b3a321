/**
 * Pipe-mode bulk transfer: SIZE_MIB (default 100) MiB of random bytes from one
 * `arctalk` in pipe mode to another through `arctalk-server` on loopback (the built
 * dist/ of both apps, as users run them: `node dist/cli.js`), against the same
 * transfer through a socat relay with socat clients (`socat -u FILE TCP`, relay
 * `socat TCP-LISTEN TCP-LISTEN`, `socat -u TCP CREATE`). socat is installed with
 * apt-get when missing and this runs as root; otherwise the reference is a bare
 * relay of plain Node sockets with `cat`-like clients (said so in the output).
 *
 * Method: ROUNDS (default 5) pairs, interleaved and alternating which goes first;
 * each run is timed from spawning the two clients until both have exited (startup,
 * key exchange with a passphrase, transfer, END both ways); the received file is
 * then checked byte for byte (SHA-256). Per pair, ratio = reference time / arctalk
 * time (= arctalk throughput as a fraction of the reference's). Printed: the median
 * and range of the ratio and of both throughputs, plus the fixed cost of an empty
 * transfer (both clients start, pair, key exchange, END) so that the rate of the
 * bytes alone can be read off too.
 *
 * Environment: SIZE_MIB (100), ROUNDS (5).
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { createHash, randomFillSync } from 'node:crypto';
import { closeSync, mkdtempSync, openSync, readFileSync, rmSync, writeSync } from 'node:fs';
import { createServer, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { formatSpread, loadLine, machineLine, spread } from '../../../scripts/bench-common';

const SIZE_MIB = Number(process.env.SIZE_MIB ?? 100);
const ROUNDS = Number(process.env.ROUNDS ?? 5);
const clientCli = fileURLToPath(new URL('../dist/cli.js', import.meta.url));
const serverCli = fileURLToPath(new URL('../../server/dist/cli.js', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'arctalk-transfer-'));
const input = join(dir, 'input.bin');
const output = join(dir, 'output.bin');

/** Resolves with the exit code (rejects on a spawn error). */
function exited(child: ChildProcess): Promise<number> {
  return new Promise((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', (code, signal) => resolve(code ?? (signal ? 128 : 1)));
  });
}

function haveSocat(): boolean {
  return spawnSync('socat', ['-V'], { stdio: 'ignore' }).status === 0;
}

/** socat, installed from Debian's packages when missing (root only); else false. */
function ensureSocat(): boolean {
  if (haveSocat()) return true;
  if (process.getuid?.() !== 0) return false;
  console.log('socat is missing: apt-get install -y socat');
  spawnSync('apt-get', ['update'], { stdio: 'ignore' });
  spawnSync('apt-get', ['install', '-y', 'socat'], { stdio: 'ignore' });
  return haveSocat();
}

/** A free loopback port (bound, then released). */
function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer();
    s.listen(0, '127.0.0.1', () => {
      const a = s.address();
      s.close(() => resolve(typeof a === 'object' && a ? a.port : 0));
    });
  });
}

/** Starts a process that prints `listening on HOST:PORT` and resolves with its port. */
function startServer(): Promise<{ port: number; child: ChildProcess }> {
  const child = spawn(process.execPath, [serverCli, '--port', '0', '--log-level', 'warn'], {
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  return new Promise((resolve, reject) => {
    let out = '';
    child.stdout!.on('data', (d: Buffer) => {
      out += d.toString();
      const m = /listening on [^\s]+:(\d+)/.exec(out);
      if (m) resolve({ port: Number(m[1]), child });
    });
    child.once('exit', () => reject(new Error(`arctalk-server exited: ${out}`)));
  });
}

/** Seconds of one arctalk transfer: from spawn to both exits, and from the key exchange's end. */
interface Timing {
  whole: number;
  /** from the first "secured" status line (key exchange done) until both clients exited */
  afterHandshake: number;
}

/** One arctalk transfer of `file` (or nothing). */
async function arctalkOnce(port: number, room: string, file: string | undefined): Promise<Timing> {
  const env = { ...process.env, ARCTALK_PASSPHRASE: 'bench passphrase', ARCTALK_SERVER: `127.0.0.1:${port}` };
  const inFd = file ? openSync(file, 'r') : 'ignore';
  const outFd = openSync(output, 'w');
  const t0 = process.hrtime.bigint();
  let secured: bigint | undefined;
  const sender = spawn(process.execPath, [clientCli, '-r', room, '-n', 'sender'], {
    env,
    stdio: [inFd, 'ignore', 'pipe'],
  });
  const receiver = spawn(process.execPath, [clientCli, '-r', room, '-n', 'receiver'], {
    env,
    stdio: ['ignore', outFd, 'pipe'],
  });
  let errors = '';
  for (const c of [sender, receiver]) {
    c.stderr!.on('data', (d: Buffer) => {
      errors += d.toString();
      if (secured === undefined && /secured with/.test(errors)) secured = process.hrtime.bigint();
    });
  }
  const codes = await Promise.all([exited(sender), exited(receiver)]);
  const t1 = process.hrtime.bigint();
  if (typeof inFd === 'number') closeSync(inFd);
  closeSync(outFd);
  if (codes.some((c) => c !== 0)) throw new Error(`arctalk exited ${codes.join(', ')}: ${errors}`);
  if (secured === undefined) throw new Error(`no "secured with" status line: ${errors}`);
  return { whole: Number(t1 - t0) / 1e9, afterHandshake: Number(t1 - secured) / 1e9 };
}

/** One reference transfer through socat (relay and clients); seconds from spawning the clients. */
async function socatOnce(file: string | undefined): Promise<number> {
  const [a, b] = [await freePort(), await freePort()];
  const relay = spawn(
    'socat',
    [`TCP-LISTEN:${a},bind=127.0.0.1,reuseaddr`, `TCP-LISTEN:${b},bind=127.0.0.1,reuseaddr`],
    { stdio: 'ignore' },
  );
  const relayDone = exited(relay);
  await waitForPort(a);
  const t0 = process.hrtime.bigint();
  const sender = spawn('socat', ['-u', file ? `FILE:${file}` : '/dev/null', `TCP:127.0.0.1:${a}`], {
    stdio: 'ignore',
  });
  const receiver = spawn('socat', ['-u', `TCP:127.0.0.1:${b},retry=200,interval=0.005`, `CREATE:${output}`], {
    stdio: 'ignore',
  });
  const codes = await Promise.all([exited(sender), exited(receiver)]);
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  await relayDone;
  if (codes.some((c) => c !== 0)) throw new Error(`socat exited ${codes.join(', ')}`);
  return seconds;
}

/**
 * Waits until the port is in LISTEN state (Linux /proc/net/tcp; elsewhere 200 ms):
 * a probe connection would be taken by socat as the sender.
 */
async function waitForPort(port: number): Promise<void> {
  const hex = `:${port.toString(16).toUpperCase().padStart(4, '0')} `;
  for (let i = 0; i < 400; i++) {
    let table = '';
    try {
      table = readFileSync('/proc/net/tcp', 'utf8');
    } catch {
      await new Promise((r) => setTimeout(r, 200));
      return;
    }
    if (table.split('\n').some((line) => line.includes(hex) && / 0A /.test(line))) return;
    await new Promise((r) => setTimeout(r, 5));
  }
  throw new Error(`nothing listens on ${port}`);
}

/** The fallback reference: a bare Node relay (pairs, pipes) and plain socket clients. */
async function bareOnce(file: string | undefined): Promise<number> {
  const sockets: Socket[] = [];
  let waiting: Socket | undefined;
  const server = createServer((s) => {
    sockets.push(s);
    if (!waiting) {
      waiting = s;
      s.pause();
      return;
    }
    waiting.pipe(s);
    s.pipe(waiting);
    waiting.resume();
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const port = (server.address() as { port: number }).port;
  const script = (mode: 'send' | 'receive') =>
    mode === 'send'
      ? `const s=require('net').connect(${port},'127.0.0.1');process.stdin.pipe(s);`
      : `const s=require('net').connect(${port},'127.0.0.1');s.pipe(process.stdout);`;
  const t0 = process.hrtime.bigint();
  const inFd = file ? openSync(file, 'r') : 'ignore';
  const outFd = openSync(output, 'w');
  const sender = spawn(process.execPath, ['-e', script('send')], { stdio: [inFd, 'ignore', 'inherit'] });
  await new Promise((r) => setTimeout(r, 20));
  const receiver = spawn(process.execPath, ['-e', script('receive')], {
    stdio: ['ignore', outFd, 'inherit'],
  });
  await Promise.all([exited(sender), exited(receiver)]);
  const seconds = Number(process.hrtime.bigint() - t0) / 1e9;
  for (const s of sockets) s.destroy();
  server.close();
  if (typeof inFd === 'number') closeSync(inFd);
  closeSync(outFd);
  return seconds;
}

function sha256File(path: string): string {
  return createHash('sha256').update(readFileSync(path)).digest('hex');
}

async function main(): Promise<void> {
  console.log(`pipe-mode transfer of ${SIZE_MIB} MiB through a relay on loopback`);
  console.log(machineLine());
  const socat = ensureSocat();
  const refName = socat ? 'socat relay + socat clients' : 'bare Node relay + plain socket clients (no socat)';
  const reference = socat ? socatOnce : bareOnce;
  // The input: random bytes (incompressible, no pattern RC4 could meet).
  const fd = openSync(input, 'w');
  const block = new Uint8Array(1 << 20);
  for (let i = 0; i < SIZE_MIB; i++) writeSync(fd, randomFillSync(block));
  closeSync(fd);
  const inputHash = sha256File(input);
  const bytes = SIZE_MIB * 2 ** 20;

  const server = await startServer();
  let room = 0;
  const arctalk = (file: string | undefined) => arctalkOnce(server.port, `bench${room++}`, file);
  const check = (what: string, expected: string) => {
    const got = sha256File(output);
    if (got !== expected) throw new Error(`${what}: the received bytes differ from the input`);
  };
  const emptyHash = createHash('sha256').digest('hex');

  // Warm-up, not counted: page cache, JIT of the first process start, socat's first exec.
  await arctalk(input);
  check('arctalk warm-up', inputHash);
  await reference(input);
  check('reference warm-up', inputHash);

  const a: Timing[] = [];
  const r: number[] = [];
  for (let i = 0; i < ROUNDS; i++) {
    let ta: Timing;
    let tr: number;
    if (i % 2 === 0) {
      ta = await arctalk(input);
      check('arctalk', inputHash);
      tr = await reference(input);
      check('reference', inputHash);
    } else {
      tr = await reference(input);
      check('reference', inputHash);
      ta = await arctalk(input);
      check('arctalk', inputHash);
    }
    a.push(ta);
    r.push(tr);
    console.log(
      `  pair ${i + 1}: arctalk ${ta.whole.toFixed(2)} s (${ta.afterHandshake.toFixed(2)} s after the key exchange), reference ${tr.toFixed(2)} s`,
    );
  }
  const empty = await arctalk(undefined);
  check('arctalk (empty)', emptyHash);
  server.child.kill('SIGINT');
  await exited(server.child);
  rmSync(dir, { recursive: true, force: true });

  const mbs = (t: number) => bytes / t / 1e6;
  const rate = spread(a.map((t, i) => r[i]! / t.afterHandshake));
  const whole = spread(a.map((t, i) => r[i]! / t.whole));
  console.log(`reference: ${refName}; ${ROUNDS} interleaved pairs; median (min–max)`);
  console.log(
    `  arctalk, after the key exchange: ${formatSpread(spread(a.map((t) => mbs(t.afterHandshake))), 0)} MB/s`,
  );
  console.log(
    `  arctalk, whole (start to exit):  ${formatSpread(spread(a.map((t) => mbs(t.whole))), 0)} MB/s`,
  );
  console.log(`  reference, whole:                ${formatSpread(spread(r.map(mbs)), 0)} MB/s`);
  console.log(`  ratio arctalk / reference, the transfer (per pair):   ${formatSpread(rate, 3)}x`);
  console.log(`  ratio arctalk / reference, start to exit (per pair):  ${formatSpread(whole, 3)}x`);
  console.log(
    `  fixed cost, an empty transfer: ${empty.whole.toFixed(2)} s start to exit (${(empty.whole - empty.afterHandshake).toFixed(2)} s to the key exchange's end)`,
  );
  console.log(
    `goal >= 0.5x the reference (median of pairs, the transfer): ${rate.median.toFixed(3)}x, ${rate.median >= 0.5 ? 'met' : 'NOT met'}`,
  );
  console.log(loadLine());
}

await main();
