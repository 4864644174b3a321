import { describe, expect, it } from 'vitest';
import { createRC4, createRC4TransformStream, rc4 } from '../src/index';
import { _LITTLE_ENDIAN } from '../src/rc4';
import { equal, hex } from './helpers';
import { referenceKeystream } from './reference';

const key = Uint8Array.from({ length: 16 }, (_, n) => n * 17 + 3);
// One long reference keystream; every length below is checked against its prefix.
const KS = referenceKeystream(key, 2047 + 8);
const pattern = (n: number, seed = 0) =>
  Uint8Array.from({ length: n }, (_, i) => (i * 131 + seed * 7 + 1) & 255);
const xorRef = (data: Uint8Array, from = 0) => data.map((b, n) => b ^ KS[from + n]!);

describe('robustness', () => {
  it('every length 0..2047: xor, keystream and rc4 agree with the reference; input not mutated', () => {
    for (let n = 0; n <= 2047; n++) {
      const data = pattern(n);
      const copy = data.slice();
      const expected = xorRef(data);
      expect(equal(createRC4(key).xor(data), expected), `xor length ${n}`).toBe(true);
      expect(equal(rc4(key, data), expected), `rc4 length ${n}`).toBe(true);
      expect(equal(createRC4(key).keystream(n), KS.subarray(0, n)), `keystream length ${n}`).toBe(true);
      expect(equal(data, copy), `input untouched, length ${n}`).toBe(true);
    }
  });

  it('every length 0..2047 after a 1..3-byte lead-in (keystream phase not a multiple of 4)', () => {
    for (let lead = 1; lead <= 3; lead++) {
      for (let n = 0; n <= 2047; n++) {
        const s = createRC4(key);
        s.skip(lead);
        expect(equal(s.xor(pattern(n)), xorRef(pattern(n), lead)), `lead ${lead}, length ${n}`).toBe(true);
      }
    }
  });

  it('unaligned subarrays for src and out, every offset pair 0..3, lengths around the word path', () => {
    for (const n of [0, 1, 3, 4, 5, 63, 64, 65, 255, 256, 767, 768, 769, 770, 771, 1000, 2047]) {
      for (let so = 0; so < 4; so++) {
        for (let oo = 0; oo < 4; oo++) {
          const srcBuf = new Uint8Array(n + 8);
          srcBuf.set(pattern(n), so);
          const src = srcBuf.subarray(so, so + n);
          const outBuf = new Uint8Array(n + 8).fill(0xee);
          const out = outBuf.subarray(oo, oo + n);
          const result = createRC4(key).xor(src, out);
          expect(result).toBe(out);
          expect(hex(result), `n ${n}, src offset ${so}, out offset ${oo}`).toBe(hex(xorRef(pattern(n))));
          // Bytes around `out` are untouched, and so is `src`.
          expect(outBuf.subarray(0, oo).every((b) => b === 0xee)).toBe(true);
          expect(outBuf.subarray(oo + n).every((b) => b === 0xee)).toBe(true);
          expect(hex(src)).toBe(hex(pattern(n)));
        }
      }
    }
  });

  it('in place (out = src), aligned and not', () => {
    for (const n of [0, 7, 192, 767, 768, 1000, 2047]) {
      for (let off = 0; off < 4; off++) {
        const buf = new Uint8Array(n + 4);
        const view = buf.subarray(off, off + n);
        view.set(pattern(n));
        expect(createRC4(key).xor(view, view)).toBe(view);
        expect(hex(view), `n ${n}, offset ${off}`).toBe(hex(xorRef(pattern(n))));
      }
    }
  });

  it('partially overlapping src and out in one buffer give the same result as separate arrays', () => {
    // Also for Node Buffers, whose slice() is a view of the same memory, not a copy.
    const makers = [(n: number) => new Uint8Array(n), (n: number) => Buffer.alloc(n)];
    for (const make of makers) {
      for (const n of [5, 64, 300, 1500]) {
        for (const shift of [-5, -4, -1, 1, 3, 4, 8]) {
          const buf = make(n + 16);
          const srcAt = 8;
          buf.set(pattern(n), srcAt);
          const src = buf.subarray(srcAt, srcAt + n);
          const out = buf.subarray(srcAt + shift, srcAt + shift + n);
          createRC4(key).xor(src, out);
          expect(hex(out), `${buf.constructor.name}, n ${n}, shift ${shift}`).toBe(hex(xorRef(pattern(n))));
        }
      }
    }
  });

  it('takes the 32-bit path only where memory byte order is little-endian (as node:os reports)', async () => {
    const { endianness } = await import('node:os');
    expect(_LITTLE_ENDIAN).toBe(endianness() === 'LE');
  });

  it('out reuse: one out buffer across many calls, and an out longer than src', () => {
    const stream = createRC4(key);
    const out = new Uint8Array(600);
    let at = 0;
    for (const n of [10, 599, 0, 600, 1, 200]) {
      const data = pattern(n, n);
      const result = stream.xor(data, out);
      expect(result.length).toBe(n);
      expect(result.buffer).toBe(out.buffer);
      expect(result.byteOffset).toBe(0);
      expect(hex(result), `chunk of ${n} at ${at}`).toBe(hex(xorRef(data, at)));
      at += n;
    }
    expect(stream.position).toBe(at);
  });

  it('returns a fresh plain Uint8Array when no out is given, also for Buffer input', () => {
    const data = Buffer.from(pattern(40));
    const result = createRC4(key).xor(data);
    expect(result).not.toBe(data);
    expect(result.constructor).toBe(Uint8Array);
    expect(Buffer.isBuffer(result)).toBe(false);
    expect(hex(result)).toBe(hex(xorRef(pattern(40))));
    expect(rc4(Buffer.from(key), data).constructor).toBe(Uint8Array);
  });

  describe('wrong types and bad values, named in the message', () => {
    const notBytes: [string, unknown][] = [
      ['string', 'key'],
      ['number', 5],
      ['undefined', undefined],
      ['null', null],
      ['Array', [1, 2, 3]],
      ['Uint16Array', new Uint16Array(4)],
      ['Uint8ClampedArray', new Uint8ClampedArray(4)],
      ['Int8Array', new Int8Array(4)],
      ['DataView', new DataView(new ArrayBuffer(4))],
      ['ArrayBuffer', new ArrayBuffer(4)],
      ['object', { length: 3, 0: 1, 1: 2, 2: 3 }],
    ];
    const badLengths: unknown[] = [
      -1,
      1.5,
      Number.NaN,
      Number.POSITIVE_INFINITY,
      -0.5,
      '3',
      null,
      2 ** 53,
      10n,
    ];

    it.each(notBytes)('key as %s → TypeError naming "key"', (name, value) => {
      expect(() => createRC4(value as Uint8Array)).toThrow(TypeError);
      expect(() => createRC4(value as Uint8Array)).toThrow(`"key" expected Uint8Array, got ${name}`);
      expect(() => rc4(value as Uint8Array, new Uint8Array(1))).toThrow(/"key"/);
      expect(() => createRC4TransformStream(value as Uint8Array)).toThrow(TypeError);
    });

    it.each(notBytes)('data / src / out as %s → TypeError naming the argument', (name, value) => {
      expect(() => rc4(key, value as Uint8Array)).toThrow(TypeError);
      expect(() => rc4(key, value as Uint8Array)).toThrow(`"data" expected Uint8Array, got ${name}`);
      const s = createRC4(key);
      expect(() => s.xor(value as Uint8Array)).toThrow(`"src" expected Uint8Array, got ${name}`);
      if (value !== undefined) {
        expect(() => s.xor(new Uint8Array(2), value as Uint8Array)).toThrow(
          `"out" expected Uint8Array, got ${name}`,
        );
      }
      expect(s.position).toBe(0);
    });

    it('empty and over-256-byte keys → RangeError naming "key"', () => {
      for (const n of [0, 257, 1000]) {
        expect(() => createRC4(new Uint8Array(n))).toThrow(RangeError);
        expect(() => createRC4(new Uint8Array(n))).toThrow(`"key" expected length 1..256, got ${n}`);
        expect(() => rc4(new Uint8Array(n), new Uint8Array(1))).toThrow(RangeError);
      }
    });

    it.each(badLengths.map((v) => [String(v), v]))('length %s → RangeError naming "length"', (_, value) => {
      const s = createRC4(key);
      expect(() => s.keystream(value as number)).toThrow(RangeError);
      expect(() => s.keystream(value as number)).toThrow(/"length" expected a non-negative integer/);
      expect(() => s.skip(value as number)).toThrow(/"length"/);
      expect(s.position).toBe(0);
    });

    it.each(badLengths.map((v) => [String(v), v]))('drop %s → RangeError naming "drop"', (_, value) => {
      expect(() => createRC4(key, { drop: value as number })).toThrow(RangeError);
      expect(() => createRC4(key, { drop: value as number })).toThrow(
        /"drop" expected a non-negative integer/,
      );
      expect(() => rc4(key, new Uint8Array(1), { drop: value as number })).toThrow(/"drop"/);
    });

    it('options that are not an object → TypeError naming "options"; undefined drop = 0', () => {
      for (const value of [null, 3, 'drop']) {
        expect(() => createRC4(key, value as never)).toThrow(TypeError);
        expect(() => createRC4(key, value as never)).toThrow(/"options"/);
      }
      expect(hex(createRC4(key, {}).keystream(8))).toBe(hex(KS.subarray(0, 8)));
      expect(hex(createRC4(key, { drop: undefined }).keystream(8))).toBe(hex(KS.subarray(0, 8)));
    });

    it('out shorter than src → RangeError naming "out", nothing consumed', () => {
      const s = createRC4(key);
      expect(() => s.xor(new Uint8Array(10), new Uint8Array(9))).toThrow(RangeError);
      expect(() => s.xor(new Uint8Array(10), new Uint8Array(9))).toThrow(
        /"out" expected length >= 10, got 9/,
      );
      expect(s.position).toBe(0);
      expect(hex(s.keystream(4))).toBe(hex(KS.subarray(0, 4)));
    });

    it('a Uint8Array from another realm is accepted', async () => {
      const { runInNewContext } = await import('node:vm');
      const foreign = runInNewContext('new Uint8Array([0x4b, 0x65, 0x79])') as Uint8Array;
      expect(foreign instanceof Uint8Array).toBe(false);
      expect(hex(createRC4(foreign).keystream(10))).toBe('eb9f7781b734ca72a719');
    });
  });
});
