/**
 * The WebSocket transport of the relay (PROTOCOL.md §12, "Transports"): an HTTP
 * listener whose upgrades (RFC 6455, the `ws` library) become connections of the
 * same relay as the TCP ones. Each WebSocket connection is wrapped in a
 * {@link WebSocketConnection}, a byte stream with the few members of `net.Socket`
 * that server.ts uses, so that the TCP listener's code (limits, timers, per-address
 * caps, fairness, backpressure, the memory bound) runs unchanged for both and the
 * sans-IO `Relay` never learns which transport a connection came over.
 *
 * Messages: binary, each one any slice of the connection's frame stream, 1 to
 * {@link MAX_MESSAGE} bytes. A text message is refused (close 1003), a larger one too
 * (1009, by `ws`); permessage-deflate is off (encrypted bytes do not compress, and
 * inflation would be memory the bound does not see).
 *
 * Backpressure, both ways:
 * - in: the relay pausing a connection pauses its readable side; once that holds its
 *   high-water mark, `ws.pause()` stops reading the socket, so the client's own
 *   send buffer (a browser's `bufferedAmount`) fills, not ours;
 * - out: at most one message is handed to the socket at a time (`ws.send`'s callback
 *   fires once the kernel took it); the rest waits in the writable side, whose
 *   `writableNeedDrain` is what makes the relay stop reading the peer. A browser that
 *   stops reading therefore stops its peer's reads within a few socket buffers.
 *
 * Before the upgrade an HTTP connection is bounded too: headers within
 * `handshakeTimeout` and at most {@link MAX_HEADER} bytes, at most
 * `maxConnectionsPerAddress` upgrades pending per address, and plain HTTP requests
 * get the web page (`--web`) or 426 Upgrade Required.
 *
 * @module
 */
import { readFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { Duplex } from 'node:stream';
import { type WebSocket, WebSocketServer } from 'ws';
import { formatAddress } from './config.js';

/** The largest message accepted or sent, in bytes: one default-size frame's worth. */
export const MAX_MESSAGE = 65_536;

/** Largest HTTP request head accepted before the upgrade, in bytes. */
export const MAX_HEADER = 8_192;

/** What {@link listenWebSocket} needs. */
export interface WebSocketListenerOptions {
  host: string;
  port: number;
  backlog: number;
  /** Milliseconds an HTTP connection has to complete its upgrade request. */
  handshakeTimeout: number;
  /** Caps on HTTP connections not yet upgraded (upgraded ones are the relay's to count). */
  maxConnections: number;
  maxConnectionsPerAddress: number;
  /** The page to serve on `GET /` (`--web`): the file's path; none = 426 for plain HTTP. */
  webPage?: string | undefined;
  /** Maps a remote address to the key its per-address cap counts (server.ts `addressKey`). */
  addressKey: (remote: string) => string;
}

/** A listening WebSocket endpoint, as returned by {@link listenWebSocket}. */
export interface WebSocketListener {
  readonly host: string;
  readonly port: number;
  /** `ws://HOST:PORT/`, as printed in `listening on ws://HOST:PORT/`. */
  readonly url: string;
  /** Stops accepting and drops connections not yet upgraded; upgraded ones are the relay's. */
  close(): Promise<void>;
}

/**
 * Headers of the web page. Its Content-Security-Policy is its own meta tag's (which
 * covers file:// and other static hosts), plus `frame-ancestors 'none'`.
 */
export const PAGE_HEADERS = Object.freeze({
  'content-type': 'text/html; charset=utf-8',
  'x-content-type-options': 'nosniff',
  'referrer-policy': 'no-referrer',
  'cache-control': 'no-cache',
  'x-frame-options': 'DENY',
});

/**
 * Starts an HTTP listener that upgrades every request for `/` to a WebSocket and
 * hands it to `accept`.
 *
 * @param options - address, caps, timeouts, the optional page
 * @param accept - takes each new connection (server.ts's accept path)
 * @returns the listener once bound
 * @throws {Error} (rejects) when the address cannot be bound (`EADDRINUSE`, …) or the
 *   page cannot be read (`ENOENT`)
 */
export async function listenWebSocket(
  options: WebSocketListenerOptions,
  accept: (connection: WebSocketConnection) => void,
): Promise<WebSocketListener> {
  const page = options.webPage === undefined ? undefined : readFileSync(options.webPage);
  // The page's own policy (its meta tag) goes in a header too, where frame-ancestors works.
  const policy =
    page && /http-equiv="Content-Security-Policy" content="([^"]+)"/.exec(page.toString('utf8'))?.[1];
  const pageHeaders = {
    ...PAGE_HEADERS,
    ...(policy ? { 'content-security-policy': `${policy}; frame-ancestors 'none'` } : {}),
  };
  const wss = new WebSocketServer({
    noServer: true,
    maxPayload: MAX_MESSAGE,
    perMessageDeflate: false,
    clientTracking: false,
    skipUTF8Validation: true,
  });
  /** HTTP connections not yet upgraded, per address key. */
  const pending = new Map<string, number>();
  const sockets = new Set<Socket>();
  const server: Server = createServer(
    // Request timeouts are checked each second (Node's default: each 30 s).
    { maxHeaderSize: MAX_HEADER, connectionsCheckingInterval: 1_000 },
    (request, response) => serveHttp(request, response, page, pageHeaders),
  );
  server.headersTimeout = options.handshakeTimeout;
  server.requestTimeout = options.handshakeTimeout;
  server.keepAliveTimeout = 1_000;
  server.maxConnections = options.maxConnections + Math.min(options.maxConnections, 1024);
  server.on('connection', (socket: Socket) => {
    const key = options.addressKey(socket.remoteAddress ?? '');
    const count = pending.get(key) ?? 0;
    if (count >= options.maxConnectionsPerAddress) {
      socket.destroy();
      return;
    }
    pending.set(key, count + 1);
    sockets.add(socket);
    let counted = true;
    const release = () => {
      if (!counted) return;
      counted = false;
      sockets.delete(socket);
      const left = (pending.get(key) ?? 1) - 1;
      if (left > 0) pending.set(key, left);
      else pending.delete(key);
    };
    socket.once('close', release);
    socket.once('arctalk-upgraded', release);
  });
  server.on('upgrade', (request: IncomingMessage, socket: Socket, head: Buffer) => {
    socket.emit('arctalk-upgraded');
    socket.on('error', () => {}); // until ws takes it over
    const path = (request.url ?? '/').split('?')[0];
    if (path !== '/') {
      socket.end('HTTP/1.1 404 Not Found\r\nconnection: close\r\ncontent-length: 0\r\n\r\n');
      return;
    }
    wss.handleUpgrade(request, socket, head, (ws) => accept(new WebSocketConnection(ws, socket)));
  });
  server.on('clientError', (error: NodeJS.ErrnoException, socket: Socket) => {
    if (!socket.writable) {
      socket.destroy();
      return;
    }
    const status =
      error.code === 'ERR_HTTP_REQUEST_TIMEOUT'
        ? '408 Request Timeout'
        : error.code === 'HPE_HEADER_OVERFLOW'
          ? '431 Request Header Fields Too Large'
          : '400 Bad Request';
    socket.end(`HTTP/1.1 ${status}\r\nconnection: close\r\ncontent-length: 0\r\n\r\n`);
  });

  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(
      { host: options.host, port: options.port, backlog: options.backlog, exclusive: true },
      () => {
        server.off('error', reject);
        resolve();
      },
    );
  });
  server.on('error', () => {}); // accept errors (EMFILE): libuv drops the connection
  const bound = server.address();
  const host = bound && typeof bound === 'object' ? bound.address : options.host;
  const port = bound && typeof bound === 'object' ? bound.port : options.port;
  let closing: Promise<void> | undefined;
  return {
    host,
    port,
    url: `ws://${formatAddress(host, port)}/`,
    close() {
      closing ??= new Promise<void>((resolve) => {
        server.close(() => resolve());
        // Upgraded sockets are the relay's: it closes them. Those not upgraded go now.
        for (const socket of sockets) socket.destroy();
        server.closeIdleConnections();
      });
      return closing;
    },
  };
}

function serveHttp(
  request: IncomingMessage,
  response: ServerResponse,
  page: Buffer | undefined,
  headers: Record<string, string>,
): void {
  const path = (request.url ?? '/').split('?')[0];
  response.shouldKeepAlive = false;
  if (page === undefined) {
    response
      .writeHead(426, {
        'content-type': 'text/plain; charset=utf-8',
        upgrade: 'websocket',
        connection: 'close',
      })
      .end('arctalk relay: this port speaks WebSocket (ws://); the web page is served with --web\n');
    return;
  }
  if (request.method !== 'GET' && request.method !== 'HEAD') {
    response.writeHead(405, { allow: 'GET, HEAD', connection: 'close' }).end();
    return;
  }
  if (path !== '/' && path !== '/index.html') {
    response
      .writeHead(404, { 'content-type': 'text/plain; charset=utf-8', connection: 'close' })
      .end('not found\n');
    return;
  }
  response.writeHead(200, { ...headers, 'content-length': page.length, connection: 'close' });
  response.end(request.method === 'HEAD' ? undefined : page);
}

/**
 * One WebSocket connection as the relay sees it: a byte stream (a `Duplex` of the
 * frame stream's bytes) with the members of `net.Socket` that server.ts uses:
 * `remoteAddress`, `setTimeout` (idle, on the underlying socket, its `'timeout'`
 * event re-emitted), `setNoDelay`, `bytesRead` / `bytesWritten`.
 *
 * `writableLength` and `readableLength` count the underlying socket's buffers too,
 * so that the relay's per-connection bound counts every byte held for it.
 */
export class WebSocketConnection extends Duplex {
  readonly #ws: WebSocket;
  readonly #socket: Socket;
  /** The client address, as on the underlying TCP socket. */
  readonly remoteAddress: string | undefined;
  #gone = false;

  constructor(ws: WebSocket, socket: Socket) {
    super({ allowHalfOpen: true, autoDestroy: false, emitClose: false });
    this.#ws = ws;
    this.#socket = socket;
    this.remoteAddress = socket.remoteAddress;
    ws.on('message', (data: Buffer, isBinary: boolean) => {
      if (this.#gone) return;
      if (!isBinary) {
        ws.close(1003, 'binary messages only');
        return;
      }
      if (data.length === 0) return;
      if (!this.push(data)) ws.pause();
    });
    ws.on('error', () => {}); // followed by 'close'; the relay logs the disconnect
    ws.on('close', () => {
      this.#gone = true;
      this.push(null);
      this.destroy();
      this.emit('close');
    });
    socket.on('timeout', () => this.emit('timeout'));
  }

  override _read(): void {
    this.#ws.resume();
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    this.#send(chunk, callback);
  }

  override _writev(
    chunks: { chunk: Buffer; encoding: BufferEncoding }[],
    callback: (error?: Error | null) => void,
  ): void {
    this.#send(
      chunks.length === 1 ? chunks[0]!.chunk : Buffer.concat(chunks.map(({ chunk }) => chunk)),
      callback,
    );
  }

  /** Sends `bytes` as messages of at most MAX_MESSAGE; `callback` once the kernel has them all. */
  #send(bytes: Buffer, callback: (error?: Error | null) => void): void {
    if (this.#gone || this.#ws.readyState !== this.#ws.OPEN) {
      callback(); // the peer is gone: what it would have got is dropped, as on a closed TCP socket
      return;
    }
    let offset = 0;
    const next = (error?: Error) => {
      if (error || offset >= bytes.length) {
        callback(this.#gone ? undefined : error);
        return;
      }
      const end = Math.min(bytes.length, offset + MAX_MESSAGE);
      const slice = bytes.subarray(offset, end);
      offset = end;
      this.#ws.send(slice, { binary: true, compress: false }, next);
    };
    next();
  }

  override _final(callback: (error?: Error | null) => void): void {
    // Our last frames are with the socket: say goodbye (the close handshake waits for
    // the client's Close; the relay's close timer destroys us if it never comes).
    if (!this.#gone) this.#ws.close(1000);
    callback();
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    if (!this.#gone) {
      this.#gone = true;
      this.#ws.terminate();
    }
    callback(error);
  }

  /** Idle timeout on the underlying socket (bytes either way, pings included); 0 = off. */
  setTimeout(ms: number): this {
    this.#socket.setTimeout(ms);
    return this;
  }

  /** The underlying socket has Nagle off already (`ws` sets it); kept for the Socket shape. */
  setNoDelay(noDelay = true): this {
    this.#socket.setNoDelay(noDelay);
    return this;
  }

  get bytesRead(): number {
    return this.#socket.bytesRead;
  }

  get bytesWritten(): number {
    return this.#socket.bytesWritten;
  }

  /** Bytes in the underlying socket's buffers: unsent (`writable`) and unread (`readable`). */
  get socketBuffered(): { writable: number; readable: number } {
    return { writable: this.#socket.writableLength, readable: this.#socket.readableLength };
  }
}

// `writableLength` / `readableLength` of a WebSocketConnection add the underlying
// socket's buffers to the stream's own (TypeScript types these as fields, so they
// are redefined here rather than overridden in the class body).
for (const [name, side] of [
  ['writableLength', 'writable'],
  ['readableLength', 'readable'],
] as const) {
  const own = inheritedGetter(Duplex.prototype, name);
  Object.defineProperty(WebSocketConnection.prototype, name, {
    configurable: true,
    get(this: WebSocketConnection) {
      return (own.call(this) as number) + this.socketBuffered[side];
    },
  });
}

function inheritedGetter(prototype: object, name: string): () => unknown {
  for (let at: object | null = prototype; at !== null; at = Object.getPrototypeOf(at)) {
    const getter = Object.getOwnPropertyDescriptor(at, name)?.get;
    if (getter) return getter;
  }
  throw new Error(`no getter ${name}`);
}
