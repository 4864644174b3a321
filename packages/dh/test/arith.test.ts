import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { bigIntToBytes, bitLength, bytesToBigInt } from '../src/_bytes.js';
import { jacobi } from '../src/_jacobi.js';
import { FixedBaseTable, modPow } from '../src/_modpow.js';
import { groups } from '../src/groups.js';
import { isProbablePrime, refModPow, toBytes, toHex } from './reference.js';

/** Jacobi symbol by its definition: factor n, multiply Legendre symbols from Euler's criterion. */
function refJacobi(a: bigint, n: bigint): number {
  let result = 1;
  let m = n;
  for (let f = 3n; m > 1n; f += 2n) {
    while (m % f === 0n) {
      m /= f;
      const r = refModPow(((a % f) + f) % f, (f - 1n) / 2n, f);
      result *= r === 0n ? 0 : r === 1n ? 1 : -1;
    }
  }
  return result === 0 ? 0 : result; // no −0
}

describe('jacobi', () => {
  it('matches the definition for every odd n < 400 and a in [−20, n + 20]', () => {
    for (let n = 1n; n < 400n; n += 2n) {
      for (let a = -20n; a <= n + 20n; a++) expect(jacobi(a, n), `(${a}/${n})`).toBe(refJacobi(a, n));
    }
  });

  it('is Euler’s criterion y^q mod p for big safe primes (fast-check)', () => {
    const { p, q } = groups.ffdhe2048;
    fc.assert(
      fc.property(fc.bigInt(1n, p - 1n), (y) => {
        const euler = refModPow(y, q, p);
        expect(jacobi(y, p)).toBe(euler === 1n ? 1 : -1);
      }),
      { numRuns: 40 },
    );
  });

  it('handles long runs of factors of two and numbers near 2^53', () => {
    const p = groups.modp3072.p;
    for (const y of [1n << 100n, 3n << 64n, (1n << 53n) - 1n, (1n << 53n) + 1n, p - 1n, p - 2n]) {
      expect(jacobi(y, p)).toBe(refModPow(y, (p - 1n) / 2n, p) === 1n ? 1 : -1);
    }
    for (const n of [(1n << 53n) - 111n, 9007199254740881n, 2n ** 61n - 1n]) {
      expect(isProbablePrime(n)).toBe(true);
      for (const a of [2n, 3n, 5n, (1n << 52n) + 7n, n - 1n]) {
        expect(jacobi(a, n)).toBe(refModPow(a, (n - 1n) / 2n, n) === 1n ? 1 : -1);
      }
    }
  });

  it('rejects an even or non-positive n', () => {
    expect(() => jacobi(3n, 8n)).toThrow(RangeError);
    expect(() => jacobi(3n, -7n)).toThrow(RangeError);
    expect(jacobi(21n, 21n)).toBe(0);
  });
});

describe('modPow and FixedBaseTable', () => {
  it('modPow matches the reference on random operands (fast-check)', () => {
    fc.assert(
      fc.property(
        fc.bigInt(0n, 2n ** 600n),
        fc.bigInt(0n, 2n ** 700n),
        fc.bigInt(2n, 2n ** 512n),
        (b, e, m) => {
          expect(modPow(b, e, m)).toBe(refModPow(b, e, m));
        },
      ),
      { numRuns: 150 },
    );
    expect(modPow(5n, 0n, 1n)).toBe(0n);
    expect(modPow(0n, 0n, 7n)).toBe(1n);
  });

  it('FixedBaseTable matches the reference below and above maxBits', () => {
    const { p } = groups.ffdhe2048;
    const table = new FixedBaseTable(2n, p, 64);
    fc.assert(
      fc.property(fc.bigInt(0n, 2n ** 200n), (e) => {
        expect(table.pow(e)).toBe(refModPow(2n, e, p));
      }),
      { numRuns: 60 },
    );
    const small = new FixedBaseTable(3n, 1000003n, 20, 3);
    for (let e = 0n; e < 300n; e++) expect(small.pow(e)).toBe(refModPow(3n, e, 1000003n));
  });
});

describe('byte conversions', () => {
  it('round-trip and pad', () => {
    fc.assert(
      fc.property(fc.uint8Array({ minLength: 0, maxLength: 80 }), (bytes) => {
        const n = bytesToBigInt(bytes);
        expect(toHex(bigIntToBytes(n, bytes.length))).toBe(toHex(bytes));
        expect(toHex(bigIntToBytes(n, bytes.length + 3))).toBe(`000000${toHex(bytes)}`);
      }),
    );
    expect(toHex(bigIntToBytes(0x1abcn, 2))).toBe(toHex(toBytes(0x1abcn)));
    expect(() => bigIntToBytes(256n, 1)).toThrow(RangeError);
    expect(bitLength(0n)).toBe(0);
    expect(bitLength(255n)).toBe(8);
  });
});
