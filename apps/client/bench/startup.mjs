#!/usr/bin/env node
// Start-up benchmark of the built `arctalk` (run `pnpm build` first; `pnpm bench` does).
//
// Two measures, each a ratio against a reference measured in the same run, in
// paired, interleaved rounds (the order inside a pair alternates, so drift in the
// machine's load hits both sides alike):
//   version: wall time of `node dist/cli.js --version`  /  `node -e 0`
//   sas:     process start → "SAS:" on the stderr of BOTH of two pipe-mode clients
//            started together on loopback (server already listening)  /  two
//            `node -e 0` started together, until both have exited
// Prints the median ratio with its range (min–max), the machine and the date.
//
// Usage: node bench/startup.mjs [--rounds=N] [--json]
import { spawn } from 'node:child_process';
import os from 'node:os';
import { fileURLToPath } from 'node:url';

const cli = fileURLToPath(new URL('../dist/cli.js', import.meta.url));
const serverCli = fileURLToPath(new URL('../../server/dist/cli.js', import.meta.url));
const arg = (name, fallback) =>
  process.argv.find((a) => a.startsWith(`--${name}=`))?.split('=')[1] ?? fallback;
const rounds = Number(arg('rounds', '20'));
const asJson = process.argv.includes('--json');
const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('ARCTALK_')));

/** Runs a command; resolves with its wall time in ms once it has exited. */
function timed(args, options = {}) {
  return new Promise((resolve, reject) => {
    const start = process.hrtime.bigint();
    const child = spawn(process.execPath, args, { stdio: ['ignore', 'pipe', 'pipe'], env, ...options });
    let out = '';
    child.stdout.on('data', (c) => (out += c));
    child.stderr.on('data', (c) => (out += c));
    child.on('error', reject);
    child.on('close', (code) => {
      if (code !== 0) return reject(new Error(`${args.join(' ')} exited ${code}: ${out}`));
      resolve(Number(process.hrtime.bigint() - start) / 1e6);
    });
  });
}

/** Starts a pipe-mode client; resolves with ms from spawn to "SAS:" on its stderr. */
function untilSas(port, room, name) {
  return new Promise((resolve, reject) => {
    const start = process.hrtime.bigint();
    const child = spawn(
      process.execPath,
      [cli, `127.0.0.1:${port}`, '--room', room, '--name', name, '--unverified'],
      {
        stdio: ['pipe', 'ignore', 'pipe'],
        env,
      },
    );
    let err = '';
    let done = false;
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (text) => {
      err += text;
      if (!done && /SAS: /.test(err)) {
        done = true;
        const ms = Number(process.hrtime.bigint() - start) / 1e6;
        child.stdin.end(); // END; the client exits once its peer has ended too
        resolve(ms);
      }
    });
    child.on('close', (code) => {
      if (!done) reject(new Error(`client ${name} exited ${code} before the SAS: ${err}`));
    });
  });
}

function startServer() {
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      [serverCli, '--host', '127.0.0.1', '--port', '0', '--log-level', 'warn'],
      {
        stdio: ['ignore', 'pipe', 'inherit'],
        env,
      },
    );
    child.stdout.setEncoding('utf8');
    child.stdout.once('data', (line) => {
      const port = /:(\d+)\s*$/.exec(line.trim())?.[1];
      if (!port) reject(new Error(`server said ${line}`));
      else resolve({ child, port: Number(port) });
    });
    child.on('error', reject);
  });
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
};
const summary = (ratios) => ({
  median: median(ratios),
  min: Math.min(...ratios),
  max: Math.max(...ratios),
  rounds: ratios.length,
});

async function pairRounds(reference, measure) {
  const ratios = [];
  const refs = [];
  const subjects = [];
  for (let round = 0; round < rounds; round++) {
    let ref;
    let subject;
    if (round % 2 === 0) {
      ref = await reference();
      subject = await measure(round);
    } else {
      subject = await measure(round);
      ref = await reference();
    }
    refs.push(ref);
    subjects.push(subject);
    ratios.push(subject / ref);
  }
  return { ...summary(ratios), referenceMs: median(refs), subjectMs: median(subjects) };
}

// Warm the file cache (not measured).
await timed(['-e', '0']);
await timed([cli, '--version']);

const version = await pairRounds(
  () => timed(['-e', '0']),
  () => timed([cli, '--version']),
);

const { child: server, port } = await startServer();
await Promise.all([untilSas(port, 'warmup', 'alice'), untilSas(port, 'warmup', 'bob')]); // not measured
const sas = await pairRounds(
  async () => Math.max(...(await Promise.all([timed(['-e', '0']), timed(['-e', '0'])]))),
  async (round) => {
    const room = `bench-${process.pid}-${round}`;
    return Math.max(...(await Promise.all([untilSas(port, room, 'alice'), untilSas(port, room, 'bob')])));
  },
).finally(() => server.kill());

const machine = `${os.cpus()[0]?.model ?? 'unknown CPU'}, ${os.cpus().length} cores, ${os.platform()} ${os.release()}, Node ${process.versions.node}`;
const date = new Date().toISOString().slice(0, 10);
if (asJson) {
  console.log(JSON.stringify({ date, machine, rounds, version, sas }, null, 2));
} else {
  const fmt = (x) => x.toFixed(2);
  const line = (label, r, limit) =>
    `${label.padEnd(44)} ${fmt(r.median)}× (range ${fmt(r.min)}–${fmt(r.max)}; ${r.subjectMs.toFixed(0)} ms vs ${r.referenceMs.toFixed(0)} ms)  limit ${limit}×`;
  console.log(`arctalk start-up, ${rounds} paired interleaved rounds, ${date}, ${machine}`);
  console.log(line('arctalk --version / node -e 0', version, 1.5));
  console.log(line('start → SAS, 2 clients / 2 × node -e 0', sas, 2.5));
}
