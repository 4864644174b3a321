/**
 * The key exchange against a relay that sits in the middle, and the policy checks:
 * group size, suite, group id, version, public-key validation.
 */
import { createDH, groups } from '@arctalk/dh';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  ClientSession,
  commitmentOf,
  cpaceStart,
  ErrorCode,
  encodeCommit,
  encodeFrame,
  encodeHello,
  encodeKex,
  encodePaired,
  FrameDecoder,
  FrameType,
  GroupId,
  type ProtocolError,
  Relay,
  RemoteProtocolError,
  type SessionEvent,
  SUITE_FFDH_RC4DROP3072_HMACSHA256,
} from '../src/index';
import { Net, seededRandom, utf8 } from './helpers';

type Hook = (to: string, frame: Uint8Array) => Uint8Array[];

/** A pair whose relay rewrites frames through `hook` (frame by frame). */
const malloryShare = cpaceStart(
  { prs: new Uint8Array(0), ci: new Uint8Array(0), sid: new Uint8Array(0) },
  seededRandom('mallory/cpace'),
).share;

function pairThrough(hook: Hook, opts: { alice?: object; bob?: object } = {}) {
  const net = new Net();
  const decoders = new Map<string, FrameDecoder>();
  net.tamper = (to, bytes) => {
    let d = decoders.get(to);
    if (!d) {
      d = new FrameDecoder({ acceptType: () => true });
      decoders.set(to, d);
    }
    return d.push(bytes).flatMap((f) => hook(to, encodeFrame({ type: f.type, body: f.body.slice() })));
  };
  const alice = net.add('alice', {
    room: 'h',
    name: 'alice',
    randomBytes: seededRandom('h/a'),
    ...opts.alice,
  });
  net.pump();
  const bob = net.add('bob', { room: 'h', name: 'bob', randomBytes: seededRandom('h/b'), ...opts.bob });
  net.pump();
  return { net, alice, bob };
}

const setByte = (i: number, v: number) => (b: Uint8Array) => {
  b[i] = v;
  return b;
};
const withBody = (frame: Uint8Array, edit: (body: Uint8Array) => Uint8Array) =>
  encodeFrame({ type: frame[4]!, body: edit(frame.subarray(5).slice()) });

describe('a relay in the middle running its own key exchange with each side', () => {
  /** alice ↔ relay 1 ↔ mallory-as-bob … mallory-as-alice ↔ relay 2 ↔ bob */
  function mitm(passphrases: { alice?: string; bob?: string; mallory?: string } = {}) {
    const left = new Net();
    const right = new Net();
    const pp = (p?: string) => (p ? { passphrase: p } : {});
    const alice = left.add('alice', {
      room: 'm',
      name: 'alice',
      randomBytes: seededRandom('m/a'),
      ...pp(passphrases.alice),
    });
    left.pump();
    const m1 = left.add('m1', {
      room: 'm',
      name: 'bob',
      randomBytes: seededRandom('m/m1'),
      ...pp(passphrases.mallory),
    });
    const m2 = right.add('m2', {
      room: 'm',
      name: 'alice',
      randomBytes: seededRandom('m/m2'),
      ...pp(passphrases.mallory),
    });
    right.pump();
    const bob = right.add('bob', {
      room: 'm',
      name: 'bob',
      randomBytes: seededRandom('m/b'),
      ...pp(passphrases.bob),
    });
    left.pump();
    right.pump();
    // A mallory whose CONFIRM check failed hangs up, as a real client does.
    for (const [net, id, s] of [
      [left, 'm1', m1],
      [right, 'm2', m2],
    ] as const) {
      if (s.state === 'failed') net.leave(id);
    }
    return { left, right, alice, bob, m1, m2 };
  }

  it('without a passphrase both handshakes succeed, the names match, but the two SAS differ', () => {
    const { left, right, alice, bob, m1, m2 } = mitm();
    expect([alice.state, bob.state]).toEqual(['secured', 'secured']);
    expect([alice.peerName, bob.peerName]).toEqual(['bob', 'alice']);
    expect(alice.sas).toBe(m1.sas);
    expect(bob.sas).toBe(m2.sas);
    expect(alice.sas).not.toBe(bob.sas);
    // mallory can read and re-encrypt: only comparing the SAS aloud reveals her
    alice.send(utf8('meet at noon'));
    left.pump();
    m2.send(utf8(left.texts('m1')));
    right.pump();
    expect(right.texts('bob')).toBe('meet at noon');
  });

  it('with a passphrase mallory does not know, CONFIRM fails on both real ends with a clear error', () => {
    const { left, right, alice, bob } = mitm({ alice: 'rosebud', bob: 'rosebud', mallory: 'guess' });
    for (const [net, id, s] of [
      [left, 'alice', alice],
      [right, 'bob', bob],
    ] as const) {
      const err = net.errorOf(id) as ProtocolError;
      expect(err.code).toBe('AUTH_FAILED');
      expect(err.message).toMatch(/wrong code or passphrase/);
      expect(s.state).toBe('failed');
      expect(net.ev(id).some((e) => e.type === 'secured')).toBe(false);
    }
  });

  it('even a mallory who knows the passphrase cannot make the SAS agree (the SAS ignores the passphrase)', () => {
    const { alice, bob } = mitm({ alice: 'rosebud', bob: 'rosebud', mallory: 'rosebud' });
    expect([alice.state, bob.state]).toEqual(['secured', 'secured']);
    expect(alice.sas).not.toBe(bob.sas);
  });

  it('matching passphrases without mallory: secured, same SAS; mismatched: AUTH_FAILED both sides', () => {
    const ok = pairThrough((_t, f) => [f], {
      alice: { passphrase: 'rosebud' },
      bob: { passphrase: 'rosebud' },
    });
    expect(ok.alice.sas).toBe(ok.bob.sas);
    ok.alice.send(utf8('secret'));
    ok.net.pump();
    expect(ok.net.texts('bob')).toBe('secret');
    const bad = pairThrough((_t, f) => [f], {
      alice: { passphrase: 'rosebud' },
      bob: { passphrase: 'Rosebud' },
    });
    // bob checks CONFIRM_i first and fails; alice's answer is bob hanging up (§4.4)
    expect(bad.net.errorOf('bob')?.code).toBe('AUTH_FAILED');
    expect(bad.alice.state).toBe('confirming');
    bad.net.leave('bob');
    expect(bad.net.errorOf('alice')?.code).toBe('AUTH_FAILED');
    expect(bad.net.errorOf('alice')?.message).toMatch(/^wrong code or passphrase/);
  });

  const malloryKex = (group = groups.ffdhe2048, id: number = GroupId.ffdhe2048) => {
    const dh = createDH(group, { randomBytes: seededRandom('mallory') });
    const { publicKey } = dh.keygen();
    return encodeKex({
      suite: SUITE_FFDH_RC4DROP3072_HMACSHA256,
      group: id,
      nonce: new Uint8Array(32),
      cpaceShare: malloryShare,
      maxFrameLength: 65536,
      publicKey,
    });
  };

  it("a relay that swaps the initiator's revealed KEX for its own → COMMITMENT_MISMATCH", () => {
    const { net } = pairThrough((to, f) =>
      to === 'bob' && f[4] === FrameType.KEX
        ? [encodeFrame({ type: FrameType.KEX, body: malloryKex() })]
        : [f],
    );
    expect(net.errorOf('bob')?.code).toBe('COMMITMENT_MISMATCH');
    expect(net.ev('bob').some((e) => e.type === 'secured')).toBe(false);
  });

  it('a relay that swaps the commitment for one of its own KEX → COMMITMENT_MISMATCH', () => {
    const fake = encodeCommit({ suite: 1, group: GroupId.ffdhe2048, commitment: commitmentOf(malloryKex()) });
    const { net } = pairThrough((to, f) =>
      to === 'bob' && f[4] === FrameType.COMMIT ? [encodeFrame({ type: FrameType.COMMIT, body: fake })] : [f],
    );
    expect(net.errorOf('bob')?.code).toBe('COMMITMENT_MISMATCH');
  });

  it("a relay that swaps the responder's KEX for its own: CONFIRM fails (AUTH_FAILED)", () => {
    const { net } = pairThrough((to, f) =>
      to === 'alice' && f[4] === FrameType.KEX
        ? [encodeFrame({ type: FrameType.KEX, body: malloryKex() })]
        : [f],
    );
    // bob checks CONFIRM_i first; alice learns it when bob hangs up (after her CONFIRM)
    expect(net.errorOf('bob')?.code).toBe('AUTH_FAILED');
    net.leave('bob');
    expect(net.errorOf('alice')?.code).toBe('AUTH_FAILED');
  });
});

describe('policy', () => {
  it('a group below the minimum is refused by the responder: GROUP_TOO_SMALL', () => {
    const { net, alice } = pairThrough((_t, f) => [f], { bob: { minGroupBits: 3072 } });
    const err = net.errorOf('bob') as ProtocolError;
    expect(err.code).toBe('GROUP_TOO_SMALL');
    expect(err.message).toMatch(/ffdhe2048 \(2048 bits\), below the minimum 3072/);
    expect(alice.state).toBe('committing');
  });

  it('a group at the minimum is accepted (ffdhe3072, minimum 3072)', () => {
    const { alice, bob } = pairThrough((_t, f) => [f], {
      alice: { group: 'ffdhe3072' },
      bob: { minGroupBits: 3072 },
    });
    expect(bob.state).toBe('secured');
    expect(alice.sas).toBe(bob.sas);
  });

  it.each([
    ['an unknown suite', setByte(1, 0x02), 'UNSUPPORTED_SUITE'],
    ['an unknown group id', setByte(2, 0x02), 'UNKNOWN_GROUP'],
    ['a short COMMIT', (b: Uint8Array) => b.subarray(0, 35), 'MALFORMED_FRAME'],
  ])('COMMIT with %s → %s', (_n, edit, code) => {
    const { net } = pairThrough((to, f) =>
      to === 'bob' && f[4] === FrameType.COMMIT ? [withBody(f, edit)] : [f],
    );
    expect(net.errorOf('bob')?.code).toBe(code);
  });

  it('a responder KEX naming another group → PARAMETER_MISMATCH', () => {
    const { net } = pairThrough((to, f) =>
      to === 'alice' && f[4] === FrameType.KEX ? [withBody(f, setByte(3, 0x01))] : [f],
    );
    expect(net.errorOf('alice')?.code).toBe('PARAMETER_MISMATCH');
  });

  const p = groups.ffdhe2048.p;
  const q = groups.ffdhe2048.q;
  const modPow = (b: bigint, e: bigint, m: bigint) => {
    let r = 1n;
    b %= m;
    for (; e > 0n; e >>= 1n, b = (b * b) % m) if (e & 1n) r = (r * b) % m;
    return r;
  };
  const toBytes = (n: bigint) => {
    const out = new Uint8Array(256);
    for (let i = 255; i >= 0; i--, n >>= 8n) out[i] = Number(n & 0xffn);
    return out;
  };
  let nonResidue = 3n;
  while (modPow(nonResidue, q, p) === 1n) nonResidue++;
  const badKeys: [string, bigint][] = [
    ['0', 0n],
    ['1', 1n],
    ['p − 1', p - 1n],
    ['p', p],
    ['p + 1', p + 1n],
    [`${nonResidue} (outside the prime-order subgroup)`, nonResidue],
  ];

  it.each(badKeys)('a responder public key of %s → INVALID_PUBLIC_KEY', (_n, y) => {
    const { net } = pairThrough((to, f) =>
      to === 'alice' && f[4] === FrameType.KEX
        ? [
            withBody(f, (b) => {
              b.set(toBytes(y), 72);
              return b;
            }),
          ]
        : [f],
    );
    const err = net.errorOf('alice') as ProtocolError;
    expect(err.code).toBe('INVALID_PUBLIC_KEY');
    expect(err.message).toMatch(/failed validation/);
  });

  it.each(badKeys)(
    'an initiator public key of %s (commitment forged to match) → INVALID_PUBLIC_KEY',
    (_n, y) => {
      let forged: Uint8Array | undefined;
      const { net } = pairThrough((to, f) => {
        if (to !== 'bob') return [f];
        if (f[4] === FrameType.COMMIT) {
          // the relay cannot see alice's KEX yet: it commits to a KEX of its own with the bad key
          forged = encodeKex({
            suite: 1,
            group: GroupId.ffdhe2048,
            nonce: new Uint8Array(32),
            cpaceShare: malloryShare,
            maxFrameLength: 65536,
            publicKey: toBytes(y),
          });
          return [
            encodeFrame({
              type: FrameType.COMMIT,
              body: encodeCommit({ suite: 1, group: GroupId.ffdhe2048, commitment: commitmentOf(forged) }),
            }),
          ];
        }
        if (f[4] === FrameType.KEX) return [encodeFrame({ type: FrameType.KEX, body: forged! })];
        return [f];
      });
      expect(net.errorOf('bob')?.code).toBe('INVALID_PUBLIC_KEY');
    },
  );

  it('a public key of the wrong length → MALFORMED_FRAME', () => {
    const { net } = pairThrough((to, f) =>
      to === 'alice' && f[4] === FrameType.KEX ? [withBody(f, (b) => b.subarray(0, b.length - 1))] : [f],
    );
    expect(net.errorOf('alice')?.code).toBe('MALFORMED_FRAME');
  });

  it.each([1, 3])(
    'version %i: the relay refuses the HELLO, naming its version; the client reports UNSUPPORTED_VERSION',
    (version) => {
      const relay = new Relay();
      relay.open('old');
      const actions = relay.receive(
        'old',
        encodeFrame({ type: FrameType.HELLO, body: encodeHello({ room: 'r', name: 'x', version }) }),
      );
      const reply = actions.find((a) => a.type === 'send');
      expect(reply?.type === 'send' && reply.bytes[4]).toBe(FrameType.ERROR);
      const s = new ClientSession({ name: 'x', randomBytes: seededRandom('v') });
      s.start();
      const events = s.receive(reply!.type === 'send' ? reply!.bytes : new Uint8Array(0));
      const err = (events[0] as unknown as { error: RemoteProtocolError }).error;
      expect(err.code).toBe('UNSUPPORTED_VERSION');
      expect(err.relayCode).toBe(ErrorCode.UNSUPPORTED_VERSION);
      expect(err.message).toMatch(/does not speak arctalk protocol version 2/);
      expect(err.message).toMatch(
        new RegExp(`unsupported protocol version ${version}: this relay speaks arctalk protocol version 2`),
      );
    },
  );

  it('a failed CONFIRM names a code or passphrase only in a session that has one', () => {
    const rename = (to: string, f: Uint8Array) =>
      to === 'bob' && f[4] === FrameType.PAIRED
        ? [
            encodeFrame({
              type: FrameType.PAIRED,
              body: encodePaired({ role: 'responder', maxFrameLength: 65536, peerName: 'eve' }),
            }),
          ]
        : [f];
    const plain = pairThrough(rename).net.errorOf('bob');
    expect(plain?.code).toBe('AUTH_FAILED');
    expect(plain?.message).toBe(
      'key confirmation failed: someone in the middle of the key exchange (or a broken peer)',
    );
    expect(plain?.message).not.toMatch(/passphrase/);
  });

  it('names are authenticated: a relay that renames the peer in PAIRED makes CONFIRM fail', () => {
    const { net } = pairThrough((to, f) =>
      to === 'bob' && f[4] === FrameType.PAIRED
        ? [
            encodeFrame({
              type: FrameType.PAIRED,
              body: encodePaired({ role: 'responder', maxFrameLength: 65536, peerName: 'eve' }),
            }),
          ]
        : [f],
    );
    expect(net.errorOf('bob')?.code).toBe('AUTH_FAILED');
    net.leave('bob'); // bob hangs up: alice, past her CONFIRM, reports the failed confirmation
    expect(net.errorOf('alice')?.code).toBe('AUTH_FAILED');
    expect(net.errorOf('alice')?.message).toMatch(/the peer left after our CONFIRM/);
  });
});

describe('a relay that lies in PAIRED or cuts the handshake short', () => {
  const forceRole = (role: 1 | 2) => (_to: string, f: Uint8Array) =>
    f[4] === FrameType.PAIRED ? [withBody(f, setByte(0, role))] : [f];

  it('both told "initiator": each refuses the other COMMIT (UNEXPECTED_FRAME); nobody is secured', () => {
    const { net, alice, bob } = pairThrough(forceRole(1));
    expect([alice.role, bob.role]).toEqual(['initiator', 'initiator']);
    expect([net.errorOf('alice')?.code, net.errorOf('bob')?.code]).toEqual([
      'UNEXPECTED_FRAME',
      'UNEXPECTED_FRAME',
    ]);
    expect([alice.sas, bob.sas]).toEqual([undefined, undefined]);
  });

  it('both told "responder": both wait for a COMMIT that never comes, send nothing, and a close is CONNECTION_LOST', () => {
    const { net, alice, bob } = pairThrough(forceRole(2));
    expect([alice.state, bob.state]).toEqual(['committing', 'committing']);
    expect([alice.takeOutput().length, bob.takeOutput().length]).toEqual([0, 0]);
    expect(net.ev('alice').some((e) => e.type === 'secured')).toBe(false);
    expect(alice.transportClosed()).toEqual([
      { type: 'error', error: expect.objectContaining({ code: 'CONNECTION_LOST' }) },
    ]);
  });

  it('the peer leaves after its KEX but before its CONFIRM: closed, never secured, no SAS shown', () => {
    // bob has verified nothing: alice's CONFIRM is withheld, then the relay reports her gone
    const { net, bob } = pairThrough((to, f) => (to === 'bob' && f[4] === FrameType.CONFIRM ? [] : [f]));
    expect(bob.state).toBe('confirming');
    net.leave('alice');
    expect(bob.state).toBe('closed');
    expect(net.ev('bob').map((e) => e.type)).toEqual(['paired', 'peer-left']);
    expect(net.ev('bob').at(-1)).toEqual({ type: 'peer-left', ended: false });
    expect(bob.sas).toBeUndefined();
    expect(bob.sasWords).toBeUndefined();
    expect(() => bob.send(utf8('x'))).toThrow(expect.objectContaining({ code: 'CLOSED' }));
  });

  it('the SAS stays readable after a clean close, and is gone after a failure', () => {
    const { net, alice, bob } = pairThrough((_t, f) => [f]);
    const sas = alice.sas;
    expect(sas).toMatch(/^\S+ \S+ \S+$/);
    alice.end();
    bob.end();
    net.pump();
    expect([alice.state, alice.sas, bob.sas]).toEqual(['closed', sas, sas]);
    const other = pairThrough((_t, f) => [f]);
    other.alice.receive(encodeFrame({ type: FrameType.DATA, body: new Uint8Array(30) }));
    expect([other.alice.state, other.alice.sas]).toEqual(['failed', undefined]);
  });
});

describe('hostile bytes into a session', () => {
  const isEvent = (e: SessionEvent) => e.type !== 'error' || e.error instanceof RemoteProtocolError;

  it('property: random bytes never throw; at most one error event, always last', () => {
    fc.assert(
      fc.property(fc.array(fc.uint8Array({ maxLength: 64 }), { maxLength: 8 }), (chunks) => {
        const s = new ClientSession({ name: 'z', randomBytes: seededRandom('z') });
        s.start();
        for (const c of chunks) {
          if (s.state === 'failed') {
            expect(() => s.receive(c)).toThrow(s.error);
            continue;
          }
          const events = s.receive(c);
          expect(events.every(isEvent)).toBe(true);
          expect(events.slice(0, -1).every((e) => e.type !== 'error')).toBe(true);
        }
      }),
      { numRuns: 500 },
    );
  });

  it('property: well-framed frames of random type and body in a secured session never throw', () => {
    const known = Object.values(FrameType);
    fc.assert(
      fc.property(
        fc.array(fc.record({ type: fc.constantFrom(...known), body: fc.uint8Array({ maxLength: 60 }) }), {
          minLength: 1,
          maxLength: 4,
        }),
        (frames) => {
          const { alice } = pairThrough((_t, f) => [f]);
          for (const f of frames) {
            if (alice.state === 'failed') break;
            const events = alice.receive(encodeFrame(f));
            expect(events.every(isEvent)).toBe(true);
          }
          // a session either survived or is failed for good: every later call throws its error
          if (alice.state === 'failed') {
            expect(alice.error).toBeInstanceOf(RemoteProtocolError);
            expect(() => alice.send(utf8('x'))).toThrow(alice.error);
            expect(() => alice.receive(new Uint8Array(0))).toThrow(alice.error);
          } else expect(alice.error).toBeUndefined();
        },
      ),
      { numRuns: 25 },
    );
  });
});
