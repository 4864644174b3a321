/**
 * `pnpm bench`: keygen + shared secret (peer-key validation included) per
 * operation, for ffdhe2048/3072/4096 and modp2048, comparing
 *
 * - @arctalk/dh, "node" entry (src/index.node.ts),
 * - @arctalk/dh, default pure-bigint entry (src/index.ts),
 * - raw node:crypto (getDiffieHellman('modp14') for modp2048,
 *   createDiffieHellman(p, 2) for the ffdhe groups; OpenSSL picks the exponent size),
 * - the npm `diffie-hellman` package's pure-JS implementation (browser.js,
 *   bn.js; the package's Node main would just re-export node:crypto), with its
 *   default full-size exponents and with exponents as short as ours.
 *
 * Every implementation is first checked to agree with the others on a shared
 * secret. Timing: rounds interleave the implementations (the order rotates each
 * round); reported are the median ms/op with its range, and the ratio to raw
 * node:crypto taken per round (same round, same load): median and range (min–max).
 */

import { createDiffieHellman, type DiffieHellmanGroup, getDiffieHellman, randomBytes } from 'node:crypto';
import { createRequire } from 'node:module';
import { formatSpread, loadLine, machineLine, spread } from '../../../scripts/bench-common';
import * as pureEntry from '../src/index.js';
import * as nodeEntry from '../src/index.node.js';

const require = createRequire(import.meta.url);
interface JsDH {
  generateKeys(): Buffer;
  computeSecret(other: Buffer): Buffer;
  setPrivateKey(priv: Buffer): void;
  getPublicKey(): Buffer;
}
const jsDH = require('diffie-hellman/browser.js') as {
  createDiffieHellman(prime: Buffer, generator: Buffer): JsDH;
};

/** What both node:crypto factories return (a DiffieHellmanGroup has no setters). */
type DiffieHellman = Pick<DiffieHellmanGroup, 'generateKeys' | 'computeSecret' | 'getPublicKey'>;
type Op = () => Uint8Array;
interface Impl {
  name: string;
  op: Op;
}

const args = new Map(process.argv.slice(2).map((a) => a.replace(/^--/, '').split('=') as [string, string]));
const ROUNDS = Number(args.get('rounds') ?? 7);
const TARGET_MS = Number(args.get('ms') ?? 100); // per implementation per round

const hex = (b: Uint8Array) => Buffer.from(b.buffer, b.byteOffset, b.byteLength).toString('hex');
function padTo(buf: Uint8Array, n: number): Uint8Array {
  const out = new Uint8Array(n);
  out.set(buf, n - buf.length);
  return out;
}

function checkAgreement(group: pureEntry.DHGroup, raw: () => DiffieHellman): void {
  // Party A's key pair from the pure entry; party B is raw node:crypto.
  const pure = pureEntry.createDH(group);
  const node = nodeEntry.createDH(group);
  const a = pure.keygen();
  const b = raw();
  b.generateKeys();
  const peer = padTo(b.getPublicKey(), group.byteLength);
  const expected = hex(padTo(b.computeSecret(Buffer.from(a.publicKey)), group.byteLength));
  const js = jsDH.createDiffieHellman(Buffer.from(group.p.toString(16), 'hex'), Buffer.from([2]));
  js.setPrivateKey(Buffer.from(a.secretKey));
  const results: Record<string, string> = {
    '@arctalk/dh (pure)': hex(pure.getSharedSecret(a.secretKey, peer)),
    '@arctalk/dh (node)': hex(node.getSharedSecret(a.secretKey, peer)),
    'diffie-hellman': hex(padTo(js.computeSecret(Buffer.from(peer)), group.byteLength)),
  };
  for (const [name, got] of Object.entries(results)) {
    if (got !== expected) throw new Error(`${group.name}: ${name} disagrees with node:crypto`);
  }
  if (hex(node.getPublicKey(a.secretKey)) !== hex(a.publicKey))
    throw new Error(`${group.name}: public keys disagree`);
  if (hex(padTo(js.generateKeys(), group.byteLength)) !== hex(a.publicKey))
    throw new Error(`${group.name}: public keys disagree`);
}

function implsFor(group: pureEntry.DHGroup, raw: () => DiffieHellman, rawLabel: string): Impl[] {
  const pure = pureEntry.createDH(group);
  const node = nodeEntry.createDH(group);
  const peer = pure.keygen().publicKey;
  const peerBuf = Buffer.from(peer);
  const prime = Buffer.from(group.p.toString(16), 'hex');
  const two = Buffer.from([2]);
  const shortLength = pure.lengths.secretKey;
  return [
    {
      name: rawLabel,
      op: () => {
        const d = raw();
        d.generateKeys();
        return d.computeSecret(peerBuf);
      },
    },
    { name: '@arctalk/dh (node)', op: () => node.getSharedSecret(node.keygen().secretKey, peer) },
    { name: '@arctalk/dh (pure)', op: () => pure.getSharedSecret(pure.keygen().secretKey, peer) },
    // Full-size exponents take seconds per operation on a loaded machine: one 2048-bit
    // group shows them (`pnpm bench` stays within minutes).
    ...(group.name === 'modp2048'
      ? [
          {
            name: 'diffie-hellman (js, full exp.)',
            op: () => {
              const d = jsDH.createDiffieHellman(prime, two);
              d.generateKeys();
              return d.computeSecret(peerBuf);
            },
          },
        ]
      : []),
    {
      name: `diffie-hellman (js, ${shortLength * 8}-bit exp.)`,
      op: () => {
        const d = jsDH.createDiffieHellman(prime, two);
        d.setPrivateKey(randomBytes(shortLength));
        d.generateKeys();
        return d.computeSecret(peerBuf);
      },
    },
  ];
}

function timeOnce(op: Op, iterations: number): number {
  const t0 = performance.now();
  for (let i = 0; i < iterations; i++) op();
  return (performance.now() - t0) / iterations;
}

function bench(title: string, impls: Impl[]): void {
  // Calibrate the iteration count per implementation (and warm up).
  const iterations = impls.map((impl) => {
    let n = 1;
    for (;;) {
      const ms = timeOnce(impl.op, n) * n;
      if (ms >= TARGET_MS / 4 || n >= 1 << 14)
        return Math.max(1, Math.round((n * TARGET_MS) / Math.max(ms, 0.001)));
      n *= 2;
    }
  });
  const samples: number[][] = impls.map(() => []);
  for (let r = 0; r < ROUNDS; r++) {
    for (let k = 0; k < impls.length; k++) {
      const i = (k + r) % impls.length;
      samples[i]?.push(timeOnce(impls[i]!.op, iterations[i] as number));
    }
  }
  const ref = samples[0]!;
  console.log(`\n${title}`);
  console.log('| implementation | ms/op | × node:crypto (per round) |');
  console.log('| --- | ---: | ---: |');
  impls.forEach((impl, i) => {
    const ms = spread(samples[i]!);
    const ratio = spread(samples[i]!.map((x, r) => x / ref[r]!));
    console.log(`| ${impl.name} | ${formatSpread(ms, 3)} | ${formatSpread(ratio)} |`);
  });
}

const { groups } = pureEntry;
const primeOf = (g: pureEntry.DHGroup) => Buffer.from(g.p.toString(16), 'hex');
const cases: Array<[pureEntry.DHGroup, () => DiffieHellman, string]> = [
  [groups.modp2048, () => getDiffieHellman('modp14'), "node:crypto getDiffieHellman('modp14')"],
  [
    groups.ffdhe2048,
    () => createDiffieHellman(primeOf(groups.ffdhe2048), Buffer.from([2])),
    'node:crypto createDiffieHellman(p, 2)',
  ],
  [
    groups.ffdhe3072,
    () => createDiffieHellman(primeOf(groups.ffdhe3072), Buffer.from([2])),
    'node:crypto createDiffieHellman(p, 2)',
  ],
  [
    groups.ffdhe4096,
    () => createDiffieHellman(primeOf(groups.ffdhe4096), Buffer.from([2])),
    'node:crypto createDiffieHellman(p, 2)',
  ],
];

console.log(
  `@arctalk/dh benchmark — keygen + shared secret (validation included); ${ROUNDS} interleaved rounds; median (min–max)`,
);
console.log(machineLine());
for (const [group, raw] of cases) checkAgreement(group, raw);
console.log('agreement: all implementations give identical shared secrets and public keys');
for (const [group, raw, label] of cases)
  bench(`${group.name} (${group.bits}-bit p)`, implsFor(group, raw, label));
console.log(loadLine());
