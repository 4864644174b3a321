/**
 * Modular exponentiation on `bigint`: a sliding window for an arbitrary base
 * (Handbook of Applied Cryptography, Algorithm 14.85) and a fixed-base table
 * for the group generator (HAC §14.6.3, the fixed-base windowing method).
 *
 * Not constant-time: the sequence of multiplications depends on the exponent.
 * @module
 */

/** Window width for an exponent of `bits` bits (HAC Table 14.16). */
function windowFor(bits: number): number {
  if (bits > 671) return 6;
  if (bits > 239) return 5;
  if (bits > 79) return 4;
  if (bits > 23) return 3;
  return bits > 6 ? 2 : 1;
}

/**
 * base^exponent mod modulus by a left-to-right sliding window.
 * @param base - any non-negative bigint
 * @param exponent - a non-negative bigint
 * @param modulus - an integer > 1
 * @returns base^exponent mod modulus
 */
export function modPow(base: bigint, exponent: bigint, modulus: bigint): bigint {
  if (exponent === 0n) return 1n % modulus;
  const b = base % modulus;
  const bits = exponent.toString(2);
  const w = windowFor(bits.length);
  // odd[i] = b^(2i+1)
  const odd: bigint[] = [b];
  if (w > 1) {
    const b2 = (b * b) % modulus;
    for (let i = 1; i < 1 << (w - 1); i++) odd.push(((odd[i - 1] as bigint) * b2) % modulus);
  }
  let result = 1n;
  let started = false;
  let i = 0;
  const n = bits.length;
  while (i < n) {
    if (bits.charCodeAt(i) === 48) {
      if (started) result = (result * result) % modulus;
      i++;
      continue;
    }
    // Longest window bits[i..j] of at most w bits that ends in a 1.
    let j = Math.min(i + w, n) - 1;
    while (bits.charCodeAt(j) === 48) j--;
    const value = Number.parseInt(bits.slice(i, j + 1), 2);
    if (started) {
      for (let k = i; k <= j; k++) result = (result * result) % modulus;
      result = (result * (odd[value >> 1] as bigint)) % modulus;
    } else {
      result = odd[value >> 1] as bigint;
      started = true;
    }
    i = j + 1;
  }
  return result;
}

/**
 * Precomputed powers of a fixed base: row r holds base^(d·2^(w·r)) for
 * d = 1 … 2^w − 1, so base^e is one multiplication per non-zero w-bit digit of
 * e and no squaring at all. Rows are built on first use, up to `maxBits`;
 * longer exponents fall back to {@link modPow}.
 */
export class FixedBaseTable {
  readonly base: bigint;
  readonly modulus: bigint;
  readonly maxBits: number;
  readonly #w: number;
  readonly #rows: bigint[][] = [];

  /**
   * @param base - the fixed base (the group generator)
   * @param modulus - the prime p
   * @param maxBits - longest exponent served from the table
   * @param w - window width (default 6 for p ≤ 4096 bits, else 5)
   */
  constructor(base: bigint, modulus: bigint, maxBits: number, w?: number) {
    this.base = base % modulus;
    this.modulus = modulus;
    this.maxBits = maxBits;
    this.#w = w ?? (modulus.toString(16).length <= 1024 ? 6 : 5);
  }

  #row(r: number): bigint[] {
    const rows = this.#rows;
    const p = this.modulus;
    while (rows.length <= r) {
      let first: bigint;
      const prev = rows[rows.length - 1];
      if (prev === undefined) {
        first = this.base;
      } else {
        // base^(2^(w·r)) = (base^((2^w − 1)·2^(w(r−1)))) · base^(2^(w(r−1)))
        first = ((prev[prev.length - 1] as bigint) * (prev[0] as bigint)) % p;
      }
      const row: bigint[] = [first];
      for (let d = 1; d < (1 << this.#w) - 1; d++) row.push(((row[d - 1] as bigint) * first) % p);
      rows.push(row);
    }
    return rows[r] as bigint[];
  }

  /**
   * base^exponent mod modulus.
   * @param exponent - a non-negative bigint
   * @returns base^exponent mod modulus
   */
  pow(exponent: bigint): bigint {
    if (exponent.toString(2).length > this.maxBits) return modPow(this.base, exponent, this.modulus);
    const w = BigInt(this.#w);
    const mask = (1n << w) - 1n;
    const p = this.modulus;
    let result = 1n;
    let started = false;
    for (let r = 0, e = exponent; e > 0n; r++, e >>= w) {
      const d = Number(e & mask);
      if (d === 0) continue;
      const entry = this.#row(r)[d - 1] as bigint;
      result = started ? (result * entry) % p : entry;
      started = true;
    }
    return started ? result : 1n % p;
  }
}
