#!/usr/bin/env node
// `pnpm demo`: a whole arctalk conversation on loopback, no build needed.
//
// Starts arctalk-server on a free port, puts a recording TCP tap in front of it
// (standing in for the untrusted relay's view), runs two scripted arctalk
// clients in pipe mode through it, then shows what each side sent and
// received, the SAS both sides printed, and a hex sample of what the relay
// forwarded. Exits 0 only if every byte arrived intact, both SAS are equal,
// both clients exited 0, and no plaintext crossed the wire.
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import net from 'node:net';
import { fileURLToPath } from 'node:url';
// Run with tsx and the "@arctalk/source" export condition (`pnpm demo`): the protocol and the
// libraries it imports load from their TypeScript source, so no build is needed (nor used).
import {
  encodeFrame,
  FrameDecoder,
  FrameType,
  frameTypeName,
  isClientToClientType,
} from '../packages/protocol/src/index.ts';

const root = fileURLToPath(new URL('..', import.meta.url));
const serverDir = `${root}apps/server`;
const clientDir = `${root}apps/client`;

const scripts = {
  alice: [
    'Hi Bob, this is Alice.',
    'Before we go on: my SAS is on my stderr. Read me yours?',
    'The launch code is 0000, as usual.  ¯\\_(ツ)_/¯',
    'Bye!',
  ],
  bob: ['Hello Alice, Bob here.', 'Mine matches, so nobody sits in the middle.', 'Talk soon.'],
};

const children = new Set();
const sha = (bytes) => createHash('sha256').update(bytes).digest('hex');
const env = Object.fromEntries(Object.entries(process.env).filter(([key]) => !key.startsWith('ARCTALK_')));

function fail(message) {
  process.stderr.write(`\ndemo FAILED: ${message}\n`);
  for (const child of children) child.kill('SIGKILL');
  process.exit(1);
}
const deadline = setTimeout(() => fail('timed out after 90 s'), 90_000);

function run(dir, entry, args, input, extraEnv = {}) {
  const child = spawn(process.execPath, ['--conditions=@arctalk/source', '--import', 'tsx', entry, ...args], {
    cwd: dir,
    env: { ...env, ...extraEnv },
    stdio: [input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe'],
  });
  children.add(child);
  const stdout = [];
  let stderr = '';
  child.stdout.on('data', (chunk) => stdout.push(chunk));
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (text) => {
    stderr += text;
  });
  if (input !== undefined) child.stdin.end(input);
  const exited = new Promise((resolve) =>
    child.once('close', (code) => {
      children.delete(child);
      resolve(code);
    }),
  );
  return { child, exited, stdout: () => Buffer.concat(stdout), stderr: () => stderr };
}

/** A TCP tap: forwards each connection to the server and records both directions. */
async function startTap(targetPort) {
  const streams = []; // { name: 'conn N', up: Buffer[], down: Buffer[] }
  const server = net.createServer((client) => {
    const record = { up: [], down: [] };
    streams.push(record);
    const upstream = net.connect({ host: '127.0.0.1', port: targetPort });
    const pipe = (from, to, chunks) => {
      from.on('data', (chunk) => {
        chunks.push(chunk);
        to.write(chunk);
      });
      from.on('end', () => to.end());
      from.on('error', () => to.destroy());
      from.on('close', () => to.destroy());
    };
    pipe(client, upstream, record.up);
    pipe(upstream, client, record.down);
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { port: server.address().port, streams, close: () => server.close() };
}

/** The whole frames of one recorded stream, with the protocol's own decoder. */
function frames(bytes) {
  return new FrameDecoder({ acceptType: () => true }).decode(new Uint8Array(bytes)).frames;
}

function hexdump(bytes, indent = '    ') {
  const lines = [];
  for (let i = 0; i < bytes.length; i += 16) {
    const row = bytes.subarray(i, i + 16);
    const hex = [...row].map((b) => b.toString(16).padStart(2, '0')).join(' ');
    const ascii = [...row].map((b) => (b >= 0x20 && b < 0x7f ? String.fromCharCode(b) : '.')).join('');
    lines.push(`${indent}${i.toString(16).padStart(4, '0')}  ${hex.padEnd(47)}  |${ascii}|`);
  }
  return lines.join('\n');
}

const quote = (bytes) =>
  bytes
    .toString('utf8')
    .split('\n')
    .filter((line, i, all) => line !== '' || i < all.length - 1)
    .map((line) => `    │ ${line}`)
    .join('\n');

// 1. The server.
console.log('arctalk demo: a server, a relay tap and two scripted clients on loopback\n');
let stopping = false;
const server = run(serverDir, 'src/cli.ts', ['--host', '127.0.0.1', '--port', '0', '--log-level', 'warn']);
server.child.stdout.setEncoding('utf8');
const port = await new Promise((resolve) => {
  let buffer = '';
  server.child.stdout.on('data', (text) => {
    buffer += text;
    const match = /listening on .+:(\d+)\n/.exec(buffer);
    if (match) resolve(Number(match[1]));
  });
  server.exited.then((code) => {
    if (!stopping) fail(`arctalk-server exited (${code}): ${server.stderr()}`);
  });
});
const tap = await startTap(port);
console.log(`  arctalk-server   listening on 127.0.0.1:${port}`);
console.log(
  `  relay tap        127.0.0.1:${tap.port} → 127.0.0.1:${port} (records every byte the relay sees)\n`,
);

// 2. Two clients in pipe mode, through the tap.
const room = `demo-${process.pid}`;
const inputs = {
  alice: Buffer.from(`${scripts.alice.join('\n')}\n`),
  bob: Buffer.from(`${scripts.bob.join('\n')}\n`),
};
const clientArgs = (name) => [`127.0.0.1:${tap.port}`, '--room', room, '--name', name];
// Pipe mode sends nothing to a peer it has not authenticated: the two share a
// passphrase (agreed out of band), which key confirmation checks before any text.
const shared = { ARCTALK_PASSPHRASE: 'demo passphrase, agreed out of band' };
console.log('  alice and bob    share a passphrase (ARCTALK_PASSPHRASE): each authenticates the other\n');
const alice = run(clientDir, 'src/cli.tsx', clientArgs('alice'), inputs.alice, shared);
const bob = run(clientDir, 'src/cli.tsx', clientArgs('bob'), inputs.bob, shared);
const [aliceCode, bobCode] = await Promise.all([alice.exited, bob.exited]);
stopping = true;
server.child.kill('SIGTERM');
await server.exited;
tap.close();
clearTimeout(deadline);

// 3. What happened.
const problems = [];
const sides = [
  ['alice', alice, inputs.alice, 'bob', bob],
  ['bob', bob, inputs.bob, 'alice', alice],
];
for (const [name, , sent, peerName, peer] of sides) {
  const received = peer.stdout();
  const ok = received.equals(sent);
  console.log(`${name} sent ${sent.length} bytes:`);
  console.log(quote(sent));
  console.log(`${peerName} received ${received.length} bytes:`);
  console.log(quote(received));
  console.log(
    `  ${ok ? '✔' : '✘'} ${ok ? 'identical' : 'DIFFERENT'} (sha256 ${sha(sent).slice(0, 16)}… → ${sha(received).slice(0, 16)}…)\n`,
  );
  if (!ok) problems.push(`${peerName} did not receive exactly what ${name} sent`);
}

const sasOf = (stderr) => /^arctalk: SAS: (.+)$/m.exec(stderr)?.[1];
const sas = { alice: sasOf(alice.stderr()), bob: sasOf(bob.stderr()) };
console.log('SAS (short authentication string) each side printed on stderr:');
console.log(`    alice: ${sas.alice ?? '(none)'}`);
console.log(`    bob:   ${sas.bob ?? '(none)'}`);
const sasOk = sas.alice !== undefined && sas.alice === sas.bob;
console.log(
  `  ${sasOk ? '✔ equal: no one sat in the middle of the key exchange' : '✘ NOT equal'} (users compare it by voice)\n`,
);
if (!sasOk) problems.push('the two SAS differ or are missing');

const wire = Buffer.concat(tap.streams.flatMap((s) => [...s.up, ...s.down]));
// What the relay forwarded to the peer: the client-to-client frames on a server→client stream.
const relayed = tap.streams
  .flatMap((s) => frames(Buffer.concat(s.down)))
  .filter((f) => isClientToClientType(f.type));
const counts = new Map();
for (const f of relayed) {
  const type = frameTypeName(f.type) ?? `0x${f.type.toString(16)}`;
  counts.set(type, (counts.get(type) ?? 0) + 1);
}
const census = [...counts].map(([type, count]) => `${count} ${type}`).join(', ');
console.log(`What the relay saw: ${wire.length} bytes in all; it forwarded ${census}.`);
const data = relayed.find((f) => f.type === FrameType.DATA);
if (data) {
  const sample = Buffer.from(encodeFrame(data));
  console.log(
    'A DATA frame as relayed (u32 length | u8 type 0x13 | u64 offset | RC4 ciphertext | 16-byte tag):',
  );
  console.log(hexdump(sample.subarray(0, Math.min(sample.length, 96))));
  if (sample.length > 96) console.log(`    … ${sample.length - 96} more bytes`);
} else {
  problems.push('no DATA frame was relayed');
}
const leaked = [...scripts.alice, ...scripts.bob].filter((line) => wire.includes(Buffer.from(line)));
console.log(
  `  ${leaked.length === 0 ? '✔ none of the plaintext lines appears anywhere in the relayed bytes' : `✘ PLAINTEXT ON THE WIRE: ${leaked.join(' / ')}`}\n`,
);
if (leaked.length > 0) problems.push('plaintext was visible to the relay');

console.log(`exit codes: alice ${aliceCode}, bob ${bobCode}`);
if (aliceCode !== 0 || bobCode !== 0) {
  problems.push(`clients exited ${aliceCode} and ${bobCode}`);
  console.log(`alice stderr:\n${alice.stderr()}\nbob stderr:\n${bob.stderr()}`);
}

if (problems.length > 0) fail(problems.join('; '));
console.log('\ndemo OK');
