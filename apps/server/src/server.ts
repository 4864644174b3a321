/**
 * The TCP side of the relay. `@arctalk/protocol`'s sans-IO `Relay` decides everything
 * about frames, rooms and pairing; this module owns what it cannot: sockets (one
 * connection id per socket), timers (handshake, idle, close linger), connection caps,
 * backpressure, logs and graceful shutdown. It executes the relay's actions in order:
 * `send` writes bytes to a socket, `close` ends one, `stop-timer` clears a
 * connection's handshake timer (the relay accepted its HELLO: the handshake timeout
 * is the time from accept to an accepted HELLO), `log` becomes a log event.
 *
 * Backpressure: when a write to a connection returns `false` (its socket buffer is
 * over the high-water mark), the connection whose bytes caused that write is paused
 * until the target emits `drain`. A pair therefore holds at most about one socket
 * buffer and one read chunk per direction in user space, whatever the clients do.
 *
 * @module
 */
import { createServer, type Server, type Socket } from 'node:net';
import { ErrorCode, errorCodeName, Relay, type RelayAction } from '@arctalk/protocol';
import pino from 'pino';
import { DEFAULT_CONFIG, formatAddress, type ServerConfig } from './config.js';
import type { Logger } from './logger.js';

/** Options of {@link startServer}: any {@link ServerConfig} field, plus a logger. */
export interface StartServerOptions extends Partial<Omit<ServerConfig, 'logLevel'>> {
  /** Where events go; defaults to a silent logger. */
  logger?: Logger;
}

/** A running relay, as returned by {@link startServer}. */
export interface ArctalkServer {
  /** The bound address (no brackets for IPv6). */
  readonly host: string;
  /** The bound port (the real one when 0 was asked for). */
  readonly port: number;
  /** `HOST:PORT` as printed in `listening on HOST:PORT`. */
  readonly address: string;
  /** Open TCP connections, closing ones included. */
  readonly connections: number;
  /**
   * Bytes this process holds for its connections: the sockets' user-space buffers
   * (unsent output, unread input) plus the relay's partial frames (at most one,
   * ≤ `maxFrameLength`, per connection). This is what backpressure keeps bounded.
   */
  bufferedBytes(): number;
  /**
   * Stops accepting, tells every client SERVER_SHUTTING_DOWN, lets their last frames
   * flush for up to `closeTimeout` ms, then destroys what is left.
   * @returns resolves when every socket and the listener are closed
   */
  shutdown(): Promise<void>;
}

interface Connection {
  readonly id: string;
  readonly socket: Socket;
  readonly remote: string;
  /** The relay knows this id (opened, not yet closed by it or by us). */
  inRelay: boolean;
  /** The relay (or the server) asked to close it: input is discarded from then on. */
  closing: boolean;
  handshakeTimer: NodeJS.Timeout | undefined;
  lingerTimer: NodeJS.Timeout | undefined;
  /** How many full targets this connection is paused for. */
  blockers: number;
  /** Connections paused until this one drains. */
  waiters: Connection[] | undefined;
}

const silent = pino({ level: 'silent' });

/**
 * Starts the relay and resolves once it is listening.
 *
 * @param options - listen address, limits, timers and logger; defaults in {@link DEFAULT_CONFIG}
 * @returns the running server
 * @throws {Error} (rejects) when the address cannot be bound, e.g. `EADDRINUSE` or `EACCES`
 * @example
 * const server = await startServer({ port: 0 });
 * console.log(`listening on ${server.address}`);
 * await server.shutdown();
 */
export async function startServer(options: StartServerOptions = {}): Promise<ArctalkServer> {
  const config = { ...DEFAULT_CONFIG, ...dropUndefined(options) };
  const relayServer = new RelayServer(config, options.logger ?? silent);
  await relayServer.listen();
  return relayServer;
}

function dropUndefined<T extends object>(object: T): Partial<T> {
  return Object.fromEntries(Object.entries(object).filter(([, value]) => value !== undefined)) as Partial<T>;
}

class RelayServer implements ArctalkServer {
  readonly #config: Omit<ServerConfig, 'logLevel'>;
  readonly #log: Logger;
  readonly #relay: Relay;
  readonly #server: Server;
  readonly #connections = new Map<string, Connection>();
  readonly #perAddress = new Map<string, number>();
  /** Sockets refused at accept time, lingering while their ERROR flushes. */
  readonly #rejected = new Set<Socket>();
  readonly #debug: boolean;
  #nextId = 0;
  #host = '';
  #port = 0;
  #shutdown: Promise<void> | undefined;

  constructor(config: Omit<ServerConfig, 'logLevel'>, log: Logger) {
    this.#config = config;
    this.#log = log;
    this.#debug = log.isLevelEnabled('debug');
    this.#relay = new Relay({ maxFrameLength: config.maxFrameLength });
    this.#server = createServer({ noDelay: true }, (socket) => this.#accept(socket));
  }

  get host(): string {
    return this.#host;
  }

  get port(): number {
    return this.#port;
  }

  get address(): string {
    return formatAddress(this.#host, this.#port);
  }

  get connections(): number {
    return this.#connections.size + this.#rejected.size;
  }

  bufferedBytes(): number {
    let total = 0;
    for (const { socket } of this.#connections.values())
      total += socket.writableLength + socket.readableLength;
    for (const socket of this.#rejected) total += socket.writableLength + socket.readableLength;
    return total + this.#relay.bufferedBytes();
  }

  listen(): Promise<void> {
    return new Promise((resolve, reject) => {
      const onError = (error: Error) => reject(error);
      this.#server.once('error', onError);
      this.#server.listen({ host: this.#config.host, port: this.#config.port, exclusive: true }, () => {
        this.#server.off('error', onError);
        // From now on a listener error (e.g. EMFILE on accept) is logged, not fatal.
        this.#server.on('error', (error) =>
          this.#log.error({ event: 'error', err: error }, 'listener error'),
        );
        const bound = this.#server.address();
        if (bound && typeof bound === 'object') {
          this.#host = bound.address;
          this.#port = bound.port;
        }
        this.#log.info({ event: 'listen', address: this.address }, 'listening');
        resolve();
      });
    });
  }

  shutdown(): Promise<void> {
    this.#shutdown ??= this.#doShutdown();
    return this.#shutdown;
  }

  async #doShutdown(): Promise<void> {
    this.#log.info({ event: 'shutdown', connections: this.connections }, 'shutting down');
    const listenerClosed = new Promise<void>((resolve) => this.#server.close(() => resolve()));
    this.#execute(
      this.#call(undefined, () => this.#relay.shutdown()),
      undefined,
    );
    for (const connection of this.#connections.values()) {
      if (!connection.closing) this.#close(connection);
    }
    const deadline = setTimeout(() => {
      for (const { socket } of this.#connections.values()) socket.destroy();
      for (const socket of this.#rejected) socket.destroy();
    }, this.#config.closeTimeout);
    await Promise.all([
      listenerClosed,
      ...[...this.#connections.values()].map(({ socket }) => closed(socket)),
    ]);
    await Promise.all([...this.#rejected].map(closed));
    clearTimeout(deadline);
    this.#log.info({ event: 'stopped' }, 'stopped');
  }

  #accept(socket: Socket): void {
    const remote = socket.remoteAddress;
    if (this.#shutdown || remote === undefined) {
      socket.destroy();
      return;
    }
    const id = `c${++this.#nextId}`;
    const fromAddress = this.#perAddress.get(remote) ?? 0;
    if (this.#connections.size >= this.#config.maxConnections) {
      this.#reject(socket, id, remote, 'too many connections');
      return;
    }
    if (fromAddress >= this.#config.maxConnectionsPerAddress) {
      this.#reject(socket, id, remote, 'too many connections from this address');
      return;
    }
    this.#perAddress.set(remote, fromAddress + 1);
    const connection: Connection = {
      id,
      socket,
      remote,
      inRelay: true,
      closing: false,
      handshakeTimer: undefined,
      lingerTimer: undefined,
      blockers: 0,
      waiters: undefined,
    };
    this.#connections.set(id, connection);
    socket.setNoDelay(true);
    if (this.#config.idleTimeout > 0) socket.setTimeout(this.#config.idleTimeout);
    connection.handshakeTimer = setTimeout(
      () => this.#timeout(connection, 'handshake'),
      this.#config.handshakeTimeout,
    );
    socket.on('data', (chunk: Buffer) => this.#data(connection, chunk));
    socket.on('drain', () => this.#release(connection));
    socket.on('timeout', () => this.#timeout(connection, 'idle'));
    socket.on('error', (error: NodeJS.ErrnoException) =>
      this.#log.info(
        { event: 'socket-error', conn: id, code: error.code, message: error.message },
        'socket error',
      ),
    );
    socket.on('close', () => this.#closed(connection));
    this.#log.info({ event: 'connect', conn: id, remote, connections: this.#connections.size }, 'connect');
    this.#execute(
      this.#call(connection, () => this.#relay.open(id)),
      connection,
    );
  }

  /** Refuses a connection over a cap: ERROR TOO_MANY_CONNECTIONS, then close. */
  #reject(socket: Socket, id: string, remote: string, message: string): void {
    this.#log.warn({ event: 'reject', conn: id, remote, reason: message }, 'connection refused');
    // A flood of refused sockets must not hold memory either: past a backlog, drop them bare.
    if (this.#rejected.size >= Math.min(this.#config.maxConnections, 1024)) {
      socket.destroy();
      return;
    }
    this.#rejected.add(socket);
    socket.on('error', () => {});
    socket.on('data', () => {});
    socket.on('close', () => {
      clearTimeout(linger);
      this.#rejected.delete(socket);
    });
    const linger = setTimeout(() => socket.destroy(), this.#config.closeTimeout);
    try {
      for (const action of this.#relay.reject(id, ErrorCode.TOO_MANY_CONNECTIONS, message)) {
        if (action.type === 'send' && action.connId === id) socket.write(action.bytes);
      }
    } catch (error) {
      this.#log.error({ event: 'error', conn: id, err: error }, 'relay failed to build a refusal');
    }
    socket.end();
  }

  #data(connection: Connection, chunk: Buffer): void {
    if (connection.closing) return; // discard: we already said our last word
    this.#execute(
      this.#call(connection, () => this.#relay.receive(connection.id, chunk)),
      connection,
    );
  }

  #timeout(connection: Connection, kind: 'handshake' | 'idle'): void {
    if (connection.closing || !connection.inRelay) return;
    if (kind === 'handshake' && connection.handshakeTimer === undefined) return; // stopped meanwhile
    this.#log.info({ event: 'timeout', conn: connection.id, kind }, `${kind} timeout`);
    this.#execute(
      this.#call(connection, () => this.#relay.timeout(connection.id, kind)),
      connection,
    );
    // Whatever the relay decided, a timed-out connection does not stay.
    if (!connection.closing) this.#close(connection);
  }

  /**
   * Runs one relay call. The relay never throws on bad input; if it throws anyway it
   * is a bug: log it, drop that one connection, keep serving the others.
   */
  #call(connection: Connection | undefined, call: () => RelayAction[]): RelayAction[] {
    try {
      return call();
    } catch (error) {
      this.#log.error({ event: 'error', conn: connection?.id, err: error }, 'relay threw');
      if (connection) {
        connection.inRelay = false;
        connection.closing = true;
        connection.socket.destroy();
      }
      return [];
    }
  }

  #execute(actions: RelayAction[], source: Connection | undefined): void {
    const count = actions.length;
    if (count === 1) {
      this.#perform(actions[0]!, source);
      return;
    }
    // Several writes from one read are gathered into one writev per socket.
    let corked: Socket[] | undefined;
    for (let i = 0; i < count; i++) {
      const action = actions[i]!;
      if (action.type === 'send') {
        const target = this.#connections.get(action.connId);
        if (target && !target.socket.writableCorked) {
          target.socket.cork();
          corked ??= [];
          corked.push(target.socket);
        }
      }
      this.#perform(action, source);
    }
    if (corked) for (const socket of corked) socket.uncork();
  }

  #perform(action: RelayAction, source: Connection | undefined): void {
    switch (action.type) {
      case 'send': {
        const target = this.#connections.get(action.connId);
        if (!target || target.socket.writableEnded || target.socket.destroyed) return;
        if (!target.socket.write(action.bytes) && source && !source.closing) this.#block(source, target);
        return;
      }
      case 'close': {
        const target = this.#connections.get(action.connId);
        if (!target) return;
        target.inRelay = false;
        this.#close(target);
        return;
      }
      case 'stop-timer': {
        const target = this.#connections.get(action.connId);
        if (target) {
          clearTimeout(target.handshakeTimer);
          target.handshakeTimer = undefined;
        }
        return;
      }
      case 'log':
        this.#relayLog(action);
        return;
    }
  }

  #relayLog(action: Extract<RelayAction, { type: 'log' }>): void {
    const { event, connId: conn, peerId: peer, code, message } = action;
    const room = this.#debug ? action.room : undefined;
    switch (event) {
      case 'hello':
        this.#log.debug({ event: 'hello', conn, room }, 'hello');
        return;
      case 'paired':
        this.#log.info({ event: 'pair', conn, peer, room }, 'pair');
        return;
      case 'left':
        this.#log.info({ event: 'leave', conn, peer, room }, 'leave');
        return;
      case 'error':
        this.#log.info(
          {
            event: 'error',
            conn,
            code,
            codeName: code === undefined ? undefined : errorCodeName(code),
            message,
          },
          'client error',
        );
        return;
    }
  }

  /** Pauses `source` until `target` drains. */
  #block(source: Connection, target: Connection): void {
    target.waiters ??= [];
    if (target.waiters.includes(source)) return;
    target.waiters.push(source);
    if (source.blockers++ === 0) source.socket.pause();
  }

  /** `connection` drained (or went away): resume the connections waiting on it. */
  #release(connection: Connection): void {
    const waiters = connection.waiters;
    if (!waiters) return;
    connection.waiters = undefined;
    for (const waiter of waiters) {
      if (--waiter.blockers === 0 && !waiter.socket.destroyed) waiter.socket.resume();
    }
  }

  /** Ends a connection after its pending output; destroys it if it will not flush in time. */
  #close(connection: Connection): void {
    if (connection.closing && connection.lingerTimer) return;
    connection.closing = true;
    clearTimeout(connection.handshakeTimer);
    connection.handshakeTimer = undefined;
    connection.socket.setTimeout(0);
    connection.lingerTimer = setTimeout(() => connection.socket.destroy(), this.#config.closeTimeout);
    // Keep reading (and discarding) so that the client's FIN is seen and no RST is sent.
    connection.socket.resume();
    connection.socket.end();
  }

  /** The socket is gone: free its slot, wake its waiters, tell the relay (the peer gets PEER_LEFT). */
  #closed(connection: Connection): void {
    const { id, socket, remote } = connection;
    clearTimeout(connection.handshakeTimer);
    clearTimeout(connection.lingerTimer);
    this.#connections.delete(id);
    const fromAddress = (this.#perAddress.get(remote) ?? 1) - 1;
    if (fromAddress > 0) this.#perAddress.set(remote, fromAddress);
    else this.#perAddress.delete(remote);
    this.#release(connection);
    this.#log.info(
      { event: 'disconnect', conn: id, bytesIn: socket.bytesRead, bytesOut: socket.bytesWritten },
      'disconnect',
    );
    if (connection.inRelay) {
      connection.inRelay = false;
      connection.closing = true;
      this.#execute(
        this.#call(undefined, () => this.#relay.close(id)),
        undefined,
      );
    }
  }
}

function closed(socket: Socket): Promise<void> {
  if (socket.closed) return Promise.resolve();
  return new Promise((resolve) => socket.once('close', () => resolve()));
}
