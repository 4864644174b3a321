import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { createRC4, rc4 } from '../src/index';
import { concat, hex, splitAt } from './helpers';
import { referenceKeystream, referenceXor } from './reference';

const key = fc.uint8Array({ minLength: 1, maxLength: 256 });
const data = fc.uint8Array({ minLength: 0, maxLength: 3000 });
const cuts = fc.array(fc.nat({ max: 3000 }), { maxLength: 40 });
const drop = fc.oneof(fc.constant(0), fc.nat({ max: 4096 }), fc.constant(3072));

describe('properties (fast-check)', () => {
  it('agrees with the reference RC4 on random keys, data and drops', () => {
    fc.assert(
      fc.property(key, data, drop, (k, d, n) => {
        expect(hex(rc4(k, d, { drop: n }))).toBe(hex(referenceXor(k, d, n)));
      }),
      { numRuns: 300 },
    );
  });

  it('chunked in any split = one-shot', () => {
    fc.assert(
      fc.property(key, data, cuts, drop, (k, d, c, n) => {
        const stream = createRC4(k, { drop: n });
        const pieces = splitAt(d, c).map((p) => stream.xor(p));
        expect(hex(concat(pieces))).toBe(hex(rc4(k, d, { drop: n })));
        expect(stream.position).toBe(d.length);
      }),
      { numRuns: 500 },
    );
  });

  it('chunked in place (out = src) in any split = one-shot', () => {
    fc.assert(
      fc.property(key, data, cuts, (k, d, c) => {
        const expected = rc4(k, d);
        const buf = d.slice();
        const stream = createRC4(k);
        for (const p of splitAt(buf, c)) expect(stream.xor(p, p)).toBe(p);
        expect(hex(buf)).toBe(hex(expected));
      }),
      { numRuns: 300 },
    );
  });

  it('decrypt(encrypt(m)) = m', () => {
    fc.assert(
      fc.property(key, data, drop, (k, m, n) => {
        const c = rc4(k, m, { drop: n });
        expect(hex(rc4(k, c, { drop: n }))).toBe(hex(m));
        const enc = createRC4(k, { drop: n });
        const dec = createRC4(k, { drop: n });
        expect(hex(dec.xor(enc.xor(m)))).toBe(hex(m));
      }),
      { numRuns: 300 },
    );
  });

  it('skip(n) then keystream(m) = the tail of keystream(n + m)', () => {
    fc.assert(
      fc.property(key, fc.nat({ max: 5000 }), fc.nat({ max: 1000 }), (k, n, m) => {
        const s = createRC4(k);
        s.skip(n);
        expect(s.position).toBe(n);
        expect(hex(s.keystream(m))).toBe(
          hex(
            createRC4(k)
              .keystream(n + m)
              .subarray(n),
          ),
        );
      }),
      { numRuns: 300 },
    );
  });

  it('drop: n = skip(n), except that position starts at 0', () => {
    fc.assert(
      fc.property(key, fc.nat({ max: 5000 }), fc.nat({ max: 600 }), (k, n, m) => {
        const skipped = createRC4(k);
        skipped.skip(n);
        const dropped = createRC4(k, { drop: n });
        expect(dropped.position).toBe(0);
        expect(hex(dropped.keystream(m))).toBe(hex(skipped.keystream(m)));
        expect(hex(createRC4(k, { drop: n }).keystream(m))).toBe(hex(referenceKeystream(k, m, n)));
      }),
      { numRuns: 200 },
    );
  });

  it('interleaving two streams (as a client does with its send and receive streams) changes nothing', () => {
    fc.assert(
      fc.property(
        key,
        key,
        fc.array(fc.tuple(fc.boolean(), fc.nat({ max: 700 })), { maxLength: 30 }),
        (k1, k2, ops) => {
          const a = createRC4(k1, { drop: 3072 });
          const b = createRC4(k2, { drop: 3072 });
          const outA: Uint8Array[] = [];
          const outB: Uint8Array[] = [];
          for (const [first, n] of ops) (first ? outA : outB).push((first ? a : b).keystream(n));
          const ka = concat(outA);
          const kb = concat(outB);
          expect(hex(ka)).toBe(hex(referenceKeystream(k1, ka.length, 3072)));
          expect(hex(kb)).toBe(hex(referenceKeystream(k2, kb.length, 3072)));
        },
      ),
      { numRuns: 200 },
    );
  });
});
