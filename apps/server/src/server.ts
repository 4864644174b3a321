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
 * One bound per connection (`maxBuffer`) counts every byte held for it: its partial
 * frame in the relay, its unread input and its unsent output (PONGs, ERRORs, its
 * peer's frames). Past it the connection is not read until its output drains. Two
 * timers end what backpressure alone would hold forever: output that does not drain
 * for `stallTimeout` (ERROR SLOW_CONSUMER), and an unfinished frame that gains less
 * than 1 KiB in `frameTimeout` while we are reading it (ERROR FRAME_TIMEOUT).
 *
 * File descriptors: at listen time the server reads its open-file limit and how many
 * descriptors it already uses (Linux /proc), and keeps FD_SPARE of them free: a
 * connection past that is refused like one over --max-connections (ERROR
 * TOO_MANY_CONNECTIONS, or dropped bare when even the spares are in use), and the
 * server keeps serving the connections it has. Should accept() fail anyway (EMFILE,
 * ENFILE: descriptors used elsewhere), libuv closes the waiting connections with its
 * spare descriptor. Refusals of every kind are logged at most once a second, with a
 * count, so that a flood of them cannot flood the log.
 *
 * @module
 */
import { readdirSync, readFileSync } from 'node:fs';
import { createServer, type Server, type Socket } from 'node:net';
import { ErrorCode, errorCodeName, Relay, type RelayAction } from '@arctalk/protocol';
import pino from 'pino';
import {
  DEFAULT_CONFIG,
  effectiveMaxBuffer,
  FRAME_PROGRESS,
  formatAddress,
  type ServerConfig,
} from './config.js';
import type { ClusterInfo, ConnectionGate, GateHost } from './gate.js';
import type { Logger } from './logger.js';
import { listenWebSocket, WebSocketConnection, type WebSocketListener } from './websocket.js';

/** A connection's byte stream: a TCP socket, or a WebSocket (websocket.ts) shaped like one. */
type RelaySocket = Socket | WebSocketConnection;

/** Options of {@link startServer}: any {@link ServerConfig} field, plus a logger. */
export interface StartServerOptions extends Partial<Omit<ServerConfig, 'logLevel'>> {
  /** Where events go; defaults to a silent logger. */
  logger?: Logger;
  /** Redis key prefix of a cluster (tests share one Redis); default `arctalk:`. */
  redisPrefix?: string;
}

/** A running relay, as returned by {@link startServer}. */
export interface ArctalkServer {
  /** The bound address (no brackets for IPv6). */
  readonly host: string;
  /** The bound port (the real one when 0 was asked for). */
  readonly port: number;
  /** `HOST:PORT` as printed in `listening on HOST:PORT`. */
  readonly address: string;
  /** `ws://HOST:PORT/` of the WebSocket listener (`wsPort`), as printed; undefined without one. */
  readonly wsUrl: string | undefined;
  /** Open TCP connections, closing ones included. */
  readonly connections: number;
  /**
   * Bytes this process holds for its connections: the sockets' user-space buffers
   * (unsent output, unread input) plus the relay's partial frames (at most one,
   * ≤ `maxFrameLength`, per connection). This is what backpressure keeps bounded.
   *
   * @param connId - one connection (`c1`, `c2`, … as in the log); all when omitted
   */
  bufferedBytes(connId?: string): number;
  /** The cluster this relay is part of (`--redis`); undefined for a single relay. */
  readonly cluster: ClusterInfo | undefined;
  /**
   * Stops accepting, tells every client SERVER_SHUTTING_DOWN, lets their last frames
   * flush for up to `closeTimeout` ms, then destroys what is left.
   * @returns resolves when every socket and the listener are closed
   */
  shutdown(): Promise<void>;
}

interface Connection {
  readonly id: string;
  readonly socket: RelaySocket;
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
  /** Runs while this connection's output is over the high-water mark and has not drained. */
  stallTimer: NodeJS.Timeout | undefined;
  /** Runs while an unfinished frame is being read (suspended while we do not read). */
  frameTimer: NodeJS.Timeout | undefined;
  /** The unfinished frame the frame timer watches: its start offset, its bytes at the last rearm. */
  frameStart: number;
  frameMark: number;
  /** Bytes read in event-loop turn `turn` (see TURN_BUDGET). */
  turnBytes: number;
  turn: number;
  /** Token bucket of replies (PONGs): bytes it may still be sent at once, as of `replyAt` (ms). */
  replyTokens: number;
  replyAt: number;
  replyTimer: NodeJS.Timeout | undefined;
}

/**
 * Replies (PONGs) a connection gets at once, in bytes: about 400 to 3,200 PINGs. A
 * flooder's first read (up to 64 KiB of PINGs) already puts it in debt, so it costs
 * one read, not two.
 */
const REPLY_BURST = 16_384;
/** ...then per second: an honest client PINGs once in 30 s. */
const REPLY_RATE = 4_096;

/**
 * Fair shares of the event loop, applied only under contention (more than one
 * connection read in this turn or the last): then a connection yields until the next
 * turn once it has been read SLICE bytes in this one. libuv reads a socket up to 32
 * times (2 MiB) per turn; a few hundred flooders doing that would hold the loop for
 * seconds while an honest pair waits. A lone stream is never slowed.
 */
const SLICE = 262_144;

/**
 * What all connections together may have processed in one contended turn; past it, a
 * read is put back (unshift) and processed first next turn. A turn then lasts a few
 * milliseconds at most, whatever hundreds of flooders send: the accept path and
 * honest pairs wait that long, not seconds.
 */
const TURN_TOTAL = 1_048_576;

/** A read this small is processed even over TURN_TOTAL. */
const SMALL_READ = 4_096;

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
  const log = options.logger ?? silent;
  const relayServer = new RelayServer(config, log);
  if (config.redis !== '') {
    // Loaded only for a cluster: a single relay needs neither ioredis nor Redis.
    const { startCluster } = await import('./cluster.js');
    relayServer.gate = await startCluster(relayServer, { ...config, redisPrefix: options.redisPrefix }, log);
  }
  try {
    await relayServer.listen();
  } catch (error) {
    await relayServer.gate?.shutdown();
    throw error;
  }
  if (config.wsPort !== undefined) {
    try {
      await relayServer.listenWebSocket();
    } catch (error) {
      await relayServer.shutdown();
      throw Object.assign(error as Error, { listener: 'ws' });
    }
  }
  return relayServer;
}

function dropUndefined<T extends object>(object: T): Partial<T> {
  return Object.fromEntries(Object.entries(object).filter(([, value]) => value !== undefined)) as Partial<T>;
}

class RelayServer implements ArctalkServer, GateHost {
  /** Set by a cluster: new connections go to it first (see cluster.ts). */
  gate: ConnectionGate | undefined;
  /** Sockets the gate holds (admitted and counted, not yet adopted). */
  readonly #gated = new Set<Socket>();
  readonly #config: Omit<ServerConfig, 'logLevel'>;
  readonly #log: Logger;
  readonly #relay: Relay;
  readonly #server: Server;
  readonly #connections = new Map<string, Connection>();
  readonly #perAddress = new Map<string, number>();
  /** Sockets refused at accept time, lingering while their ERROR flushes. */
  readonly #rejected = new Set<RelaySocket>();
  readonly #debug: boolean;
  readonly #maxBuffer: number;
  /** Refusals since the last log line, by reason; the timer that writes the next line. */
  #refused = new Map<string, number>();
  #refusedTimer: NodeJS.Timeout | undefined;
  /** Connections (open + refusals lingering) the open-file limit allows; set at listen. */
  #fdBudget = Number.POSITIVE_INFINITY;
  /** The event-loop turn (it advances in setImmediate once a turn has read something). */
  #turn = 0;
  #turnScheduled = false;
  /** Connections that used their TURN_BUDGET: resumed next turn. */
  #yielded: Connection[] = [];
  /** Connections whose read was put back (over TURN_TOTAL): resumed first next turn. */
  #deferred: Connection[] = [];
  /** Bytes processed in this turn, all connections together. */
  #turnTotal = 0;
  /** Connections read in this turn, and in the one before. */
  #turnReaders = 0;
  #lastTurnReaders = 0;
  #nextId = 0;
  #host = '';
  #port = 0;
  #shutdown: Promise<void> | undefined;
  #ws: WebSocketListener | undefined;

  constructor(config: Omit<ServerConfig, 'logLevel'>, log: Logger) {
    this.#config = config;
    this.#log = log;
    this.#debug = log.isLevelEnabled('debug');
    this.#maxBuffer = effectiveMaxBuffer(config);
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

  get wsUrl(): string | undefined {
    return this.#ws?.url;
  }

  /** Opens the WebSocket listener (websocket.ts): its connections take the TCP accept path. */
  async listenWebSocket(): Promise<void> {
    const { wsHost, wsPort, host, webPage } = this.#config;
    this.#ws = await listenWebSocket(
      { ...this.#config, host: wsHost ?? host, port: wsPort ?? 0, webPage, addressKey },
      (socket) => this.#accept(socket),
    );
    this.#log.info({ event: 'listen', address: this.#ws.url }, 'listening');
  }

  get connections(): number {
    return this.#connections.size + this.#rejected.size + this.#gated.size;
  }

  get cluster(): ClusterInfo | undefined {
    return this.gate?.info;
  }

  bufferedBytes(connId?: string): number {
    if (connId !== undefined) {
      const connection = this.#connections.get(connId);
      return connection ? this.#held(connection) : 0;
    }
    let total = 0;
    for (const { socket } of this.#connections.values())
      total += socket.writableLength + socket.readableLength;
    for (const socket of this.#rejected) total += socket.writableLength + socket.readableLength;
    return total + this.#relay.bufferedBytes() + (this.gate?.bufferedBytes() ?? 0);
  }

  listen(): Promise<void> {
    return new Promise((resolve, reject) => {
      const onError = (error: Error) => reject(error);
      this.#server.once('error', onError);
      const { host, port, backlog } = this.#config;
      this.#server.listen({ host, port, backlog, exclusive: true }, () => {
        this.#server.off('error', onError);
        // From now on a listener error (e.g. EMFILE on accept) is logged, not fatal.
        this.#server.on('error', (error: NodeJS.ErrnoException) => this.#listenerError(error));
        const bound = this.#server.address();
        if (bound && typeof bound === 'object') {
          this.#host = bound.address;
          this.#port = bound.port;
        }
        this.#log.info({ event: 'listen', address: this.address }, 'listening');
        const limit = openFileLimit();
        const used = openFiles();
        if (limit !== undefined && used !== undefined) this.#fdBudget = limit - used - FD_SPARE;
        if (this.#fdBudget < this.#config.maxConnections) {
          this.#log.warn(
            {
              event: 'fd-limit',
              limit,
              used,
              connections: Math.max(0, this.#fdBudget),
              maxConnections: this.#config.maxConnections,
            },
            'the open-file limit allows fewer connections than --max-connections (raise ulimit -n)',
          );
        }
        resolve();
      });
    });
  }

  /**
   * EMFILE / ENFILE: libuv has accepted and closed the waiting connections (it keeps a
   * spare descriptor for that); nothing can be said to them. Logged at once, then at
   * most once a second with the count since the last line.
   */
  #listenerError(error: NodeJS.ErrnoException): void {
    if (error.code !== 'EMFILE' && error.code !== 'ENFILE') {
      this.#log.error({ event: 'error', err: error }, 'listener error');
      return;
    }
    this.#countRefusal(`accept failed: ${error.code}`);
  }

  /**
   * Counts a refused connection. The first refusal is logged at once; after it, one
   * line a second at most, with the count per reason since the last line.
   */
  #countRefusal(reason: string): void {
    this.#refused.set(reason, (this.#refused.get(reason) ?? 0) + 1);
    if (this.#refusedTimer !== undefined) return;
    const report = () => {
      if (this.#refused.size === 0) {
        this.#refusedTimer = undefined;
        return;
      }
      for (const [why, count] of this.#refused) {
        this.#log.warn(
          { event: 'reject', reason: why, refused: count, connections: this.#connections.size },
          'connections refused',
        );
      }
      this.#refused.clear();
      this.#refusedTimer = setTimeout(report, 1_000);
      this.#refusedTimer.unref();
    };
    report();
  }

  shutdown(): Promise<void> {
    this.#shutdown ??= this.#doShutdown();
    return this.#shutdown;
  }

  async #doShutdown(): Promise<void> {
    this.#log.info({ event: 'shutdown', connections: this.connections }, 'shutting down');
    clearTimeout(this.#refusedTimer);
    this.#refusedTimer = undefined;
    const listenerClosed = Promise.all([
      new Promise<void>((resolve) => this.#server.close(() => resolve())),
      this.#ws?.close(),
    ]);
    this.#execute(
      this.#call(undefined, () => this.#relay.shutdown()),
      undefined,
    );
    for (const connection of this.#connections.values()) {
      if (!connection.closing) this.#close(connection);
    }
    const gateClosed = this.gate?.shutdown();
    const deadline = setTimeout(() => {
      for (const { socket } of this.#connections.values()) socket.destroy();
      for (const socket of this.#rejected) socket.destroy();
    }, this.#config.closeTimeout);
    await Promise.all([
      listenerClosed,
      ...[...this.#connections.values()].map(({ socket }) => closed(socket)),
    ]);
    await Promise.all([...this.#rejected].map(closed));
    await gateClosed;
    clearTimeout(deadline);
    this.#log.info({ event: 'stopped' }, 'stopped');
  }

  adopt(socket: Socket, remote: string): string | undefined {
    if (!this.#gated.delete(socket)) return this.#accept(socket, remote);
    if (this.#shutdown) {
      socket.destroy();
      return undefined;
    }
    return this.#open(socket, `c${++this.#nextId}`, remote);
  }

  evict(connId: string, code: number, message: string): void {
    const connection = this.#connections.get(connId);
    if (!connection || connection.closing || !connection.inRelay) return;
    this.#log.info({ event: 'evict', conn: connId, code: errorCodeName(code), message }, 'evicted');
    for (const action of this.#call(connection, () => this.#relay.reject(connId, code, message))) {
      if (action.type === 'close' && action.connId === connId) connection.inRelay = false;
      else this.#perform(action, undefined);
    }
    this.#close(connection);
  }

  /**
   * Admits a socket under the caps, then opens it in the relay — or, in a cluster,
   * hands it to the gate. `linkRemote`: a client forwarded by another relay (counted
   * under its own address), never gated.
   */
  #accept(socket: RelaySocket, linkRemote?: string): string | undefined {
    const remote = linkRemote ?? socket.remoteAddress;
    if (this.#shutdown || remote === undefined) {
      socket.destroy();
      return undefined;
    }
    const id = `c${++this.#nextId}`;
    const fromAddress = this.#perAddress.get(addressKey(remote)) ?? 0;
    const open = this.#connections.size + this.#gated.size;
    if (open + this.#rejected.size >= this.#fdBudget) {
      this.#reject(socket, id, remote, 'out of file descriptors');
      return undefined;
    }
    if (open >= this.#config.maxConnections) {
      this.#reject(socket, id, remote, 'too many connections');
      return undefined;
    }
    if (fromAddress >= this.#config.maxConnectionsPerAddress) {
      this.#reject(socket, id, remote, 'too many connections from this address');
      return undefined;
    }
    this.#perAddress.set(addressKey(remote), fromAddress + 1);
    // In a cluster, a TCP client goes through the gate (it may be carried to another
    // relay); a WebSocket client is served here (cross-relay routing is TCP only).
    if (this.gate && linkRemote === undefined && !(socket instanceof WebSocketConnection)) {
      this.#gated.add(socket);
      socket.once('close', () => {
        if (this.#gated.delete(socket)) this.#uncount(remote);
      });
      this.gate.route(socket, remote);
      return undefined;
    }
    return this.#open(socket, id, remote);
  }

  #open(socket: RelaySocket, id: string, remote: string): string {
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
      stallTimer: undefined,
      frameTimer: undefined,
      frameStart: -1,
      frameMark: 0,
      turnBytes: 0,
      turn: -1,
      replyTokens: REPLY_BURST,
      replyAt: 0,
      replyTimer: undefined,
    };
    this.#connections.set(id, connection);
    socket.setNoDelay(true);
    if (this.#config.idleTimeout > 0) socket.setTimeout(this.#config.idleTimeout);
    connection.handshakeTimer = setTimeout(
      () => this.#timeout(connection, 'handshake'),
      this.#config.handshakeTimeout,
    );
    socket.on('data', (chunk: Buffer) => this.#data(connection, chunk));
    socket.on('drain', () => {
      clearTimeout(connection.stallTimer);
      connection.stallTimer = undefined;
      this.#release(connection);
    });
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
    return id;
  }

  #uncount(remote: string): void {
    const key = addressKey(remote);
    const fromAddress = (this.#perAddress.get(key) ?? 1) - 1;
    if (fromAddress > 0) this.#perAddress.set(key, fromAddress);
    else this.#perAddress.delete(key);
  }

  /** Refuses a connection over a cap: ERROR TOO_MANY_CONNECTIONS, then close. */
  #reject(socket: RelaySocket, id: string, remote: string, message: string): void {
    if (this.#debug)
      this.#log.debug({ event: 'reject', conn: id, remote, reason: message }, 'connection refused');
    this.#countRefusal(message);
    // A flood of refused sockets must not hold memory or descriptors either: past a
    // backlog (or when the spare descriptors are in use), drop them bare.
    const lingering = Math.min(this.#config.maxConnections, 1024);
    if (
      this.#rejected.size >= lingering ||
      this.#connections.size + this.#rejected.size >= this.#fdBudget + FD_SPARE / 2
    ) {
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
    if (!this.#fairness(connection, chunk)) return;
    let actions: RelayAction[];
    try {
      actions = this.#relay.receive(connection.id, chunk); // the hot path: no closure (see #call)
    } catch (error) {
      actions = this.#relayThrew(connection, error);
    }
    let replies = 0;
    for (const action of actions)
      if (action.type === 'send' && action.connId === connection.id) replies += action.bytes.length;
    this.#execute(actions, connection);
    if (connection.closing) return;
    if (replies > 0) {
      // Replies are work too: a read of PINGs costs its PONG writes in the turn's budget.
      this.#turnTotal += replies;
      this.#rateLimit(connection, replies);
    }
    // The bound: everything held for this connection. Over it, stop reading it until
    // its output drains (a drain is due: its socket is over the high-water mark).
    const { socket } = connection;
    if (socket.writableNeedDrain && this.#held(connection) > this.#maxBuffer) {
      this.#stall(connection);
      this.#block(connection, connection);
    }
    this.#watchFrame(connection);
  }

  /**
   * PING rate limit, by reading slower: the replies a connection caused come out of a
   * token bucket (REPLY_BURST bytes, refilled at REPLY_RATE a second); in debt, it is
   * not read until the debt is paid. Nothing is dropped: the PONGs are all sent.
   */
  #rateLimit(connection: Connection, replies: number): void {
    const now = performance.now();
    const refill = ((now - connection.replyAt) * REPLY_RATE) / 1000;
    connection.replyAt = now;
    connection.replyTokens = Math.min(REPLY_BURST, connection.replyTokens + refill) - replies;
    if (connection.replyTokens >= 0 || connection.replyTimer !== undefined) return;
    this.#hold(connection);
    connection.replyTimer = setTimeout(
      () => {
        connection.replyTimer = undefined;
        this.#unhold(connection);
      },
      Math.ceil((-connection.replyTokens * 1000) / REPLY_RATE),
    );
  }

  /**
   * Fair shares of the event loop, under contention only (see SLICE). Over
   * TURN_TOTAL for this turn, `chunk` is put back and the connection waits for the
   * next turn (returns false: do not process it). Else it is counted; a connection
   * that reached SLICE in this turn reads no more until the next one.
   */
  #fairness(connection: Connection, chunk: Buffer): boolean {
    if (!this.#turnScheduled) {
      this.#turnScheduled = true;
      setImmediate(() => this.#nextTurn());
    }
    if (connection.turn !== this.#turn) {
      connection.turn = this.#turn;
      connection.turnBytes = 0;
      this.#turnReaders++;
    }
    const contended = this.#turnReaders > 1 || this.#lastTurnReaders > 1;
    // Small reads (a HELLO, a line of chat) are never put back: they cost little, and
    // they are what an honest client is waiting on.
    if (contended && this.#turnTotal >= TURN_TOTAL && chunk.length >= SMALL_READ) {
      this.#yield(connection, true);
      connection.socket.pause(); // (held already) paused first: unshift to a flowing stream emits at once
      connection.socket.unshift(chunk);
      return false;
    }
    this.#turnTotal += chunk.length;
    connection.turnBytes += chunk.length;
    if (contended && connection.turnBytes >= SLICE) this.#yield(connection);
    return true;
  }

  /** Holds `connection` until the next turn; one put back (`deferred`) goes first then. */
  #yield(connection: Connection, deferred = false): void {
    if (connection.turn === this.#turn && connection.turnBytes < 0) return; // already waiting
    connection.turn = this.#turn;
    connection.turnBytes = -1;
    (deferred ? this.#deferred : this.#yielded).push(connection);
    this.#hold(connection);
  }

  #nextTurn(): void {
    this.#turn++;
    this.#turnScheduled = false;
    this.#turnTotal = 0;
    this.#lastTurnReaders = this.#turnReaders;
    this.#turnReaders = 0;
    const deferred = this.#deferred;
    const yielded = this.#yielded;
    if (deferred.length + yielded.length === 0) return;
    this.#deferred = [];
    this.#yielded = [];
    // Those not served this turn first, or the busiest would take every turn's budget.
    for (const connection of deferred) this.#unhold(connection);
    for (const connection of yielded) this.#unhold(connection);
  }

  /** Bytes held for one connection: socket buffers both ways and the relay's partial frame. */
  #held(connection: Connection): number {
    const { socket } = connection;
    return socket.writableLength + socket.readableLength + this.#relay.bufferedBytes(connection.id);
  }

  /** Output over the high-water mark: it must drain within stallTimeout. */
  #stall(connection: Connection): void {
    if (connection.stallTimer !== undefined || connection.closing) return;
    connection.stallTimer = setTimeout(() => {
      connection.stallTimer = undefined;
      if (connection.closing || !connection.inRelay || !connection.socket.writableNeedDrain) return;
      this.#end(connection, 'stall', ErrorCode.SLOW_CONSUMER, 'output not read: it did not drain in time');
    }, this.#config.stallTimeout);
  }

  /**
   * The frame timer: armed while the relay holds an unfinished frame of this
   * connection and we are reading it; rearmed by a new frame or by 1 KiB of progress.
   */
  #watchFrame(connection: Connection): void {
    const partial = this.#relay.partialFrame(connection.id);
    if (partial === undefined) {
      clearTimeout(connection.frameTimer);
      connection.frameTimer = undefined;
      return;
    }
    if (connection.blockers > 0) return; // not read by us: not its fault (see #block)
    if (
      connection.frameTimer !== undefined &&
      partial.start === connection.frameStart &&
      partial.received - connection.frameMark < FRAME_PROGRESS
    )
      return;
    connection.frameStart = partial.start;
    connection.frameMark = partial.received;
    if (connection.frameTimer !== undefined) {
      connection.frameTimer.refresh();
      return;
    }
    connection.frameTimer = setTimeout(() => {
      connection.frameTimer = undefined;
      if (connection.closing || !connection.inRelay || connection.blockers > 0) return; // rearmed on resume
      const now = this.#relay.partialFrame(connection.id);
      if (now === undefined) return;
      if (now.start !== connection.frameStart || now.received - connection.frameMark >= FRAME_PROGRESS) {
        this.#watchFrame(connection);
        return;
      }
      this.#end(connection, 'frame', ErrorCode.FRAME_TIMEOUT, 'a frame made no progress in time');
    }, this.#config.frameTimeout);
  }

  /** Ends a connection on a server timer: ERROR `code` (queued behind its output), then close. */
  #end(connection: Connection, kind: 'stall' | 'frame', code: number, message: string): void {
    this.#log.info({ event: 'timeout', conn: connection.id, kind }, `${kind} timeout`);
    // Not through #perform's close: this one must not read the input it will discard.
    for (const action of this.#call(connection, () => this.#relay.reject(connection.id, code, message))) {
      if (action.type === 'close' && action.connId === connection.id) connection.inRelay = false;
      else this.#perform(action, undefined);
    }
    this.#close(connection, code !== ErrorCode.SLOW_CONSUMER);
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
      return this.#relayThrew(connection, error);
    }
  }

  /** A relay call threw (a bug): log it, drop that one connection, no actions. */
  #relayThrew(connection: Connection | undefined, error: unknown): RelayAction[] {
    this.#log.error({ event: 'error', conn: connection?.id, err: error }, 'relay threw');
    if (connection) {
      connection.inRelay = false;
      connection.closing = true;
      connection.socket.destroy();
    }
    return [];
  }

  #execute(actions: RelayAction[], source: Connection | undefined): void {
    const count = actions.length;
    if (count === 1) {
      this.#perform(actions[0]!, source);
      return;
    }
    // Several writes from one read are gathered into one writev per socket.
    let corked: RelaySocket[] | undefined;
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
        if (!target.socket.write(action.bytes)) {
          this.#stall(target);
          if (source && !source.closing) this.#block(source, target);
        }
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
    this.#hold(source);
  }

  /** One more reason not to read `connection`; the first pauses it. */
  #hold(connection: Connection): void {
    if (connection.blockers++ > 0) return;
    connection.socket.pause();
    // A frame we do not read cannot progress: its timer waits for the resume.
    clearTimeout(connection.frameTimer);
    connection.frameTimer = undefined;
  }

  /** One reason fewer; the last resumes reading (and the frame timer). */
  #unhold(connection: Connection): void {
    if (--connection.blockers > 0 || connection.socket.destroyed || connection.closing) return;
    connection.socket.resume();
    this.#watchFrame(connection);
  }

  /** `connection` drained (or went away): resume the connections waiting on it. */
  #release(connection: Connection): void {
    const waiters = connection.waiters;
    if (!waiters) return;
    connection.waiters = undefined;
    for (const waiter of waiters) this.#unhold(waiter);
  }

  /**
   * Ends a connection after its pending output; destroys it if it will not flush in time.
   *
   * @param discardInput - keep reading (and discarding) until the client's FIN, so that
   *   no RST overtakes our last frames; false for a client that does not read anyway
   *   (SLOW_CONSUMER), whose input would only cost us reads
   */
  #close(connection: Connection, discardInput = true): void {
    if (connection.closing && connection.lingerTimer) return;
    connection.closing = true;
    clearTimeout(connection.handshakeTimer);
    connection.handshakeTimer = undefined;
    clearTimeout(connection.stallTimer);
    connection.stallTimer = undefined;
    clearTimeout(connection.frameTimer);
    connection.frameTimer = undefined;
    connection.socket.setTimeout(0);
    connection.lingerTimer = setTimeout(() => connection.socket.destroy(), this.#config.closeTimeout);
    // Keep reading (and discarding) so that the client's FIN is seen and no RST is sent.
    if (discardInput) connection.socket.resume();
    connection.socket.end();
  }

  /** The socket is gone: free its slot, wake its waiters, tell the relay (the peer gets PEER_LEFT). */
  #closed(connection: Connection): void {
    const { id, socket, remote } = connection;
    clearTimeout(connection.handshakeTimer);
    clearTimeout(connection.lingerTimer);
    clearTimeout(connection.stallTimer);
    clearTimeout(connection.frameTimer);
    clearTimeout(connection.replyTimer);
    this.#connections.delete(id);
    this.#uncount(remote);
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

function closed(socket: RelaySocket): Promise<void> {
  if (socket.closed) return Promise.resolve();
  return new Promise((resolve) => socket.once('close', () => resolve()));
}

/**
 * File descriptors kept free beyond the open connections: for refusals that say ERROR
 * before they close (half of them), for logs, DNS, and libuv's own.
 */
const FD_SPARE = 32;

/** How many file descriptors this process has open (Linux /proc), or undefined elsewhere. */
function openFiles(): number | undefined {
  try {
    return readdirSync('/proc/self/fd').length;
  } catch {
    return undefined;
  }
}

/** The soft limit on open files of this process (Linux /proc), or undefined elsewhere. */
function openFileLimit(): number | undefined {
  try {
    const match = /^Max open files\s+(\d+|unlimited)/m.exec(readFileSync('/proc/self/limits', 'utf8'));
    if (!match) return undefined;
    return match[1] === 'unlimited' ? Number.POSITIVE_INFINITY : Number(match[1]);
  } catch {
    return undefined;
  }
}

/**
 * What `--max-per-address` counts: an IPv4 address (IPv4-mapped IPv6 included) as
 * is, an IPv6 address by its /64, the prefix one customer usually holds whole
 * (RFC 6177): otherwise one client could open 64 connections from each of 2^64
 * addresses.
 *
 * @param remote - the socket's `remoteAddress`
 * @returns the key, e.g. `'192.0.2.1'` or `'2001:db8:0:1::/64'`
 * @example
 * addressKey('2001:db8:0:1:aaaa::1'); // '2001:db8:0:1::/64'
 */
export function addressKey(remote: string): string {
  if (!remote.includes(':')) return remote;
  const address = remote.split('%')[0]!.toLowerCase();
  if (address.startsWith('::ffff:') && address.includes('.')) return address.slice('::ffff:'.length);
  const [head = '', tail] = address.split('::');
  const left = head === '' ? [] : head.split(':');
  const right = tail === undefined || tail === '' ? [] : tail.split(':');
  const groups =
    tail === undefined ? left : [...left, ...Array(8 - left.length - right.length).fill('0'), ...right];
  return `${groups
    .slice(0, 4)
    .map((group) => Number.parseInt(group, 16).toString(16))
    .join(':')}::/64`;
}
