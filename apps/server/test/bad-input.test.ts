/**
 * Hostile and broken clients: each gets an ERROR with a stable code and is closed,
 * while a secured pair on the same server keeps talking without noticing.
 */
import { ErrorCode, encodeFrame, encodeHello, errorCodeName, FrameType } from '@arctalk/protocol';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import {
  cleanup,
  dataFrame,
  expectError,
  helloFrame,
  memoryLogger,
  type RawClient,
  rawClient,
  type SessionClient,
  securedPair,
  startTestServer,
  waitUntil,
} from './helpers.js';

const HANDSHAKE_TIMEOUT = 400;
const frame = (type: number, body: ArrayLike<number> = []) =>
  encodeFrame({ type, body: Uint8Array.from(body) }, 16 * 1024 * 1024);
const header = (length: number, type: number) =>
  Uint8Array.of(length >>> 24, (length >>> 16) & 0xff, (length >>> 8) & 0xff, length & 0xff, type);
const ascii = (text: string) => new TextEncoder().encode(text);

/** Gets a raw client into the WAITING state in its own room. */
async function waiting(client: RawClient, room: string): Promise<void> {
  client.write(helloFrame(room));
  expect((await client.frames.next()).type).toBe(FrameType.WAITING);
}

interface Case {
  name: string;
  code: number;
  /** Does the bad thing; may resolve to a paired peer, which must then get PEER_LEFT. */
  act(client: RawClient, port: number): unknown;
}

const cases: Case[] = [
  {
    name: 'garbage (an HTTP request)',
    code: ErrorCode.FRAME_TOO_LARGE,
    act: (c) => c.write(ascii('GET / HTTP/1.1\r\nHost: x\r\n\r\n')),
  },
  {
    name: 'garbage with a small length and an unknown type',
    code: ErrorCode.UNKNOWN_FRAME_TYPE,
    act: (c) => c.write(Uint8Array.of(0, 0, 0, 3, 0xee, 1, 2)),
  },
  {
    name: 'a zero-length frame',
    code: ErrorCode.MALFORMED_FRAME,
    act: (c) => c.write(Uint8Array.of(0, 0, 0, 0, FrameType.HELLO)),
  },
  {
    name: 'a frame header over the cap (refused before its body)',
    code: ErrorCode.FRAME_TOO_LARGE,
    act: (c) => c.write(header(65_537, FrameType.HELLO)),
  },
  {
    name: 'an unknown frame type (0x08)',
    code: ErrorCode.UNKNOWN_FRAME_TYPE,
    act: (c) => c.write(frame(0x08, [1, 2, 3])),
  },
  {
    name: 'an unknown frame type (0x20)',
    code: ErrorCode.UNKNOWN_FRAME_TYPE,
    act: (c) => c.write(frame(0x20)),
  },
  {
    name: 'a relay-to-client frame (WAITING) from a client',
    code: ErrorCode.UNEXPECTED_FRAME,
    act: (c) => c.write(frame(FrameType.WAITING)),
  },
  {
    name: 'data before HELLO',
    code: ErrorCode.UNEXPECTED_FRAME,
    act: (c) => c.write(dataFrame(ascii('too early'))),
  },
  {
    name: 'data while waiting for a peer',
    code: ErrorCode.UNEXPECTED_FRAME,
    act: async (c) => {
      await waiting(c, 'lonely');
      c.write(dataFrame(ascii('nobody to read this')));
      return undefined;
    },
  },
  {
    name: 'HELLO twice',
    code: ErrorCode.UNEXPECTED_FRAME,
    act: async (c) => {
      await waiting(c, 'twice');
      c.write(helloFrame('twice'));
      return undefined;
    },
  },
  {
    name: 'a wrong protocol version (1, the version before)',
    code: ErrorCode.UNSUPPORTED_VERSION,
    act: (c) =>
      c.write(
        encodeFrame({ type: FrameType.HELLO, body: encodeHello({ room: 'v', name: 'v', version: 1 }) }),
      ),
  },
  {
    name: 'a malformed HELLO',
    code: ErrorCode.BAD_HELLO,
    act: (c) => c.write(frame(FrameType.HELLO, [2, 5, 0x61])),
  },
  {
    // §3.1: no empty "default" room, which each client would hash differently
    name: 'a HELLO with an empty room',
    code: ErrorCode.BAD_HELLO,
    act: (c) => c.write(frame(FrameType.HELLO, [2, 0, 1, 0x61])),
  },
  {
    name: 'a HELLO with a control character in the room',
    code: ErrorCode.BAD_HELLO,
    act: (c) => c.write(frame(FrameType.HELLO, [2, 1, 0x07, 1, 0x61])),
  },
  {
    name: 'a PING over 32 bytes',
    code: ErrorCode.MALFORMED_FRAME,
    act: (c) => c.write(frame(FrameType.PING, new Uint8Array(33))),
  },
  { name: 'a HELLO that never comes', code: ErrorCode.HANDSHAKE_TIMEOUT, act: () => {} },
  {
    name: 'a HELLO sent one byte and then nothing (slowloris)',
    code: ErrorCode.HANDSHAKE_TIMEOUT,
    act: (c) => c.write(helloFrame('slow').subarray(0, 7)),
  },
  {
    name: 'a frame over the cap after pairing',
    code: ErrorCode.FRAME_TOO_LARGE,
    act: async (c, port) => {
      await waiting(c, 'big');
      const peer = await rawClient(port);
      peer.write(helloFrame('big', 'peer'));
      await Promise.all([c.frames.next(), peer.frames.next()]); // PAIRED
      c.write(dataFrame(new Uint8Array(70_000)));
      return peer;
    },
  },
];

describe('bad input closes only the offender', () => {
  let pair: { alice: SessionClient; bob: SessionClient };
  let port: number;
  let log: ReturnType<typeof memoryLogger>;

  beforeEach(async () => {
    log = memoryLogger('info');
    const server = await startTestServer({ handshakeTimeout: HANDSHAKE_TIMEOUT, logger: log.logger });
    port = server.port;
    pair = await securedPair(port, 'bystanders');
  });
  afterEach(cleanup);

  it.each(cases)('$name → ERROR $code', async ({ code, act }) => {
    const client = await rawClient(port);
    const started = Date.now();
    const peer = (await act(client, port)) as RawClient | undefined;
    await expectError(client, code);
    if (code === ErrorCode.HANDSHAKE_TIMEOUT)
      expect(Date.now() - started).toBeGreaterThanOrEqual(HANDSHAKE_TIMEOUT - 50);
    if (peer) expect((await peer.frames.next()).type).toBe(FrameType.PEER_LEFT);
    await waitUntil(
      () => log.lines.some((line) => line.event === 'error' && line.code === code),
      2_000,
      'error log',
    );
    // The code's name too, for whoever greps the log.
    expect(log.lines.find((line) => line.event === 'error' && line.code === code)?.codeName).toBe(
      errorCodeName(code),
    );

    // The bystanders notice nothing: their next events are exactly their texts.
    const { alice, bob } = pair;
    alice.sendText('to bob');
    bob.sendText('to alice');
    expect(await bob.events.next()).toMatchObject({ type: 'text', data: ascii('to bob') });
    expect(await alice.events.next()).toMatchObject({ type: 'text', data: ascii('to alice') });
    expect(alice.events.all.map((event) => event.type)).toEqual(['waiting', 'paired', 'secured', 'text']);
    expect(bob.events.all.map((event) => event.type)).toEqual(['paired', 'secured', 'text']);
  });
});
