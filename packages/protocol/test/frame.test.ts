import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  DEFAULT_MAX_FRAME_LENGTH,
  decodeCommit,
  decodeEmpty,
  decodeError,
  decodeHello,
  decodeKex,
  decodePaired,
  decodePing,
  decodeWaiting,
  ErrorCode,
  encodeCommit,
  encodeError,
  encodeFrame,
  encodeHello,
  encodeKex,
  encodePaired,
  encodeWaiting,
  errorCodeName,
  type Frame,
  FrameDecoder,
  FrameType,
  frameTypeName,
  GroupId,
  isClientToClientType,
  isKnownFrameType,
  LocalProtocolError,
  RemoteProtocolError,
  SUITE_FFDH_RC4DROP3072_HMACSHA256,
  validateName,
  validateRoom,
} from '../src/index';
import { concat, hex } from './helpers';

const knownTypes = Object.values(FrameType);

function splitAt(bytes: Uint8Array, cuts: number[]): Uint8Array[] {
  const points = [...new Set(cuts.map((c) => c % (bytes.length + 1)))].sort((a, b) => a - b);
  const parts: Uint8Array[] = [];
  let last = 0;
  for (const p of points) {
    parts.push(bytes.subarray(last, p));
    last = p;
  }
  parts.push(bytes.subarray(last));
  return parts;
}

describe('encodeFrame', () => {
  it('writes u32 length (type + body) big-endian, the type, the body', () => {
    expect(hex(encodeFrame({ type: FrameType.PING, body: new Uint8Array(0) }))).toBe('0000000106');
    expect(hex(encodeFrame({ type: 0x13, body: new Uint8Array([0xaa, 0xbb]) }))).toBe('0000000313aabb');
    const big = encodeFrame({ type: 0x13, body: new Uint8Array(0x1234) });
    expect(hex(big.subarray(0, 5))).toBe('0000123513');
  });
  it('rejects bad arguments with LocalProtocolError', () => {
    expect(() => encodeFrame({ type: 256, body: new Uint8Array(0) })).toThrow(LocalProtocolError);
    expect(() => encodeFrame({ type: -1, body: new Uint8Array(0) })).toThrow(/"frame.type"/);
    expect(() => encodeFrame({ type: 1, body: 'x' as unknown as Uint8Array })).toThrow(
      '"frame.body" expected Uint8Array, got string',
    );
    expect(() => encodeFrame(null as unknown as Frame)).toThrow(/"frame" expected object/);
    try {
      encodeFrame({ type: 0x13, body: new Uint8Array(DEFAULT_MAX_FRAME_LENGTH) });
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(LocalProtocolError);
      expect((e as LocalProtocolError).code).toBe('FRAME_TOO_LARGE');
    }
    expect(encodeFrame({ type: 0x13, body: new Uint8Array(DEFAULT_MAX_FRAME_LENGTH - 1) }).length).toBe(
      DEFAULT_MAX_FRAME_LENGTH + 4,
    );
  });
});

describe('frame type and error code tables', () => {
  it('names the types and codes', () => {
    expect(frameTypeName(0x13)).toBe('DATA');
    expect(frameTypeName(0x15)).toBe('ACK');
    expect(frameTypeName(0x16)).toBeUndefined();
    expect(isKnownFrameType(0x08)).toBe(false);
    expect(isClientToClientType(0x1f)).toBe(true);
    expect(isClientToClientType(0x20)).toBe(false);
    expect(isClientToClientType(0x07)).toBe(false);
    expect(errorCodeName(6)).toBe('ROOM_FULL');
    expect(Object.values(ErrorCode)).toEqual([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14]);
  });
});

describe('FrameDecoder', () => {
  it('decodes frames split at every byte the same as whole', () => {
    const frames = [
      { type: FrameType.HELLO, body: encodeHello({ room: 'r', name: 'alice' }) },
      { type: FrameType.WAITING, body: new Uint8Array(0) },
      { type: FrameType.DATA, body: new Uint8Array(300).fill(7) },
    ];
    const wire = concat(frames.map((f) => encodeFrame(f)));
    const d = new FrameDecoder();
    const out: Frame[] = [];
    for (let i = 0; i < wire.length; i++) {
      out.push(...d.push(wire.subarray(i, i + 1)));
    }
    expect(out.map((f) => [f.type, hex(f.body)])).toEqual(frames.map((f) => [f.type, hex(f.body)]));
    expect(d.buffered).toBe(0);
  });

  it('returns views of the input for frames wholly inside one push', () => {
    const wire = encodeFrame({ type: FrameType.DATA, body: new Uint8Array([1, 2, 3]) });
    const [frame] = new FrameDecoder().push(wire);
    expect(frame!.body.buffer).toBe(wire.buffer);
    expect(frame!.body.byteOffset).toBe(5);
  });

  it('reports buffered bytes of an incomplete frame', () => {
    const d = new FrameDecoder();
    expect(d.push(new Uint8Array([0, 0]))).toEqual([]);
    expect(d.buffered).toBe(2);
    expect(d.push(new Uint8Array([0, 3, 0x13, 9]))).toEqual([]);
    expect(d.buffered).toBe(6);
  });

  it.each([
    ['length 0', [0, 0, 0, 0, 0x13], 'MALFORMED_FRAME'],
    ['over the cap', [0, 1, 0, 2, 0x13], 'FRAME_TOO_LARGE'],
    ['unknown type 0x08', [0, 0, 0, 1, 0x08], 'UNKNOWN_FRAME_TYPE'],
    ['unknown type 0x16', [0, 0, 0, 1, 0x16], 'UNKNOWN_FRAME_TYPE'],
    ['unknown type 0xff', [0, 0, 0, 1, 0xff], 'UNKNOWN_FRAME_TYPE'],
  ])('rejects %s as soon as the header is in, then stays failed', (_name, bytes, code) => {
    const d = new FrameDecoder();
    let err: unknown;
    try {
      d.push(new Uint8Array(bytes));
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(RemoteProtocolError);
    expect((err as RemoteProtocolError).code).toBe(code);
    expect(() => d.push(new Uint8Array(0))).toThrow(err as Error);
  });

  it('decode() keeps the frames before an error', () => {
    const d = new FrameDecoder();
    const wire = concat([
      encodeFrame({ type: 6, body: new Uint8Array(0) }),
      new Uint8Array([0, 0, 0, 1, 0x30]),
    ]);
    const { frames, error } = d.decode(wire);
    expect(frames).toHaveLength(1);
    expect(error?.code).toBe('UNKNOWN_FRAME_TYPE');
  });

  it('honours maxFrameLength and acceptType', () => {
    const d = new FrameDecoder({ maxFrameLength: 256, acceptType: (t) => t === 0x42 });
    expect(d.push(encodeFrame({ type: 0x42, body: new Uint8Array(255) }, 256))).toHaveLength(1);
    expect(() => d.push(new Uint8Array([0, 0, 1, 1, 0x42]))).toThrow(/exceeds/);
    expect(() => new FrameDecoder({ maxFrameLength: 0 })).toThrow(/"maxFrameLength"/);
    expect(() => new FrameDecoder().push('x' as unknown as Uint8Array)).toThrow(LocalProtocolError);
  });

  it('property: random frames round-trip through any split', () => {
    const frameArb = fc.record({
      type: fc.constantFrom(...knownTypes),
      body: fc.uint8Array({ maxLength: 600 }),
    });
    fc.assert(
      fc.property(
        fc.array(frameArb, { maxLength: 8 }),
        fc.array(fc.nat(), { maxLength: 10 }),
        (frames, cuts) => {
          const wire = concat(frames.map((f) => encodeFrame(f)));
          const d = new FrameDecoder();
          const out = splitAt(wire, cuts).flatMap((part) => d.push(part));
          expect(out.map((f) => [f.type, hex(f.body)])).toEqual(frames.map((f) => [f.type, hex(f.body)]));
          expect(d.buffered).toBe(0);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('property: random bytes never raise anything but the typed errors, the same under any split', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 400 }), fc.array(fc.nat(), { maxLength: 6 }), (bytes, cuts) => {
        const whole = new FrameDecoder({ maxFrameLength: 256 }).decode(bytes);
        const d = new FrameDecoder({ maxFrameLength: 256 });
        const frames: Frame[] = [];
        let error: RemoteProtocolError | undefined;
        for (const part of splitAt(bytes, cuts)) {
          try {
            frames.push(...d.push(part));
          } catch (e) {
            expect(e).toBeInstanceOf(RemoteProtocolError);
            error = e as RemoteProtocolError;
            break;
          }
        }
        expect(frames.map((f) => hex(f.body))).toEqual(whole.frames.map((f) => hex(f.body)));
        expect(error?.code).toBe(whole.error?.code);
      }),
      { numRuns: 500 },
    );
  });
});

describe('envelope messages', () => {
  it('HELLO has the documented layout and round-trips', () => {
    const body = encodeHello({ room: 'ab', name: 'zé' });
    expect(hex(body)).toBe('0202616203' + '7ac3a9');
    expect(decodeHello(body)).toEqual({ version: 2, room: 'ab', name: 'zé' });
    expect(() => encodeHello({ room: '', name: 'x' })).toThrow(LocalProtocolError);
  });

  it('HELLO: version checked first, then layout and text', () => {
    const code = (b: number[]) => {
      try {
        decodeHello(new Uint8Array(b));
      } catch (e) {
        return (e as RemoteProtocolError).code;
      }
      return 'ok';
    };
    expect(code([3])).toBe('UNSUPPORTED_VERSION');
    expect(code([1, 99, 99])).toBe('UNSUPPORTED_VERSION');
    expect(code([3, 99, 99])).toBe('UNSUPPORTED_VERSION');
    expect(code([])).toBe('MALFORMED_FRAME');
    expect(code([2, 0, 0])).toBe('MALFORMED_FRAME'); // empty room and name
    expect(code([2, 0, 1, 0x61])).toBe('MALFORMED_FRAME'); // empty room (§3.1: no default room)
    expect(code([2, 1, 0x72, 0])).toBe('MALFORMED_FRAME'); // empty name
    expect(code([2, 1, 0x72, 1, 0x61, 0x62])).toBe('MALFORMED_FRAME'); // trailing byte
    expect(code([2, 5, 1])).toBe('MALFORMED_FRAME');
    expect(code([2, 1, 0x72, 1, 0x07])).toBe('MALFORMED_FRAME'); // BEL
    expect(code([2, 1, 0x72, 1, 0xff])).toBe('MALFORMED_FRAME'); // not UTF-8
    expect(code([2, 1, 0x72, 3, 0xe2, 0x80, 0xae])).toBe('MALFORMED_FRAME'); // U+202E RLO
    expect(code([2, 1, 0x72, 3, 0xef, 0xbb, 0xbf])).toBe('ok'); // a BOM is kept, not stripped
    expect(decodeHello(new Uint8Array([2, 1, 0x72, 3, 0xef, 0xbb, 0xbf])).name).toBe('\ufeff');
  });

  it('names and rooms are validated locally', () => {
    expect(validateName('a'.repeat(32))).toHaveLength(32);
    expect(() => validateName('')).toThrow(LocalProtocolError);
    expect(() => validateName('a'.repeat(33))).toThrow(/1\.\.32 bytes/);
    expect(() => validateName('\u00e9'.repeat(17))).toThrow(/got 34/);
    expect(() => validateName('a\nb')).toThrow(/control/);
    expect(() => validateName('\ud800')).toThrow(/surrogate/);
    expect(validateName('😀')).toHaveLength(4);
    expect(() => validateRoom('')).toThrow(LocalProtocolError);
    expect(() => validateRoom('r'.repeat(65))).toThrow(/1\.\.64/);
    expect(() => validateName(5 as unknown as string)).toThrow('"name" expected string, got number');
    expect(() => encodeHello({ room: 'r', name: 'n', version: 256 })).toThrow(/"version"/);
  });

  it('every control and every bidirectional-formatting character (Unicode Bidi_Control) is refused', () => {
    const refused: number[] = [];
    for (let cp = 0; cp < 0x110000; cp++) {
      if (cp >= 0xd800 && cp <= 0xdfff) continue;
      const ch = String.fromCodePoint(cp);
      if (!/[\p{Cc}\p{Bidi_Control}\u2028\u2029]/u.test(ch)) continue;
      refused.push(cp);
      expect(() => validateName(`a${ch}`), `U+${cp.toString(16)}`).toThrow(LocalProtocolError);
      expect(() => validateRoom(ch), `U+${cp.toString(16)}`).toThrow(LocalProtocolError);
      const utf8 = new TextEncoder().encode(ch);
      // from the wire: a name in HELLO, and the sanitised ERROR message
      expect(() => decodeHello(new Uint8Array([1, 0, utf8.length, ...utf8]))).toThrow(RemoteProtocolError);
      expect(decodeError(new Uint8Array([0, 1, ...utf8])).message).toBe('\ufffd');
    }
    // C0 (32) + DEL and C1 (33) + U+061C, U+200E, U+200F, U+202A–U+202E, U+2066–U+2069 (12) + U+2028, U+2029
    expect(refused).toHaveLength(32 + 33 + 12 + 2);
    expect(refused).toContain(0x061c); // ARABIC LETTER MARK, an invisible strong right-to-left mark
    // ordinary right-to-left text is fine: only the invisible formatting characters are refused
    expect(validateName('שלום')).toHaveLength(8);
    expect(validateName('مرحبا')).toHaveLength(10);
  });

  it('PAIRED layout and checks: role, the relay frame cap, the peer name', () => {
    expect(hex(encodePaired({ role: 'initiator', maxFrameLength: 65536, peerName: 'bob' }))).toBe(
      '01000100000362' + '6f62',
    );
    expect(decodePaired(encodePaired({ role: 'responder', maxFrameLength: 4096, peerName: 'al' }))).toEqual({
      role: 'responder',
      maxFrameLength: 4096,
      peerName: 'al',
    });
    const cap = [0, 1, 0, 0];
    expect(() => decodePaired(new Uint8Array([3, ...cap, 1, 0x61]))).toThrow(/role/);
    expect(() => decodePaired(new Uint8Array([1, ...cap, 2, 0x61]))).toThrow(RemoteProtocolError);
    expect(() => decodePaired(new Uint8Array([1, ...cap, 0]))).toThrow(RemoteProtocolError);
    // the version-2-before-caps layout (no cap) is refused, not misread
    expect(() => decodePaired(new Uint8Array([1, 1, 0x61]))).toThrow(RemoteProtocolError);
    // a cap below the protocol's minimum (2048) is malformed
    expect(() => decodePaired(new Uint8Array([1, 0, 0, 7, 0xff, 1, 0x61]))).toThrow(/below the minimum 2048/);
    expect(decodePaired(new Uint8Array([1, 0, 0, 8, 0, 1, 0x61])).maxFrameLength).toBe(2048);
    expect(() => encodePaired({ role: 'x' as 'initiator', maxFrameLength: 65536, peerName: 'a' })).toThrow(
      LocalProtocolError,
    );
    expect(() => encodePaired({ role: 'initiator', maxFrameLength: 2047, peerName: 'a' })).toThrow(
      /"maxFrameLength"/,
    );
  });

  it('WAITING carries the relay frame cap: 4 bytes, at least 2048', () => {
    expect(hex(encodeWaiting({ maxFrameLength: 65536 }))).toBe('00010000');
    expect(decodeWaiting(Uint8Array.of(0xff, 0xff, 0xff, 0xff)).maxFrameLength).toBe(2 ** 32 - 1);
    expect(() => decodeWaiting(new Uint8Array(0))).toThrow(/WAITING body of 0 bytes/);
    expect(() => decodeWaiting(new Uint8Array(5))).toThrow(RemoteProtocolError);
    expect(() => decodeWaiting(Uint8Array.of(0, 0, 0x07, 0xff))).toThrow(/below the minimum/);
    expect(() => encodeWaiting({ maxFrameLength: 2 ** 32 })).toThrow(LocalProtocolError);
  });

  it('ERROR layout, truncation and safe decoding', () => {
    expect(hex(encodeError({ code: ErrorCode.ROOM_FULL, message: 'full' }))).toBe('000666756c6c');
    expect(decodeError(encodeError({ code: 0xfffe, message: 'x' }))).toEqual({ code: 0xfffe, message: 'x' });
    const long = encodeError({ code: 1, message: 'é'.repeat(600) });
    expect(long.length).toBe(2 + 1024);
    expect(decodeError(long).message).toBe('é'.repeat(512));
    const odd = encodeError({ code: 1, message: `a${'é'.repeat(600)}` });
    expect(odd.length).toBe(2 + 1023); // cut on a character boundary
    expect(decodeError(new Uint8Array([0, 1, 0x1b, 0x5b, 0xff])).message).toBe('\ufffd[\ufffd');
    expect(() => decodeError(new Uint8Array([0]))).toThrow(RemoteProtocolError);
    expect(() => decodeError(new Uint8Array(1027))).toThrow(RemoteProtocolError);
    expect(() => encodeError({ code: 65536, message: '' })).toThrow(/"code"/);
  });

  it('empty bodies and PING bodies', () => {
    expect(() => decodeEmpty('PEER_LEFT', new Uint8Array(0))).not.toThrow();
    expect(() => decodeEmpty('PEER_LEFT', new Uint8Array(1))).toThrow(/PEER_LEFT body must be empty/);
    expect(decodePing(new Uint8Array(32))).toHaveLength(32);
    expect(() => decodePing(new Uint8Array(33))).toThrow(RemoteProtocolError);
  });
});

describe('client-to-client bodies', () => {
  const commitment = new Uint8Array(32).fill(0xcc);
  const nonce = new Uint8Array(32).fill(0xaa);
  const publicKey = new Uint8Array(256).fill(0x55);
  const cpaceShare = new Uint8Array(32).fill(0x77);
  const maxFrameLength = 4096;

  it('COMMIT and KEX have the documented layouts and round-trip', () => {
    const commit = encodeCommit({
      suite: SUITE_FFDH_RC4DROP3072_HMACSHA256,
      group: GroupId.ffdhe2048,
      commitment,
    });
    expect(hex(commit)).toBe(`00010100${'cc'.repeat(32)}`);
    expect(decodeCommit(commit)).toEqual({ suite: 1, group: 0x0100, commitment });
    const kex = encodeKex({
      suite: 1,
      group: GroupId.modp2048,
      nonce,
      cpaceShare,
      maxFrameLength,
      publicKey,
    });
    expect(hex(kex.subarray(0, 4))).toBe('0001000e');
    expect(kex).toHaveLength(72 + 256);
    expect(kex.subarray(36, 68)).toEqual(cpaceShare);
    expect(hex(kex.subarray(68, 72))).toBe('00001000');
    expect(decodeKex(kex)).toEqual({ suite: 1, group: 0x000e, nonce, cpaceShare, maxFrameLength, publicKey });
    // 72 bytes leave no room for a public key
    expect(() => decodeKex(kex.subarray(0, 72))).toThrow(RemoteProtocolError);
    // a frame cap below 2048 is malformed
    const small = kex.slice();
    small.set([0, 0, 0x07, 0xff], 68);
    expect(() => decodeKex(small)).toThrow(/below the minimum 2048/);
  });

  it('the encoders refuse what would not round-trip, naming the argument', () => {
    const bad = (f: () => unknown) => {
      try {
        f();
      } catch (e) {
        expect(e).toBeInstanceOf(LocalProtocolError);
        expect((e as LocalProtocolError).code).toBe('INVALID_ARGUMENT');
        return (e as Error).message;
      }
      return 'ok';
    };
    expect(bad(() => encodeCommit({ suite: 1, group: 0x0100, commitment: commitment.subarray(1) }))).toBe(
      '"commitment" expected length 32, got 31',
    );
    expect(bad(() => encodeCommit({ suite: 0x10000, group: 0x0100, commitment }))).toBe(
      '"suite" expected integer 0..65535, got 65536',
    );
    expect(bad(() => encodeCommit({ suite: 1, group: -1, commitment }))).toMatch(/^"group"/);
    expect(
      bad(() =>
        encodeKex({
          suite: 1,
          group: 0x0100,
          nonce: new Uint8Array(33),
          cpaceShare,
          maxFrameLength,
          publicKey,
        }),
      ),
    ).toBe('"nonce" expected length 32, got 33');
    expect(
      bad(() =>
        encodeKex({
          suite: 1,
          group: 0x0100,
          nonce,
          cpaceShare,
          maxFrameLength,
          publicKey: new Uint8Array(0),
        }),
      ),
    ).toMatch(/^"publicKey" expected length/);
    expect(
      bad(() =>
        encodeKex({
          suite: 1,
          group: 0x0100,
          nonce,
          cpaceShare,
          maxFrameLength,
          publicKey: 'x' as unknown as Uint8Array,
        }),
      ),
    ).toBe('"publicKey" expected Uint8Array, got string');
    expect(
      bad(() =>
        encodeKex({
          suite: 1,
          group: 0x0100,
          nonce,
          cpaceShare: new Uint8Array(31),
          maxFrameLength,
          publicKey,
        }),
      ),
    ).toBe('"cpaceShare" expected length 32, got 31');
    expect(
      bad(() => encodeKex({ suite: 1.5, group: 0x0100, nonce, cpaceShare, maxFrameLength, publicKey })),
    ).toMatch(/^"suite"/);
    expect(
      bad(() => encodeKex({ suite: 1, group: 0x0100, nonce, cpaceShare, maxFrameLength: 2047, publicKey })),
    ).toBe('"maxFrameLength" expected integer 2048..2^32-1, got 2047');
  });
});
