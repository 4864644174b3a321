import { describe, expect, it } from 'vitest';
import { createRC4, rc4 } from '../src/index';
import { concat, fromHex, hex, utf8 } from './helpers';
import { referenceKeystream } from './reference';
import classic from './vectors/classic.json';
import rfc6229 from './vectors/rfc6229.json';

const OFFSETS = [
  0, 16, 240, 256, 496, 512, 752, 768, 1008, 1024, 1520, 1536, 2032, 2048, 3056, 3072, 4080, 4096,
];

describe('RFC 6229 section 2 vectors', () => {
  it('are all there: 2 key sets x 7 key lengths x 18 offsets', () => {
    expect(rfc6229.vectors).toHaveLength(14);
    for (const v of rfc6229.vectors) {
      expect(v.key).toHaveLength(v.keyBits / 4);
      expect(v.keystream.map((r) => r.offset)).toEqual(OFFSETS);
    }
    expect(rfc6229.vectors.flatMap((v) => v.keystream)).toHaveLength(252);
  });

  for (const v of rfc6229.vectors) {
    describe(`set ${v.keySet}, ${v.keyBits}-bit key 0x${v.key}`, () => {
      const key = fromHex(v.key);

      it('keystream(4112) in one call', () => {
        const ks = createRC4(key).keystream(4112);
        for (const row of v.keystream) {
          expect(hex(ks.subarray(row.offset, row.offset + 16)), `offset ${row.offset}`).toBe(row.keystream);
        }
      });

      it('xor of zeros, fed in uneven pieces (1, 2, ..., 90 bytes, cycling)', () => {
        const stream = createRC4(key);
        const pieces: Uint8Array[] = [];
        for (let done = 0, size = 1; done < 4112; size = (size % 90) + 1) {
          const n = Math.min(size, 4112 - done);
          pieces.push(stream.xor(new Uint8Array(n)));
          done += n;
        }
        const ks = concat(pieces);
        for (const row of v.keystream) {
          expect(hex(ks.subarray(row.offset, row.offset + 16)), `offset ${row.offset}`).toBe(row.keystream);
        }
        expect(stream.position).toBe(4112);
      });

      for (const row of v.keystream) {
        it(`offset ${row.offset}: skip(offset) and drop: offset give the 16 bytes`, () => {
          const skipped = createRC4(key);
          skipped.skip(row.offset);
          expect(skipped.position).toBe(row.offset);
          expect(hex(skipped.keystream(16))).toBe(row.keystream);
          const dropped = createRC4(key, { drop: row.offset });
          expect(dropped.position).toBe(0);
          expect(hex(dropped.xor(new Uint8Array(16)))).toBe(row.keystream);
        });
      }
    });
  }

  it('the reference RC4 of the tests agrees with every vector too', () => {
    for (const v of rfc6229.vectors) {
      const ks = referenceKeystream(fromHex(v.key), 4112);
      for (const row of v.keystream)
        expect(hex(ks.subarray(row.offset, row.offset + 16))).toBe(row.keystream);
    }
  });
});

describe('classic vectors (Key/Plaintext, Wiki/pedia, Secret/Attack at dawn)', () => {
  for (const v of classic.vectors) {
    it(`${v.key} / ${v.plaintext}`, () => {
      const key = utf8(v.key);
      expect(hex(rc4(key, utf8(v.plaintext)))).toBe(v.ciphertext);
      expect(hex(createRC4(key).keystream(v.keystream.length / 2))).toBe(v.keystream);
      expect(new TextDecoder().decode(rc4(key, fromHex(v.ciphertext)))).toBe(v.plaintext);
    });
  }
});

describe('stream behaviour', () => {
  const key = utf8('Secret');

  it('position counts xor, keystream and skip, starting at 0 after the drop', () => {
    const s = createRC4(key, { drop: 3072 });
    expect(s.position).toBe(0);
    s.xor(new Uint8Array(5));
    s.keystream(7);
    s.skip(11);
    s.xor(new Uint8Array(0));
    expect(s.position).toBe(23);
  });

  it('xor, keystream and skip share one keystream', () => {
    const whole = createRC4(key).keystream(300);
    const s = createRC4(key);
    const a = s.xor(new Uint8Array(100));
    s.skip(50);
    const b = s.keystream(150);
    expect(hex(a)).toBe(hex(whole.subarray(0, 100)));
    expect(hex(b)).toBe(hex(whole.subarray(150, 300)));
  });

  it('several streams interleaved stay independent', () => {
    const keys = [utf8('Key'), utf8('Wiki'), utf8('Secret'), fromHex('0102030405')];
    const streams = keys.map((k) => createRC4(k));
    const got = keys.map(() => [] as Uint8Array[]);
    for (let round = 0; round < 40; round++) {
      streams.forEach((s, n) => {
        got[n]!.push(s.xor(new Uint8Array((round * 7 + n * 13) % 300)));
      });
    }
    keys.forEach((k, n) => {
      const all = concat(got[n]!);
      expect(hex(all)).toBe(hex(referenceKeystream(k, all.length)));
    });
  });

  it('a new stream created mid-way does not disturb a running one', () => {
    const a = createRC4(key);
    const first = a.keystream(10);
    createRC4(utf8('other'), { drop: 100 }).keystream(10);
    const second = a.keystream(10);
    expect(hex(concat([first, second]))).toBe(hex(referenceKeystream(key, 20)));
  });

  it('rc4() with drop equals createRC4 with drop', () => {
    const data = utf8('attack at dawn, and again at dusk');
    expect(hex(rc4(key, data, { drop: 3072 }))).toBe(hex(createRC4(key, { drop: 3072 }).xor(data)));
    expect(hex(rc4(key, data, { drop: 3072 }))).toBe(
      hex(referenceKeystream(key, data.length, 3072).map((k, n) => k ^ data[n]!)),
    );
  });

  it('accepts keys of 1 and 256 bytes', () => {
    const k1 = new Uint8Array([0x42]);
    const k256 = Uint8Array.from({ length: 256 }, (_, n) => (n * 37) & 255);
    expect(hex(createRC4(k1).keystream(64))).toBe(hex(referenceKeystream(k1, 64)));
    expect(hex(createRC4(k256).keystream(64))).toBe(hex(referenceKeystream(k256, 64)));
  });

  it('later changes to the key array do not change the stream', () => {
    const k = utf8('mutable key');
    const s = createRC4(k);
    k.fill(0);
    expect(hex(s.keystream(32))).toBe(hex(referenceKeystream(utf8('mutable key'), 32)));
  });

  it('wipe() makes every later call throw, and is idempotent', () => {
    const s = createRC4(key);
    s.keystream(3);
    s.wipe();
    s.wipe();
    expect(() => s.xor(new Uint8Array(1))).toThrow(Error);
    expect(() => s.xor(new Uint8Array(1))).toThrow(/wipe/);
    expect(() => s.keystream(1)).toThrow(/wipe/);
    expect(() => s.skip(1)).toThrow(/wipe/);
  });

  it('wiping one stream leaves the others working', () => {
    const a = createRC4(key);
    const b = createRC4(utf8('Wiki'));
    a.keystream(5);
    b.keystream(5);
    b.wipe();
    expect(hex(a.keystream(5))).toBe(hex(referenceKeystream(key, 10).subarray(5)));
    a.wipe();
    const c = createRC4(utf8('Key'));
    expect(hex(c.keystream(10))).toBe('eb9f7781b734ca72a719');
  });
});
