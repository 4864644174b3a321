/**
 * Both entries, same inputs, byte-identical outputs: key pairs from the same
 * injected randomness, public keys and shared secrets, for named and custom groups.
 */
import { describe, expect, it } from 'vitest';
import * as pure from '../src/index.js';
import * as node from '../src/index.node.js';
import { refModPow, seededRandomBytes, small, toBigInt, toHex } from './reference.js';
import rfc5114 from './vectors/rfc5114.json' with { type: 'json' };

const custom = rfc5114.vectors.map((v) => ({
  p: BigInt(`0x${v.p}`),
  g: BigInt(`0x${v.g}`),
  q: BigInt(`0x${v.q}`),
}));

describe('pure and node entries agree byte for byte', () => {
  it('a modulus over 10000 bits, which OpenSSL refuses: the node entry computes it in bigint', () => {
    // Any odd modulus serves this arithmetic check (this package never tests p for primality).
    const group = Object.freeze({ p: (1n << 10240n) - 189n, g: 3n });
    const x = seededRandomBytes(10240)(50);
    const y = seededRandomBytes(10241)(1280);
    const expectedPublic = refModPow(3n, toBigInt(x), group.p);
    const expectedShared = refModPow(toBigInt(y), toBigInt(x), group.p);
    for (const entry of [pure, node]) {
      const dh = entry.createDH(group);
      expect(toBigInt(dh.getPublicKey(x))).toBe(expectedPublic);
      expect(toBigInt(dh.getSharedSecret(x, y))).toBe(expectedShared);
    }
  });

  const cases = [...Object.values(pure.groups).filter((g) => g.bits <= 4096), ...custom, small];
  for (const group of cases) {
    const label = 'name' in group ? group.name : `custom ${group.p.toString(2).length}-bit`;
    it(label, () => {
      const a = pure.createDH(group, { randomBytes: seededRandomBytes(1) });
      const b = node.createDH(group, { randomBytes: seededRandomBytes(1) });
      expect(b.lengths).toEqual(a.lengths);
      for (let i = 0; i < 2; i++) {
        const ka = a.keygen();
        const kb = b.keygen();
        expect(toHex(kb.secretKey)).toBe(toHex(ka.secretKey));
        expect(toHex(kb.publicKey)).toBe(toHex(ka.publicKey));
        const peer = a.keygen();
        b.keygen(); // keep the two random streams in step
        const sa = a.getSharedSecret(ka.secretKey, peer.publicKey);
        const sb = b.getSharedSecret(kb.secretKey, peer.publicKey);
        expect(toHex(sb)).toBe(toHex(sa));
      }
    });
  }
});
