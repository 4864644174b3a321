/**
 * The WebSocket transport (websocket.ts, PROTOCOL.md §12): the same relay, the same
 * limits, over `ws://`. Clients are the `ws` library's, standing in for a browser
 * (tests/web drives a real one).
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import type { Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decodeError, errorCodeName, FrameType, frameTypeName } from '@arctalk/protocol';
import { afterEach, describe, expect, it } from 'vitest';
import {
  cleanup,
  connectTo,
  dataFrame,
  helloFrame,
  rawClient,
  runCli,
  sessionClient,
  sleep,
  spawnServer,
  startTestServer,
  waitUntil,
  within,
} from './helpers.js';
import { closeWebSockets, openWebSocket, rawWsClient, wsSessionClient } from './ws-helpers.js';

afterEach(async () => {
  closeWebSockets();
  await cleanup();
});

const startWsServer = (options: Parameters<typeof startTestServer>[0] = {}) =>
  startTestServer({ wsPort: 0, ...options });

describe('a TCP client and a WebSocket client in one room', () => {
  it.each([
    ['the TCP client waits, the WebSocket client joins', 'tcp-first'],
    ['the WebSocket client waits, the TCP client joins', 'ws-first'],
  ])('%s: equal SAS, text both ways', async (_title, order) => {
    const server = await startWsServer();
    expect(server.wsUrl).toMatch(/^ws:\/\/127\.0\.0\.1:\d+\/$/);
    const url = server.wsUrl!;
    const tcp = () => sessionClient(server.port, { room: 'mixed', name: 'terminal' });
    const ws = () => wsSessionClient(url, { room: 'mixed', name: 'browser' });
    let terminal: Awaited<ReturnType<typeof tcp>>;
    let browser: Awaited<ReturnType<typeof ws>>;
    if (order === 'tcp-first') {
      terminal = await tcp();
      await terminal.waitFor('waiting');
      browser = await ws();
    } else {
      browser = await ws();
      await browser.waitFor('waiting');
      terminal = await tcp();
    }
    const [a, b] = await Promise.all([terminal.waitFor('secured'), browser.waitFor('secured')]);
    expect(a.sas).toBe(b.sas);
    const big = 'x'.repeat(200_000); // over several messages and frames
    terminal.sendText(`hello browser ${big}`);
    browser.sendText(`hello terminal ${big}`);
    expect(await browser.readText(`hello browser ${big}`.length)).toBe(`hello browser ${big}`);
    expect(await terminal.readText(`hello terminal ${big}`.length)).toBe(`hello terminal ${big}`);
    expect(browser.session.received).toBe(terminal.session.sent);
    expect(terminal.session.received).toBe(browser.session.sent);
  });

  it('a WebSocket client leaving is PEER_LEFT for its TCP peer, and the reverse', async () => {
    const server = await startWsServer();
    const terminal = await sessionClient(server.port, { room: 'leave', name: 'terminal' });
    await terminal.waitFor('waiting');
    const browser = await wsSessionClient(server.wsUrl!, { room: 'leave', name: 'browser' });
    await Promise.all([terminal.waitFor('secured'), browser.waitFor('secured')]);
    browser.ws.close(1001); // the tab closes
    await terminal.waitFor('peer-left');

    const other = await wsSessionClient(server.wsUrl!, { room: 'leave2', name: 'browser' });
    await other.waitFor('waiting');
    const tcp = await sessionClient(server.port, { room: 'leave2', name: 'terminal' });
    await Promise.all([other.waitFor('secured'), tcp.waitFor('secured')]);
    tcp.socket.destroy();
    await other.waitFor('peer-left');
  });

  it('frames split anywhere across messages, or many in one message, are the same stream', async () => {
    const server = await startWsServer();
    const a = await rawWsClient(server.wsUrl!);
    const hello = helloFrame('split', 'a');
    for (const byte of hello) a.write(Uint8Array.of(byte)); // one byte per message
    expect(frameTypeName((await a.frames.next()).type)).toBe('WAITING');
    const b = await rawClient(server.port);
    b.write(helloFrame('split', 'b'));
    expect(frameTypeName((await a.frames.next()).type)).toBe('PAIRED');
    expect(frameTypeName((await b.frames.next()).type)).toBe('PAIRED');
    const frames = [1, 2, 3].map((n) => dataFrame(new Uint8Array(100 * n).fill(n)));
    a.write(Buffer.concat(frames)); // three frames, one message
    for (const n of [1, 2, 3]) {
      const frame = await b.frames.next();
      expect(frame.type).toBe(FrameType.DATA);
      expect(new Uint8Array(frame.body)).toEqual(new Uint8Array(100 * n).fill(n));
    }
  });
});

describe('the same limits as TCP', () => {
  it('per-address cap: the connection over it gets ERROR TOO_MANY_CONNECTIONS, over WebSocket', async () => {
    const server = await startWsServer({ maxConnectionsPerAddress: 2 });
    const first = await rawWsClient(server.wsUrl!);
    await rawClient(server.port); // TCP and WebSocket count together
    const third = await rawWsClient(server.wsUrl!);
    const frame = await third.frames.next();
    expect(frameTypeName(frame.type)).toBe('ERROR');
    expect(errorCodeName(decodeError(frame.body).code)).toBe('TOO_MANY_CONNECTIONS');
    await within(third.closed, 5_000, 'close');
    first.write(helloFrame('still', 'here'));
    expect(frameTypeName((await first.frames.next()).type)).toBe('WAITING');
  });

  it('handshake timeout: no HELLO in time is ERROR HANDSHAKE_TIMEOUT and a close', async () => {
    const server = await startWsServer({ handshakeTimeout: 300 });
    const client = await rawWsClient(server.wsUrl!);
    const frame = await client.frames.next();
    expect(errorCodeName(decodeError(frame.body).code)).toBe('HANDSHAKE_TIMEOUT');
    expect(await within(client.closed, 5_000, 'close')).toBe(1000);
  });

  it('a paired WebSocket outlives the HTTP timeouts (set from the handshake timeout)', async () => {
    const server = await startWsServer({ handshakeTimeout: 300 });
    const a = await rawWsClient(server.wsUrl!);
    a.write(helloFrame('long', 'a'));
    const b = await rawWsClient(server.wsUrl!);
    b.write(helloFrame('long', 'b'));
    await a.frames.next(); // WAITING or PAIRED
    await b.frames.next();
    await sleep(1_500);
    a.write(dataFrame(Uint8Array.of(1, 2, 3)));
    let frame = await b.frames.next();
    while (frame.type !== FrameType.DATA) frame = await b.frames.next();
    expect(new Uint8Array(frame.body)).toEqual(Uint8Array.of(1, 2, 3));
  });

  it('an HTTP request that never finishes its headers is cut off after the handshake timeout', async () => {
    const server = await startWsServer({ handshakeTimeout: 500 });
    const port = Number(new URL(server.wsUrl!).port);
    const socket = await connectTo(port);
    let answer = '';
    socket.setEncoding('utf8');
    socket.on('data', (text: string) => (answer += text));
    socket.write('GET / HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\n'); // and nothing more
    const started = Date.now();
    await within(new Promise((resolve) => socket.once('close', resolve)), 5_000, 'the server to hang up');
    expect(Date.now() - started).toBeGreaterThanOrEqual(400);
    expect(answer).toMatch(/^HTTP\/1\.1 408/);
  });

  it('request headers over 8 KiB: 431, closed', async () => {
    const server = await startWsServer();
    const socket = await connectTo(Number(new URL(server.wsUrl!).port));
    let answer = '';
    socket.setEncoding('utf8');
    socket.on('data', (text: string) => (answer += text));
    socket.on('error', () => {});
    socket.write(`GET / HTTP/1.1\r\nHost: x\r\nX-Big: ${'a'.repeat(10_000)}\r\n\r\n`);
    await within(new Promise((resolve) => socket.once('close', resolve)), 5_000, 'the server to hang up');
    expect(answer).toMatch(/^HTTP\/1\.1 431/);
  });

  it('a frame over the cap is FRAME_TOO_LARGE, as on TCP', async () => {
    const server = await startWsServer({ maxFrameLength: 4096 });
    const client = await rawWsClient(server.wsUrl!);
    client.write(helloFrame('cap', 'a'));
    await client.frames.next();
    client.write(dataFrame(new Uint8Array(5000)).subarray(0, 5)); // the header says 5001
    const frame = await client.frames.next();
    expect(errorCodeName(decodeError(frame.body).code)).toBe('FRAME_TOO_LARGE');
  });

  it('a text message is refused (close 1003), a message over 64 KiB too (1009); others go on', async () => {
    const server = await startWsServer();
    const text = await openWebSocket(server.wsUrl!);
    const textClosed = new Promise<number>((resolve) => text.once('close', resolve));
    text.send('hello');
    expect(await within(textClosed, 5_000, 'close')).toBe(1003);
    const big = await openWebSocket(server.wsUrl!);
    const bigClosed = new Promise<number>((resolve) => big.once('close', resolve));
    big.send(new Uint8Array(65_537));
    expect(await within(bigClosed, 5_000, 'close')).toBe(1009);
    const ok = await rawWsClient(server.wsUrl!);
    ok.write(helloFrame('fine', 'a'));
    expect(frameTypeName((await ok.frames.next()).type)).toBe('WAITING');
    await waitUntil(() => server.connections === 1, 5_000, 'the refused connections to be gone');
  });

  it('plain HTTP gets 426 without --web, the page with CSP headers with it; other paths 404', async () => {
    const plain = await startWsServer();
    const get = (url: string, method = 'GET') =>
      new Promise<{ status: number; headers: Record<string, unknown>; body: string }>((resolve, reject) => {
        const req = request(url.replace('ws:', 'http:'), { method }, (res) => {
          let body = '';
          res.setEncoding('utf8');
          res.on('data', (chunk: string) => (body += chunk));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
        });
        req.on('error', reject);
        req.end();
      });
    expect((await get(plain.wsUrl!)).status).toBe(426);
    const page = join(mkdtempSync(join(tmpdir(), 'arctalk-web-')), 'index.html');
    const html = `<!doctype html><meta http-equiv="Content-Security-Policy" content="default-src 'none'"><title>arctalk ☕</title>`;
    writeFileSync(page, html);
    const served = await startWsServer({ webPage: page });
    const response = await get(served.wsUrl!);
    expect(response.status).toBe(200);
    expect(response.body).toBe(html);
    expect(response.headers['content-security-policy']).toBe("default-src 'none'; frame-ancestors 'none'");
    expect(response.headers['content-type']).toBe('text/html; charset=utf-8');
    expect(response.headers['x-content-type-options']).toBe('nosniff');
    expect((await get(`${served.wsUrl}nothing`)).status).toBe(404);
    expect((await get(served.wsUrl!, 'POST')).status).toBe(405);
  });

  it('shutdown tells WebSocket clients SERVER_SHUTTING_DOWN', async () => {
    const server = await startWsServer();
    const client = await rawWsClient(server.wsUrl!);
    client.write(helloFrame('bye', 'a'));
    await client.frames.next();
    await server.shutdown();
    const frame = await client.frames.next();
    expect(errorCodeName(decodeError(frame.body).code)).toBe('SERVER_SHUTTING_DOWN');
    await within(client.closed, 5_000, 'close');
  });
});

/**
 * Pairs a raw TCP sender with a raw WebSocket receiver that stops reading, and has
 * the sender write `total` bytes of 64 KiB frames as fast as its socket takes them.
 * Resolves with how much the sender got rid of within `window` ms.
 */
async function stalledPair(tcpPort: number, wsUrl: string, total: number, window: number) {
  const receiver = await rawWsClient(wsUrl);
  receiver.write(helloFrame('stall', 'reader'));
  await receiver.frames.next(); // WAITING
  const sender = await rawClient(tcpPort);
  sender.write(helloFrame('stall', 'writer'));
  await sender.frames.next(); // PAIRED
  await receiver.frames.next(); // PAIRED
  receiver.ws.pause(); // the browser stops reading
  const frame = dataFrame(new Uint8Array(65_536 - 1).fill(7));
  let written = 0;
  const deadline = Date.now() + window;
  const socket: Socket = sender.socket;
  while (written < total && Date.now() < deadline) {
    written += frame.length;
    if (!socket.write(frame)) {
      const drained = await Promise.race([
        new Promise<boolean>((resolve) => socket.once('drain', () => resolve(true))),
        sleep(Math.max(0, deadline - Date.now())).then(() => false),
      ]);
      if (!drained) break;
    }
  }
  const accepted = written - socket.writableLength; // what left the sender's process
  return { receiver, sender, written, accepted, frameLength: frame.length };
}

describe('backpressure: a WebSocket client that stops reading', () => {
  it("stops the relay reading its TCP peer; the server's held bytes stay bounded; nothing is lost", async () => {
    const server = await startWsServer();
    const total = 96 * 1024 * 1024;
    let peak = 0;
    const sampler = setInterval(() => {
      peak = Math.max(peak, server.bufferedBytes());
    }, 5);
    const { receiver, sender, accepted, frameLength } = await stalledPair(
      server.port,
      server.wsUrl!,
      total,
      3_000,
    );
    clearInterval(sampler);
    peak = Math.max(peak, server.bufferedBytes());
    // The sender is stopped long before 96 MiB: only kernel buffers on the way hold the rest.
    expect(accepted).toBeLessThan(total / 2);
    // Two connections' worth of the per-connection bound (128 KiB each), and a message in flight.
    expect(peak).toBeLessThan(4 * 131_072 + 65_536);
    // The browser reads again: every byte the sender got rid of arrives, in whole frames.
    receiver.ws.resume();
    sender.socket.end();
    const expected = Math.floor((accepted + sender.socket.writableLength) / frameLength) * frameLength;
    await waitUntil(() => receiver.received() >= expected, 20_000, 'every byte to arrive');
    let data = 0;
    while (receiver.frames.pending > 0) {
      const frame = await receiver.frames.next();
      if (frame.type === FrameType.DATA) data += 5 + frame.body.length;
    }
    expect(data).toBeGreaterThanOrEqual(expected - frameLength);
  });

  it("the real server's resident memory stays bounded while a peer sends 96 MiB to a stalled reader", async () => {
    const child = spawnServer(['--port', '0', '--ws-port', '0', '--log-level', 'warn']);
    const { port } = await child.listening;
    await waitUntil(() => child.stdout.length >= 2, 5_000, 'the ws line');
    expect(child.stdout[0]).toBe(`listening on 127.0.0.1:${port}`);
    const wsUrl = /^listening on (ws:\/\/127\.0\.0\.1:\d+\/)$/.exec(child.stdout[1]!)?.[1];
    expect(wsUrl).toBeDefined();
    const rss = () => {
      const status = readFileSync(`/proc/${child.child.pid}/status`, 'utf8');
      return Number(/^VmRSS:\s+(\d+) kB/m.exec(status)?.[1]) * 1024;
    };
    const before = rss();
    const total = 96 * 1024 * 1024;
    const { accepted } = await stalledPair(port, wsUrl!, total, 3_000);
    const after = rss();
    expect(accepted).toBeLessThan(total / 2);
    // A naive relay holds what the sender got rid of (tens of MiB); this one holds kilobytes.
    expect(after - before).toBeLessThan(24 * 1024 * 1024);
  });
});

describe('arctalk-server --ws-port, --ws-host, --web', () => {
  it('prints the TCP line first, then the ws:// line; ARCTALK_WS_PORT and ARCTALK_WS_HOST work too', async () => {
    const child = spawnServer(['--port', '0'], { ARCTALK_WS_PORT: '0', ARCTALK_WS_HOST: 'localhost' });
    const { port } = await child.listening;
    await waitUntil(() => child.stdout.length >= 2, 5_000, 'the ws line');
    expect(child.stdout[0]).toBe(`listening on 127.0.0.1:${port}`);
    expect(child.stdout[1]).toMatch(/^listening on ws:\/\/(127\.0\.0\.1|\[::1\]):\d+\/$/);
    const url = child.stdout[1]!.slice('listening on '.length);
    const client = await rawWsClient(url);
    client.write(helloFrame('cli', 'a'));
    expect(frameTypeName((await client.frames.next()).type)).toBe('WAITING');
  });

  it.each([
    [['--web'], /'--web' needs --ws-port/],
    [['--ws-host', '127.0.0.1'], /'--ws-host' needs --ws-port/],
    [
      ['--ws-port', '70000'],
      /^arctalk-server: option '--ws-port <port>' argument '70000' is invalid\. expected 0\.\.65535/,
    ],
    [
      ['--ws-port', 'x'],
      /^arctalk-server: option '--ws-port <port>' argument 'x' is invalid\. expected a whole number/,
    ],
  ])('%j is a usage error (exit 2)', async (args, message) => {
    const { code, stderr } = await runCli(['--port', '0', ...args]);
    expect(code).toBe(2);
    expect(stderr).toMatch(message);
  });

  it('a WebSocket port in use: exit 1, naming the ws:// address, and the TCP port is released', async () => {
    const taken = await startTestServer();
    const { code, stderr } = await runCli(['--port', '0', '--ws-port', String(taken.port)]);
    expect(code).toBe(1);
    expect(stderr).toContain(`cannot listen on ws://127.0.0.1:${taken.port}/: address already in use`);
  });
});
