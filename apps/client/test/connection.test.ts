/**
 * The socket wrapper around ClientSession, against a scripted fake server.
 */
import net from 'node:net';
import {
  ErrorCode,
  encodeError,
  encodeFrame,
  encodeWaiting,
  FrameType,
  type SessionEvent,
} from '@arctalk/protocol';
import { afterEach, describe, expect, it } from 'vitest';
import { resolveConfig } from '../src/config.js';
import { Connection, connectTcp, createSession } from '../src/connection.js';
import { sleep, waitUntil } from './helpers.js';

const closers: (() => void)[] = [];
afterEach(() => {
  for (const close of closers.splice(0)) close();
});

/** A one-connection server that runs `script` on the accepted socket. */
async function fakeServer(script: (socket: net.Socket) => void): Promise<number> {
  const server = net.createServer((socket) => {
    socket.on('error', () => {});
    closers.push(() => socket.destroy());
    script(socket);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  closers.push(() => server.close());
  return (server.address() as net.AddressInfo).port;
}

const config = resolveConfig(
  undefined,
  { room: 'r', name: 'alice' },
  {},
  { readFile: () => new Uint8Array(0), username: () => 'alice' },
);

describe('Connection', () => {
  it('drops what arrives after the session failed instead of throwing from the socket', async () => {
    const error = encodeFrame({
      type: FrameType.ERROR,
      body: encodeError({ code: ErrorCode.ROOM_FULL, message: 'room is full' }),
    });
    const waiting = encodeFrame({ type: FrameType.WAITING, body: encodeWaiting({ maxFrameLength: 65536 }) });
    const port = await fakeServer((socket) => {
      socket.write(error);
      // More bytes in later segments, while the app is still winding down.
      setTimeout(() => socket.write(waiting), 50);
      setTimeout(() => socket.end(waiting), 100);
    });
    const uncaught: unknown[] = [];
    const onUncaught = (e: unknown) => uncaught.push(e);
    process.on('uncaughtException', onUncaught);
    try {
      const events: SessionEvent[] = [];
      let closed = false;
      const socket = await connectTcp('127.0.0.1', port, 5_000);
      const connection = new Connection(socket, createSession(config), {
        onEvent: (event) => events.push(event),
        onClose: () => {
          closed = true;
        },
      });
      await waitUntil(() => closed, 10_000, 'the socket to close');
      await sleep(20);
      expect(uncaught).toEqual([]);
      expect(events.map((event) => event.type)).toEqual(['error']);
      expect(connection.session.state).toBe('failed');
      expect(connection.wire.read).toBe(error.length + 2 * waiting.length);
    } finally {
      process.off('uncaughtException', onUncaught);
    }
  });

  it('drops the connection when a server floods PINGs and never reads the PONGs', async () => {
    const ping = encodeFrame({ type: FrameType.PING, body: new Uint8Array(32) });
    const flood = new Uint8Array(ping.length * 20_000);
    for (let i = 0; i < 20_000; i++) flood.set(ping, i * ping.length);
    let writes = 0;
    const port = await fakeServer((socket) => {
      socket.pause(); // never reads: our PONGs pile up in the client
      const more = () => {
        while (writes < 200 && socket.write(flood)) writes++;
        if (writes < 200) socket.once('drain', more);
      };
      more();
    });
    const socket = await connectTcp('127.0.0.1', port, 5_000);
    let closed: { expected: boolean; error: Error | undefined } | undefined;
    let maxUnsent = 0;
    const limit = 256 * 1024;
    const connection = new Connection(
      socket,
      createSession(config),
      {
        onEvent: () => {
          maxUnsent = Math.max(maxUnsent, socket.writableLength);
        },
        onClose: (expected, error) => {
          closed = { expected, error };
        },
      },
      0,
      limit,
    );
    await waitUntil(() => closed !== undefined, 20_000, 'the flooded connection to close');
    expect(closed?.expected).toBe(false);
    expect(closed?.error?.message).toMatch(/stopped reading/);
    // Bounded: the limit plus at most one read's worth of PONGs.
    expect(maxUnsent).toBeLessThan(limit + 2 * 1024 * 1024);
    expect(connection.isClosed).toBe(true);
  });
});
