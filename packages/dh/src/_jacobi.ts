/**
 * The Jacobi symbol (a/n) for odd n > 0, by the binary algorithm (Cohen,
 * "A Course in Computational Algebraic Number Theory", Algorithm 1.4.10).
 *
 * For a prime p it is the Legendre symbol: 1 for a quadratic residue, −1 for a
 * non-residue, 0 when p divides a. For a safe prime p = 2q + 1 the quadratic
 * residues are exactly the subgroup of order q, so `jacobi(y, p) === 1` is the
 * subgroup check y^q ≡ 1 (mod p) of NIST SP 800-56A §5.6.2.3.1, at the cost of
 * a gcd instead of a modular exponentiation.
 * @module
 */

const MASK53 = (1n << 53n) - 1n;

/**
 * Jacobi symbol (a/n).
 * @param a - any integer
 * @param n - an odd positive integer
 * @returns 1, −1 or 0 (0 exactly when gcd(a, n) > 1)
 * @throws RangeError if n is not odd and positive
 */
export function jacobi(a: bigint, n: bigint): -1 | 0 | 1 {
  if (n <= 0n || (n & 1n) === 0n) throw new RangeError('"n" expected an odd positive integer');
  a %= n;
  if (a < 0n) a += n;
  let t = 1;
  while (a !== 0n) {
    // Once both fit in a double's 53 bits, finish with plain numbers.
    if (n <= MASK53) return jacobiSmall(Number(a), Number(n), t);
    // Strip factors of two: (2/n) = −1 iff n ≡ 3, 5 (mod 8).
    const low = Number(a & 0xffffffffn);
    if (low === 0) {
      a >>= 32n; // 2^32 is a square: its symbol is 1.
      continue;
    }
    const tz = 31 - Math.clz32(low & -low);
    if (tz > 0) {
      a >>= BigInt(tz);
      const r = Number(n & 7n);
      if (tz & 1 && (r === 3 || r === 5)) t = -t;
    }
    // Reciprocity, then reduce.
    const s = a;
    a = n;
    n = s;
    if ((a & 3n) === 3n && (n & 3n) === 3n) t = -t;
    a %= n;
  }
  return n === 1n ? (t as 1 | -1) : 0;
}

function jacobiSmall(a: number, n: number, t: number): -1 | 0 | 1 {
  // Both below 2^53: `%` is exact on doubles; bit tricks are avoided above 2^31.
  while (a !== 0) {
    let tz = 0;
    while (a % 2 === 0) {
      a /= 2;
      tz++;
    }
    const r = n % 8;
    if (tz & 1 && (r === 3 || r === 5)) t = -t;
    const s = a;
    a = n;
    n = s;
    if (a % 4 === 3 && n % 4 === 3) t = -t;
    a %= n;
  }
  return n === 1 ? (t as 1 | -1) : 0;
}
