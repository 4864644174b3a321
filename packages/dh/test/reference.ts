/**
 * Independent reference arithmetic for the tests: textbook right-to-left
 * square-and-multiply, a deterministic Miller–Rabin, and helpers. Deliberately
 * naive and separate from src/ so that it can check the fast code.
 */

/** base^exp mod m, bit by bit. */
export function refModPow(base: bigint, exp: bigint, m: bigint): bigint {
  let result = 1n % m;
  let b = ((base % m) + m) % m;
  for (let e = exp; e > 0n; e >>= 1n) {
    if (e & 1n) result = (result * b) % m;
    b = (b * b) % m;
  }
  return result;
}

const BASES = [2n, 3n, 5n, 7n, 11n, 13n, 17n, 19n, 23n, 29n, 31n, 37n, 41n];

/** Miller–Rabin with the first 13 prime bases: deterministic below 3.3·10^24. */
export function isProbablePrime(n: bigint): boolean {
  if (n < 2n) return false;
  for (const s of BASES) {
    if (n === s) return true;
    if (n % s === 0n) return false;
  }
  let d = n - 1n;
  let r = 0;
  while ((d & 1n) === 0n) {
    d >>= 1n;
    r++;
  }
  outer: for (const a of BASES) {
    let x = refModPow(a, d, n);
    if (x === 1n || x === n - 1n) continue;
    for (let i = 1; i < r; i++) {
      x = (x * x) % n;
      if (x === n - 1n) continue outer;
    }
    return false;
  }
  return true;
}

/** Hex (any case, spaces allowed) → bytes. */
export function fromHex(hex: string): Uint8Array {
  const clean = hex.replace(/\s+/g, '');
  const even = clean.length % 2 ? `0${clean}` : clean;
  return Uint8Array.from(Buffer.from(even, 'hex'));
}

/** Bytes → lowercase hex. */
export function toHex(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('hex');
}

/** n → big-endian bytes, minimal (at least 1 byte) or left-padded to `length`. */
export function toBytes(n: bigint, length?: number): Uint8Array {
  let hex = n.toString(16);
  if (hex.length % 2) hex = `0${hex}`;
  if (length !== undefined) hex = hex.padStart(length * 2, '0');
  return Uint8Array.from(Buffer.from(hex, 'hex'));
}

/** Bytes → bigint. */
export function toBigInt(bytes: Uint8Array): bigint {
  return bytes.length === 0 ? 0n : BigInt(`0x${toHex(bytes)}`);
}

/** A deterministic byte source (xorshift32), for reproducible `randomBytes`. */
export function seededRandomBytes(seed: number): (length: number) => Uint8Array {
  let s = seed >>> 0 || 1;
  return (length) => {
    const out = new Uint8Array(length);
    for (let i = 0; i < length; i++) {
      s ^= s << 13;
      s >>>= 0;
      s ^= s >>> 17;
      s ^= s << 5;
      s >>>= 0;
      out[i] = s & 0xff;
    }
    return out;
  };
}

/**
 * A small safe-prime group for property tests: p = 2^64 − 8489 is the largest
 * safe prime below 2^64 with p ≡ 7 (mod 8), so that g = 2 is a quadratic
 * residue and generates the subgroup of prime order q = (p − 1)/2. The group
 * tests check both primalities with {@link isProbablePrime}.
 */
export const SMALL_P = (1n << 64n) - 8489n;
export const small = { p: SMALL_P, g: 2n, q: (SMALL_P - 1n) / 2n } as const;
