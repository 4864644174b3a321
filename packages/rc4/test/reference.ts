/**
 * A deliberately plain RC4 (the algorithm as published in 1994 and restated in RFC 6229's
 * introduction), written for clarity only: the fast implementation must agree with it.
 */
export function referenceKeystream(key: Uint8Array, length: number, drop = 0): Uint8Array {
  const s = Array.from({ length: 256 }, (_, n) => n);
  let j = 0;
  for (let i = 0; i < 256; i++) {
    j = (j + s[i]! + key[i % key.length]!) % 256;
    [s[i], s[j]] = [s[j]!, s[i]!];
  }
  const out = new Uint8Array(length);
  let i = 0;
  j = 0;
  for (let n = -drop; n < length; n++) {
    i = (i + 1) % 256;
    j = (j + s[i]!) % 256;
    [s[i], s[j]] = [s[j]!, s[i]!];
    if (n >= 0) out[n] = s[(s[i]! + s[j]!) % 256]!;
  }
  return out;
}

/** data XOR keystream, by the reference. */
export function referenceXor(key: Uint8Array, data: Uint8Array, drop = 0): Uint8Array {
  const ks = referenceKeystream(key, data.length, drop);
  return ks.map((k, n) => k ^ data[n]!);
}
