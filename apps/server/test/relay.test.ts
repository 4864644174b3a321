/**
 * The relay end to end: real ClientSessions over real TCP on loopback, through an
 * in-process arctalk-server.
 */
import { ErrorCode, RemoteProtocolError } from '@arctalk/protocol';
import { afterEach, describe, expect, it } from 'vitest';
import {
  cleanup,
  dataFrame,
  expectError,
  helloFrame,
  memoryLogger,
  rawClient,
  securedPair,
  sessionClient,
  startTestServer,
  waitUntil,
  within,
} from './helpers.js';

const text = (bytes: Uint8Array) => new TextDecoder().decode(bytes);

afterEach(cleanup);

describe('pairing and forwarding', () => {
  it('pairs two sessions that handshake and talk both ways', async () => {
    const server = await startTestServer();
    const alice = await sessionClient(server.port, { room: 'r1', name: 'alice' });
    await alice.waitFor('waiting');
    const bob = await sessionClient(server.port, { room: 'r1', name: 'bob' });
    const [pa, pb] = await Promise.all([alice.waitFor('paired'), bob.waitFor('paired')]);
    expect(pa).toMatchObject({ role: 'initiator', peerName: 'bob' });
    expect(pb).toMatchObject({ role: 'responder', peerName: 'alice' });
    const [sa, sb] = await Promise.all([alice.waitFor('secured'), bob.waitFor('secured')]);
    expect(sa.sas).toBe(sb.sas);

    for (let i = 0; i < 20; i++) {
      alice.sendText(`hello bob ${i}`);
      bob.sendText(`hello alice ${i} ${'x'.repeat(i * 500)}`);
    }
    // DATA is a byte stream (§6): a long text may arrive over several DATA frames
    const readText = (c: typeof alice, length: number) => c.readText(length);
    for (let i = 0; i < 20; i++) {
      expect(await readText(bob, `hello bob ${i}`.length)).toBe(`hello bob ${i}`);
      const long = `hello alice ${i} ${'x'.repeat(i * 500)}`;
      expect(await readText(alice, long.length)).toBe(long);
    }
    expect(alice.session.received).toBe(bob.session.sent);
    expect(bob.session.received).toBe(alice.session.sent);
  });

  it("clients that name no room meet in the client's default room, 'lobby'", async () => {
    const server = await startTestServer();
    const alice = await sessionClient(server.port, { name: 'alice' });
    await alice.waitFor('waiting');
    const bob = await sessionClient(server.port, { room: 'lobby', name: 'bob' });
    await Promise.all([alice.waitFor('secured'), bob.waitFor('secured')]);
    bob.sendText('found you');
    expect(text((await alice.waitFor('text')).data)).toBe('found you');
  });

  it('keeps rooms apart', async () => {
    const server = await startTestServer();
    const a1 = await sessionClient(server.port, { room: 'one', name: 'a1' });
    const a2 = await sessionClient(server.port, { room: 'two', name: 'a2' });
    await Promise.all([a1.waitFor('waiting'), a2.waitFor('waiting')]);
    const b2 = await sessionClient(server.port, { room: 'two', name: 'b2' });
    const b1 = await sessionClient(server.port, { room: 'one', name: 'b1' });
    expect((await b1.waitFor('paired')).peerName).toBe('a1');
    expect((await b2.waitFor('paired')).peerName).toBe('a2');
    await Promise.all([a1, a2, b1, b2].map((c) => c.waitFor('secured')));
    a1.sendText('for b1');
    a2.sendText('for b2');
    expect(text((await b1.waitFor('text')).data)).toBe('for b1');
    expect(text((await b2.waitFor('text')).data)).toBe('for b2');
    expect(b1.events.pending).toBe(0);
    expect(b2.events.pending).toBe(0);
  });

  it('refuses a third client in a busy room with ROOM_FULL, and only it', async () => {
    const server = await startTestServer();
    const { alice, bob } = await securedPair(server.port, 'busy');
    const carol = await sessionClient(server.port, { room: 'busy', name: 'carol' });
    const failure = await within(carol.events.next(), 5_000, 'carol error');
    if (failure.type !== 'error') throw new Error(`expected an error event, got ${failure.type}`);
    const { error } = failure;
    expect(error).toBeInstanceOf(RemoteProtocolError);
    expect(error.code).toBe('RELAY_ERROR');
    expect((error as RemoteProtocolError).relayCode).toBe(ErrorCode.ROOM_FULL);
    await within(new Promise((resolve) => carol.socket.once('close', resolve)), 5_000, 'carol closed');

    const raw = await rawClient(server.port);
    raw.write(helloFrame('busy'));
    await expectError(raw, ErrorCode.ROOM_FULL);

    alice.sendText('still here');
    bob.sendText('me too');
    expect(text((await bob.waitFor('text')).data)).toBe('still here');
    expect(text((await alice.waitFor('text')).data)).toBe('me too');
    // Another room is not affected by the full one.
    const other = await sessionClient(server.port, { room: 'free', name: 'dave' });
    await other.waitFor('waiting');
  });

  it('tells the peer PEER_LEFT when one side disconnects, and frees the room', async () => {
    const server = await startTestServer();
    const { alice, bob } = await securedPair(server.port, 'leave');
    alice.socket.destroy();
    expect(await bob.waitFor('peer-left')).toEqual({ type: 'peer-left', ended: false });

    // The room is free again: a new pair forms in it while bob is still connected.
    const pair = await securedPair(server.port, 'leave');
    pair.alice.sendText('new pair');
    expect(text((await pair.bob.waitFor('text')).data)).toBe('new pair');
  });

  it('reports a clean END before PEER_LEFT', async () => {
    const server = await startTestServer();
    const { alice, bob } = await securedPair(server.port, 'end');
    alice.sendText('bye');
    alice.session.end();
    alice.flush();
    expect(text((await bob.waitFor('text')).data)).toBe('bye');
    await bob.waitFor('peer-ended');
    alice.socket.end();
    expect(await bob.waitFor('peer-left')).toEqual({ type: 'peer-left', ended: true });
  });

  it('frees a room when its waiting client leaves', async () => {
    const server = await startTestServer();
    const first = await rawClient(server.port);
    first.write(helloFrame('solo'));
    await first.frames.next();
    first.socket.destroy();
    await waitUntil(() => server.connections === 0);
    const { alice, bob } = await securedPair(server.port, 'solo');
    bob.sendText('ok');
    expect(text((await alice.waitFor('text')).data)).toBe('ok');
  });

  it('forwards frames byte for byte, whatever their body', async () => {
    const server = await startTestServer();
    const a = await rawClient(server.port);
    a.write(helloFrame('bytes', 'a'));
    await a.frames.next(); // WAITING
    const b = await rawClient(server.port);
    b.write(helloFrame('bytes', 'b'));
    await Promise.all([a.frames.next(), b.frames.next()]); // PAIRED
    const bodies = [
      new Uint8Array(0),
      Uint8Array.from({ length: 256 }, (_, i) => i),
      new Uint8Array(65_535).fill(7),
    ];
    // One write, split at odd places, must arrive as the same frames.
    const wire = Buffer.concat(bodies.map(dataFrame));
    for (const cut of [1, 3, 6, 300, wire.length - 2]) {
      a.write(wire.subarray(0, cut));
      a.write(wire.subarray(cut));
      for (const body of bodies) {
        const frame = await b.frames.next();
        expect(frame.type).toBe(0x13);
        expect(Buffer.from(frame.body).equals(Buffer.from(body))).toBe(true);
      }
    }
  });
});

describe('logs', () => {
  it('logs connect, pair, leave and errors with connection ids, never payload, rooms only at debug', async () => {
    for (const level of ['info', 'debug'] as const) {
      const { logger, lines, raw } = memoryLogger(level);
      const server = await startTestServer({ logger });
      const { alice, bob } = await securedPair(server.port, 'secret-room-name');
      alice.sendText('the secret plaintext');
      await bob.waitFor('text');
      const bad = await rawClient(server.port);
      bad.write(dataFrame(new TextEncoder().encode('MARKER-IN-A-BAD-FRAME')));
      await expectError(bad, ErrorCode.UNEXPECTED_FRAME);
      alice.socket.destroy();
      await bob.waitFor('peer-left');
      await waitUntil(() => lines.some((l) => l.event === 'leave' && l.peer !== undefined));

      const events = lines.map((l) => l.event);
      for (const event of ['connect', 'pair', 'leave', 'error', 'disconnect'])
        expect(events).toContain(event);
      const pair = lines.find((l) => l.event === 'pair')!;
      expect(pair.conn).toMatch(/^c\d+$/);
      expect(pair.peer).toMatch(/^c\d+$/);
      expect(lines.find((l) => l.event === 'error')).toMatchObject({ code: ErrorCode.UNEXPECTED_FRAME });
      const all = raw.join('');
      expect(all).not.toContain('secret plaintext');
      expect(all).not.toContain('MARKER');
      expect(all.includes('secret-room-name')).toBe(level === 'debug');
      await cleanup();
    }
  });
});
