/**
 * PROTOCOL.md §4.5: every check of the handshake and its error code and kind, in
 * order, each with several malformed shapes. The messages are driven on the
 * Handshake object directly (no session, no relay); the order of frames, the
 * envelope bodies and END on a ClientSession fed hand-made frames.
 */
import { groups } from '@arctalk/dh';
import { describe, expect, it } from 'vitest';
import {
  ClientSession,
  encodeFrame,
  encodePaired,
  encodeWaiting,
  errorKind,
  FrameDecoder,
  FrameType,
  groupPolicy,
  Handshake,
  type HandshakeConfig,
  RemoteProtocolError,
  type SessionEvent,
} from '../src/index';
import { concat, securedPair, seededRandom } from './helpers';

const config = (
  role: 'initiator' | 'responder',
  seed: string,
  over: Partial<HandshakeConfig> = {},
): HandshakeConfig => ({
  role,
  room: 'r',
  name: role === 'initiator' ? 'alice' : 'bob',
  peerName: role === 'initiator' ? 'bob' : 'alice',
  group: groupPolicy('ffdhe2048').group,
  minGroupBits: 2048,
  passphrase: undefined,
  randomBytes: seededRandom(seed),
  sendBudget: 2 ** 30,
  maxFrameLength: 65536,
  relayMaxFrameLength: 65536,
  ...over,
});
const bodyOf = (frame: Uint8Array) => new FrameDecoder().push(frame)[0]!.body;

/** The code of the RemoteProtocolError `f` throws ('ok' if none); its kind is checked too. */
function codeOf(f: () => unknown, kind = 'tampering'): string {
  try {
    f();
  } catch (e) {
    if (!(e instanceof RemoteProtocolError)) return `not remote: ${String(e)}`;
    expect(errorKind(e.code), e.code).toBe(kind);
    return e.code;
  }
  return 'ok';
}

/** A fresh initiator and responder, run up to the message `step` is about. */
function upTo(step: 'commit' | 'kex_r' | 'kex_i' | 'confirm_i', over: Partial<HandshakeConfig> = {}) {
  const i = Handshake.begin(config('initiator', 'i', over)).handshake;
  const commit = bodyOf(Handshake.begin(config('initiator', 'i', over)).frames[0]!);
  const r = Handshake.begin(config('responder', 'r', over)).handshake;
  if (step === 'commit') return { i, r, commit };
  const kexR = bodyOf(r.onCommit(commit)[0]!);
  if (step === 'kex_r') return { i, r, commit, kexR };
  const [kexIFrame, confirmIFrame] = i.onKex(kexR);
  const kexI = bodyOf(kexIFrame!);
  if (step === 'kex_i') return { i, r, commit, kexR, kexI };
  r.onKex(kexI);
  return { i, r, commit, kexR, kexI, confirmI: bodyOf(confirmIFrame!) };
}

const with16 = (body: Uint8Array, at: number, value: number) => {
  const b = body.slice();
  b[at] = value >>> 8;
  b[at + 1] = value & 0xff;
  return b;
};
/** A KEX body whose public key (its last |p| bytes, ffdhe2048) is replaced by `y`, big-endian. */
const withKey = (kex: Uint8Array, y: bigint) => {
  const b = kex.slice();
  const n = groups.ffdhe2048.byteLength;
  const at = b.length - n;
  for (let k = 0; k < n; k++) b[at + k] = Number((y >> BigInt(8 * (n - 1 - k))) & 0xffn);
  return b;
};
const withShare = (kex: Uint8Array, share: Uint8Array) => {
  const b = kex.slice();
  b.set(share, 36);
  return b;
};
const p = groups.ffdhe2048.p;

describe('§4.5 COMMIT (the responder checks)', () => {
  it('length 36, else MALFORMED_FRAME', () => {
    const { commit } = upTo('commit');
    for (const n of [0, 1, 4, 35]) {
      expect(codeOf(() => upTo('commit').r.onCommit(commit.subarray(0, n)))).toBe('MALFORMED_FRAME');
    }
    expect(codeOf(() => upTo('commit').r.onCommit(concat([commit, new Uint8Array(1)])))).toBe(
      'MALFORMED_FRAME',
    );
  });

  it('then the suite (UNSUPPORTED_SUITE), before the group', () => {
    const { commit } = upTo('commit');
    for (const suite of [0, 2, 0xffff]) {
      expect(codeOf(() => upTo('commit').r.onCommit(with16(commit, 0, suite)), 'incompatible')).toBe(
        'UNSUPPORTED_SUITE',
      );
    }
    // a bad suite and a bad group: the suite is named
    expect(
      codeOf(() => upTo('commit').r.onCommit(with16(with16(commit, 0, 7), 2, 0x0777)), 'incompatible'),
    ).toBe('UNSUPPORTED_SUITE');
  });

  it('then the group id (UNKNOWN_GROUP), then its size (GROUP_TOO_SMALL)', () => {
    const { commit } = upTo('commit');
    for (const group of [0, 0x0002, 0x0105, 0x0013, 0xffff]) {
      expect(codeOf(() => upTo('commit').r.onCommit(with16(commit, 2, group)), 'incompatible')).toBe(
        'UNKNOWN_GROUP',
      );
    }
    for (const [minGroupBits, code] of [
      [2048, 'ok'],
      [2049, 'GROUP_TOO_SMALL'],
      [3072, 'GROUP_TOO_SMALL'],
    ] as const) {
      const r = Handshake.begin(config('responder', 'r', { minGroupBits })).handshake;
      expect(codeOf(() => r.onCommit(commit), 'incompatible')).toBe(code);
    }
  });
});

describe('§4.5 KEX_r (the initiator checks)', () => {
  it('a body of 72 bytes or fewer (shorter than 4 included) is MALFORMED_FRAME', () => {
    const { kexR } = upTo('kex_r');
    for (const n of [0, 1, 3, 4, 36, 68, 71, 72]) {
      expect(codeOf(() => upTo('kex_r').i.onKex(kexR!.subarray(0, n)))).toBe('MALFORMED_FRAME');
    }
  });

  it('then a frame cap below 2048 (MALFORMED_FRAME), before suite and group', () => {
    const { kexR } = upTo('kex_r');
    const withCap = (body: Uint8Array, cap: number) => {
      const b = body.slice();
      new DataView(b.buffer).setUint32(68, cap);
      return b;
    };
    for (const cap of [0, 1, 2047]) {
      expect(codeOf(() => upTo('kex_r').i.onKex(withCap(kexR!, cap)))).toBe('MALFORMED_FRAME');
    }
    expect(codeOf(() => upTo('kex_r').i.onKex(with16(withCap(kexR!, 5), 2, 0x0101)))).toBe('MALFORMED_FRAME');
  });

  it('then suite and group equal ours (PARAMETER_MISMATCH)', () => {
    const { kexR } = upTo('kex_r');
    for (const [at, v] of [
      [0, 2],
      [2, 0x0101],
      [2, 0x000e],
    ] as const) {
      expect(codeOf(() => upTo('kex_r').i.onKex(with16(kexR!, at, v)))).toBe('PARAMETER_MISMATCH');
    }
  });

  it('then the public key is exactly |p| bytes (MALFORMED_FRAME)', () => {
    const { kexR } = upTo('kex_r');
    for (const body of [
      kexR!.subarray(0, kexR!.length - 1),
      kexR!.subarray(0, 69),
      concat([kexR!, new Uint8Array(1)]),
    ]) {
      expect(codeOf(() => upTo('kex_r').i.onKex(body))).toBe('MALFORMED_FRAME');
    }
  });

  it('then reflection: our own KEX sent back is INVALID_PUBLIC_KEY', () => {
    const { kexI } = upTo('kex_i');
    // a fresh initiator with the same randomness has the same KEX body: the reflection of its own
    expect(codeOf(() => upTo('kex_r').i.onKex(kexI!))).toBe('INVALID_PUBLIC_KEY');
  });

  it('then 1 < Y < p − 1 and Y^q = 1 (INVALID_PUBLIC_KEY)', () => {
    const { kexR } = upTo('kex_r');
    // 0, 1, p − 1, p, 2^2048 − 1, and 2 (a generator of the whole group: outside the prime-order subgroup)
    for (const y of [0n, 1n, p - 1n, p, (1n << 2048n) - 1n]) {
      expect(codeOf(() => upTo('kex_r').i.onKex(withKey(kexR!, y)))).toBe('INVALID_PUBLIC_KEY');
    }
    // modp/ffdhe groups have g = 2 in the subgroup; p − 2 = −2 is not (−1 is a non-residue there)
    expect(codeOf(() => upTo('kex_r').i.onKex(withKey(kexR!, p - 2n)))).toBe('INVALID_PUBLIC_KEY');
  });

  it('then the CPace share: one that does not decode, or the neutral element, is INVALID_PUBLIC_KEY', () => {
    const { kexR } = upTo('kex_r');
    const shares = [
      new Uint8Array(32), // the neutral element's encoding
      new Uint8Array(32).fill(0xff), // not canonical
      Uint8Array.from({ length: 32 }, (_, k) => (k === 0 ? 1 : 0)), // odd: not a valid encoding
    ];
    for (const share of shares) {
      expect(codeOf(() => upTo('kex_r').i.onKex(withShare(kexR!, share)))).toBe('INVALID_PUBLIC_KEY');
    }
  });
});

describe('§4.5 KEX_i (the responder checks)', () => {
  it('the commitment FIRST, whatever the shape of the body: COMMITMENT_MISMATCH', () => {
    const { kexI } = upTo('kex_i');
    for (const body of [
      new Uint8Array(0),
      new Uint8Array(3),
      kexI!.subarray(0, 68),
      kexI!.subarray(1),
      with16(kexI!, 2, 0x0101), // another group: still the commitment that fails first
      withKey(kexI!, 1n),
      withShare(kexI!, new Uint8Array(32)),
    ]) {
      expect(codeOf(() => upTo('kex_i').r.onKex(body))).toBe('COMMITMENT_MISMATCH');
    }
    expect(codeOf(() => upTo('kex_i').r.onKex(kexI!))).toBe('ok');
  });
});

describe('§4.5 CONFIRM (both check)', () => {
  it('the responder: any body but CONFIRM_i, of any length, is AUTH_FAILED, and CONFIRM_r is withheld', () => {
    const { confirmI } = upTo('confirm_i');
    const flipped = confirmI!.slice();
    flipped[31]! ^= 1;
    for (const body of [
      new Uint8Array(0),
      confirmI!.subarray(0, 31),
      concat([confirmI!, new Uint8Array(1)]),
      flipped,
    ]) {
      expect(codeOf(() => upTo('confirm_i').r.onConfirm(body))).toBe('AUTH_FAILED');
    }
    const ok = upTo('confirm_i').r.onConfirm(confirmI!);
    expect(ok.frames).toHaveLength(1); // CONFIRM_r, only now
  });

  it('with different passphrases the responder fails CONFIRM_i (AUTH_FAILED)', () => {
    const enc = (s: string) => new TextEncoder().encode(s);
    const i = Handshake.begin(config('initiator', 'i', { passphrase: enc('one') }));
    const r = Handshake.begin(config('responder', 'r', { passphrase: enc('two') })).handshake;
    const kexR = bodyOf(r.onCommit(bodyOf(i.frames[0]!))[0]!);
    const [kexI, confirmI] = i.handshake.onKex(kexR);
    r.onKex(bodyOf(kexI!));
    expect(codeOf(() => r.onConfirm(bodyOf(confirmI!)))).toBe('AUTH_FAILED');
  });
});

/** A session paired by hand as `role` (hand-made PAIRED), with the frames fed one by one. */
function pairedSession(role: 'initiator' | 'responder') {
  const s = new ClientSession({ name: 'me', randomBytes: seededRandom(`s/${role}`) });
  s.start();
  s.takeOutput();
  s.receive(
    encodeFrame({
      type: FrameType.PAIRED,
      body: encodePaired({ role, maxFrameLength: 65536, peerName: 'peer' }),
    }),
  );
  s.takeOutput();
  return s;
}
const errorCode = (events: SessionEvent[]) => {
  const e = events.at(-1);
  if (e?.type !== 'error') return 'no error';
  expect(errorKind(e.error.code), e.error.code).toBe('tampering');
  return e.error.code;
};
const frame = (type: number, n = 36) => encodeFrame({ type, body: new Uint8Array(n) });

describe('§4.5 frames out of order: UNEXPECTED_FRAME, for either role', () => {
  const cases: [string, 'initiator' | 'responder', number][] = [
    ['COMMIT to the initiator', 'initiator', FrameType.COMMIT],
    ['CONFIRM to the initiator before KEX_r', 'initiator', FrameType.CONFIRM],
    ['DATA to the initiator before CONFIRM', 'initiator', FrameType.DATA],
    ['END to the initiator before CONFIRM', 'initiator', FrameType.END],
    ['KEX to the responder before COMMIT', 'responder', FrameType.KEX],
    ['CONFIRM to the responder before COMMIT', 'responder', FrameType.CONFIRM],
    ['DATA to the responder before CONFIRM', 'responder', FrameType.DATA],
    ['PAIRED twice', 'responder', FrameType.PAIRED],
    ['WAITING after PAIRED', 'initiator', FrameType.WAITING],
  ];
  it.each(cases)('%s', (_label, role, type) => {
    const body =
      type === FrameType.PAIRED
        ? encodePaired({ role: 'initiator', maxFrameLength: 65536, peerName: 'x' })
        : type === FrameType.WAITING
          ? encodeWaiting({ maxFrameLength: 65536 })
          : new Uint8Array(36);
    expect(errorCode(pairedSession(role).receive(encodeFrame({ type, body })))).toBe('UNEXPECTED_FRAME');
  });

  it('for the responder: a second COMMIT, or CONFIRM before KEX_i: UNEXPECTED_FRAME', () => {
    const commit = Handshake.begin(config('initiator', 'x')).frames[0]!;
    const r = pairedSession('responder');
    expect(r.receive(commit)).toEqual([]);
    expect(r.state).toBe('exchanging');
    expect(errorCode(r.receive(commit))).toBe('UNEXPECTED_FRAME');
    const r2 = pairedSession('responder');
    r2.receive(commit);
    expect(errorCode(r2.receive(frame(FrameType.CONFIRM, 32)))).toBe('UNEXPECTED_FRAME');
  });
});

describe('§4.5 envelope bodies and §6 END, as a client checks them', () => {
  it('WAITING or PEER_LEFT with a body, PAIRED with a bad role or length: MALFORMED_FRAME', () => {
    const fresh = () => {
      const s = new ClientSession({ name: 'me' });
      s.start();
      return s;
    };
    for (const n of [0, 1, 3, 5]) {
      expect(errorCode(fresh().receive(frame(FrameType.WAITING, n)))).toBe('MALFORMED_FRAME');
    }
    const smallCap = Uint8Array.of(0, 0, 0x07, 0xff); // 2047: below the minimum
    expect(errorCode(fresh().receive(encodeFrame({ type: FrameType.WAITING, body: smallCap })))).toBe(
      'MALFORMED_FRAME',
    );
    expect(
      errorCode(
        fresh().receive(
          encodeFrame({ type: FrameType.PAIRED, body: Uint8Array.of(1, ...smallCap, 1, 0x61) }),
        ),
      ),
    ).toBe('MALFORMED_FRAME');
    expect(errorCode(pairedSession('responder').receive(frame(FrameType.PEER_LEFT, 1)))).toBe(
      'MALFORMED_FRAME',
    );
    for (const body of [[], [3, 1, 0x61], [1, 2, 0x61], [0, 1, 0x61]]) {
      expect(
        errorCode(fresh().receive(encodeFrame({ type: FrameType.PAIRED, body: Uint8Array.from(body) }))),
      ).toBe('MALFORMED_FRAME');
    }
  });

  it('END whose body is not 24 bytes: MALFORMED_FRAME; a bad tag: AUTH_FAILED; a bad offset: BAD_OFFSET', () => {
    for (const n of [0, 8, 23, 25, 40]) {
      const { alice } = securedPair();
      expect(errorCode(alice.receive(frame(FrameType.END, n)))).toBe('MALFORMED_FRAME');
    }
    const { alice } = securedPair();
    expect(errorCode(alice.receive(frame(FrameType.END, 24)))).toBe('AUTH_FAILED');
    const { alice: a2 } = securedPair();
    const badOffset = new Uint8Array(24);
    badOffset[7] = 1;
    expect(errorCode(a2.receive(encodeFrame({ type: FrameType.END, body: badOffset })))).toBe('BAD_OFFSET');
  });

  it('DATA shorter than 25 bytes: MALFORMED_FRAME', () => {
    for (const n of [0, 8, 24]) {
      const { alice } = securedPair();
      expect(errorCode(alice.receive(frame(FrameType.DATA, n)))).toBe('MALFORMED_FRAME');
    }
  });
});
