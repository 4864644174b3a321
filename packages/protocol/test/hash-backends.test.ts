/**
 * The two hash backends — @noble/hashes (the default entry, browsers) and
 * node:crypto (the `"node"` entry) — give the same bytes: published known answers
 * through both, random inputs through both, the record layer's frames and whole
 * recorded sessions under each. And the `"node"` entry does install node:crypto.
 */
import fc from 'fast-check';
import { afterEach, describe, expect, it } from 'vitest';
import { _hashBackend, _nobleHashes, _useHashBackend } from '../src/_hash';
import { _nodeHashes } from '../src/_hash-node';
import { encodeFrame, FrameDecoder, RecordState } from '../src/index';
import { concat, fromHex, hex, seededRandom } from './helpers';
import { runScenario, type ScenarioInput } from './vectors/scenario';
import ffdhe3072 from './vectors/session-ffdhe3072.json';
import passphrase from './vectors/session-passphrase.json';
import plain from './vectors/session-plain.json';

const backends = [_nobleHashes, _nodeHashes] as const;
const utf8 = (s: string) => new TextEncoder().encode(s);
const fill = (n: number, byte: number) => new Uint8Array(n).fill(byte);

afterEach(() => _useHashBackend(_nobleHashes));

describe.each(backends)('$name backend: published known answers', (b) => {
  it('SHA-256 (FIPS 180-2 Appendix B.1 and B.2)', () => {
    expect(hex(b.sha256([utf8('abc')]))).toBe(
      'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad',
    );
    expect(hex(b.sha256([utf8('abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq')]))).toBe(
      '248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1',
    );
    expect(hex(b.sha256([utf8('ab'), utf8(''), utf8('c')]))).toBe(
      'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad',
    );
  });

  // RFC 4231 §4.2 (test case 1), §4.3 (2), §4.7 (6: a key longer than the block).
  const rfc4231 = [
    [fill(20, 0x0b), 'Hi There', 'b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7'],
    [
      utf8('Jefe'),
      'what do ya want for nothing?',
      '5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843',
    ],
    [
      fill(131, 0xaa),
      'Test Using Larger Than Block-Size Key - Hash Key First',
      '60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54',
    ],
  ] as const;
  it.each(rfc4231)('HMAC-SHA256 (RFC 4231), one-shot and keyed: %#', (key, data, expected) => {
    expect(hex(b.hmacSha256(key, [utf8(data)]))).toBe(expected);
    const mac = b.keyedMac(key);
    expect(hex(mac.digest(utf8(data)))).toBe(expected);
    expect(hex(mac.digest(utf8(data.slice(0, 3)), utf8(data.slice(3))))).toBe(expected); // reusable
    mac.destroy();
    expect(() => mac.digest(utf8(data))).toThrow();
  });

  it('HKDF-SHA256 (RFC 5869 A.1 and A.3)', () => {
    const ikm = fill(22, 0x0b);
    const prk1 = b.hkdfExtract(fromHex('000102030405060708090a0b0c'), ikm);
    expect(hex(prk1)).toBe('077709362c2e32df0ddc3f0dc47bba6390b6c73bb50f9c3122ec844ad7c2b3e5');
    expect(hex(b.hkdfExpand(prk1, fromHex('f0f1f2f3f4f5f6f7f8f9'), 42))).toBe(
      '3cb25f25faacd57a90434f64d0362f2a2d2d0a90cf1a5a4c5db02d56ecc4c5bf34007208d5b887185865',
    );
    const prk3 = b.hkdfExtract(new Uint8Array(0), ikm);
    expect(hex(prk3)).toBe('19ef24a32c717b167f33a91d6f648bdf96596776afdb6377ac434c1c293ccb04');
    expect(hex(b.hkdfExpand(prk3, new Uint8Array(0), 42))).toBe(
      '8da4e775a563c18f715f802a063c5a31b8a11f5c5ee1879ec3454e5f3c738d2d9d201395faa4b61a96c8',
    );
  });

  it('returns plain Uint8Arrays from the functions whose results leave the module', () => {
    for (const out of [
      b.sha256([utf8('x')]),
      b.hmacSha256(utf8('k'), [utf8('x')]),
      b.hkdfExtract(utf8('s'), utf8('x')),
      b.hkdfExpand(fill(32, 1), utf8('i'), 40),
    ]) {
      expect(Object.getPrototypeOf(out)).toBe(Uint8Array.prototype);
    }
  });
});

describe('noble and node:crypto agree on random inputs', () => {
  const bytes = (max: number) => fc.uint8Array({ maxLength: max });
  it('SHA-256 and HMAC-SHA256, any key length (0..200), any split of the message', () => {
    fc.assert(
      fc.property(bytes(200), fc.array(bytes(300), { maxLength: 5 }), (key, parts) => {
        expect(hex(_nodeHashes.sha256(parts))).toBe(hex(_nobleHashes.sha256(parts)));
        expect(hex(_nodeHashes.hmacSha256(key, parts))).toBe(hex(_nobleHashes.hmacSha256(key, parts)));
        expect(hex(_nodeHashes.keyedMac(key).digest(...parts))).toBe(
          hex(_nobleHashes.keyedMac(key).digest(...parts)),
        );
      }),
      { numRuns: 200 },
    );
  });

  it('HKDF-Expand for every output length class, and both refuse more than 255 blocks', () => {
    const prk = fill(32, 7);
    for (const length of [0, 1, 31, 32, 33, 64, 100, 255 * 32]) {
      expect(hex(_nodeHashes.hkdfExpand(prk, utf8('info'), length)), `L=${length}`).toBe(
        hex(_nobleHashes.hkdfExpand(prk, utf8('info'), length)),
      );
    }
    for (const b of backends) expect(() => b.hkdfExpand(prk, utf8('info'), 255 * 32 + 1)).toThrow();
  });
});

describe('the record layer under each backend', () => {
  it('DATA and END frames are identical, and each side opens the other’s', () => {
    const keys = () => ({ rc4Key: fill(32, 3), macKey: fill(32, 5) });
    const texts = [1, 2023, 5000, 70_000].map((n) => seededRandom(`t${n}`)(n));
    const frames = backends.map((b) => {
      _useHashBackend(b);
      const out = new RecordState(keys(), { maxDataLength: 4096 });
      const data = new FrameDecoder({ maxFrameLength: 8192 }).push(
        concat(texts.map((t) => out.encodeData(t))),
      );
      return [...data.map((f) => encodeFrame(f)), out.encodeEnd()];
    });
    expect(frames[1]!.map(hex)).toEqual(frames[0]!.map(hex));
    for (const [enc, dec] of [
      [0, 1],
      [1, 0],
    ] as const) {
      _useHashBackend(backends[dec]);
      const inbound = new RecordState(keys());
      const got = frames[enc]!.slice(0, -1).map((f) => inbound.decodeData(f.subarray(5)));
      inbound.decodeEnd(frames[enc]!.at(-1)!.subarray(5));
      expect(hex(Uint8Array.from(got.flatMap((g) => [...g])))).toBe(
        hex(Uint8Array.from(texts.flatMap((t) => [...t]))),
      );
      // and a flipped tag bit is refused by this backend too
      const bad = new RecordState(keys());
      const f = frames[enc]![0]!.slice();
      f[f.length - 1]! ^= 1;
      expect(() => bad.decodeData(f.subarray(5))).toThrow(/authentication failed/);
    }
  });
});

describe('whole recorded sessions replay byte for byte under node:crypto', () => {
  const vectors = [plain, passphrase, ffdhe3072] as unknown as {
    description: string;
    input: ScenarioInput;
    wire: unknown;
    derived: unknown;
  }[];
  it.each(vectors.map((v) => [v.description, v] as const))('%s', (_d, v) => {
    _useHashBackend(_nodeHashes);
    const out = runScenario(v.input);
    expect(out.wire).toEqual(v.wire);
    expect(out.derived).toEqual(v.derived);
  });
});

describe('the entries', () => {
  it('the default entry uses noble; loading the "node" entry installs node:crypto', async () => {
    await import('../src/index');
    expect(_hashBackend().name).toBe('noble');
    await import('../src/index.node');
    expect(_hashBackend().name).toBe('node:crypto');
  });
});
