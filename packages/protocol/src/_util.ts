/**
 * Internal helpers shared by the protocol's modules: argument checks and
 * big-endian integers. Not part of the public API (index.ts does not re-export
 * them). Imports nothing but the error classes, so every module may use it.
 *
 * @module
 */
import { LocalProtocolError } from './errors';

/** @internal Builds the `"name" expected X, got Y` description of a bad argument. */
export function _describe(value: unknown): string {
  if (value === null) return 'null';
  if (value instanceof Uint8Array) return `Uint8Array(${value.length})`;
  if (typeof value === 'object') return (value as object).constructor?.name ?? 'object';
  return typeof value;
}

/** @internal Throws LocalProtocolError INVALID_ARGUMENT unless `value` is a Uint8Array. */
export function _abytes(name: string, value: unknown): asserts value is Uint8Array {
  if (!(value instanceof Uint8Array)) {
    throw new LocalProtocolError(
      'INVALID_ARGUMENT',
      `"${name}" expected Uint8Array, got ${_describe(value)}`,
    );
  }
}

/** @internal Reads a big-endian u16 at `offset`. */
export function _readU16(b: Uint8Array, offset: number): number {
  return (b[offset]! << 8) | b[offset + 1]!;
}

/** @internal Writes a big-endian u16 at `offset`. */
export function _putU16(b: Uint8Array, offset: number, v: number): void {
  b[offset] = v >>> 8;
  b[offset + 1] = v & 0xff;
}

/** @internal Reads a big-endian u32 at `offset`. */
export function _readU32(b: Uint8Array, offset: number): number {
  return ((b[offset]! << 24) | (b[offset + 1]! << 16) | (b[offset + 2]! << 8) | b[offset + 3]!) >>> 0;
}

/** @internal Writes a big-endian u32 at `offset`. */
export function _putU32(b: Uint8Array, offset: number, v: number): void {
  b[offset] = v >>> 24;
  b[offset + 1] = (v >>> 16) & 0xff;
  b[offset + 2] = (v >>> 8) & 0xff;
  b[offset + 3] = v & 0xff;
}

/** @internal Writes a u64 big-endian (value < 2^53). */
export function _putU64(b: Uint8Array, o: number, v: number): void {
  _putU32(b, o, Math.floor(v / 0x100000000));
  _putU32(b, o + 4, v >>> 0);
}

/**
 * @internal Reads a u64 big-endian; returns -1 when it does not fit in 2^53 (no
 * offset that large can ever be valid, so the caller reports BAD_OFFSET).
 */
export function _getU64(b: Uint8Array, o: number): number {
  const hi = _readU32(b, o);
  const lo = _readU32(b, o + 4);
  if (hi >= 0x200000) return -1;
  return hi * 0x100000000 + lo;
}

/** @internal `crypto.getRandomValues`, the default randomness of every session. */
export function _defaultRandomBytes(length: number): Uint8Array {
  const out = new Uint8Array(length);
  globalThis.crypto.getRandomValues(out);
  return out;
}
