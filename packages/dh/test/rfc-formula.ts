/**
 * The prime formulas printed in the RFCs, evaluated independently of the hex:
 *
 * - RFC 7919 Appendix A: p = 2^b − 2^(b−64) + {⌊2^(b−130) e⌋ + X} · 2^64 − 1
 * - RFC 3526 §2–§7:      p = 2^b − 2^(b−64) − 1 + 2^64 · {⌊2^(b−130) π⌋ + X}
 *
 * e and π are computed in fixed point with PREC fraction bits (the series
 * truncation error stays far below the guard bits kept above 2^(8192−130)).
 */
const PREC = 8400n;
const ONE = 1n << PREC;

/** e · 2^PREC, from Σ 1/k!. */
function eFixed(): bigint {
  let sum = 0n;
  let term = ONE;
  for (let k = 1n; term > 0n; k++) {
    sum += term;
    term /= k;
  }
  return sum;
}

/** arctan(1/x) · 2^PREC, from its Taylor series. */
function arctanInverse(x: bigint): bigint {
  const x2 = x * x;
  let power = ONE / x;
  let sum = 0n;
  for (let n = 1n, sign = 1n; power > 0n; n += 2n, sign = -sign) {
    sum += (sign * power) / n;
    power /= x2;
  }
  return sum;
}

/** π · 2^PREC, by Machin's formula π = 16 arctan(1/5) − 4 arctan(1/239). */
function piFixed(): bigint {
  return 16n * arctanInverse(5n) - 4n * arctanInverse(239n);
}

let e: bigint | undefined;
let pi: bigint | undefined;

/** ⌊2^k · c⌋ for a fixed-point constant c. */
const scaled = (c: bigint, k: bigint) => (c << k) >> PREC;

/** RFC 7919's ffdhe prime of `bits` bits with constant X. */
export function ffdhePrime(bits: number, X: number): bigint {
  e ??= eFixed();
  const b = BigInt(bits);
  return 2n ** b - 2n ** (b - 64n) + (scaled(e, b - 130n) + BigInt(X)) * 2n ** 64n - 1n;
}

/** RFC 3526's MODP prime of `bits` bits with constant X. */
export function modpPrime(bits: number, X: number): bigint {
  pi ??= piFixed();
  const b = BigInt(bits);
  return 2n ** b - 2n ** (b - 64n) - 1n + 2n ** 64n * (scaled(pi, b - 130n) + BigInt(X));
}
