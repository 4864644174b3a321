import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  decodeError,
  decodePaired,
  ErrorCode,
  encodeFrame,
  encodeHello,
  type Frame,
  FrameDecoder,
  FrameType,
  isClientToClientType,
  LocalProtocolError,
  RELAY_RULES,
  Relay,
  type RelayAction,
  type RelayState,
  relayVerdict,
} from '../src/index';
import { concat, hex } from './helpers';

const hello = (room: string, name: string, version?: number) =>
  encodeFrame({ type: FrameType.HELLO, body: encodeHello({ room, name, ...(version ? { version } : {}) }) });
const frame = (type: number, body: number[] | Uint8Array = []) =>
  encodeFrame({ type, body: body instanceof Uint8Array ? body : new Uint8Array(body) });

/** Decodes what each connection was sent; records closes. */
function collect(actions: RelayAction[]) {
  const sent = new Map<string, Uint8Array[]>();
  const closed: string[] = [];
  for (const a of actions) {
    if (a.type === 'send') sent.set(a.connId, [...(sent.get(a.connId) ?? []), a.bytes]);
    else if (a.type === 'close') closed.push(a.connId);
  }
  const frames = (id: string): Frame[] =>
    new FrameDecoder({ acceptType: () => true }).push(concat(sent.get(id) ?? []));
  return { sent, closed, frames, bytes: (id: string) => concat(sent.get(id) ?? []) };
}
const errorOf = (actions: RelayAction[], id: string) => {
  const f = collect(actions).frames(id).at(-1);
  expect(f?.type).toBe(FrameType.ERROR);
  return decodeError(f!.body).code;
};

function pair(relay: Relay, room = 'r', a = 'a', b = 'b') {
  relay.open(a);
  relay.open(b);
  const w = collect(relay.receive(a, hello(room, `${a}-name`)));
  expect(w.frames(a).map((f) => f.type)).toEqual([FrameType.WAITING]);
  return relay.receive(b, hello(room, `${b}-name`));
}

describe('Relay pairing', () => {
  it('pairs the second client with the first: the one that waited is the initiator', () => {
    const relay = new Relay();
    const actions = pair(relay);
    const c = collect(actions);
    // PAIRED announces the relay's frame cap (§3.3), the default 65536 here
    expect(decodePaired(c.frames('a')[0]!.body)).toEqual({
      role: 'initiator',
      maxFrameLength: 65536,
      peerName: 'b-name',
    });
    expect(decodePaired(c.frames('b')[0]!.body)).toEqual({
      role: 'responder',
      maxFrameLength: 65536,
      peerName: 'a-name',
    });
    expect(actions).toContainEqual({ type: 'log', event: 'paired', connId: 'a', peerId: 'b', room: 'r' });
    // each HELLO accepted stops that connection's handshake timer, once, before WAITING/PAIRED
    const stops = (list: RelayAction[]) => list.filter((x) => x.type === 'stop-timer');
    expect(stops(actions)).toEqual([{ type: 'stop-timer', connId: 'b', timer: 'handshake' }]);
    expect(actions.findIndex((x) => x.type === 'stop-timer')).toBeLessThan(
      actions.findIndex((x) => x.type === 'send'),
    );
    expect(relay.connections).toBe(2);
  });

  it('refuses a third client in the room with ROOM_FULL and keeps rooms apart', () => {
    const relay = new Relay();
    pair(relay, 'x', 'a', 'b');
    relay.open('c');
    const third = relay.receive('c', hello('x', 'carol'));
    expect(errorOf(third, 'c')).toBe(ErrorCode.ROOM_FULL);
    expect(collect(third).closed).toEqual(['c']);
    expect(relay.connections).toBe(2);
    // another room pairs independently, and traffic does not cross
    pair(relay, 'y', 'd', 'e');
    const fromA = relay.receive('a', frame(0x13, [1, 2, 3]));
    expect([...collect(fromA).sent.keys()]).toEqual(['b']);
    const fromD = relay.receive('d', frame(0x13, [4]));
    expect([...collect(fromD).sent.keys()]).toEqual(['e']);
  });

  it('an empty room is BAD_HELLO (no default room the clients could not hash); rooms match byte for byte', () => {
    const relay = new Relay();
    relay.open('a');
    // u8 version 1 | roomLen 0 | nameLen 1 | 'a'
    const empty = relay.receive('a', frame(FrameType.HELLO, [2, 0, 1, 0x61]));
    expect(errorOf(empty, 'a')).toBe(ErrorCode.BAD_HELLO);
    expect(empty.some((x) => x.type === 'stop-timer')).toBe(false);
    // 'lobby' and 'Lobby' and 'lobby ' are three rooms
    for (const [id, room] of [
      ['b', 'lobby'],
      ['c', 'Lobby'],
      ['d', 'lobby '],
    ] as const) {
      relay.open(id);
      expect(collect(relay.receive(id, hello(room, id))).frames(id)[0]!.type).toBe(FrameType.WAITING);
    }
  });

  it('a closed waiting client frees its room', () => {
    const relay = new Relay();
    relay.open('a');
    relay.receive('a', hello('r', 'a'));
    relay.close('a');
    relay.open('b');
    expect(collect(relay.receive('b', hello('r', 'b'))).frames('b')[0]!.type).toBe(FrameType.WAITING);
  });
});

describe('Relay forwarding', () => {
  it('forwards client-to-client frames byte for byte, a run of whole frames as one view', () => {
    const relay = new Relay();
    pair(relay);
    const chunk = concat([frame(0x10, [1]), frame(0x13, new Uint8Array(100).fill(9)), frame(0x1f, [])]);
    const actions = relay.receive('a', chunk);
    expect(actions).toHaveLength(1);
    const send = actions[0] as Extract<RelayAction, { type: 'send' }>;
    expect(send.connId).toBe('b');
    expect(send.bytes.buffer).toBe(chunk.buffer); // no copy
    expect(hex(send.bytes)).toBe(hex(chunk));
  });

  it('reassembles frames split across chunks and forwards only whole frames', () => {
    const relay = new Relay();
    pair(relay);
    const f1 = frame(0x13, new Uint8Array(50).fill(1));
    const f2 = frame(0x13, new Uint8Array(70).fill(2));
    const wire = concat([f1, f2]);
    const first = relay.receive('b', wire.subarray(0, 3)); // inside the header
    expect(first).toEqual([]);
    const second = relay.receive('b', wire.subarray(3, 80)); // rest of f1, part of f2
    expect(collect(second).frames('a')).toHaveLength(1);
    expect(hex(collect(second).bytes('a'))).toBe(hex(f1));
    const third = relay.receive('b', wire.subarray(80));
    expect(hex(collect(third).bytes('a'))).toBe(hex(f2));
  });

  it('property: any chunking delivers the same bytes, cut only on frame boundaries', () => {
    const frameArb = fc.record({
      type: fc.integer({ min: 0x10, max: 0x1f }),
      body: fc.uint8Array({ maxLength: 300 }),
    });
    fc.assert(
      fc.property(
        fc.array(frameArb, { minLength: 1, maxLength: 6 }),
        fc.array(fc.nat(), { maxLength: 8 }),
        (fs, cuts) => {
          const relay = new Relay();
          pair(relay);
          const wire = concat(fs.map((f) => encodeFrame(f)));
          const points = [...new Set(cuts.map((c) => c % (wire.length + 1)))].sort((x, y) => x - y);
          const sends: Uint8Array[] = [];
          let last = 0;
          for (const p of [...points, wire.length]) {
            const call: Uint8Array[] = [];
            for (const a of relay.receive('a', wire.subarray(last, p))) {
              expect(a.type).toBe('send');
              if (a.type === 'send') {
                expect(a.connId).toBe('b');
                call.push(a.bytes);
              }
            }
            // what one call sends is a sequence of whole frames (a split frame's pieces
            // go out together, in order, in the call that brings its last byte)
            const d = new FrameDecoder({ acceptType: isClientToClientType });
            d.push(concat(call));
            expect(d.buffered).toBe(0);
            sends.push(...call);
            last = p;
          }
          expect(hex(concat(sends))).toBe(hex(wire));
        },
      ),
      { numRuns: 200 },
    );
  });

  it('answers PING with a PONG echoing the body, before and after pairing; discards PONG', () => {
    const relay = new Relay();
    relay.open('a');
    const early = relay.receive('a', frame(FrameType.PING, [7, 8]));
    expect(hex(collect(early).bytes('a'))).toBe(hex(frame(FrameType.PONG, [7, 8])));
    relay.open('b');
    relay.receive('a', hello('r', 'a'));
    relay.receive('b', hello('r', 'b'));
    const mixed = concat([
      frame(0x13, [1]),
      frame(FrameType.PING),
      frame(FrameType.PONG, [1, 2]),
      frame(0x13, [2]),
    ]);
    const actions = relay.receive('a', mixed);
    const c = collect(actions);
    expect(hex(c.bytes('b'))).toBe(hex(concat([frame(0x13, [1]), frame(0x13, [2])])));
    expect(hex(c.bytes('a'))).toBe(hex(frame(FrameType.PONG)));
    expect(errorOf(relay.receive('a', frame(FrameType.PING, new Uint8Array(33))), 'a')).toBe(
      ErrorCode.MALFORMED_FRAME,
    );
  });

  it('gives the remaining peer PEER_LEFT; it stays alone, its frames discarded, the room free', () => {
    const relay = new Relay();
    pair(relay);
    // b is halfway through a frame when a leaves
    const big = frame(0x13, new Uint8Array(100));
    expect(relay.receive('b', big.subarray(0, 40))).toEqual([]);
    const left = relay.close('a');
    expect(
      collect(left)
        .frames('b')
        .map((f) => f.type),
    ).toEqual([FrameType.PEER_LEFT]);
    expect(relay.close('a')).toEqual([]); // idempotent
    // the rest of b's frame and later frames go nowhere; PING is still answered
    const after = relay.receive('b', concat([big.subarray(40), frame(0x13, [1]), frame(FrameType.PING)]));
    expect(hex(collect(after).bytes('b'))).toBe(hex(frame(FrameType.PONG)));
    expect([...collect(after).sent.keys()]).toEqual(['b']);
    expect(errorOf(relay.receive('b', hello('r', 'b')), 'b')).toBe(ErrorCode.UNEXPECTED_FRAME);
    // the room is free for a new pair
    pair(relay, 'r', 'c', 'd');
  });

  it('forwards the frames before a bad one, then ERROR and close; the peer gets PEER_LEFT', () => {
    const relay = new Relay();
    pair(relay);
    const actions = relay.receive('a', concat([frame(0x13, [1]), frame(0x2a, [1])]));
    const c = collect(actions);
    expect(c.frames('b').map((f) => f.type)).toEqual([0x13, FrameType.PEER_LEFT]);
    expect(errorOf(actions, 'a')).toBe(ErrorCode.UNKNOWN_FRAME_TYPE);
    expect(c.closed).toEqual(['a']);
    expect(actions.at(-1)).toMatchObject({ type: 'log', event: 'left', connId: 'a', peerId: 'b' });
    expect(relay.receive('a', frame(0x13))).toEqual([]); // closed: ignored
  });
});

describe('Relay refusals', () => {
  const cases: [string, Uint8Array[], number][] = [
    ['a wrong version (1, the version before)', [hello('r', 'a', 1)], ErrorCode.UNSUPPORTED_VERSION],
    ['a later version', [hello('r', 'a', 3)], ErrorCode.UNSUPPORTED_VERSION],
    ['a malformed HELLO', [frame(FrameType.HELLO, [2, 0, 0])], ErrorCode.BAD_HELLO],
    ['a control character in the name', [frame(FrameType.HELLO, [2, 0, 1, 0x1b])], ErrorCode.BAD_HELLO],
    ['HELLO twice', [hello('r', 'a'), hello('r', 'a')], ErrorCode.UNEXPECTED_FRAME],
    [
      'a HELLO header claiming a body over 1024 bytes (refused before the body)',
      [frame(FrameType.HELLO, new Uint8Array(1025).fill(1)).subarray(0, 5)],
      ErrorCode.BAD_HELLO,
    ],
    [
      'a later version with a 1024-byte HELLO (still read, then refused by version)',
      [frame(FrameType.HELLO, new Uint8Array(1024).fill(3))],
      ErrorCode.UNSUPPORTED_VERSION,
    ],
    ['a client-to-client frame before HELLO', [frame(FrameType.COMMIT, [1])], ErrorCode.UNEXPECTED_FRAME],
    ['a client-to-client frame while waiting', [hello('r', 'a'), frame(0x13)], ErrorCode.UNEXPECTED_FRAME],
    ['a relay-to-client type', [frame(FrameType.PAIRED, [1])], ErrorCode.UNEXPECTED_FRAME],
    ['ERROR from a client', [frame(FrameType.ERROR, [0, 1])], ErrorCode.UNEXPECTED_FRAME],
    ['an unknown type 0x08', [frame(0x08)], ErrorCode.UNKNOWN_FRAME_TYPE],
    ['an unknown type 0x80', [frame(0x80)], ErrorCode.UNKNOWN_FRAME_TYPE],
    ['length 0', [new Uint8Array([0, 0, 0, 0, 1])], ErrorCode.MALFORMED_FRAME],
    ['a frame over the cap', [new Uint8Array([0, 1, 0, 1, 0x13])], ErrorCode.FRAME_TOO_LARGE],
  ];
  it.each(cases)('%s → ERROR + close', (_n, chunks, code) => {
    const relay = new Relay();
    relay.open('a');
    const actions = chunks.flatMap((c) => relay.receive('a', c));
    expect(errorOf(actions, 'a')).toBe(code);
    expect(collect(actions).closed).toEqual(['a']);
    expect(actions).toContainEqual(
      expect.objectContaining({ type: 'log', event: 'error', connId: 'a', code }),
    );
    expect(relay.connections).toBe(0);
  });

  it('timeouts, reject and shutdown', () => {
    const relay = new Relay();
    relay.open('w');
    expect(errorOf(relay.timeout('w', 'handshake'), 'w')).toBe(ErrorCode.HANDSHAKE_TIMEOUT);
    relay.open('v');
    relay.receive('v', hello('q', 'v'));
    // the handshake timeout is the time to an accepted HELLO: a waiting client is past it
    expect(relay.timeout('v', 'handshake')).toEqual([]);
    pair(relay);
    expect(relay.timeout('a', 'handshake')).toEqual([]);
    const idle = relay.timeout('a', 'idle');
    expect(errorOf(idle, 'a')).toBe(ErrorCode.IDLE_TIMEOUT);
    expect(
      collect(idle)
        .frames('b')
        .map((f) => f.type),
    ).toEqual([FrameType.PEER_LEFT]);
    expect(
      errorOf(relay.reject('never-opened', ErrorCode.TOO_MANY_CONNECTIONS, 'full'), 'never-opened'),
    ).toBe(ErrorCode.TOO_MANY_CONNECTIONS);
    relay.open('z');
    const down = relay.shutdown();
    expect(errorOf(down, 'z')).toBe(ErrorCode.SERVER_SHUTTING_DOWN);
    expect(errorOf(down, 'b')).toBe(ErrorCode.SERVER_SHUTTING_DOWN);
    expect(collect(down).closed.sort()).toEqual(['b', 'v', 'z']);
    expect(relay.connections).toBe(0);
  });

  it('rejects caller misuse with LocalProtocolError', () => {
    const relay = new Relay();
    relay.open('a');
    expect(() => relay.open('a')).toThrow(/already open/);
    expect(() => relay.receive('a', 'x' as unknown as Uint8Array)).toThrow(LocalProtocolError);
    expect(() => new Relay({ maxFrameLength: 2047 })).toThrow(LocalProtocolError);
  });

  it('property: random bytes never throw, and every byte sent is whole valid frames', () => {
    fc.assert(
      fc.property(
        fc.array(fc.uint8Array({ maxLength: 80 }), { maxLength: 6 }),
        fc.array(fc.uint8Array({ maxLength: 80 }), { maxLength: 6 }),
        (fromA, fromB) => {
          const relay = new Relay({ maxFrameLength: 2048 });
          relay.open('a');
          relay.open('b');
          const actions: RelayAction[] = [
            ...relay.receive('a', hello('r', 'a')),
            ...relay.receive('b', hello('r', 'b')),
          ];
          for (let i = 0; i < Math.max(fromA.length, fromB.length); i++) {
            if (fromA[i]) actions.push(...relay.receive('a', fromA[i]!));
            if (fromB[i]) actions.push(...relay.receive('b', fromB[i]!));
          }
          const c = collect(actions);
          for (const id of ['a', 'b']) {
            const d = new FrameDecoder({ acceptType: () => true });
            d.push(c.bytes(id));
            expect(d.buffered).toBe(0);
          }
        },
      ),
      { numRuns: 300 },
    );
  });
});

describe('Relay.bufferedBytes', () => {
  it('counts only frames split across chunks, per connection and in total, and drops to 0 once whole', () => {
    const relay = new Relay();
    pair(relay);
    expect(relay.bufferedBytes()).toBe(0);
    const data = frame(FrameType.DATA, new Uint8Array(1000).fill(7));
    // A header cut in two: the relay holds the partial header.
    expect(relay.receive('a', data.subarray(0, 3))).toEqual([]);
    expect(relay.bufferedBytes('a')).toBe(3);
    // The rest of the header and part of the body: it holds the whole frame's buffer.
    expect(relay.receive('a', data.subarray(3, 500))).toEqual([]);
    expect(relay.bufferedBytes('a')).toBeGreaterThanOrEqual(data.length - 4);
    expect(relay.bufferedBytes('a')).toBeLessThanOrEqual(data.length);
    expect(relay.bufferedBytes('b')).toBe(0);
    expect(relay.bufferedBytes()).toBe(relay.bufferedBytes('a'));
    // The end of the frame: forwarded whole, nothing held.
    const out = collect(relay.receive('a', data.subarray(500)));
    expect(hex(out.bytes('b'))).toBe(hex(data));
    expect(relay.bufferedBytes()).toBe(0);
    // Whole frames in one chunk are never held.
    relay.receive('a', concat([data, data]));
    expect(relay.bufferedBytes()).toBe(0);
    expect(relay.bufferedBytes('nobody')).toBe(0);
  });
});

describe('Relay PING and PONG bodies', () => {
  it.each([
    ['PING', FrameType.PING],
    ['PONG', FrameType.PONG],
  ])('a %s body over 32 bytes is refused on its header, before any body is buffered', (_n, type) => {
    const relay = new Relay();
    pair(relay);
    const header = new Uint8Array([0, 0, 0, 34, type]); // 33-byte body
    const actions = relay.receive('a', header);
    expect(errorOf(actions, 'a')).toBe(ErrorCode.MALFORMED_FRAME);
    expect(
      collect(actions)
        .frames('b')
        .map((f) => f.type),
    ).toEqual([FrameType.PEER_LEFT]);
    expect(relay.bufferedBytes()).toBe(0);
    // 32 bytes is fine: PING answered, PONG discarded
    relay.open('c');
    const ok = relay.receive('c', concat([frame(type, new Uint8Array(32).fill(3))]));
    expect(hex(collect(ok).bytes('c'))).toBe(
      type === FrameType.PING ? hex(frame(FrameType.PONG, new Uint8Array(32).fill(3))) : '',
    );
  });
});

describe('Relay under a model-checked fuzz: four clients, hostile streams, arbitrary cuts, closes and timers', () => {
  const IDS = ['a', 'b', 'c', 'd'] as const;
  const MAX = 2048;
  type Token =
    | { kind: 'hello'; room: string; version: number }
    | { kind: 'c2c'; type: number; pad: number }
    | { kind: 'ping' | 'pong'; n: number }
    | { kind: 'raw'; bytes: Uint8Array }
    | { kind: 'type'; type: number }
    | { kind: 'huge' };
  const helloToken = fc.record({
    kind: fc.constant('hello' as const),
    room: fc.constantFrom('r1', 'r1', 'r1', 'r2', 'r2', ''),
    version: fc.constantFrom(1, 1, 1, 1, 1, 2),
  });
  const token: fc.Arbitrary<Token> = fc.oneof(
    { weight: 1, arbitrary: helloToken },
    {
      weight: 30,
      arbitrary: fc.record({
        kind: fc.constant('c2c' as const),
        type: fc.integer({ min: 0x10, max: 0x1f }),
        pad: fc.nat(80),
      }),
    },
    {
      weight: 3,
      arbitrary: fc.record({ kind: fc.constantFrom('ping' as const, 'pong' as const), n: fc.nat(40) }),
    },
    {
      weight: 1,
      arbitrary: fc.record({ kind: fc.constant('raw' as const), bytes: fc.uint8Array({ maxLength: 12 }) }),
    },
    {
      weight: 1,
      arbitrary: fc.record({
        kind: fc.constant('type' as const),
        type: fc.constantFrom(0, 2, 3, 4, 5, 8, 0x20, 0xff),
      }),
    },
    { weight: 1, arbitrary: fc.constant({ kind: 'huge' as const }) },
  );
  /**
   * Mostly a HELLO first (or a PING, then HELLO), then anything. A patient client
   * sends the rest only once it is paired, as a real one would; an impatient one
   * sends everything at once.
   */
  const stream = fc.record({
    head: fc.oneof(
      fc.constant<Token[]>([]),
      helloToken.map((h): Token[] => [h]),
      helloToken.map((h): Token[] => [{ kind: 'ping', n: 4 }, h]),
    ),
    rest: fc.array(token, { maxLength: 14, size: 'medium' }),
    patient: fc.boolean(),
  });
  const step = fc.oneof(
    {
      weight: 40,
      arbitrary: fc.record({
        who: fc.nat(3),
        op: fc.constant('bytes' as const),
        n: fc.integer({ min: 1, max: 300 }),
      }),
    },
    {
      weight: 1,
      arbitrary: fc.record({
        who: fc.nat(3),
        op: fc.constantFrom('close' as const, 'idle' as const, 'handshake' as const),
      }),
    },
  );

  /** Encodes a client's stream; c2c bodies carry (sender, counter) so the receiver can check order and origin. */
  function encodeStream(id: string, tokens: Token[]): { bytes: Uint8Array; c2c: string[]; head: number } {
    const parts: Uint8Array[] = [];
    const c2c: string[] = [];
    for (const t of tokens) {
      if (t.kind === 'hello') {
        // an empty room cannot be encoded (it is BAD_HELLO at the relay): write it raw
        parts.push(
          t.room === ''
            ? frame(FrameType.HELLO, [t.version, 0, 1, id.charCodeAt(0)])
            : hello(t.room, id, t.version === 1 ? undefined : t.version),
        );
      } else if (t.kind === 'c2c') {
        const body = new Uint8Array(5 + t.pad).fill(0xee);
        body[0] = id.charCodeAt(0);
        new DataView(body.buffer).setUint32(1, c2c.length);
        const f = frame(t.type, body);
        c2c.push(hex(f));
        parts.push(f);
      } else if (t.kind === 'ping') parts.push(frame(FrameType.PING, new Uint8Array(t.n)));
      else if (t.kind === 'pong') parts.push(frame(FrameType.PONG, new Uint8Array(t.n)));
      else if (t.kind === 'raw') parts.push(t.bytes);
      else if (t.kind === 'type') parts.push(new Uint8Array([0, 0, 0, 1, t.type]));
      else parts.push(new Uint8Array([0, 0, 0x08, 0x01, 0x13])); // over the 2048 cap
    }
    return { bytes: concat(parts), c2c, head: 0 };
  }

  it('never throws; sends only to open connections, whole frames, in a legal order; forwards byte for byte', () => {
    let paired = 0;
    let forwarded = 0;
    fc.assert(
      fc.property(
        fc.array(stream, { minLength: 4, maxLength: 4 }),
        fc.array(step, { minLength: 20, maxLength: 80, size: 'medium' }),
        (tokens, steps) => {
          const relay = new Relay({ maxFrameLength: MAX });
          const streams = new Map(
            IDS.map((id, i) => {
              const { head, rest, patient } = tokens[i]!;
              const encoded = encodeStream(id, [...head, ...rest]);
              const headBytes = encodeStream(id, head).bytes.length;
              return [id as string, { ...encoded, head: patient ? headBytes : encoded.bytes.length }];
            }),
          );
          const pos = new Map<string, number>(IDS.map((id) => [id, 0]));
          const open = new Set<string>(IDS);
          const received = new Map<string, Uint8Array[]>(IDS.map((id) => [id, []]));
          const everPaired = new Set<string>();
          for (const id of IDS) expect(relay.open(id)).toEqual([]);
          const run = (actions: RelayAction[]) => {
            const closedNow: string[] = [];
            for (const a of actions) {
              if (a.type === 'log' && a.event === 'paired') everPaired.add(a.connId).add(a.peerId!);
              if (a.type === 'send') {
                expect(open.has(a.connId), `send to closed ${a.connId}`).toBe(true);
                received.get(a.connId)!.push(a.bytes.slice());
              } else if (a.type === 'close') {
                expect(open.has(a.connId)).toBe(true);
                open.delete(a.connId);
                closedNow.push(a.connId);
              }
            }
            // the server closes the socket it was told to close, which reports back
            for (const id of closedNow) {
              for (const a of relay.close(id)) expect(a.type).toBe('log');
            }
          };
          for (const s of steps) {
            const id = IDS[s.who]!;
            if (s.op === 'bytes') {
              const p = pos.get(id)!;
              const st = streams.get(id)!;
              const limit = everPaired.has(id) ? st.bytes.length : Math.max(st.head, p);
              const chunk = st.bytes.subarray(p, Math.min(p + s.n, limit));
              pos.set(id, p + chunk.length);
              run(relay.receive(id, chunk));
            } else if (s.op === 'close') {
              open.delete(id);
              run(relay.close(id));
            } else run(relay.timeout(id, s.op));
            expect(relay.connections).toBe(open.size);
            for (const x of IDS) {
              expect(relay.bufferedBytes(x)).toBeLessThanOrEqual(open.has(x) ? MAX + 4 : 0);
            }
          }
          // What each client read: whole frames, in an order the spec allows.
          const pairedWith = new Map<string, { role: string; peer: string }>();
          for (const id of IDS) {
            const d = new FrameDecoder({ acceptType: () => true });
            const frames = d.push(concat(received.get(id)!));
            expect(d.buffered).toBe(0);
            let phase: 'hello' | 'waiting' | 'paired' | 'alone' | 'dead' = 'hello';
            let next = 0;
            for (const f of frames) {
              expect(phase, `${id}: a frame after ERROR`).not.toBe('dead');
              if (f.type === FrameType.PONG) continue;
              if (f.type === FrameType.ERROR) phase = 'dead';
              else if (f.type === FrameType.WAITING) {
                expect(phase).toBe('hello');
                phase = 'waiting';
              } else if (f.type === FrameType.PAIRED) {
                expect(['hello', 'waiting']).toContain(phase);
                const p = decodePaired(f.body);
                // the one that waited is the initiator
                expect(p.role).toBe(phase === 'waiting' ? 'initiator' : 'responder');
                pairedWith.set(id, { role: p.role, peer: p.peerName });
                phase = 'paired';
              } else if (f.type === FrameType.PEER_LEFT) {
                expect(phase).toBe('paired');
                phase = 'alone';
              } else {
                expect(isClientToClientType(f.type)).toBe(true);
                expect(phase).toBe('paired');
                // from the peer, in the order it sent them, none missing, byte for byte
                const peer = pairedWith.get(id)!.peer;
                const whole = hex(encodeFrame({ type: f.type, body: f.body }, MAX));
                expect(whole).toBe(streams.get(peer)!.c2c[next++]);
                forwarded++;
              }
            }
            if (phase === 'dead') expect(open.has(id)).toBe(false);
          }
          for (const [id, { role, peer }] of pairedWith) {
            expect(pairedWith.get(peer)).toEqual({
              role: role === 'initiator' ? 'responder' : 'initiator',
              peer: id,
            });
            paired++;
          }
        },
      ),
      { numRuns: 400 },
    );
    // the generator reaches the interesting states, not just early refusals
    expect(paired, 'pairs formed').toBeGreaterThan(60);
    expect(forwarded, 'frames forwarded').toBeGreaterThan(100);
  }, 60_000); // 400 runs: seconds alone, much more on a loaded machine
});

describe('Relay under floods: PONGs coalesced, partial frames sized by what arrived', () => {
  const sends = (actions: RelayAction[], id: string) =>
    actions.filter((a): a is Extract<RelayAction, { type: 'send' }> => a.type === 'send' && a.connId === id);

  it('answers every PING of one receive() with one send, in order, bodies echoed', () => {
    const relay = new Relay();
    relay.open('a');
    for (const count of [1, 2, 1000, 13_107]) {
      const pings = Array.from({ length: count }, (_, i) =>
        frame(FrameType.PING, i % 3 === 0 ? [] : [i & 255, 7]),
      );
      const actions = relay.receive('a', concat(pings));
      expect(sends(actions, 'a')).toHaveLength(1);
      const want = pings.map((p) => frame(FrameType.PONG, p.subarray(5)));
      expect(hex(sends(actions, 'a')[0]!.bytes)).toBe(hex(concat(want)));
    }
  });

  it('keeps PONGs before what follows them to the same client: WAITING, PAIRED, ERROR', () => {
    const relay = new Relay();
    relay.open('a');
    relay.open('b');
    const waiting = relay.receive(
      'a',
      concat([frame(FrameType.PING, [1]), hello('r', 'a'), frame(FrameType.PING, [2])]),
    );
    expect(
      collect(waiting)
        .frames('a')
        .map((f) => [f.type, ...f.body]),
    ).toEqual([
      [FrameType.PONG, 1],
      [FrameType.WAITING, 0, 1, 0, 0],
      [FrameType.PONG, 2],
    ]);
    const paired = relay.receive(
      'b',
      concat([frame(FrameType.PING, [3]), hello('r', 'b'), frame(0x13, [9])]),
    );
    expect(
      collect(paired)
        .frames('b')
        .map((f) => f.type),
    ).toEqual([FrameType.PONG, FrameType.PAIRED]);
    expect(
      collect(paired)
        .frames('a')
        .map((f) => [f.type, ...f.body]),
    ).toEqual([
      [FrameType.PAIRED, ...collect(paired).frames('a')[0]!.body.slice(0)],
      [0x13, 9],
    ]);
    const failed = relay.receive(
      'b',
      concat([frame(FrameType.PING, [4]), frame(FrameType.PING, [5]), frame(0x05, [0, 1])]),
    );
    expect(
      collect(failed)
        .frames('b')
        .map((f) => f.type),
    ).toEqual([FrameType.PONG, FrameType.PONG, FrameType.ERROR]);
    expect(sends(failed, 'b')).toHaveLength(2); // the PONGs as one send, then the ERROR
  });

  it('answers a PING split across receive() calls, once, with the PONGs of its last chunk', () => {
    const relay = new Relay();
    relay.open('a');
    const wire = concat([
      frame(FrameType.PING, [1, 2, 3]),
      frame(FrameType.PING, [4]),
      frame(FrameType.PING),
    ]);
    for (let cut = 1; cut < wire.length; cut++) {
      const first = sends(relay.receive('a', wire.subarray(0, cut)), 'a');
      const second = sends(relay.receive('a', wire.subarray(cut)), 'a');
      expect(first.length).toBeLessThanOrEqual(1);
      expect(second).toHaveLength(1);
      expect(hex(concat([...first, ...second].map((s) => s.bytes)))).toBe(
        hex(concat([frame(FrameType.PONG, [1, 2, 3]), frame(FrameType.PONG, [4]), frame(FrameType.PONG)])),
      );
    }
  });

  it('never holds more than max(1024, 2 × received) for a frame, whatever its header claims', () => {
    const MAX = 16 * 1024 * 1024;
    const relay = new Relay({ maxFrameLength: MAX });
    pair(relay);
    const header = Uint8Array.of(0, 0, 0, 0, 0x13);
    new DataView(header.buffer).setUint32(0, MAX);
    relay.receive('a', header);
    expect(relay.bufferedBytes('a')).toBeLessThanOrEqual(1024); // header only: not 16 MiB
    let received = 5;
    const rng = fc.sample(fc.integer({ min: 1, max: 3000 }), 200);
    for (const size of rng) {
      relay.receive('a', new Uint8Array(size).fill(size & 255));
      received += size;
      expect(relay.bufferedBytes('a')).toBeLessThanOrEqual(Math.max(1024, 2 * received));
      expect(relay.bufferedBytes('a')).toBeGreaterThanOrEqual(received);
    }
  });

  it('forwards a frame trickled a byte at a time intact, and holds at most twice what came', () => {
    const relay = new Relay();
    pair(relay);
    const data = frame(
      0x13,
      Uint8Array.from({ length: 9000 }, (_, i) => i * 7),
    );
    const out: Uint8Array[] = [];
    for (let i = 0; i < data.length; i++) {
      const now = sends(relay.receive('a', data.subarray(i, i + 1)), 'b');
      if (i < data.length - 1) {
        expect(now).toEqual([]); // nothing before the frame is whole
        expect(relay.bufferedBytes('a')).toBeLessThanOrEqual(Math.max(1024, 2 * (i + 1)));
      }
      for (const s of now) out.push(s.bytes);
    }
    expect(hex(concat(out))).toBe(hex(data));
    expect(relay.bufferedBytes('a')).toBe(0);
  });

  it('partialFrame: where an unfinished frame started and how much of it arrived', () => {
    const relay = new Relay();
    pair(relay);
    expect(relay.partialFrame('a')).toBeUndefined();
    expect(relay.partialFrame('nobody')).toBeUndefined();
    const one = frame(0x13, new Uint8Array(100));
    const two = frame(0x13, new Uint8Array(50));
    const base = hello('r', 'a-name').length; // offsets count every byte of the input, HELLO too
    relay.receive('a', concat([one, two.subarray(0, 3)])); // header cut
    expect(relay.partialFrame('a')).toEqual({ start: base + one.length, received: 3, length: 0 });
    relay.receive('a', two.subarray(3, 20));
    expect(relay.partialFrame('a')).toEqual({ start: base + one.length, received: 20, length: 51 });
    relay.receive('a', two.subarray(20));
    expect(relay.partialFrame('a')).toBeUndefined();
    // a body the relay discards (a PONG) is unfinished too, until its last byte
    const pong = frame(FrameType.PONG, new Uint8Array(30));
    relay.receive('a', pong.subarray(0, 10));
    expect(relay.partialFrame('a')).toEqual({
      start: base + one.length + two.length,
      received: 10,
      length: 31,
    });
    relay.receive('a', pong.subarray(10));
    expect(relay.partialFrame('a')).toBeUndefined();
    // a PING in progress, before HELLO
    relay.open('c');
    relay.receive('c', frame(FrameType.PING, [1, 2]).subarray(0, 6));
    expect(relay.partialFrame('c')).toEqual({ start: 0, received: 6, length: 3 });
  });
});

describe('Relay: split frames forwarded without copies, whole, in the call that completes them', () => {
  const sendsTo = (actions: RelayAction[], id: string) =>
    actions.flatMap((a) => (a.type === 'send' && a.connId === id ? [a.bytes] : []));

  it("keeps pieces of a read's size as views of the input and sends them, then the last part, at once", () => {
    const relay = new Relay();
    pair(relay);
    const data = frame(
      0x13,
      Uint8Array.from({ length: 20_000 }, (_, i) => i % 251),
    );
    // separate ArrayBuffers, as socket reads are
    const chunks = [data.slice(0, 8000), data.slice(8000, 16_000), data.slice(16_000)];
    expect(sendsTo(relay.receive('a', chunks[0]!), 'b')).toEqual([]);
    expect(relay.bufferedBytes('a')).toBe(8000);
    expect(sendsTo(relay.receive('a', chunks[1]!), 'b')).toEqual([]);
    expect(relay.bufferedBytes('a')).toBe(16_000);
    const out = sendsTo(relay.receive('a', chunks[2]!), 'b');
    expect(out.map((bytes) => bytes.buffer)).toEqual(chunks.map((chunk) => chunk.buffer)); // no copies
    expect(hex(concat(out))).toBe(hex(data));
    expect(relay.bufferedBytes()).toBe(0);
  });

  it('gathers a frame once a small piece comes: intact, at most twice what came, at least what came', () => {
    const relay = new Relay({ maxFrameLength: 1 << 20 });
    pair(relay);
    const data = encodeFrame(
      { type: 0x13, body: Uint8Array.from({ length: 300_000 }, (_, i) => (i * 13) % 256) },
      1 << 20,
    );
    const sizes = [10_000, 3, 70_000, 1, 5000, 65_536, 100];
    let at = 0;
    const out: Uint8Array[] = [];
    for (const size of sizes) {
      out.push(...sendsTo(relay.receive('a', data.slice(at, at + size)), 'b'));
      at += size;
      expect(out).toEqual([]);
      expect(relay.bufferedBytes('a')).toBeGreaterThanOrEqual(at);
      expect(relay.bufferedBytes('a')).toBeLessThanOrEqual(Math.max(1024, 2 * at));
    }
    out.push(...sendsTo(relay.receive('a', concat([data.slice(at), frame(0x13, [9])])), 'b'));
    expect(hex(concat(out))).toBe(hex(concat([data, frame(0x13, [9])])));
    expect(relay.bufferedBytes()).toBe(0);
  });

  it('a header split across reads, then a body in large pieces: forwarded whole', () => {
    const relay = new Relay();
    pair(relay);
    const data = frame(0x14, new Uint8Array(30_000).fill(3));
    const cuts = [2, 5, 10_000, 20_000, data.length];
    let last = 0;
    const out: Uint8Array[] = [];
    for (const cut of cuts) {
      const now = sendsTo(relay.receive('a', data.slice(last, cut)), 'b');
      if (cut < data.length) expect(now).toEqual([]);
      out.push(...now);
      last = cut;
    }
    expect(hex(concat(out))).toBe(hex(data));
  });

  it('a peer that leaves mid-frame: the kept pieces are dropped, the rest of the frame discarded, PONGs still answered', () => {
    const relay = new Relay();
    pair(relay);
    const data = frame(0x13, new Uint8Array(20_000).fill(1));
    relay.receive('a', data.slice(0, 10_000));
    expect(relay.bufferedBytes('a')).toBe(10_000);
    const left = collect(relay.close('b'));
    expect(left.frames('a').map((f) => f.type)).toEqual([FrameType.PEER_LEFT]);
    expect(relay.bufferedBytes('a')).toBe(0);
    const after = relay.receive(
      'a',
      concat([data.slice(10_000), frame(0x13, [1]), frame(FrameType.PING, [5])]),
    );
    expect(after.filter((a) => a.type === 'send').map((a) => a.type === 'send' && a.connId)).toEqual(['a']);
    expect(hex(collect(after).bytes('a'))).toBe(hex(frame(FrameType.PONG, [5])));
  });
});

describe('Relay follows RELAY_RULES (§3.7) for every type byte in every state', () => {
  /** A relay with connection 'x' in `state` (and its peer 'p' when paired). */
  function inState(state: RelayState): Relay {
    const relay = new Relay();
    if (state === 'hello') {
      relay.open('x');
    } else if (state === 'waiting') {
      relay.open('x');
      relay.receive('x', hello('room', 'x'));
    } else {
      pair(relay, 'room', 'x', 'p');
      if (state === 'alone') relay.close('p');
    }
    return relay;
  }

  const states = Object.keys(RELAY_RULES[0]!.in) as RelayState[];

  it('covers the four states of §3.7', () => {
    expect([...states].sort()).toEqual(['alone', 'hello', 'paired', 'waiting']);
  });

  for (const state of states) {
    it(`state ${state}: types 0x00..0xff with an empty body, a 33-byte body and a 1025-byte body`, () => {
      for (let type = 0; type < 256; type++) {
        for (const bodyLength of [0, 33, 1025]) {
          const relay = inState(state);
          const verdict = relayVerdict(state, type, bodyLength);
          const body =
            type === FrameType.HELLO && bodyLength === 0
              ? encodeHello({ room: 'other', name: 'y' })
              : new Uint8Array(bodyLength);
          const actions = relay.receive('x', frame(type, body));
          const what = `${state} 0x${type.toString(16)} body ${bodyLength}: ${verdict}`;
          const got = collect(actions);
          if (verdict in ErrorCode) {
            expect(errorOf(actions, 'x'), what).toBe(ErrorCode[verdict as keyof typeof ErrorCode]);
            expect(got.closed, what).toContain('x');
          } else if (verdict === 'pong') {
            expect(hex(got.bytes('x')), what).toBe(hex(frame(FrameType.PONG, body)));
            expect(got.sent.has('p'), what).toBe(false);
          } else if (verdict === 'discard') {
            expect(actions, what).toEqual([]);
          } else if (verdict === 'forward') {
            expect(hex(got.bytes('p')), what).toBe(hex(frame(type, body)));
            expect(got.sent.has('x'), what).toBe(false);
          } else {
            expect(verdict, what).toBe('hello');
            if (bodyLength === 0)
              expect(
                got.frames('x').map((f) => f.type),
                what,
              ).toEqual([FrameType.WAITING]);
            else expect(got.frames('x').at(-1)?.type, what).toBe(FrameType.ERROR); // zeros: not a HELLO
          }
        }
      }
    });
  }
});
