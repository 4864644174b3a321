/**
 * Internal helpers shared by the protocol's modules: argument checks, big-endian
 * integers. Not part of the public API (index.ts does not re-export them).
 *
 * @module
 */
import { LocalProtocolError } from './errors';
import { DEFAULT_MAX_FRAME_LENGTH, lengths } from './frame';

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

/** @internal Writes `u32 length | u8 type` at `offset`. */
export function _writeHeader(out: Uint8Array, offset: number, length: number, type: number): void {
  out[offset] = length >>> 24;
  out[offset + 1] = (length >>> 16) & 0xff;
  out[offset + 2] = (length >>> 8) & 0xff;
  out[offset + 3] = length & 0xff;
  out[offset + 4] = type;
}

/** @internal Reads a big-endian u32 at `offset`. */
export function _readU32(b: Uint8Array, offset: number): number {
  return ((b[offset]! << 24) | (b[offset + 1]! << 16) | (b[offset + 2]! << 8) | b[offset + 3]!) >>> 0;
}

/** @internal Validates a max frame length option. */
export function _checkMaxFrameLength(value: unknown, min: number = lengths.minMaxFrameLength): number {
  if (value === undefined) return DEFAULT_MAX_FRAME_LENGTH;
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > 0xffffffff) {
    throw new LocalProtocolError(
      'INVALID_ARGUMENT',
      `"maxFrameLength" expected integer ${min}..2^32-1, got ${String(value)}`,
    );
  }
  return value;
}

/** @internal Writes a u64 big-endian (value < 2^53). */
export function _putU64(b: Uint8Array, o: number, v: number): void {
  const hi = Math.floor(v / 0x100000000);
  const lo = v >>> 0;
  b[o] = hi >>> 24;
  b[o + 1] = (hi >>> 16) & 0xff;
  b[o + 2] = (hi >>> 8) & 0xff;
  b[o + 3] = hi & 0xff;
  b[o + 4] = lo >>> 24;
  b[o + 5] = (lo >>> 16) & 0xff;
  b[o + 6] = (lo >>> 8) & 0xff;
  b[o + 7] = lo & 0xff;
}

/**
 * @internal Reads a u64 big-endian; returns -1 when it does not fit in 2^53 (no
 * offset that large can ever be valid, so the caller reports BAD_OFFSET).
 */
export function _getU64(b: Uint8Array, o: number): number {
  const hi = ((b[o]! << 24) | (b[o + 1]! << 16) | (b[o + 2]! << 8) | b[o + 3]!) >>> 0;
  const lo = ((b[o + 4]! << 24) | (b[o + 5]! << 16) | (b[o + 6]! << 8) | b[o + 7]!) >>> 0;
  if (hi >= 0x200000) return -1;
  return hi * 0x100000000 + lo;
}
