/**
 * Byte helpers shared by the pure and the node entry: argument checks and
 * big-endian unsigned conversions between `Uint8Array` and `bigint`.
 * @module
 */

/** Describes a value for an error message: `string`, `null`, `Array`, `Uint8Array`. */
export function describe(value: unknown): string {
  if (value === null) return 'null';
  if (typeof value !== 'object') return typeof value;
  const name = (value as { constructor?: { name?: unknown } }).constructor?.name;
  return typeof name === 'string' && name !== '' ? name : 'object';
}

/**
 * Throws `TypeError('"name" expected Uint8Array, got …')` unless `value` is a Uint8Array: a
 * Buffer is one, and so is one from another realm (a `vm` context, an iframe), as in @arctalk/rc4.
 */
export function abytes(value: unknown, name: string): asserts value is Uint8Array {
  if (value instanceof Uint8Array) return;
  if (ArrayBuffer.isView(value) && value.constructor?.name === 'Uint8Array') return;
  throw new TypeError(`"${name}" expected Uint8Array, got ${describe(value)}`);
}

/** Whether two byte arrays are equal (public values only: it returns at the first difference). */
export function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** Big-endian unsigned bytes → bigint (empty → 0n). */
export function bytesToBigInt(bytes: Uint8Array): bigint {
  let hex = '';
  for (let i = 0; i < bytes.length; i++) hex += HEX[bytes[i] as number];
  return hex === '' ? 0n : BigInt(`0x${hex}`);
}

/** bigint (0 ≤ n < 256^length) → exactly `length` big-endian bytes, left-padded with zeros. */
export function bigIntToBytes(n: bigint, length: number): Uint8Array {
  if (n === 0n) return new Uint8Array(length);
  const hex = n.toString(16);
  if (n < 0n || hex.length > length * 2) throw new RangeError(`value does not fit in ${length} bytes`);
  const out = new Uint8Array(length);
  // Walk the hex digits from the least significant end, two per byte.
  let j = hex.length;
  for (let i = length - 1; i >= 0 && j > 0; i--, j -= 2) {
    out[i] = Number.parseInt(hex.slice(Math.max(0, j - 2), j), 16);
  }
  return out;
}

/** Number of bits in a non-negative bigint (0n → 0). */
export function bitLength(n: bigint): number {
  return n === 0n ? 0 : n.toString(2).length;
}

const HEX: readonly string[] = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));
