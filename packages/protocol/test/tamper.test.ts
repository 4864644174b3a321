/**
 * A hostile relay: after (and during) the handshake it flips single bytes, drops,
 * duplicates, reorders, replays, reflects, injects and cuts client-to-client
 * frames. Every alteration must be detected by the receiving side, with its own
 * error or event, and no altered text may ever be delivered.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  FrameDecoder,
  FrameType,
  type ProtocolErrorCode,
  RemoteProtocolError,
  type SessionEvent,
} from '../src/index';
import { Net, seededRandom, utf8 } from './helpers';

type Who = 'alice' | 'bob';
/** Rewrites one frame on its way to `to`; `index` counts frames to that client. */
type FrameHook = (to: Who, index: number, frame: Uint8Array) => Uint8Array[];

const SCRIPT: [Who, string | null][] = [
  ['alice', 'one'],
  ['alice', 'two'],
  ['bob', 'uno'],
  ['bob', 'dos'],
  ['alice', null],
  ['bob', null],
];
const SENT = { alice: 'onetwo', bob: 'unodos' };

/** Runs the whole conversation through a tampering relay, then both leave. */
function conversation(hook?: FrameHook, opts: { passphrase?: string } = {}) {
  const net = new Net();
  const counts = { alice: 0, bob: 0 };
  const decoders = {
    alice: new FrameDecoder({ acceptType: () => true }),
    bob: new FrameDecoder({ acceptType: () => true }),
  };
  if (hook) {
    net.tamper = (to, bytes) => {
      const who = to as Who;
      const out: Uint8Array[] = [];
      for (const f of decoders[who].push(bytes)) {
        const frame = new Uint8Array(5 + f.body.length);
        new DataView(frame.buffer).setUint32(0, f.body.length + 1);
        frame[4] = f.type;
        frame.set(f.body, 5);
        out.push(...hook(who, counts[who]++, frame));
      }
      return out;
    };
  }
  const extra = opts.passphrase ? { passphrase: opts.passphrase } : {};
  const alice = net.add('alice', { room: 't', name: 'alice', randomBytes: seededRandom('t/a'), ...extra });
  net.pump();
  const bob = net.add('bob', { room: 't', name: 'bob', randomBytes: seededRandom('t/b'), ...extra });
  net.pump();
  const sessions = { alice, bob };
  for (const [who, msg] of SCRIPT) {
    const s = sessions[who];
    if (s.state !== 'secured') continue; // a side that failed or never secured says nothing
    if (msg === null) s.end();
    else s.send(utf8(msg));
    net.pump();
  }
  net.leave('alice');
  net.leave('bob');
  for (const who of ['alice', 'bob'] as const) {
    const s = sessions[who];
    if (s.error === undefined) net.ev(who).push(...s.transportClosed());
  }
  return { net, alice, bob };
}

/** A hook that XORs `mask` into byte `pos` of frame `index` on its way to `to`. */
const flip =
  (to: Who, index: number, pos: number, mask = 0x01): FrameHook =>
  (who, i, f) => {
    if (who !== to || i !== index) return [f];
    const g = f.slice();
    g[pos]! ^= mask;
    return [g];
  };

/** Frame indexes (per receiving side) in the untouched conversation. */
const BASE = (() => {
  const seen: { to: Who; index: number; type: number; length: number }[] = [];
  conversation((to, index, frame) => {
    seen.push({ to, index, type: frame[4]!, length: frame.length });
    return [frame];
  });
  return seen;
})();
const c2c = (to: Who, type: number) => BASE.filter((f) => f.to === to && f.type === type);
const code = (net: Net, who: Who) => net.errorOf(who)?.code;

/** What the receiver must never do: deliver text that was not sent, in that order. */
function expectNoForgery(net: Net) {
  expect(SENT.alice.startsWith(net.texts('bob'))).toBe(true);
  expect(SENT.bob.startsWith(net.texts('alice'))).toBe(true);
}

it('the untouched conversation is clean (baseline for every case below)', () => {
  const { net, alice, bob } = conversation((_to, _i, f) => [f]);
  expect(net.texts('bob')).toBe('onetwo');
  expect(net.texts('alice')).toBe('unodos');
  expect([alice.state, bob.state]).toEqual(['closed', 'closed']);
  expect(net.errorOf('alice') ?? net.errorOf('bob')).toBeUndefined();
  expect(c2c('bob', FrameType.DATA)).toHaveLength(2);
  expect(c2c('alice', FrameType.DATA)).toHaveLength(2);
  expect(c2c('bob', FrameType.END)).toHaveLength(1);
});

const tally: Record<string, number> = {};
const count = (kind: string) => {
  tally[kind] = (tally[kind] ?? 0) + 1;
};

describe('after the handshake: every single-byte flip of every DATA, END and ACK frame', () => {
  const targets = [
    ...c2c('bob', FrameType.DATA),
    ...c2c('bob', FrameType.END),
    ...c2c('bob', FrameType.ACK),
    ...c2c('alice', FrameType.DATA),
    ...c2c('alice', FrameType.END),
    ...c2c('alice', FrameType.ACK),
  ];
  const cases = targets.flatMap((t) => Array.from({ length: t.length }, (_, pos) => ({ ...t, pos })));

  it.each(cases)('to $to, frame #$index (type $type), byte $pos', ({ to, index, type, pos }) => {
    const { net } = conversation(flip(to, index, pos));
    count('flip after handshake');
    const err = net.errorOf(to);
    expect(err).toBeInstanceOf(RemoteProtocolError);
    expectNoForgery(net);
    let expected: ProtocolErrorCode[];
    if (pos < 2) expected = ['FRAME_TOO_LARGE'];
    else if (pos < 4)
      expected = [
        'CONNECTION_LOST',
        'AUTH_FAILED',
        'MALFORMED_FRAME',
        'UNKNOWN_FRAME_TYPE',
        'UNEXPECTED_FRAME',
        'FRAME_TOO_LARGE',
      ];
    // DATA 0x13 → CONFIRM 0x12; END 0x14 ↔ ACK 0x15, whose bodies are 24 and 25 bytes
    else if (pos === 4)
      expected =
        type === FrameType.DATA
          ? ['UNEXPECTED_FRAME']
          : type === FrameType.END
            ? ['MALFORMED_FRAME']
            : ['MALFORMED_FRAME', 'UNEXPECTED_FRAME']; // an ACK read as a (second) END
    // an ACK's tag is checked before its offset: any flip in it is AUTH_FAILED
    else if (pos < 13 && type !== FrameType.ACK) expected = ['BAD_OFFSET'];
    else expected = ['AUTH_FAILED'];
    expect(expected).toContain(err!.code);
  });
});

describe('drop, duplicate, reorder, replay, reflect, inject, cut', () => {
  const [d1, d2] = c2c('bob', FrameType.DATA);
  const [end] = c2c('bob', FrameType.END);

  it.each([
    ['the first DATA', d1!.index, 'BAD_OFFSET', 'two arrives at offset 3 where 0 was expected'],
    ['the second DATA', d2!.index, 'BAD_OFFSET', 'END names offset 6 where 3 bytes arrived'],
  ])('dropping %s → %s', (_n, index, expected) => {
    const { net } = conversation((who, i, f) => (who === 'bob' && i === index ? [] : [f]));
    count('drop');
    expect(code(net, 'bob')).toBe(expected);
    expectNoForgery(net);
  });

  it('dropping END, then the peer leaves: a cut, "peer left before it ended", not a clean end', () => {
    const { net, bob } = conversation((who, i, f) => (who === 'bob' && i === end!.index ? [] : [f]));
    count('drop');
    expect(net.texts('bob')).toBe('onetwo');
    expect(net.ev('bob')).not.toContainEqual({ type: 'peer-ended' });
    expect(net.ev('bob')).toContainEqual({ type: 'peer-left', ended: false });
    expect(bob.peerEnded).toBe(false);
  });

  it('a relay that cuts the stream before END (PEER_LEFT early) → peer-left, ended false', () => {
    const net = new Net();
    const alice = net.add('alice', { room: 'c', name: 'alice', randomBytes: seededRandom('c/a') });
    net.pump();
    net.add('bob', { room: 'c', name: 'bob', randomBytes: seededRandom('c/b') });
    net.pump();
    alice.send(utf8('half a sent'));
    net.pump();
    net.leave('alice');
    count('cut');
    expect(net.ev('bob').at(-1)).toEqual({ type: 'peer-left', ended: false });
  });

  it.each([
    ['DATA', d1!.index, 'BAD_OFFSET'],
    ['the second DATA', d2!.index, 'BAD_OFFSET'],
    ['END', end!.index, 'UNEXPECTED_FRAME'],
  ])('duplicating (replaying at once) %s → %s', (_n, index, expected) => {
    const { net } = conversation((who, i, f) => (who === 'bob' && i === index ? [f, f] : [f]));
    count('duplicate');
    expect(code(net, 'bob')).toBe(expected);
    expectNoForgery(net);
  });

  it('replaying an old DATA later → BAD_OFFSET; after END → UNEXPECTED_FRAME', () => {
    let old: Uint8Array | undefined;
    const later = conversation((who, i, f) => {
      if (who !== 'bob') return [f];
      if (i === d1!.index) old = f;
      return i === d2!.index ? [f, old!] : [f];
    });
    expect(code(later.net, 'bob')).toBe('BAD_OFFSET');
    const afterEnd = conversation((who, i, f) => {
      if (who !== 'bob') return [f];
      if (i === d1!.index) old = f;
      return i === end!.index ? [f, old!] : [f];
    });
    expect(code(afterEnd.net, 'bob')).toBe('UNEXPECTED_FRAME');
    count('replay');
    count('replay');
  });

  it.each([
    ['DATA 1 and DATA 2', d1!.index, d2!.index],
    ['DATA 2 and END', d2!.index, end!.index],
  ])('reordering %s → BAD_OFFSET', (_n, first, second) => {
    let held: Uint8Array | undefined;
    const { net } = conversation((who, i, f) => {
      if (who !== 'bob') return [f];
      if (i === first) {
        held = f;
        return [];
      }
      return i === second ? [f, held!] : [f];
    });
    count('reorder');
    expect(code(net, 'bob')).toBe('BAD_OFFSET');
    expectNoForgery(net);
  });

  it("reflecting alice's own DATA back to her (same offset, other direction) → AUTH_FAILED", () => {
    let mirrored: Uint8Array | undefined;
    const { net } = conversation((who, i, f) => {
      if (who === 'bob' && i === d1!.index) mirrored = f;
      else if (who === 'alice' && mirrored !== undefined) {
        // the relay sends it back to alice, just before bob's first frame to her after it
        const m = mirrored;
        mirrored = undefined;
        return [m, f];
      }
      return [f];
    });
    count('reflect');
    expect(net.clients.size).toBe(0);
    expect(net.texts('alice')).toBe('');
    expect(code(net, 'alice')).toBe('AUTH_FAILED');
  });

  it('injecting a forged DATA at the right offset → AUTH_FAILED; frames of another session → AUTH_FAILED', () => {
    const forged = new Uint8Array(5 + 8 + 4 + 16);
    new DataView(forged.buffer).setUint32(0, forged.length - 4);
    forged[4] = FrameType.DATA;
    forged.set(utf8('evil'), 13);
    const { net } = conversation((who, i, f) => (who === 'bob' && i === d1!.index ? [forged] : [f]));
    expect(code(net, 'bob')).toBe('AUTH_FAILED');
    // a DATA recorded from a different conversation (other keys), spliced in at the same place
    let foreign: Uint8Array | undefined;
    const other = new Net();
    other.add('x', { room: 'o', name: 'alice', randomBytes: seededRandom('other/a') });
    other.pump();
    other.add('y', { room: 'o', name: 'bob', randomBytes: seededRandom('other/b') });
    other.pump();
    other.clients.get('x')!.send(utf8('one'));
    other.pump();
    foreign = other.wire.get('y')!.at(-1);
    const spliced = conversation((who, i, f) => (who === 'bob' && i === d1!.index ? [foreign!] : [f]));
    expect(code(spliced.net, 'bob')).toBe('AUTH_FAILED');
    count('inject');
    count('inject');
  });

  it("holding back bob's CONFIRM until after his first DATA: alice gets DATA before CONFIRM → UNEXPECTED_FRAME", () => {
    const [confirm] = c2c('alice', FrameType.CONFIRM);
    const [data] = c2c('alice', FrameType.DATA);
    let held: Uint8Array | undefined;
    const { net, alice } = conversation((who, i, f) => {
      if (who !== 'alice') return [f];
      if (i === confirm!.index) {
        held = f;
        return [];
      }
      return i === data!.index ? [f, held!] : [f];
    });
    count('reorder');
    expect(code(net, 'alice')).toBe('UNEXPECTED_FRAME');
    expect(net.texts('alice')).toBe('');
    expect(net.ev('alice').some((e) => e.type === 'secured')).toBe(false);
    expect(alice.sas).toBeUndefined();
  });

  it("reflecting alice's own CONFIRM back to her in place of bob's → AUTH_FAILED", () => {
    const [mine] = c2c('bob', FrameType.CONFIRM);
    const [theirs] = c2c('alice', FrameType.CONFIRM);
    let own: Uint8Array | undefined;
    const { net } = conversation((who, i, f) => {
      if (who === 'bob' && i === mine!.index) own = f;
      return who === 'alice' && i === theirs!.index ? [own!] : [f];
    });
    count('reflect');
    expect(code(net, 'alice')).toBe('AUTH_FAILED');
    expect(net.ev('alice').some((e) => e.type === 'secured')).toBe(false);
  });

  it.each([
    ['WAITING', new Uint8Array([0, 0, 0, 1, FrameType.WAITING])],
    ['PAIRED', new Uint8Array([0, 0, 0, 5, FrameType.PAIRED, 1, 2, 0x65, 0x76])],
    ['a COMMIT', new Uint8Array([0, 0, 0, 37, FrameType.COMMIT, ...new Uint8Array(36)])],
  ])('injecting %s mid-conversation → UNEXPECTED_FRAME, no forged text', (_n, extra) => {
    const [d] = c2c('bob', FrameType.DATA);
    const { net } = conversation((who, i, f) => (who === 'bob' && i === d!.index ? [extra, f] : [f]));
    count('inject');
    expect(code(net, 'bob')).toBe('UNEXPECTED_FRAME');
    expectNoForgery(net);
  });

  // ACK (§6.5): the relay cannot forge, replay, reflect or withhold an acknowledgement unnoticed.
  const acksToAlice = c2c('alice', FrameType.ACK);
  const lastAckToAlice = acksToAlice.at(-1)!; // bob's ACK of alice's END

  it('an ACK that would confirm what was never sent is refused: forged → AUTH_FAILED', () => {
    const forged = new Uint8Array(5 + 25);
    new DataView(forged.buffer).setUint32(0, 26);
    forged[4] = FrameType.ACK;
    forged[5 + 7] = 6; // "6 bytes received", flags 0, a made-up tag
    const { net, alice } = conversation((who, i, f) =>
      who === 'alice' && i === acksToAlice[0]!.index ? [forged] : [f],
    );
    count('inject');
    expect(code(net, 'alice')).toBe('AUTH_FAILED');
    expect(alice.endAcknowledged).toBe(false);
  });

  it.each([['duplicated at once', (f: Uint8Array) => [f, f]]])(
    'an ACK %s → BAD_OFFSET (it says no more than the last one)',
    (_n, hook) => {
      const { net } = conversation((who, i, f) =>
        who === 'alice' && i === acksToAlice[0]!.index ? hook(f) : [f],
      );
      count('replay');
      expect(code(net, 'alice')).toBe('BAD_OFFSET');
    },
  );

  it('an old ACK replayed after a newer one → BAD_OFFSET', () => {
    let old: Uint8Array | undefined;
    const { net } = conversation((who, i, f) => {
      if (who !== 'alice') return [f];
      if (i === acksToAlice[0]!.index) old = f;
      return i === lastAckToAlice.index ? [f, old!] : [f];
    });
    count('replay');
    expect(code(net, 'alice')).toBe('BAD_OFFSET');
  });

  it("reflecting bob's ACK back to bob (as if alice had acknowledged) → AUTH_FAILED", () => {
    const [bobsAck] = acksToAlice;
    const [firstToBob] = c2c('bob', FrameType.ACK);
    let mirrored: Uint8Array | undefined;
    const { net } = conversation((who, i, f) => {
      if (who === 'alice' && i === bobsAck!.index) mirrored = f;
      if (who === 'bob' && i === firstToBob!.index) return [mirrored!];
      return [f];
    });
    count('reflect');
    expect(code(net, 'bob')).toBe('AUTH_FAILED');
  });

  it('withholding the ACK of END: the sender is never closed (no clean end), whatever else arrives', () => {
    const { net, alice, bob } = conversation((who, i, f) =>
      who === 'alice' && i === lastAckToAlice.index ? [] : [f],
    );
    count('drop');
    expect(net.texts('bob')).toBe('onetwo'); // bob did get it all…
    expect(bob.state).toBe('closed');
    // …but alice cannot know: no closed event, her END unconfirmed, the peer's END in
    expect(net.ev('alice')).not.toContainEqual({ type: 'closed' });
    expect(alice.endAcknowledged).toBe(false);
    expect(alice.peerEnded).toBe(true);
    expect(alice.acknowledged).toBe(6);
  });

  it('the acknowledged offsets are what was sent, and the ACK of END comes last', () => {
    const { net } = conversation();
    const acks = net.ev('alice').filter((e) => e.type === 'acknowledged');
    expect(acks).toEqual([
      { type: 'acknowledged', offset: 3, ended: false },
      { type: 'acknowledged', offset: 6, ended: false },
      { type: 'acknowledged', offset: 6, ended: true },
    ]);
  });

  it('property: a random non-zero XOR on a random byte of a random post-handshake frame is detected', () => {
    const targets = BASE.filter(
      (f) => f.type === FrameType.DATA || f.type === FrameType.END || f.type === FrameType.ACK,
    );
    fc.assert(
      fc.property(fc.constantFrom(...targets), fc.nat(), fc.integer({ min: 1, max: 255 }), (t, p, mask) => {
        const pos = p % t.length;
        const { net } = conversation(flip(t.to, t.index, pos, mask));
        expect(net.errorOf(t.to)).toBeInstanceOf(RemoteProtocolError);
        expectNoForgery(net);
      }),
      { numRuns: 30 },
    );
  });
});

describe('during the handshake: single-byte flips of COMMIT, KEX and CONFIRM', () => {
  const handshake = BASE.filter(
    (f) => f.type === FrameType.COMMIT || f.type === FrameType.KEX || f.type === FrameType.CONFIRM,
  );
  const cases = handshake.flatMap((t) => {
    // every byte of COMMIT and CONFIRM; for the 301-byte KEX: header, suite, group,
    // a few nonce bytes and a spread of public-key bytes
    const positions =
      t.type === FrameType.KEX
        ? [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 20, 40, 41, 42, 100, 150, 200, 250, 290, 294, 295, 296]
        : Array.from({ length: t.length }, (_, i) => i);
    return positions.map((pos) => ({ ...t, pos }));
  });

  it.each(cases)('to $to, frame #$index (type $type), byte $pos', ({ to, index, type, pos }) => {
    const { net } = conversation(flip(to, index, pos));
    count('flip during handshake');
    const errors = [net.errorOf('alice'), net.errorOf('bob')].filter((e) => e !== undefined);
    expect(errors.length).toBeGreaterThan(0);
    for (const e of errors) expect(e).toBeInstanceOf(RemoteProtocolError);
    // nobody was ever told the conversation is secure on both ends, and no text crossed
    const securedBoth = [net.ev('alice'), net.ev('bob')].every((ev) =>
      ev.some((e: SessionEvent) => e.type === 'secured'),
    );
    expect(securedBoth).toBe(false);
    expect(net.texts('alice') + net.texts('bob')).toBe('');
    const receiverCode = net.errorOf(to)?.code;
    if (pos >= 5) {
      if (type === FrameType.CONFIRM) expect(receiverCode).toBe('AUTH_FAILED');
      if (type === FrameType.KEX && to === 'bob') expect(receiverCode).toBe('COMMITMENT_MISMATCH');
      if (type === FrameType.COMMIT && pos >= 9) expect(receiverCode).toBe('COMMITMENT_MISMATCH');
      if (type === FrameType.COMMIT && pos < 7) expect(receiverCode).toBe('UNSUPPORTED_SUITE');
      if (type === FrameType.KEX && to === 'alice' && pos < 9)
        expect(receiverCode).toBe('PARAMETER_MISMATCH');
    }
  });
});

it('reports how many tamper cases ran', () => {
  const total = Object.values(tally).reduce((a, b) => a + b, 0);
  console.log(`tamper cases: ${total}`, JSON.stringify(tally));
  expect(total).toBeGreaterThan(300);
});
