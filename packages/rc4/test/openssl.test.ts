/**
 * Cross-check against OpenSSL's RC4, through Node's crypto in a child process started with
 * --openssl-legacy-provider (OpenSSL 3 keeps RC4 in its legacy provider). If RC4 cannot be
 * loaded there, this test FAILS: it never skips.
 */
import { spawnSync } from 'node:child_process';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createRC4 } from '../src/index';
import { concat, fromHex, hex, splitAt } from './helpers';

interface Case {
  key: string;
  data: string;
  drop: number;
  cuts: number[];
}

// The child reads cases as JSON on stdin, and writes one hex ciphertext per case.
// It feeds the data to cipher.update() in the same pieces, after `drop` zero bytes.
const CHILD = `
const crypto = require('node:crypto');
const cases = JSON.parse(require('node:fs').readFileSync(0, 'utf8'));
if (!crypto.getCiphers().includes('rc4')) throw new Error('OpenSSL RC4 is not available');
const out = cases.map(({ key, data, drop, cuts }) => {
  const cipher = crypto.createCipheriv('rc4', Buffer.from(key, 'hex'), null);
  if (drop > 0) cipher.update(Buffer.alloc(drop));
  const bytes = Buffer.from(data, 'hex');
  const points = [...new Set(cuts.map((c) => Math.min(c, bytes.length)))].sort((a, b) => a - b);
  const parts = [];
  let start = 0;
  for (const p of [...points, bytes.length]) { parts.push(cipher.update(bytes.subarray(start, p))); start = p; }
  parts.push(cipher.final());
  return Buffer.concat(parts).toString('hex');
});
process.stdout.write(JSON.stringify(out));
`;

function openssl(cases: Case[]): string[] {
  const child = spawnSync(process.execPath, ['--openssl-legacy-provider', '-e', CHILD], {
    input: JSON.stringify(cases),
    encoding: 'utf8',
    maxBuffer: 64 * 1024 * 1024,
  });
  if (child.error) throw child.error;
  if (child.status !== 0)
    throw new Error(`OpenSSL RC4 child failed (status ${child.status}):\n${child.stderr}`);
  return JSON.parse(child.stdout) as string[];
}

describe('OpenSSL cross-check (node --openssl-legacy-provider)', () => {
  it('RC4 is available to the child, and it reproduces a known vector', () => {
    // RFC 6229, 40-bit key 0x0102030405, offset 0, and Key/Plaintext.
    const [zeros, classic] = openssl([
      { key: '0102030405', data: '00'.repeat(16), drop: 0, cuts: [] },
      {
        key: hex(new TextEncoder().encode('Key')),
        data: hex(new TextEncoder().encode('Plaintext')),
        drop: 0,
        cuts: [],
      },
    ]);
    expect(zeros).toBe('b2396305f03dc027ccc3524a0a1118a8');
    expect(classic).toBe('bbf316e8d940af0ad3');
  });

  it('agrees on 300 random keys, data, drops and splits', () => {
    const seed = Date.now() ^ (Math.random() * 0x7fffffff);
    const cases: Case[] = fc
      .sample(
        fc.record({
          key: fc.uint8Array({ minLength: 1, maxLength: 256 }),
          data: fc.uint8Array({ minLength: 0, maxLength: 5000 }),
          drop: fc.oneof(fc.constant(0), fc.constant(3072), fc.nat({ max: 5000 })),
          cuts: fc.array(fc.nat({ max: 5000 }), { maxLength: 12 }),
        }),
        { numRuns: 300, seed },
      )
      .map((c) => ({ key: hex(c.key), data: hex(c.data), drop: c.drop, cuts: c.cuts }));
    const expected = openssl(cases);
    expect(expected).toHaveLength(cases.length);
    cases.forEach((c, n) => {
      const stream = createRC4(fromHex(c.key), { drop: c.drop });
      const ours = concat(splitAt(fromHex(c.data), c.cuts).map((p) => stream.xor(p)));
      expect(hex(ours), `case ${n} (fast-check seed ${seed}): key ${c.key}, drop ${c.drop}`).toBe(
        expected[n],
      );
    });
  });
});
