import { getDiffieHellman } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { createDH, groups, InvalidPublicKeyError } from '../src/index.js';

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');

describe('createDH (pure)', () => {
  it('modp2048 p matches node:crypto modp14', () => {
    expect(groups.modp2048.p.toString(16)).toBe(getDiffieHellman('modp14').getPrime('hex'));
  });
  it('agrees with node:crypto on modp2048', () => {
    const dh = createDH(groups.modp2048);
    const a = dh.keygen();
    const node = getDiffieHellman('modp14');
    node.generateKeys();
    const mine = dh.getSharedSecret(a.secretKey, new Uint8Array(node.getPublicKey()));
    expect(hex(mine)).toBe(node.computeSecret(Buffer.from(a.publicKey)).toString('hex'));
  });
  it('rejects p − 1', () => {
    const dh = createDH(groups.ffdhe2048);
    const a = dh.keygen();
    const pm1 = Buffer.from((groups.ffdhe2048.p - 1n).toString(16), 'hex');
    expect(() => dh.getSharedSecret(a.secretKey, pm1)).toThrow(InvalidPublicKeyError);
  });
});
