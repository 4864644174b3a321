/**
 * The client pointed at something that is not an arctalk relay: a clear message
 * naming the address and exit 10 (never the tampering code 5); a server that says
 * nothing: "no answer from …" within --connect-timeout and exit 3. The real CLI, as a
 * process, against real TCP servers on loopback.
 */
import net from 'node:net';
import { afterAll, describe, expect, it } from 'vitest';
import { ExitCode } from '../src/exit-codes.js';
import { cleanup, runClient, startServer } from './helpers.js';

const servers: net.Server[] = [];
const sockets = new Set<net.Socket>();
afterAll(async () => {
  cleanup();
  for (const socket of sockets) socket.destroy();
  await Promise.all(servers.map((server) => new Promise((resolve) => server.close(resolve))));
});

/** A TCP server that does `onConnection` with each socket; resolves with its port. */
async function fakeServer(onConnection: (socket: net.Socket) => void): Promise<number> {
  const server = net.createServer((socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
    socket.on('error', () => {});
    onConnection(socket);
  });
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return (server.address() as net.AddressInfo).port;
}

const http = (socket: net.Socket) =>
  socket.once('data', () =>
    socket.end(
      'HTTP/1.1 400 Bad Request\r\nContent-Type: text/plain\r\nContent-Length: 11\r\n\r\nBad Request',
    ),
  );

const cases: { what: string; behave: (socket: net.Socket) => void; shows: RegExp }[] = [
  { what: 'an HTTP server', behave: http, shows: /\(it sent "HTTP\/1\.1 400 Bad Request…"\)$/ },
  {
    what: 'an SSH server (banner first, then waits)',
    behave: (socket) => socket.write('SSH-2.0-OpenSSH_9.2p1 Debian-2+deb12u3\r\n'),
    shows: /\(it sent "SSH-2\.0-OpenSSH_9\.2p1 De…"\)$/,
  },
  {
    what: 'an SMTP server (greeting, answers each line)',
    behave: (socket) => {
      socket.write('220 mail.example.org ESMTP Postfix\r\n');
      socket.on('data', () => socket.write('500 5.5.2 Error: bad syntax\r\n'));
    },
    shows: /\(it sent "220 mail\.example\.org ESM…"\)$/,
  },
  {
    what: 'random bytes',
    behave: (socket) => socket.end(Buffer.from('9f0c3bd2e417a85f60c1b2d3e4f5a6b7c8d9e0f1', 'hex')),
    shows: /\(it sent "\.\.;\.\.\.\._`\.{11}"\)$/,
  },
  {
    what: 'a frame of an unknown type',
    behave: (socket) => socket.write(Uint8Array.of(0, 0, 0, 1, 0x7e)),
    shows: /it sent "\.\.\.\.~"/,
  },
  {
    what: 'a server that closes at once',
    behave: (socket) => socket.destroy(),
    shows: /it closed the connection without answering/,
  },
  {
    what: 'a server that reads HELLO and closes',
    behave: (socket) => socket.once('data', () => socket.end()),
    shows: /it closed the connection without answering/,
  },
  {
    what: 'half a frame header, then silence',
    behave: (socket) => socket.write(Uint8Array.of(0, 0)),
    shows: /no arctalk frame within 2 s; it sent "\.\."/,
  },
];

describe('a server that is not an arctalk relay', () => {
  it.each(cases)('$what: "… is not an arctalk relay", exit 10', async ({ behave, shows }) => {
    const port = await fakeServer(behave);
    const started = Date.now();
    const { code, stderr } = await runClient(
      [`127.0.0.1:${port}`, '--name', 'alice', '--connect-timeout', '2', '--unverified'],
      { keepOpen: true },
    );
    expect(code, stderr).toBe(ExitCode.NOT_A_RELAY);
    expect(code).not.toBe(ExitCode.AUTH_FAILED);
    const last = stderr.trim().split('\n').at(-1)!;
    expect(last).toMatch(new RegExp(`^arctalk: 127\\.0\\.0\\.1:${port} is not an arctalk relay \\(`));
    expect(last).toMatch(shows);
    expect(stderr).not.toMatch(/tamper/i);
    expect(Date.now() - started).toBeLessThan(30_000);
  });
});

/**
 * A relay that speaks arctalk (a whole frame of a known type) but sends it malformed
 * is an arctalk relay misbehaving: a protocol error (exit 5, naming the frame), never
 * "not an arctalk relay" (exit 10), and never a wrong passphrase in a session without one.
 */
const malformed: { what: string; frame: Uint8Array; shows: RegExp }[] = [
  {
    what: 'a PAIRED with role 3',
    frame: Uint8Array.of(0, 0, 0, 10, 0x03, 3, 0, 1, 0, 0, 3, 0x62, 0x6f, 0x62),
    shows: /MALFORMED_FRAME.*PAIRED role 3 is not 1 or 2/,
  },
  {
    what: 'a PAIRED whose name length does not match',
    frame: Uint8Array.of(0, 0, 0, 10, 0x03, 1, 0, 1, 0, 0, 9, 0x62, 0x6f, 0x62),
    shows: /MALFORMED_FRAME.*PAIRED length field/,
  },
  {
    what: 'a WAITING announcing a frame cap below 2048',
    frame: Uint8Array.of(0, 0, 0, 5, 0x02, 0, 0, 0, 16),
    shows: /MALFORMED_FRAME.*below the minimum 2048/,
  },
  {
    what: 'a DATA before anything',
    frame: Uint8Array.of(0, 0, 0, 2, 0x13, 0),
    shows: /UNEXPECTED_FRAME/,
  },
];

describe('an arctalk relay that sends a malformed frame', () => {
  it.each(malformed)(
    '$what: a protocol error (exit 5), not "not an arctalk relay"',
    async ({ frame, shows }) => {
      const port = await fakeServer((socket) => socket.once('data', () => socket.write(frame)));
      const { code, stderr } = await runClient(
        [`127.0.0.1:${port}`, '--name', 'alice', '--connect-timeout', '5', '--unverified'],
        { keepOpen: true },
      );
      expect(code, stderr).toBe(ExitCode.AUTH_FAILED);
      expect(stderr).not.toMatch(/not an arctalk relay/);
      expect(stderr).not.toMatch(/passphrase/);
      expect(stderr).toMatch(shows);
    },
  );
});

describe('a server that says nothing', () => {
  it.each([
    { what: 'accepts and stays silent', behave: () => {} },
    { what: 'reads everything and never answers', behave: (socket: net.Socket) => socket.resume() },
  ])('$what: "no answer from …" within --connect-timeout, exit 3', async ({ behave }) => {
    const port = await fakeServer(behave);
    const { code, stderr } = await runClient(
      [`127.0.0.1:${port}`, '--name', 'alice', '--connect-timeout', '1', '--unverified'],
      { keepOpen: true },
    );
    expect(code, stderr).toBe(ExitCode.CANNOT_CONNECT);
    expect(stderr.trim().split('\n').at(-1)).toBe(`arctalk: no answer from 127.0.0.1:${port} within 1 s`);
  });
});

describe('a real relay', () => {
  it('answers within the timeout: the client waits for its peer past --connect-timeout', async () => {
    const server = await startServer();
    const client = runClient(
      [`127.0.0.1:${server.port}`, '--name', 'alice', '--connect-timeout', '1', '--unverified'],
      {
        keepOpen: true,
      },
    );
    // Still waiting for a peer well after the connect timeout: the relay had answered.
    const early = await Promise.race([
      client,
      new Promise((resolve) => setTimeout(resolve, 2500, 'waiting')),
    ]);
    expect(early).toBe('waiting');
    cleanup();
    await client.catch(() => undefined);
  });
});
