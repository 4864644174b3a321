/**
 * The test body shared by both entries: pure.test.ts runs it on src/index.ts,
 * node.test.ts on src/index.node.ts. Expected values come from RFC 5114
 * Appendix A (test/vectors/rfc5114.json) or from test/reference.ts, never from
 * the code under test.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import type * as Api from '../src/index.js';
import {
  fromHex,
  isProbablePrime,
  refModPow,
  SMALL_P,
  seededRandomBytes,
  small,
  toBigInt,
  toBytes,
  toHex,
} from './reference.js';
import rfc5114 from './vectors/rfc5114.json' with { type: 'json' };

type DHApi = typeof Api;

const plain = (u: Uint8Array) => Object.getPrototypeOf(u) === Uint8Array.prototype;

export function dhSuite(entry: string, api: DHApi): void {
  const { createDH, groups, InvalidPublicKeyError } = api;
  const named = Object.values(groups);

  describe(`${entry}: RFC 5114 Appendix A vectors`, () => {
    const qBits: Record<string, number> = { 'A.1': 160, 'A.2': 224, 'A.3': 256 };
    for (const v of rfc5114.vectors) {
      describe(`${v.section} ${v.group}`, () => {
        const p = BigInt(`0x${v.p}`);
        const dh = createDH({ p, g: BigInt(`0x${v.g}`), q: BigInt(`0x${v.q}`) });
        const len = dh.lengths.publicKey;
        const pad = (hex: string) => toHex(fromHex(hex)).padStart(len * 2, '0');

        it('group shape: |p|, |q|, lengths', () => {
          expect(dh.group.bits).toBe(v.section === 'A.1' ? 1024 : 2048);
          expect(dh.group.q.toString(2).length).toBe(qBits[v.section]);
          expect(dh.group.name).toBe('custom');
          expect(dh.lengths).toEqual({
            secretKey: (qBits[v.section] as number) / 8,
            publicKey: len,
            sharedSecret: len,
          });
          expect(Object.isFrozen(dh.group)).toBe(true);
        });
        it('xA → yA, xB → yB', () => {
          expect(toHex(dh.getPublicKey(fromHex(v.xA)))).toBe(pad(v.yA));
          expect(toHex(dh.getPublicKey(fromHex(v.xB)))).toBe(pad(v.yB));
        });
        it('Z from (xA, yB) and from (xB, yA)', () => {
          expect(toHex(dh.getSharedSecret(fromHex(v.xA), fromHex(v.yB)))).toBe(pad(v.Z));
          expect(toHex(dh.getSharedSecret(fromHex(v.xB), fromHex(v.yA)))).toBe(pad(v.Z));
        });
        it('yA, yB and g validate; p − yA (order 2q) and p − 1 do not', () => {
          dh.validatePublicKey(fromHex(v.yA));
          dh.validatePublicKey(fromHex(v.yB));
          dh.validatePublicKey(toBytes(dh.group.g));
          expect(() => dh.validatePublicKey(toBytes(p - BigInt(`0x${v.yA}`)))).toThrow(InvalidPublicKeyError);
          expect(() => dh.validatePublicKey(toBytes(p - 1n))).toThrow(InvalidPublicKeyError);
          // y^q ≠ 1 for 2 in these groups (2 is not in the small subgroup), by the reference.
          expect(refModPow(2n, dh.group.q, p)).not.toBe(1n);
          expect(() => dh.validatePublicKey(toBytes(2n))).toThrow(InvalidPublicKeyError);
        });
        it('keygen draws secret keys uniformly in [2, q − 1]', () => {
          const d = createDH(dh.group, { randomBytes: seededRandomBytes(5114) });
          for (let i = 0; i < 4; i++) {
            const { secretKey, publicKey } = d.keygen();
            const x = toBigInt(secretKey);
            expect(secretKey.length).toBe(d.lengths.secretKey);
            expect(x >= 2n && x < d.group.q).toBe(true);
            expect(toBigInt(publicKey)).toBe(refModPow(d.group.g, x, p));
          }
        });
      });
    }
  });

  describe(`${entry}: agreement`, () => {
    it('small safe-prime group: p and q are prime, g = 2 has order q', () => {
      expect(isProbablePrime(SMALL_P)).toBe(true);
      expect(isProbablePrime(small.q)).toBe(true);
      expect(refModPow(2n, small.q, SMALL_P)).toBe(1n);
    });

    it('small group: DH commutes and matches the reference (fast-check)', () => {
      const dh = createDH(small);
      expect(dh.lengths).toEqual({ secretKey: 8, publicKey: 8, sharedSecret: 8 });
      const scalar = fc.bigInt(2n, small.q - 1n);
      fc.assert(
        fc.property(scalar, scalar, fc.boolean(), (a, b, padded) => {
          const sa = padded ? toBytes(a, 8) : toBytes(a);
          const sb = toBytes(b);
          const pa = dh.getPublicKey(sa);
          const pb = dh.getPublicKey(sb);
          expect(pa.length).toBe(8);
          expect(toBigInt(pa)).toBe(refModPow(2n, a, SMALL_P));
          const k1 = dh.getSharedSecret(sa, pb);
          const k2 = dh.getSharedSecret(sb, pa);
          expect(toHex(k1)).toBe(toHex(k2));
          expect(k1.length).toBe(8);
          expect(toBigInt(k1)).toBe(refModPow(2n, a * b, SMALL_P));
        }),
        { numRuns: 300 },
      );
    });

    it('small group: keygen pairs agree; keys are in range and validate (fast-check)', () => {
      fc.assert(
        fc.property(fc.integer({ min: 1, max: 2 ** 31 - 1 }), (seed) => {
          const dh = createDH(small, { randomBytes: seededRandomBytes(seed) });
          const a = dh.keygen();
          const b = dh.keygen();
          dh.validatePublicKey(a.publicKey);
          expect(toHex(dh.getPublicKey(a.secretKey))).toBe(toHex(a.publicKey));
          expect(toHex(dh.getSharedSecret(a.secretKey, b.publicKey))).toBe(
            toHex(dh.getSharedSecret(b.secretKey, a.publicKey)),
          );
        }),
        { numRuns: 200 },
      );
    });

    it('ffdhe2048: keygen pairs agree and match the reference (fast-check, few runs)', () => {
      const { p } = groups.ffdhe2048;
      fc.assert(
        fc.property(fc.integer({ min: 1, max: 2 ** 31 - 1 }), (seed) => {
          const dh = createDH(groups.ffdhe2048, { randomBytes: seededRandomBytes(seed) });
          const a = dh.keygen();
          const b = dh.keygen();
          expect(toBigInt(a.publicKey)).toBe(refModPow(2n, toBigInt(a.secretKey), p));
          const k = dh.getSharedSecret(a.secretKey, b.publicKey);
          expect(k.length).toBe(256);
          expect(toHex(k)).toBe(toHex(dh.getSharedSecret(b.secretKey, a.publicKey)));
          expect(toBigInt(k)).toBe(refModPow(toBigInt(b.publicKey), toBigInt(a.secretKey), p));
        }),
        { numRuns: 4 },
      );
    });

    it('injected randomBytes makes keygen reproducible', () => {
      const one = createDH(groups.ffdhe2048, { randomBytes: seededRandomBytes(42) }).keygen();
      const two = createDH(groups.ffdhe2048, { randomBytes: seededRandomBytes(42) }).keygen();
      expect(toHex(one.secretKey)).toBe(toHex(two.secretKey));
      expect(toHex(one.publicKey)).toBe(toHex(two.publicKey));
      const other = createDH(groups.ffdhe2048, { randomBytes: seededRandomBytes(43) }).keygen();
      expect(toHex(other.secretKey)).not.toBe(toHex(one.secretKey));
    });

    it('keygen rejects draws outside the range and takes the next one', () => {
      const draws = [
        toBytes(0n, 8),
        toBytes(1n, 8),
        new Uint8Array(8).fill(0xff),
        toBytes(small.q, 8),
        toBytes(12345n, 8),
      ];
      const dh = createDH(small, { randomBytes: () => draws.shift() ?? new Uint8Array(8) });
      const { secretKey, publicKey } = dh.keygen();
      expect(toBigInt(secretKey)).toBe(12345n);
      expect(toBigInt(publicKey)).toBe(refModPow(2n, 12345n, SMALL_P));
      expect(draws).toHaveLength(0);
    });

    it('default randomBytes: two key pairs differ and agree', () => {
      const dh = createDH(groups.ffdhe2048);
      const a = dh.keygen();
      const b = dh.keygen();
      expect(toHex(a.secretKey)).not.toBe(toHex(b.secretKey));
      expect(toHex(dh.getSharedSecret(a.secretKey, b.publicKey))).toBe(
        toHex(dh.getSharedSecret(b.secretKey, a.publicKey)),
      );
    });
  });

  describe(`${entry}: lengths and encodings`, () => {
    const expected: Record<string, number> = {
      ffdhe2048: 232,
      ffdhe3072: 280,
      ffdhe4096: 328,
      ffdhe6144: 376,
      ffdhe8192: 400,
      modp2048: 232,
      modp3072: 280,
      modp4096: 328,
      modp6144: 376,
      modp8192: 400,
    };
    it('lengths per named group (secret exponents ≥ max(2·strength, RFC 7919 §5.2))', () => {
      for (const group of named) {
        const dh = createDH(group);
        expect(dh.group).toBe(group);
        expect(dh.lengths).toEqual({
          secretKey: (expected[group.name] as number) / 8,
          publicKey: group.bits / 8,
          sharedSecret: group.bits / 8,
        });
        expect(Object.isFrozen(dh)).toBe(true);
        expect(Object.isFrozen(dh.lengths)).toBe(true);
      }
    });

    it('secretKeyBits bounds generated secrets; ≥ |q| means uniform in [2, q − 1]', () => {
      const rnd = seededRandomBytes(7);
      const dh = createDH(groups.ffdhe2048, { secretKeyBits: 225, randomBytes: rnd });
      expect(dh.lengths.secretKey).toBe(29);
      for (let i = 0; i < 20; i++) {
        const { secretKey } = dh.keygen();
        expect(secretKey[0]).toBeLessThan(2);
      }
      const full = createDH(small, { secretKeyBits: 4096, randomBytes: rnd });
      expect(full.lengths.secretKey).toBe(8);
      for (let i = 0; i < 50; i++) expect(toBigInt(full.keygen().secretKey) < small.q).toBe(true);
    });

    it('public key and shared secret with leading zeros are padded to |p| bytes', () => {
      for (const group of [groups.ffdhe2048, groups.modp3072]) {
        const dh = createDH(group);
        const n = group.byteLength;
        // g^100 = 2^100 < p: 13 significant bytes, the rest zeros.
        const pub = dh.getPublicKey(Uint8Array.of(100));
        expect(pub.length).toBe(n);
        expect(toBigInt(pub)).toBe(1n << 100n);
        expect(pub.subarray(0, n - 13).every((b) => b === 0)).toBe(true);
        // (2^2)^7 = 2^14: a one-byte peer key, a two-byte shared secret.
        const k = dh.getSharedSecret(Uint8Array.of(7), Uint8Array.of(4));
        expect(k.length).toBe(n);
        expect(toBigInt(k)).toBe(1n << 14n);
        // Shorter and left-padded encodings of the same values are equal inputs.
        const padded = dh.getSharedSecret(toBytes(7n, n), toBytes(4n, n));
        expect(toHex(padded)).toBe(toHex(k));
      }
    });

    it('returns plain Uint8Arrays, accepts Buffers and offset subarrays, never mutates inputs', () => {
      const dh = createDH(groups.ffdhe2048, { randomBytes: seededRandomBytes(9) });
      const a = dh.keygen();
      const b = dh.keygen();
      expect(plain(a.secretKey) && plain(a.publicKey)).toBe(true);
      const big = new Uint8Array(a.secretKey.length + b.publicKey.length + 3);
      big.set(a.secretKey, 1);
      big.set(b.publicKey, 2 + a.secretKey.length);
      const sk = big.subarray(1, 1 + a.secretKey.length);
      const pk = big.subarray(2 + a.secretKey.length, 2 + a.secretKey.length + b.publicKey.length);
      const snapshot = toHex(big);
      const k1 = dh.getSharedSecret(sk, pk);
      const k2 = dh.getSharedSecret(Buffer.from(a.secretKey), Buffer.from(b.publicKey));
      expect(toHex(big)).toBe(snapshot);
      expect(plain(k1) && plain(k2)).toBe(true);
      expect(toHex(k1)).toBe(toHex(k2));
      expect(plain(dh.getPublicKey(Buffer.from(a.secretKey)))).toBe(true);
    });
  });

  describe(`${entry}: invalid peer keys`, () => {
    const all = [
      ...named,
      ...rfc5114.vectors.map((v) =>
        Object.freeze({
          name: `rfc5114 ${v.section}`,
          p: BigInt(`0x${v.p}`),
          g: BigInt(`0x${v.g}`),
          q: BigInt(`0x${v.q}`),
        }),
      ),
      { name: 'small', ...small },
    ];
    for (const group of all) {
      it(`${group.name}: 0, 1, p − 1, p, p + 1, 2^bits, wrong lengths, non-residues rejected; g accepted`, () => {
        const dh = createDH(group);
        const { p, g, q, byteLength, bits } = dh.group;
        const safe = q === (p - 1n) / 2n;
        const bad: Uint8Array[] = [
          toBytes(0n),
          toBytes(1n),
          toBytes(p - 1n),
          toBytes(p),
          toBytes(p + 1n),
          toBytes(1n << BigInt(bits)),
          toBytes(0n, byteLength),
          toBytes(1n, byteLength),
          new Uint8Array(0),
          toBytes(g, byteLength + 1), // a valid value in too many bytes
          new Uint8Array(byteLength + 1).fill(0xff),
          toBytes(p - g), // −g has order 2q
        ];
        if (safe) bad.push(toBytes(p - 2n)); // −2: a quadratic non-residue when p ≡ 7 (mod 8)
        if (safe) expect(p % 8n).toBe(7n);
        const secret = Uint8Array.of(5);
        for (const y of bad) {
          expect(() => dh.validatePublicKey(y), `y = ${toHex(y)}`).toThrow(InvalidPublicKeyError);
          // The peer key is checked before the secret key: even an invalid secret yields InvalidPublicKeyError.
          expect(() => dh.getSharedSecret(new Uint8Array(0), y)).toThrow(InvalidPublicKeyError);
          expect(() => dh.getSharedSecret(secret, y)).toThrow(InvalidPublicKeyError);
        }
        dh.validatePublicKey(toBytes(g));
        dh.validatePublicKey(toBytes(g, byteLength));
        const k = dh.getSharedSecret(secret, toBytes(g));
        expect(toBigInt(k)).toBe(refModPow(g, 5n, p));
      });
    }

    it('InvalidPublicKeyError is a named Error', () => {
      const dh = createDH(groups.ffdhe2048);
      let caught: unknown;
      try {
        dh.validatePublicKey(Uint8Array.of(1));
      } catch (e) {
        caught = e;
      }
      expect(caught).toBeInstanceOf(Error);
      expect(caught).toBeInstanceOf(InvalidPublicKeyError);
      expect((caught as Error).name).toBe('InvalidPublicKeyError');
      expect((caught as Error).message).toMatch(/publicKey/);
    });
  });

  describe(`${entry}: wrong arguments`, () => {
    const dh = createDH(groups.ffdhe2048);
    const ok = dh.keygen();
    const notBytes: unknown[] = [
      '00',
      5,
      null,
      undefined,
      [1, 2],
      new Uint16Array(4),
      new ArrayBuffer(8),
      {},
    ];

    it('TypeError for non-Uint8Array keys, naming the argument', () => {
      for (const v of notBytes) {
        expect(() => dh.getPublicKey(v as Uint8Array)).toThrow(TypeError);
        expect(() => dh.getPublicKey(v as Uint8Array)).toThrow(/"secretKey" expected Uint8Array/);
        expect(() => dh.getSharedSecret(ok.secretKey, v as Uint8Array)).toThrow(
          /"peerPublicKey" expected Uint8Array/,
        );
        expect(() => dh.getSharedSecret(v as Uint8Array, ok.publicKey)).toThrow(TypeError);
        expect(() => dh.validatePublicKey(v as Uint8Array)).toThrow(/"publicKey" expected Uint8Array/);
      }
      expect(() => dh.getPublicKey('00' as unknown as Uint8Array)).toThrow(
        '"secretKey" expected Uint8Array, got string',
      );
    });

    it('TypeError for a malformed group or options', () => {
      const { p, g } = groups.ffdhe2048;
      const bad: unknown[] = [
        undefined,
        null,
        'ffdhe2048',
        2048,
        { p },
        { g },
        { p: 23, g: 2n },
        { p, g: 2 },
        { p, g, q: '5' },
      ];
      for (const group of bad) expect(() => createDH(group as Api.DHGroupInput)).toThrow(TypeError);
      expect(() => createDH(groups.ffdhe2048, 'x' as unknown as Api.DHOptions)).toThrow(TypeError);
      expect(() => createDH(groups.ffdhe2048, { randomBytes: 5 as unknown as () => Uint8Array })).toThrow(
        TypeError,
      );
      expect(() => createDH(groups.ffdhe2048, { secretKeyBits: '256' as unknown as number })).toThrow(
        TypeError,
      );
      const lying = createDH(groups.ffdhe2048, { randomBytes: () => [1, 2] as unknown as Uint8Array });
      expect(() => lying.keygen()).toThrow(TypeError);
    });

    it('RangeError for secret keys outside [2, q − 1] and bad parameters', () => {
      const { q, p, g } = groups.ffdhe2048;
      for (const x of [
        toBytes(0n),
        toBytes(1n),
        toBytes(q),
        toBytes(q + 1n),
        new Uint8Array(0),
        new Uint8Array(257),
      ]) {
        expect(() => dh.getPublicKey(x)).toThrow(RangeError);
        expect(() => dh.getSharedSecret(x, ok.publicKey)).toThrow(RangeError);
      }
      dh.getPublicKey(toBytes(q - 1n));
      dh.getPublicKey(toBytes(2n));
      expect(() => createDH({ p: 24n, g: 2n })).toThrow(RangeError); // even
      expect(() => createDH({ p, g: 1n })).toThrow(RangeError);
      expect(() => createDH({ p, g: p - 1n })).toThrow(RangeError);
      expect(() => createDH({ p, g, q: q - 2n })).toThrow(RangeError); // not a divisor of p − 1
      expect(() => createDH({ p, g: p - 2n, q })).toThrow(RangeError); // −2 is not in the subgroup of order q
      expect(() => createDH(groups.ffdhe2048, { secretKeyBits: 1 })).toThrow(RangeError);
      expect(() => createDH(groups.ffdhe2048, { secretKeyBits: 2.5 })).toThrow(RangeError);
      const short = createDH(groups.ffdhe2048, { randomBytes: () => new Uint8Array(3) });
      expect(() => short.keygen()).toThrow(RangeError);
      const zeros = createDH(groups.ffdhe2048, { randomBytes: (n) => new Uint8Array(n) });
      expect(() => zeros.keygen()).toThrow(/out-of-range/);
    });

    it('a custom group without q skips only the subgroup check', () => {
      const { p, g } = groups.ffdhe2048;
      const loose = createDH({ p, g });
      expect(loose.group.q).toBe(p - 1n);
      loose.validatePublicKey(toBytes(p - 2n)); // a non-residue, accepted without q
      expect(() => loose.validatePublicKey(toBytes(p - 1n))).toThrow(InvalidPublicKeyError);
      const x = toBytes(123456789n);
      expect(toBigInt(loose.getSharedSecret(x, toBytes(p - 2n)))).toBe(refModPow(p - 2n, 123456789n, p));
    });

    it('without q, a peer key that makes the shared secret 1 or p − 1 is rejected (SP 800-56A §5.7.1.1)', () => {
      const { p, g, q } = groups.ffdhe2048;
      const loose = createDH({ p, g });
      // 4 = 2^2 has order q and p − 2 (a non-residue) order 2q: with x = q, Z = 1 and Z = p − 1.
      expect(refModPow(4n, q, p)).toBe(1n);
      expect(refModPow(p - 2n, q, p)).toBe(p - 1n);
      for (const y of [4n, p - 2n]) {
        loose.validatePublicKey(toBytes(y)); // not caught by validation without q
        expect(() => loose.getSharedSecret(toBytes(q), toBytes(y)), `y = ${y}`).toThrow(
          InvalidPublicKeyError,
        );
        expect(() => loose.getSharedSecret(toBytes(q), toBytes(y))).toThrow(/1 or p − 1/);
      }
      // The same keys with another secret give an ordinary shared secret.
      expect(toBigInt(loose.getSharedSecret(toBytes(3n), toBytes(4n)))).toBe(64n);
      expect(toBigInt(loose.getSharedSecret(toBytes(3n), toBytes(p - 2n)))).toBe(refModPow(p - 2n, 3n, p));
    });

    it('secretKeyBits below twice the security strength → RangeError naming it', () => {
      // 2048-bit groups: strength 112, so at least 224 bits (a "32" meant as bytes would be 32 bits).
      for (const bits of [2, 32, 160, 223]) {
        expect(() => createDH(groups.ffdhe2048, { secretKeyBits: bits })).toThrow(RangeError);
        expect(() => createDH(groups.ffdhe2048, { secretKeyBits: bits })).toThrow(
          `"options.secretKeyBits" expected at least 224 for a 2048-bit group (twice its security strength), got ${bits}`,
        );
      }
      expect(createDH(groups.ffdhe2048, { secretKeyBits: 224 }).lengths.secretKey).toBe(28);
      expect(() => createDH(groups.ffdhe4096, { secretKeyBits: 303 })).toThrow(/at least 304/);
      // RFC 5114 A.1 (1024-bit p, strength 80, 160-bit q): only full-size exponents.
      const a1 = rfc5114.vectors[0] as (typeof rfc5114.vectors)[number];
      const group = { p: BigInt(`0x${a1.p}`), g: BigInt(`0x${a1.g}`), q: BigInt(`0x${a1.q}`) };
      expect(() => createDH(group, { secretKeyBits: 159 })).toThrow(/at least 160 for a 1024-bit group/);
      expect(createDH(group, { secretKeyBits: 160 }).lengths.secretKey).toBe(20);
      // Under 1024 bits there is no strength to speak of: the small test group takes any size ≥ 2.
      expect(createDH(small, { secretKeyBits: 2 }).lengths.secretKey).toBe(1);
    });

    it('a frozen custom group passed again is the same group (checked once, one table)', () => {
      const a1 = rfc5114.vectors[0] as (typeof rfc5114.vectors)[number];
      const frozen = Object.freeze({
        p: BigInt(`0x${a1.p}`),
        g: BigInt(`0x${a1.g}`),
        q: BigInt(`0x${a1.q}`),
      });
      const first = createDH(frozen).group;
      expect(createDH(frozen).group).toBe(first);
      expect(createDH(first).group).toBe(first);
      // An unfrozen object may change between calls: it is checked, and grouped, afresh.
      const open = { ...frozen };
      expect(createDH(open).group).not.toBe(createDH(open).group);
      open.g = 1n;
      expect(() => createDH(open)).toThrow(RangeError);
    });

    it('accepts Uint8Arrays from another realm (a vm context, an iframe)', async () => {
      const { runInNewContext } = await import('node:vm');
      const foreign = (hex: string) =>
        runInNewContext(
          `Uint8Array.from(${JSON.stringify(hex)}.match(/../g), (b) => parseInt(b, 16))`,
        ) as Uint8Array;
      const x = foreign('05');
      expect(x instanceof Uint8Array).toBe(false);
      expect(toBigInt(dh.getPublicKey(x))).toBe(32n);
      expect(toBigInt(dh.getSharedSecret(x, foreign('04')))).toBe(1024n);
      dh.validatePublicKey(foreign('02'));
    });
  });
}
