import { getDiffieHellman } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { groups } from '../src/index.js';
import { groups as nodeGroups } from '../src/index.node.js';
import { refModPow } from './reference.js';
import { ffdhePrime, modpPrime } from './rfc-formula.js';
import vectors from './vectors/groups.json' with { type: 'json' };

const names = [
  'ffdhe2048',
  'ffdhe3072',
  'ffdhe4096',
  'ffdhe6144',
  'ffdhe8192',
  'modp2048',
  'modp3072',
  'modp4096',
  'modp6144',
  'modp8192',
] as const;

describe('named groups', () => {
  it('exactly the ten groups, frozen, the same objects in both entries', () => {
    expect(Object.keys(groups).sort()).toEqual([...names].sort());
    expect(Object.isFrozen(groups)).toBe(true);
    expect(nodeGroups).toBe(groups);
  });

  for (const name of names) {
    const group = groups[name];
    const vector = vectors[name];
    const bits = Number(name.slice(-4));

    it(`${name}: p equals the ${vector.section} hex (test/vectors/groups.json)`, () => {
      expect(group.p).toBe(BigInt(`0x${vector.p}`));
    });

    it(`${name}: p equals the RFC's formula with X = ${vector.X}`, () => {
      const formula = name.startsWith('ffdhe') ? ffdhePrime(bits, vector.X) : modpPrime(bits, vector.X);
      expect(group.p).toBe(formula);
    });

    it(`${name}: shape — name, g = 2, q = (p − 1)/2, bits, byteLength, frozen; p ≡ 7 (mod 8)`, () => {
      expect(group.name).toBe(name);
      expect(group.g).toBe(2n);
      expect(group.q).toBe((group.p - 1n) / 2n);
      expect(group.bits).toBe(bits);
      expect(group.p.toString(2).length).toBe(bits);
      expect(group.byteLength).toBe(bits / 8);
      expect(Object.isFrozen(group)).toBe(true);
      // The high and low 64 bits are all ones in both RFC families.
      expect(group.p >> BigInt(bits - 64)).toBe(2n ** 64n - 1n);
      expect(group.p & (2n ** 64n - 1n)).toBe(2n ** 64n - 1n);
      // p ≡ 7 (mod 8): 2 is a quadratic residue, so g = 2 lies in the subgroup of order q.
      expect(group.p % 8n).toBe(7n);
    });
  }

  it('modp2048 … modp8192 equal node:crypto getDiffieHellman("modp14" … "modp18")', () => {
    const ike = { modp2048: 14, modp3072: 15, modp4096: 16, modp6144: 17, modp8192: 18 } as const;
    for (const [name, id] of Object.entries(ike)) {
      const node = getDiffieHellman(`modp${id}`);
      expect(groups[name as keyof typeof ike].p.toString(16)).toBe(node.getPrime('hex'));
      expect(node.getGenerator('hex')).toBe('02');
    }
  });

  it('g^q ≡ 1 (mod p) by the reference exponentiation (2048- and 3072-bit groups)', () => {
    for (const group of [groups.ffdhe2048, groups.modp2048, groups.ffdhe3072, groups.modp3072]) {
      expect(refModPow(group.g, group.q, group.p)).toBe(1n);
    }
  });
});
