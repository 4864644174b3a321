import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  ClientSession,
  DEFAULT_GROUP,
  DEFAULT_MIN_GROUP_BITS,
  DEFAULT_ROOM,
  defaultGroupFor,
  ErrorCode,
  encodeFrame,
  encodeWaiting,
  FrameDecoder,
  FrameType,
  isTamperingError,
  LocalProtocolError,
  type ProtocolError,
  Relay,
  type RemoteProtocolError,
  SESSION_STATES,
  type SessionEvent,
  TRANSITIONS,
} from '../src/index';
import { concat, Net, securedPair, seededRandom, utf8 } from './helpers';

const types = (events: SessionEvent[]) => events.map((e) => e.type);

describe('two sessions through a Relay, in memory', () => {
  it('pair, agree on the SAS, talk both ways, END both ways', () => {
    const { net, alice, bob } = securedPair();
    expect(types(net.ev('alice'))).toEqual(['waiting', 'paired', 'secured']);
    expect(types(net.ev('bob'))).toEqual(['paired', 'secured']);
    expect(net.ev('alice')[1]).toEqual({ type: 'paired', role: 'initiator', peerName: 'bob' });
    expect(net.ev('bob')[0]).toEqual({ type: 'paired', role: 'responder', peerName: 'alice' });
    expect([alice.role, bob.role]).toEqual(['initiator', 'responder']);
    expect([alice.peerName, bob.peerName]).toEqual(['bob', 'alice']);
    expect(alice.sas).toMatch(/^\S+ \S+ \S+$/);
    expect(alice.sas).toBe(bob.sas);
    expect(net.ev('alice')[2]).toEqual({ type: 'secured', sas: alice.sas, sasWords: alice.sas!.split(' ') });
    alice.send(utf8('hello bob\n'));
    bob.send(utf8('hi alice\n'));
    net.pump();
    expect(net.texts('bob')).toBe('hello bob\n');
    expect(net.texts('alice')).toBe('hi alice\n');
    expect([alice.sent, alice.received, bob.sent, bob.received]).toEqual([10, 9, 9, 10]);
    alice.end();
    net.pump();
    expect(net.ev('bob').at(-1)).toEqual({ type: 'peer-ended' });
    expect(alice.ended && bob.peerEnded).toBe(true);
    expect(() => alice.send(utf8('x'))).toThrow(expect.objectContaining({ code: 'ENDED' }));
    bob.send(utf8('still here')); // half-close: the other direction stays open
    bob.end();
    net.pump();
    expect(net.texts('alice')).toBe('hi alice\nstill here');
    expect(net.ev('alice').slice(-2)).toEqual([{ type: 'peer-ended' }, { type: 'closed' }]);
    expect([alice.state, bob.state]).toEqual(['closed', 'closed']);
    expect(alice.transportClosed()).toEqual([]);
    // the relay still tells who leaves
    net.leave('bob');
    expect(net.ev('alice').at(-1)).toEqual({ type: 'peer-left', ended: true });
  });

  it('property: interleaved text both ways in arbitrary chunkings arrives intact; positions agree', () => {
    const msg = fc.record({
      from: fc.constantFrom('alice', 'bob'),
      data: fc.uint8Array({ minLength: 0, maxLength: 300 }),
    });
    fc.assert(
      fc.property(
        fc.array(msg, { maxLength: 12 }),
        fc.array(fc.integer({ min: 1, max: 97 }), { minLength: 1 }),
        (msgs, sizes) => {
          const { net, alice, bob } = securedPair();
          let k = 0;
          net.chunk = (bytes) => {
            const parts: Uint8Array[] = [];
            for (let i = 0; i < bytes.length; ) {
              const n = sizes[k++ % sizes.length]!;
              parts.push(bytes.subarray(i, i + n));
              i += n;
            }
            return parts;
          };
          const sentBy = { alice: [] as Uint8Array[], bob: [] as Uint8Array[] };
          for (const [i, m] of msgs.entries()) {
            (m.from === 'alice' ? alice : bob).send(m.data);
            sentBy[m.from].push(m.data);
            if (i % 3 === 2) net.pump(); // some messages cross in flight
          }
          alice.end();
          bob.end();
          net.pump();
          const got = (id: string) => concat(net.ev(id).flatMap((e) => (e.type === 'text' ? [e.data] : [])));
          expect(got('bob')).toEqual(concat(sentBy.alice));
          expect(got('alice')).toEqual(concat(sentBy.bob));
          expect(alice.sent).toBe(bob.received);
          expect(bob.sent).toBe(alice.received);
          expect([alice.state, bob.state]).toEqual(['closed', 'closed']);
          expect(net.errorOf('alice') ?? net.errorOf('bob')).toBeUndefined();
        },
      ),
      { numRuns: 25 },
    );
  });

  it('splits a long send into DATA frames no larger than the frame cap', () => {
    const { net, alice, bob } = securedPair({
      alice: { maxFrameLength: 2048 },
      bob: { maxFrameLength: 2048 },
    });
    expect(alice.maxDataLength).toBe(2048 - 1 - 8 - 16);
    const big = new Uint8Array(8000).map((_, i) => i & 0xff);
    alice.send(big);
    const wire = alice.takeOutput(); // one array: the four frames back to back
    const frames = new FrameDecoder({ maxFrameLength: 2048 }).push(wire);
    expect(frames.map((f) => f.body.length - 8 - 16)).toEqual([2023, 2023, 2023, 1931]);
    for (const [to, list] of net.run(net.relay.receive('alice', wire))) {
      for (const b of list) net.deliver(to, b);
    }
    // bob got them in one read: one text event with all of it
    const texts = net.ev('bob').flatMap((e) => (e.type === 'text' ? [e.data] : []));
    expect(texts.map((t) => t.length)).toEqual([8000]);
    expect(concat(texts)).toEqual(big);
    expect(bob.received).toBe(8000);
  });

  it('DATA frames of one read give one text event; other events and reads keep them apart', () => {
    const { net, alice, bob } = securedPair();
    const frames: Uint8Array[] = [];
    for (const text of ['ab', 'cd', 'ef']) {
      alice.send(utf8(text));
      frames.push(alice.takeOutput());
    }
    alice.end();
    const end = alice.takeOutput();
    const texts = (events: SessionEvent[]) =>
      events.map((e) => (e.type === 'text' ? new TextDecoder().decode(e.data) : e.type));
    // after the handshake the relay forwards bytes verbatim: feed bob alice's frames directly
    expect(texts(bob.receive(concat([frames[0]!, frames[1]!])))).toEqual(['abcd']);
    expect(texts(bob.receive(concat([frames[2]!, end])))).toEqual(['ef', 'peer-ended']);
    expect(net.errorOf('bob')).toBeUndefined();
  });

  it('a forged frame after good ones in the same read: their text first, then the error', () => {
    const { alice, bob } = securedPair();
    alice.send(utf8('good'));
    const good = alice.takeOutput();
    alice.send(utf8('evil'));
    const bad = alice.takeOutput().slice();
    bad[bad.length - 1]! ^= 1; // a tag bit
    const events = bob.receive(concat([good, bad]));
    expect(events.map((e) => e.type)).toEqual(['text', 'error']);
    expect(new TextDecoder().decode((events[0] as { data: Uint8Array }).data)).toBe('good');
    expect(bob.received).toBe(4);
  });

  it('rooms keep pairs apart; a third joiner is refused with ROOM_FULL', () => {
    const net = new Net();
    const a = net.add('a', { room: 'one', name: 'a', randomBytes: seededRandom('a') });
    const c = net.add('c', { room: 'two', name: 'c', randomBytes: seededRandom('c') });
    net.pump();
    const b = net.add('b', { room: 'one', name: 'b', randomBytes: seededRandom('b') });
    const d = net.add('d', { room: 'two', name: 'd', randomBytes: seededRandom('d') });
    net.pump();
    expect([a.peerName, b.peerName, c.peerName, d.peerName]).toEqual(['b', 'a', 'd', 'c']);
    expect(a.sas).toBe(b.sas);
    expect(c.sas).toBe(d.sas);
    expect(a.sas).not.toBe(c.sas);
    a.send(utf8('for b'));
    c.send(utf8('for d'));
    net.pump();
    expect([net.texts('b'), net.texts('d')]).toEqual(['for b', 'for d']);
    const e = net.add('e', { room: 'one', name: 'eve', randomBytes: seededRandom('e') });
    net.pump();
    const err = net.errorOf('e') as RemoteProtocolError;
    expect(err.code).toBe('RELAY_ERROR');
    expect(err.relayCode).toBe(ErrorCode.ROOM_FULL);
    expect(e.state).toBe('failed');
    expect(net.closedByRelay.has('e')).toBe(true);
    expect(() => e.receive(new Uint8Array(0))).toThrow(err);
    expect(a.state).toBe('secured');
  });

  it('the default room is used when none is given; an empty room is refused locally', () => {
    const net = new Net();
    net.add('a', { name: 'a', randomBytes: seededRandom('a') });
    net.add('b', { room: DEFAULT_ROOM, name: 'b', randomBytes: seededRandom('b') });
    net.pump();
    expect(net.clients.get('a')!.sas).toBe(net.clients.get('b')!.sas);
    expect(net.actions).toContainEqual({ type: 'log', event: 'hello', connId: 'a', room: DEFAULT_ROOM });
    expect(() => new ClientSession({ name: 'c', room: '' })).toThrow(/"room" expected 1\.\.64 bytes/);
  });

  it('PING/PONG with the relay at any time', () => {
    const net = new Net();
    const a = net.add('a', { name: 'a', randomBytes: seededRandom('a') });
    a.ping();
    net.pump();
    expect(types(net.ev('a'))).toEqual(['waiting', 'pong']);
    // and a PING from the relay side is answered
    expect(types(a.receive(encodeFrame({ type: FrameType.PING, body: new Uint8Array([1]) })))).toEqual([]);
    expect(a.takeOutput()).toEqual(encodeFrame({ type: FrameType.PONG, body: new Uint8Array([1]) }));
  });

  it('peer leaving mid-conversation: peer-left, ended false; sending is then refused', () => {
    const { net, alice } = securedPair();
    alice.send(utf8('anyone?'));
    net.leave('bob');
    expect(net.ev('alice').at(-1)).toEqual({ type: 'peer-left', ended: false });
    expect(alice.state).toBe('closed');
    expect(() => alice.send(utf8('x'))).toThrow(expect.objectContaining({ code: 'CLOSED' }));
  });

  it('peer leaving during the handshake: peer-left, ended false', () => {
    const net = new Net();
    const a = net.add('a', { name: 'a', randomBytes: seededRandom('a') });
    net.pump();
    net.add('b', { name: 'b', randomBytes: seededRandom('b') });
    // b's HELLO reaches the relay (PAIRED goes out to both) but b leaves before a reads anything more
    net.run(net.relay.receive('b', net.clients.get('b')!.takeOutput()));
    net.clients.delete('b');
    net.run(net.relay.close('b'));
    for (const x of net.wire.get('a')!.slice(1)) net.ev('a').push(...a.receive(x));
    expect(types(net.ev('a'))).toEqual(['waiting', 'paired', 'peer-left']);
    expect(a.state).toBe('closed');
  });
});

describe('caller misuse: LocalProtocolError, state unchanged', () => {
  it('refuses calls out of order', () => {
    const s = new ClientSession({ name: 'a', randomBytes: seededRandom('a') });
    const code = (f: () => void) => {
      try {
        f();
      } catch (e) {
        expect(e).toBeInstanceOf(LocalProtocolError);
        return (e as LocalProtocolError).code;
      }
      return 'ok';
    };
    expect(code(() => s.receive(new Uint8Array(0)))).toBe('NOT_STARTED');
    expect(code(() => s.send(utf8('x')))).toBe('NOT_STARTED');
    expect(code(() => s.ping())).toBe('NOT_STARTED');
    expect(s.state).toBe('idle');
    s.start();
    expect(code(() => s.start())).toBe('ALREADY_STARTED');
    expect(code(() => s.send(utf8('x')))).toBe('NOT_SECURED');
    expect(code(() => s.end())).toBe('NOT_SECURED');
    expect(code(() => s.send('x' as unknown as Uint8Array))).toBe('INVALID_ARGUMENT');
    expect(s.state).toBe('hello-sent');
    expect(s.takeOutput().length).toBeGreaterThan(0);
    expect(s.takeOutput()).toEqual(new Uint8Array(0));
  });

  it('proposes the smallest ffdhe group its own policy accepts when no group is given', () => {
    expect(defaultGroupFor(DEFAULT_MIN_GROUP_BITS)).toBe(DEFAULT_GROUP);
    expect(defaultGroupFor(1024)).toBe('ffdhe2048');
    expect(defaultGroupFor(2049)).toBe('ffdhe3072');
    expect(defaultGroupFor(4096)).toBe('ffdhe4096');
    expect(defaultGroupFor(8192)).toBe('ffdhe8192');
    expect(defaultGroupFor(9000)).toBe('ffdhe8192'); // then refused by the constructor
    expect(() => new ClientSession({ name: 'a', minGroupBits: 3072 })).not.toThrow();
    expect(() => new ClientSession({ name: 'a', minGroupBits: 9000 })).toThrow(/below "minGroupBits"/);
  });

  it('validates options', () => {
    const bad = (o: object) => () => new ClientSession({ name: 'a', ...o });
    expect(bad({ name: '' })).toThrow(/"name"/);
    expect(bad({ room: 'x'.repeat(65) })).toThrow(/"room"/);
    expect(bad({ group: 'ffdhe1024' })).toThrow(/"group"/);
    expect(bad({ group: 'ffdhe2048', minGroupBits: 3072 })).toThrow(/below "minGroupBits"/);
    expect(bad({ passphrase: '' })).toThrow(/"passphrase"/);
    expect(bad({ passphrase: 5 })).toThrow(/"passphrase"/);
    expect(bad({ byteBudget: 0 })).toThrow(/"byteBudget"/);
    expect(bad({ maxFrameLength: 100 })).toThrow(/"maxFrameLength"/);
    expect(bad({ randomBytes: 'no' })).toThrow(/"randomBytes"/);
    expect(() => new ClientSession(null as never)).toThrow(/"options"/);
  });

  it('enforces the per-direction byte budget without changing state', () => {
    const { net, alice } = securedPair({ alice: { byteBudget: 10 } });
    alice.send(utf8('0123456789'));
    expect(() => alice.send(utf8('!'))).toThrow(expect.objectContaining({ code: 'BUDGET_EXHAUSTED' }));
    expect(alice.sent).toBe(10);
    expect(alice.sendBudgetRemaining).toBe(0);
    alice.end();
    net.pump();
    expect(net.texts('bob')).toBe('0123456789');
    expect(net.ev('bob').at(-1)).toEqual({ type: 'peer-ended' });
  });

  it("byteBudget limits only what this side sends: the peer's direction is held to the version's 2^30", () => {
    // §6.3: the budget is fixed by the version, so no agreement is needed; a lower
    // local byteBudget is the sender's own choice and never refuses the peer.
    const { net, alice, bob } = securedPair({ bob: { byteBudget: 5 } });
    alice.send(utf8('123456'));
    net.pump();
    expect(net.texts('bob')).toBe('123456');
    expect(bob.state).toBe('secured');
    expect(() => bob.send(utf8('123456'))).toThrow(expect.objectContaining({ code: 'BUDGET_EXHAUSTED' }));
    expect(alice.sendBudgetRemaining).toBe(2 ** 30 - 6);
    expect(() => new ClientSession({ name: 'a', byteBudget: 2 ** 30 + 1 })).toThrow(/"byteBudget"/);
  });

  it('a forged DATA is AUTH_FAILED (tampering)', () => {
    const { bob } = securedPair();
    // right offset, 6 bytes of "ciphertext", a made-up tag
    const body = new Uint8Array(8 + 6 + 16).fill(0x41);
    body.fill(0, 0, 8);
    const events = bob.receive(encodeFrame({ type: FrameType.DATA, body }));
    expect(types(events)).toEqual(['error']);
    expect(bob.error?.code).toBe('AUTH_FAILED');
    expect(bob.received).toBe(0);
  });

  it('an empty send queues nothing', () => {
    const { alice } = securedPair();
    alice.send(new Uint8Array(0));
    expect(alice.takeOutput().length).toBe(0);
    expect(alice.sent).toBe(0);
  });

  it('an empty send is still refused where a send would be (before secured, after end)', () => {
    const s = new ClientSession({ name: 'a', randomBytes: seededRandom('a') });
    s.start();
    expect(() => s.send(new Uint8Array(0))).toThrow(expect.objectContaining({ code: 'NOT_SECURED' }));
    const { alice } = securedPair();
    alice.end();
    expect(() => alice.send(new Uint8Array(0))).toThrow(expect.objectContaining({ code: 'ENDED' }));
  });

  it('property: a call refused with LocalProtocolError changes nothing and queues nothing', () => {
    const call = fc.oneof(
      fc.record({ op: fc.constant('send' as const), n: fc.integer({ min: 0, max: 40 }) }),
      fc.record({ op: fc.constantFrom('start' as const, 'end' as const, 'ping' as const) }),
      fc.record({ op: fc.constant('peerEnds' as const) }),
    );
    const snapshot = (s: ClientSession) => ({
      state: s.state,
      sent: s.sent,
      received: s.received,
      ended: s.ended,
      peerEnded: s.peerEnded,
      sas: s.sas,
      remaining: s.sendBudgetRemaining,
      error: s.error,
    });
    let refusals = 0;
    fc.assert(
      fc.property(fc.array(call, { maxLength: 14 }), fc.integer({ min: 1, max: 60 }), (calls, budget) => {
        const { net, alice, bob } = securedPair({
          alice: { byteBudget: budget },
          bob: { byteBudget: budget },
        });
        const fresh = new ClientSession({ name: 'x', randomBytes: seededRandom('x') });
        for (const c of calls) {
          if (c.op === 'peerEnds') {
            if (bob.state === 'secured' && !bob.ended) bob.end();
            net.pump();
            continue;
          }
          for (const s of [alice, fresh]) {
            const before = snapshot(s);
            const pending = s.takeOutput();
            try {
              if (c.op === 'send') s.send(new Uint8Array(c.n).fill(7));
              else s[c.op]();
            } catch (e) {
              refusals++;
              expect(e).toBeInstanceOf(LocalProtocolError);
              expect(s.takeOutput()).toEqual(new Uint8Array(0));
              expect(snapshot(s)).toEqual(before);
            }
            // alice's bytes go on to bob, in order (fresh has no relay: its bytes are dropped)
            if (s === alice) {
              for (const [to, list] of net.run(net.relay.receive('alice', pending))) {
                for (const b of list) net.deliver(to, b);
              }
              net.pump();
            }
          }
        }
        expect(net.errorOf('alice') ?? net.errorOf('bob')).toBeUndefined();
        expect(bob.received).toBe(alice.sent);
      }),
      { numRuns: 40 },
    );
    expect(refusals).toBeGreaterThan(0); // the property did exercise refused calls
  });

  it('sizes DATA to the smaller of the relay cap (WAITING/PAIRED) and the peer cap (KEX), each way', () => {
    const cases = [
      // [relay cap, alice's cap, bob's cap] → alice sends to min(relay, bob), bob to min(relay, alice)
      [65536, 65536, 65536],
      [4096, 65536, 65536],
      [65536, 2048, 1_000_000],
      [100_000, 1_000_000, 3000],
      [4096, 2048, 8192],
    ] as const;
    for (const [relayCap, aliceCap, bobCap] of cases) {
      const net = new Net(new Relay({ maxFrameLength: relayCap }));
      const alice = net.add('alice', {
        room: 'r',
        name: 'alice',
        maxFrameLength: aliceCap,
        randomBytes: seededRandom('cap/a'),
      });
      net.pump();
      expect(alice.relayMaxFrameLength).toBe(relayCap); // from WAITING
      const bob = net.add('bob', {
        room: 'r',
        name: 'bob',
        maxFrameLength: bobCap,
        randomBytes: seededRandom('cap/b'),
      });
      net.pump();
      expect(bob.relayMaxFrameLength).toBe(relayCap); // from PAIRED
      expect(alice.maxDataLength).toBe(Math.min(relayCap, bobCap) - 25);
      expect(bob.maxDataLength).toBe(Math.min(relayCap, aliceCap) - 25);
      // a large text crosses whole in both directions: no FRAME_TOO_LARGE anywhere
      const big = new Uint8Array(200_000).map((_, i) => (i * 7) & 0xff);
      alice.send(big);
      bob.send(big);
      net.pump();
      expect(net.errorOf('alice') ?? net.errorOf('bob')).toBeUndefined();
      expect(net.closedByRelay.size).toBe(0);
      expect(bob.received).toBe(big.length);
      expect(alice.received).toBe(big.length);
      // every forwarded DATA frame is as large as the path allows (the last of a send may be shorter)
      for (const [to, cap] of [
        ['bob', Math.min(relayCap, bobCap)],
        ['alice', Math.min(relayCap, aliceCap)],
      ] as const) {
        const lens = new FrameDecoder({ maxFrameLength: 2 ** 32 - 1, acceptType: () => true })
          .push(concat(net.wire.get(to)!))
          .filter((f) => f.type === FrameType.DATA)
          .map((f) => 1 + f.body.length);
        expect(lens.slice(0, -1).every((n) => n === cap)).toBe(true);
        expect(Math.max(...lens)).toBe(cap);
      }
    }
  });

  it('splits at the frame cap exactly: maxDataLength fits one frame, one byte more takes two', () => {
    const { net, alice, bob } = securedPair({
      alice: { maxFrameLength: 2048 },
      bob: { maxFrameLength: 2048 },
    });
    const max = alice.maxDataLength;
    const lengthsOf = (bytes: Uint8Array) =>
      new FrameDecoder({ maxFrameLength: 2048 }).push(bytes).map((f) => 1 + f.body.length);
    alice.send(new Uint8Array(max).fill(1));
    const one = alice.takeOutput();
    expect(lengthsOf(one)).toEqual([2048]);
    alice.send(new Uint8Array(max + 1).fill(2));
    const two = alice.takeOutput();
    expect(lengthsOf(two)).toEqual([2048, 1 + 8 + 1 + 16]);
    for (const out of [one, two]) {
      for (const [to, list] of net.run(net.relay.receive('alice', out))) {
        for (const b of list) net.deliver(to, b);
      }
    }
    expect(bob.received).toBe(2 * max + 1);
    expect(net.errorOf('bob')).toBeUndefined();
  });

  it('randomness that keygen cannot use is a local fault (INVALID_ARGUMENT), not tampering', () => {
    const net = new Net();
    let calls = 0;
    // the nonce is fine, then the exponent draws are all zeros: keygen gives up
    const broken = (n: number) => (calls++ === 0 ? new Uint8Array(n).fill(1) : new Uint8Array(n));
    net.add('a', { name: 'a', randomBytes: broken });
    net.pump();
    net.add('b', { name: 'b', randomBytes: seededRandom('b') });
    net.pump();
    const err = net.errorOf('a');
    expect(err).toBeInstanceOf(LocalProtocolError);
    expect(err?.code).toBe('INVALID_ARGUMENT');
    expect(err?.message).toMatch(/"randomBytes"/);
    expect(isTamperingError(err)).toBe(false);
  });
});

describe('the transition table', () => {
  it('has at most one row per (state, input, role) whose guard can hold, and names real states', () => {
    const states = new Set<string>(SESSION_STATES);
    expect(states.size).toBe(9);
    for (const t of TRANSITIONS) {
      for (const s of t.from) expect(states.has(s)).toBe(true);
      if (typeof t.to === 'string' && t.to !== 'same') expect(states.has(t.to)).toBe(true);
      expect(t.from).not.toContain('failed');
    }
    // every combination of flags: never two rows for the same state and input
    const bools = [false, true];
    let checked = 0;
    for (const role of [undefined, 'initiator', 'responder'] as const) {
      for (const ended of bools) {
        for (const peerEnded of bools) {
          for (const peerLeft of bools) {
            for (const endAcked of bools) {
              const flags = { role, ended, peerEnded, peerLeft, endAcked };
              for (const state of states) {
                for (const input of new Set(TRANSITIONS.map((t) => t.on))) {
                  const rows = TRANSITIONS.filter(
                    (t) =>
                      t.on === input &&
                      (t.from as readonly string[]).includes(state) &&
                      (t.role === undefined || t.role === role) &&
                      (t.when?.(flags) ?? true),
                  );
                  expect(rows.length, `${state} × ${input} × ${JSON.stringify(flags)}`).toBeLessThanOrEqual(
                    1,
                  );
                  const to = rows[0]?.to;
                  if (typeof to === 'function') expect(states.has(to(flags))).toBe(true);
                  checked++;
                }
              }
            }
          }
        }
      }
    }
    expect(checked).toBe(3 * 16 * states.size * new Set(TRANSITIONS.map((t) => t.on)).size);
    // the table is shared by every session: it cannot be edited at run time
    expect(Object.isFrozen(TRANSITIONS)).toBe(true);
    expect(TRANSITIONS.every((t) => Object.isFrozen(t) && Object.isFrozen(t.from))).toBe(true);
  });

  it('a frame with no row fails the session with UNEXPECTED_FRAME', () => {
    const s = new ClientSession({ name: 'a', randomBytes: seededRandom('a') });
    s.start();
    const hello = s.takeOutput();
    expect(hello[4]).toBe(FrameType.HELLO);
    s.ping();
    const events = s.receive(encodeFrame({ type: FrameType.DATA, body: new Uint8Array(30) }));
    expect(events).toHaveLength(1);
    const err = (events[0] as { error: ProtocolError }).error;
    expect(err.code).toBe('UNEXPECTED_FRAME');
    expect(s.state).toBe('failed');
    expect(() => s.ping()).toThrow(err);
    expect(() => s.send(utf8('x'))).toThrow(err);
    // what was queued before the fault is still handed out, once; nothing after it
    expect(s.takeOutput()).toEqual(encodeFrame({ type: FrameType.PING, body: new Uint8Array(0) }));
    expect(s.takeOutput()).toEqual(new Uint8Array(0));
  });

  it('events before a fault are returned, then the error', () => {
    const s = new ClientSession({ name: 'a', randomBytes: seededRandom('a') });
    s.start();
    const bytes = concat([
      encodeFrame({ type: FrameType.WAITING, body: encodeWaiting({ maxFrameLength: 65536 }) }),
      encodeFrame({ type: FrameType.PONG, body: new Uint8Array(0) }),
      new Uint8Array([0, 0, 0, 1, 0x42]),
    ]);
    const events = s.receive(bytes);
    expect(types(events)).toEqual(['waiting', 'pong', 'error']);
    expect((events[2] as { error: ProtocolError }).error.code).toBe('UNKNOWN_FRAME_TYPE');
  });

  it('transportClosed before the end is CONNECTION_LOST', () => {
    const { alice } = securedPair();
    const events = alice.transportClosed();
    expect(types(events)).toEqual(['error']);
    expect((events[0] as { error: ProtocolError }).error.code).toBe('CONNECTION_LOST');
    expect(() => alice.send(utf8('late'))).toThrow((events[0] as { error: ProtocolError }).error);
  });
});

describe('a bug inside receive() is INTERNAL, never tampering', () => {
  it('an unexpected exception in the record layer fails the session with INTERNAL (code, class, message)', async () => {
    const { vi } = await import('vitest');
    const { InternalProtocolError, RecordState, errorKind } = await import('../src/index');
    const { net, alice, bob } = securedPair();
    const spy = vi.spyOn(RecordState.prototype, 'decodeData').mockImplementation(() => {
      throw new TypeError('boom');
    });
    try {
      alice.send(utf8('hi'));
      net.pump();
    } finally {
      spy.mockRestore();
    }
    const error = net.errorOf('bob')!;
    expect(error).toBeInstanceOf(InternalProtocolError);
    expect(error.code).toBe('INTERNAL');
    expect(errorKind(error.code)).toBe('internal');
    expect(isTamperingError(error)).toBe(false);
    expect(error.message).toMatch(/internal error in @arctalk\/protocol \(a bug, not the peer\): boom/);
    expect((error as Error).cause).toBeInstanceOf(TypeError);
    expect(bob.state).toBe('failed');
    expect(() => bob.receive(new Uint8Array(0))).toThrow(error);
  });

  it('a randomness source that throws during the handshake is INTERNAL too', () => {
    const net = new Net();
    const a = net.add('a', {
      name: 'a',
      randomBytes: () => {
        throw new RangeError('entropy source gone');
      },
    });
    net.add('b', { name: 'b', randomBytes: seededRandom('b') });
    net.pump();
    expect(a.error?.code).toBe('INTERNAL');
    expect(isTamperingError(a.error)).toBe(false);
  });
});
