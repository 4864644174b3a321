/**
 * RC4 throughput: @arctalk/rc4 against OpenSSL's RC4 (node:crypto, which needs
 * --openssl-legacy-provider) and the npm packages `arc4` and `rc4`, on 16 KiB chunks and on
 * 64-byte (chat-sized) chunks. Run with `pnpm bench` (see package.json).
 *
 * Every implementation is first checked against RFC 6229 section 2 (all 14 keys, all 18
 * offsets) and the three classic vectors, once in one call and once fed in pieces; the table
 * says which ones are correct. Then, per chunk size, each implementation runs for ROUND_MS
 * per round, the implementations interleaved in a rotating order, and the median of ROUNDS
 * rounds is reported as MB/s (10^6 bytes per second of this process's CPU time), with its
 * range, and as a ratio to OpenSSL taken per round (each implementation's rate over
 * OpenSSL's in the same round): the median ratio and its range (min–max). The machine may be shared: CPU time, the
 * median and the interleaving damp other processes' noise, but do not remove it (they
 * still compete for caches and cores).
 *
 * A full GC runs before each timed round (--expose-gc), so that no implementation is charged
 * for the garbage of the one before it.
 *
 * Environment: ROUNDS (default 9), ROUND_MS (default 150), SIZES (default "16384,64").
 */
import * as crypto from 'node:crypto';
import { createRequire } from 'node:module';
import { formatSpread, loadLine, machineLine, spread } from '../../../scripts/bench-common';
import { createRC4 } from '../src/index';
import classic from '../test/vectors/classic.json';
import rfc6229 from '../test/vectors/rfc6229.json';

const require = createRequire(import.meta.url);

/** One stateful encryptor: `update` takes the next chunk and returns its ciphertext. */
type Factory = (key: Uint8Array) => { update(chunk: Uint8Array): Uint8Array };

interface Impl {
  name: string;
  note: string;
  create: Factory;
}

interface Arc4Cipher {
  encodeBuffer(data: Uint8Array): Uint8Array;
}
interface Rc4Generator {
  randomByte(): number;
}

const impls: Impl[] = [
  {
    name: '@arctalk/rc4 xor(src)',
    note: 'new output array per call',
    create: (key) => {
      const s = createRC4(key);
      return { update: (chunk) => s.xor(chunk) };
    },
  },
  {
    name: '@arctalk/rc4 xor(src, out)',
    note: 'caller-owned output, reused',
    create: (key) => {
      const s = createRC4(key);
      let out = new Uint8Array(0);
      return {
        update: (chunk) => {
          if (out.length < chunk.length) out = new Uint8Array(chunk.length);
          return s.xor(chunk, out);
        },
      };
    },
  },
  {
    name: 'baseline: plain byte loop',
    note: 'the textbook loop (the package placeholder before this work), for scale',
    create: (key) => {
      const S = new Uint8Array(256);
      for (let n = 0; n < 256; n++) S[n] = n;
      for (let n = 0, j = 0; n < 256; n++) {
        j = (j + S[n]! + key[n % key.length]!) & 255;
        [S[n], S[j]] = [S[j]!, S[n]!];
      }
      let i = 0;
      let j = 0;
      return {
        update: (chunk) => {
          const out = new Uint8Array(chunk.length);
          for (let k = 0; k < chunk.length; k++) {
            i = (i + 1) & 255;
            j = (j + S[i]!) & 255;
            const t = S[i]!;
            S[i] = S[j]!;
            S[j] = t;
            out[k] = chunk[k]! ^ S[(S[i]! + S[j]!) & 255]!;
          }
          return out;
        },
      };
    },
  },
  {
    name: 'OpenSSL (node:crypto rc4)',
    note: 'cipher.update(), Buffer out',
    create: (key) => {
      const c = crypto.createCipheriv('rc4', key, null);
      return { update: (chunk) => c.update(chunk) };
    },
  },
  {
    name: 'npm arc4 3.4.0',
    note: 'encodeBuffer(); restarts its keystream on every call',
    create: (key) => {
      const c = (require('arc4') as (alg: string, key: unknown) => Arc4Cipher)('arc4', Buffer.from(key));
      return { update: (chunk) => c.encodeBuffer(Buffer.from(chunk.buffer, chunk.byteOffset, chunk.length)) };
    },
  },
  {
    name: 'npm rc4 0.1.5',
    note: 'a PRNG: data ^ randomByte()',
    create: (key) => {
      const Gen = require('rc4') as new (seed: number[]) => Rc4Generator;
      const g = new Gen(Array.from(key));
      return {
        update: (chunk) => {
          const out = new Uint8Array(chunk.length);
          for (let k = 0; k < chunk.length; k++) out[k] = chunk[k]! ^ g.randomByte();
          return out;
        },
      };
    },
  },
];

const fromHex = (text: string) => Uint8Array.from(text.match(/../g) ?? [], (b) => Number.parseInt(b, 16));
const toHex = (bytes: Uint8Array) => Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
const utf8 = (text: string) => new TextEncoder().encode(text);

/** Feeds `data` through a fresh encryptor in pieces of the given sizes (cycling), or whole. */
function run(impl: Impl, key: Uint8Array, data: Uint8Array, pieces?: number[]): Uint8Array {
  const enc = impl.create(key);
  if (!pieces) return Uint8Array.from(enc.update(data));
  const out = new Uint8Array(data.length);
  for (let at = 0, n = 0; at < data.length; n++) {
    const size = Math.min(pieces[n % pieces.length]!, data.length - at);
    out.set(enc.update(data.subarray(at, at + size)), at);
    at += size;
  }
  return out;
}

/** Counts the RFC 6229 rows and classic vectors an implementation gets right, whole and in pieces. */
function verify(impl: Impl, pieces?: number[]): { ok: number; total: number } {
  let ok = 0;
  let total = 0;
  for (const v of rfc6229.vectors) {
    let ks: Uint8Array;
    try {
      ks = run(impl, fromHex(v.key), new Uint8Array(4112), pieces);
    } catch {
      total += v.keystream.length;
      continue;
    }
    for (const row of v.keystream) {
      total++;
      if (toHex(ks.subarray(row.offset, row.offset + 16)) === row.keystream) ok++;
    }
  }
  for (const v of classic.vectors) {
    total++;
    try {
      if (toHex(run(impl, utf8(v.key), utf8(v.plaintext), pieces)) === v.ciphertext) ok++;
    } catch {}
  }
  return { ok, total };
}

/**
 * MB/s of `update` on `chunk`, run for about `ms` of wall-clock time. The rate is taken over
 * this process's CPU time (user + system), not wall-clock time: on a shared machine the
 * time spent descheduled then does not count against whichever implementation was running.
 */
function measure(impl: Impl, chunk: Uint8Array, ms: number): number {
  // Start from a clean heap, so that no implementation pays for another's garbage.
  (globalThis as { gc?: () => void }).gc?.();
  const enc = impl.create(crypto.getRandomValues(new Uint8Array(16)));
  const batch = Math.max(1, Math.floor(65536 / chunk.length));
  let calls = 0;
  let sink = 0;
  const start = performance.now();
  const cpu = process.cpuUsage();
  do {
    for (let r = 0; r < batch; r++) sink ^= enc.update(chunk)[0] ?? 0;
    calls += batch;
  } while (performance.now() - start < ms);
  const used = process.cpuUsage(cpu);
  if (sink === 0x1_0000) console.log('unreachable');
  return (calls * chunk.length) / (used.user + used.system); // bytes per microsecond = MB/s
}

const ROUNDS = Number(process.env.ROUNDS ?? 9);
const ROUND_MS = Number(process.env.ROUND_MS ?? 150);
const SIZES = (process.env.SIZES ?? '16384,64').split(',').map(Number);

if (!crypto.getCiphers().includes('rc4')) {
  throw new Error('OpenSSL RC4 is unavailable: run with node --openssl-legacy-provider (pnpm bench does)');
}

console.log('RC4 benchmark');
console.log(machineLine());
console.log(
  `${ROUNDS} interleaved rounds of ${ROUND_MS} ms; MB/s = 10^6 bytes per second of CPU time; median (min–max); x OpenSSL per round\n`,
);

const PIECES = [1, 7, 64, 3, 250, 16, 1000, 2];
const correctness = impls.map((impl) => ({ whole: verify(impl), pieces: verify(impl, PIECES) }));

const results = new Map<string, Map<number, number[]>>();
for (const size of SIZES) {
  const chunk = crypto.getRandomValues(new Uint8Array(size));
  for (const impl of impls) measure(impl, chunk, 50); // warm-up
  const samples = impls.map(() => [] as number[]);
  for (let round = 0; round < ROUNDS; round++) {
    for (let n = 0; n < impls.length; n++) {
      const which = (n + round) % impls.length;
      samples[which]!.push(measure(impls[which]!, chunk, ROUND_MS));
    }
  }
  impls.forEach((impl, n) => {
    if (!results.has(impl.name)) results.set(impl.name, new Map());
    results.get(impl.name)!.set(size, samples[n]!);
  });
}

const openssl = results.get('OpenSSL (node:crypto rc4)')!;
const label = (size: number) => (size >= 1024 ? `${size / 1024} KiB` : `${size} B`);
const header = [
  'implementation',
  'vectors whole',
  'vectors in pieces',
  ...SIZES.flatMap((s) => [`MB/s ${label(s)}`, 'x OpenSSL']),
];
const rows = impls.map((impl, n) => {
  const c = correctness[n]!;
  const mark = (r: { ok: number; total: number }) =>
    `${r.ok === r.total ? 'ok' : 'WRONG'} ${r.ok}/${r.total}`;
  return [
    impl.name,
    mark(c.whole),
    mark(c.pieces),
    ...SIZES.flatMap((s) => {
      const v = results.get(impl.name)!.get(s)!;
      const ref = openssl.get(s)!;
      const rate = spread(v);
      return [
        formatSpread(rate, rate.median < 10 ? 2 : 0),
        `${formatSpread(spread(v.map((x, r) => x / ref[r]!)))}x`,
      ];
    }),
  ];
});
const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
const line = (cells: string[]) => `| ${cells.map((c, i) => c.padEnd(widths[i]!)).join(' | ')} |`;
console.log(line(header));
console.log(`|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`);
for (const r of rows) console.log(line(r));
console.log('');
impls.forEach((impl, n) => {
  const c = correctness[n]!;
  const wrong = c.whole.ok !== c.whole.total || c.pieces.ok !== c.pieces.total;
  console.log(`${wrong ? '!' : ' '} ${impl.name}: ${impl.note}`);
});
console.log(loadLine());
