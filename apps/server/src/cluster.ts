/**
 * A cluster of relays that share rooms through Redis (`--redis`). See the server
 * README, "Cluster", for the design and the alternatives weighed.
 *
 * - Each room is served by exactly one relay: the one holding the room's lease in
 *   Redis (lease.ts). Pairing, limits, timers and backpressure stay the single relay's
 *   own code: the sans-IO `Relay` of `@arctalk/protocol` knows nothing of clustering.
 * - A new client is held at the gate ({@link Cluster.route}) until its HELLO names its
 *   room (PINGs before it are kept and replayed). If this relay holds or takes the
 *   lease, the client is given back to the server as an ordinary connection. Else it
 *   is forwarded: one TCP link to the owner's cluster address per client, a small
 *   header naming the room and the client's address, then the client's bytes verbatim
 *   both ways (_link.ts). The owner adopts the link as if the client had connected to
 *   it directly.
 * - Backpressure crosses relays through TCP: this relay stops reading a client when
 *   its link's buffer is full, and stops reading the link when the client's is; the
 *   owner does the same between the link and the peer, as within one process.
 * - Redis carries no conversation byte: only leases and liveness.
 * - Faults: Redis unreachable → the rooms this relay holds are served as before, a
 *   client of any other room gets ERROR (no owner can be found), all logged once per
 *   outage; leases are renewed (or taken back) as soon as Redis answers again. A lease
 *   another relay holds now → this relay ends its connections in that room (ERROR).
 *   The owner of a forwarded client gone (SIGKILL) → the client gets ERROR, on a frame
 *   boundary; resuming elsewhere waits for resumable sessions (issue 15).
 *
 * @module
 */
import { randomBytes } from 'node:crypto';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { ErrorCode, encodeError, encodeFrame, FrameType } from '@arctalk/protocol';
import type { Redis } from 'ioredis';
import {
  decodeLinkHeader,
  encodeLinkHeader,
  FrameBoundary,
  LINK_VERSION,
  LinkStatus,
  MAX_BEFORE_HELLO,
  readHello,
} from './_link.js';
import { formatAddress, type ServerConfig } from './config.js';
import type { ClusterInfo, ConnectionGate, GateHost } from './gate.js';
import { LeaseStore } from './lease.js';
import type { Logger } from './logger.js';

/** What a cluster needs of the server's configuration. */
export type ClusterConfig = Pick<
  ServerConfig,
  | 'redis'
  | 'clusterHost'
  | 'clusterPort'
  | 'clusterAdvertise'
  | 'leaseTtl'
  | 'handshakeTimeout'
  | 'closeTimeout'
  | 'maxFrameLength'
> & { redisPrefix?: string | undefined };

/** How many times a client is re-routed when the owner it was sent to no longer holds the room. */
const ROUTE_ATTEMPTS = 3;

/** Milliseconds to wait for a TCP connection to another relay, and for Redis at start-up. */
const CONNECT_TIMEOUT = 2_000;

/** The ERROR a client gets when no owner can be found: Redis is unreachable. */
const NO_REDIS =
  'cluster unavailable: this relay cannot reach Redis to find the relay serving this room; try again shortly';

/**
 * Joins the cluster: listens on the cluster address, connects to Redis (start-up does
 * not wait for Redis: the relay serves as soon as it answers) and starts the heartbeat.
 *
 * @param host - the relay server (adopts sockets, evicts connections)
 * @param config - Redis URL, cluster address, lease TTL, timers
 * @param log - the server's logger
 * @returns the gate to set on the server
 * @throws {Error} (rejects) when the cluster address cannot be bound
 */
export async function startCluster(
  host: GateHost,
  config: ClusterConfig,
  log: Logger,
): Promise<ConnectionGate> {
  const cluster = new Cluster(host, config, log);
  await cluster.start();
  return cluster;
}

/** One client forwarded to the relay that owns its room. */
interface Forward {
  readonly client: Socket;
  readonly link: Socket;
  /** frame boundaries of what the owner sends the client */
  readonly boundary: FrameBoundary;
  clientEnded: boolean;
  done: boolean;
}

class Cluster implements ConnectionGate {
  readonly #host: GateHost;
  readonly #config: ClusterConfig;
  readonly #log: Logger;
  readonly #relayId = randomBytes(6).toString('hex');
  readonly #listener: Server;
  /** Rooms this relay serves (holds the lease of), with their connection ids. */
  readonly #rooms = new Map<string, Set<string>>();
  /** Client sockets at the gate (before routing), with what they sent so far. */
  readonly #pending = new Map<Socket, number>();
  /** Links from other relays whose header is not read yet. */
  readonly #incoming = new Set<Socket>();
  readonly #forwards = new Set<Forward>();
  #redis: Redis | undefined;
  #leases: LeaseStore | undefined;
  #address = '';
  #redisUp = false;
  #outageLogged = false;
  #beating = false;
  #heartbeat: NodeJS.Timeout | undefined;
  #stopping = false;

  constructor(host: GateHost, config: ClusterConfig, log: Logger) {
    this.#host = host;
    this.#config = config;
    this.#log = log;
    this.#listener = createServer({ noDelay: true }, (link) => this.#incomingLink(link));
  }

  get info(): ClusterInfo {
    return {
      relayId: this.#relayId,
      address: this.#address,
      redisUp: this.#redisUp,
      rooms: this.#rooms.size,
      forwarded: this.#forwards.size,
    };
  }

  async start(): Promise<void> {
    await new Promise<void>((resolve, reject) => {
      this.#listener.once('error', reject);
      this.#listener.listen({ host: this.#config.clusterHost, port: this.#config.clusterPort }, () => {
        this.#listener.off('error', reject);
        resolve();
      });
    });
    this.#listener.on('error', (error) =>
      this.#log.error({ event: 'error', err: error }, 'cluster listener error'),
    );
    const bound = this.#listener.address();
    const port = bound && typeof bound === 'object' ? bound.port : this.#config.clusterPort;
    this.#address = formatAddress(this.#config.clusterAdvertise || this.#config.clusterHost, port);

    const { Redis } = await import('ioredis');
    const redis = new Redis(this.#config.redis, {
      lazyConnect: true,
      // Fail at once while disconnected: a client must not wait on a dead Redis.
      enableOfflineQueue: false,
      maxRetriesPerRequest: 1,
      connectTimeout: CONNECT_TIMEOUT,
      commandTimeout: CONNECT_TIMEOUT,
      // Reconnect forever, at most a second apart: the relay recovers by itself.
      retryStrategy: (times) => Math.min(times * 100, 1_000),
    });
    this.#redis = redis;
    this.#leases = new LeaseStore(redis, {
      relayId: this.#relayId,
      address: this.#address,
      ttl: this.#config.leaseTtl,
      ...(this.#config.redisPrefix !== undefined ? { prefix: this.#config.redisPrefix } : {}),
    });
    redis.on('ready', () => void this.#beat());
    redis.on('error', (error: Error) => this.#down(error));
    this.#log.info(
      {
        event: 'cluster',
        relay: this.#relayId,
        address: this.#address,
        redis: redactUrl(this.#config.redis),
        leaseTtl: this.#config.leaseTtl,
      },
      'joining the cluster',
    );
    // Wait a little for Redis so that the first clients find it; never fail on it.
    await Promise.race([redis.connect().catch(() => {}), delay(CONNECT_TIMEOUT)]);
    if (redis.status === 'ready') await this.#beat();
    this.#heartbeat = setInterval(
      () => void this.#beat(),
      Math.max(100, Math.floor(this.#config.leaseTtl / 3)),
    );
    this.#heartbeat.unref();
  }

  /** Renews our liveness and leases; ends the rooms another relay took meanwhile. */
  async #beat(): Promise<void> {
    if (this.#beating || this.#stopping || !this.#leases) return;
    this.#beating = true;
    try {
      const lost = await this.#leases.renew([...this.#rooms.keys()]);
      if (!this.#redisUp) {
        this.#redisUp = true;
        if (this.#outageLogged)
          this.#log.info({ event: 'redis-up' }, 'Redis reachable again: cluster recovered');
        this.#outageLogged = false;
      }
      for (const roomKey of lost) this.#lost(roomKey);
    } catch (error) {
      this.#down(error as Error);
    } finally {
      this.#beating = false;
    }
  }

  /** Redis failed: logged once per outage. */
  #down(error: Error): void {
    this.#redisUp = false;
    if (this.#outageLogged || this.#stopping) return;
    this.#outageLogged = true;
    this.#log.error(
      { event: 'redis-down', message: error.message, rooms: this.#rooms.size },
      'Redis unreachable: serving the rooms this relay holds, refusing clients of other rooms until it returns',
    );
  }

  /** Another relay holds this room's lease now: stop serving it. */
  #lost(roomKey: string): void {
    const connections = this.#rooms.get(roomKey);
    if (!connections) return;
    this.#rooms.delete(roomKey);
    this.#log.warn(
      { event: 'lease-lost', connections: connections.size },
      'room lease lost: ending its connections',
    );
    for (const connId of connections) {
      this.#host.evict(
        connId,
        ErrorCode.SERVER_SHUTTING_DOWN,
        'this relay lost the room to another relay of its cluster; start a new session',
      );
    }
  }

  // -------------------------------------------------------------------------
  // The gate: a new client, until its HELLO

  route(socket: Socket, remote: string): void {
    let buffer: Buffer = Buffer.alloc(0);
    this.#pending.set(socket, 0);
    const timer = setTimeout(() => {
      if (!this.#pending.has(socket)) return;
      cleanup();
      this.#refuse(socket, ErrorCode.HANDSHAKE_TIMEOUT, 'no HELLO in time');
    }, this.#config.handshakeTimeout);
    const onData = (chunk: Buffer) => {
      buffer = buffer.length === 0 ? chunk : Buffer.concat([buffer, chunk]);
      this.#pending.set(socket, buffer.length);
      const scan = readHello(buffer, this.#config.maxFrameLength);
      if (scan.kind === 'more') return;
      cleanup();
      socket.pause();
      if (scan.kind === 'other') this.#local(socket, remote, buffer, undefined);
      else void this.#routeRoom(socket, remote, buffer, LeaseStore.roomKey(scan.room));
    };
    const onClose = () => cleanup();
    const cleanup = () => {
      clearTimeout(timer);
      socket.off('data', onData);
      socket.off('close', onClose);
    };
    socket.on('error', () => {}); // the server's own handler logs once adopted
    socket.on('data', onData);
    socket.on('close', () => this.#pending.delete(socket));
    socket.on('close', onClose);
  }

  /** Serves `socket` here: the server adopts it, with what it sent so far. */
  #local(socket: Socket, remote: string, buffer: Buffer, roomKey: string | undefined): void {
    this.#pending.delete(socket);
    if (socket.destroyed || this.#stopping) {
      socket.destroy();
      if (roomKey !== undefined) this.#releaseIfEmpty(roomKey);
      return;
    }
    if (buffer.length > 0) socket.unshift(buffer);
    const connId = this.#host.adopt(socket, remote);
    if (roomKey !== undefined) {
      if (connId !== undefined) this.#enter(roomKey, connId, socket);
      else this.#releaseIfEmpty(roomKey);
    }
    socket.resume();
  }

  async #routeRoom(socket: Socket, remote: string, buffer: Buffer, roomKey: string): Promise<void> {
    for (let attempt = 0; attempt < ROUTE_ATTEMPTS; attempt++) {
      if (this.#rooms.has(roomKey)) {
        this.#local(socket, remote, buffer, roomKey);
        return;
      }
      let owner: { relayId: string; address: string };
      try {
        if (!this.#redisUp) throw new Error('Redis is down');
        owner = await this.#leases!.acquire(roomKey);
      } catch (error) {
        this.#down(error as Error);
        this.#log.info({ event: 'refuse', reason: 'redis-down' }, 'client refused: no Redis to route it');
        this.#refuse(socket, ErrorCode.TOO_MANY_CONNECTIONS, NO_REDIS);
        return;
      }
      if (owner.relayId === this.#relayId) {
        if (!this.#rooms.has(roomKey)) this.#rooms.set(roomKey, new Set());
        this.#local(socket, remote, buffer, roomKey);
        return;
      }
      if (socket.destroyed || this.#stopping) {
        this.#pending.delete(socket);
        socket.destroy();
        return;
      }
      const outcome = await this.#forward(socket, remote, buffer, roomKey, owner);
      if (outcome === 'done') return;
    }
    this.#refuse(
      socket,
      ErrorCode.TOO_MANY_CONNECTIONS,
      'cluster busy: the room moved between relays; try again',
    );
  }

  /** ERROR `code` to a client at the gate (nothing was sent to it yet: a frame boundary), then close. */
  #refuse(socket: Socket, code: number, message: string): void {
    this.#pending.delete(socket);
    if (socket.destroyed) return;
    socket.write(encodeFrame({ type: FrameType.ERROR, body: encodeError({ code, message }) }));
    socket.end();
    socket.resume(); // read (and discard) until its FIN
    setTimeout(() => socket.destroy(), this.#config.closeTimeout).unref();
  }

  // -------------------------------------------------------------------------
  // Forwarding a client to the owner of its room

  /**
   * Opens a link to `owner`, sends the header and the client's first bytes, and waits
   * for the owner's answer: accepted → the two sockets are joined; not the owner →
   * 'retry' (look the owner up again); anything else → the client gets ERROR.
   */
  async #forward(
    client: Socket,
    remote: string,
    buffer: Buffer,
    roomKey: string,
    owner: { relayId: string; address: string },
  ): Promise<'done' | 'retry'> {
    const { host, port } = splitAddress(owner.address);
    const link = connect({ host, port, noDelay: true });
    link.on('error', () => {});
    const answer = await new Promise<{ status: number; rest: Buffer } | Error>((resolve) => {
      let got: Buffer = Buffer.alloc(0);
      const timer = setTimeout(
        () => finish(new Error('no answer in time')),
        CONNECT_TIMEOUT + this.#config.handshakeTimeout,
      );
      const onData = (chunk: Buffer) => {
        got = Buffer.concat([got, chunk]);
        finish({ status: got[0]!, rest: got.subarray(1) });
      };
      const onClose = () => finish(new Error('closed'));
      const onError = (error: Error) => finish(error);
      const finish = (result: { status: number; rest: Buffer } | Error) => {
        clearTimeout(timer);
        link.off('data', onData);
        link.off('close', onClose);
        link.off('error', onError);
        link.pause();
        resolve(result);
      };
      link.on('data', onData);
      link.on('close', onClose);
      link.on('error', onError);
      link.once('connect', () => {
        link.write(encodeLinkHeader({ v: LINK_VERSION, relay: this.#relayId, room: roomKey, remote }));
        link.write(buffer);
      });
    });
    if (answer instanceof Error || answer.status === LinkStatus.UNAVAILABLE) {
      link.destroy();
      const reason = answer instanceof Error ? answer.message : 'unavailable';
      this.#log.warn(
        { event: 'link-failed', owner: owner.relayId, reason },
        'cannot reach the relay serving a room',
      );
      this.#refuse(
        client,
        ErrorCode.SERVER_SHUTTING_DOWN,
        `the relay serving this room cannot be reached (${reason}); if it failed, its rooms free up within ${Math.ceil(this.#config.leaseTtl / 1000)} s`,
      );
      return 'done';
    }
    if (answer.status !== LinkStatus.ACCEPTED) {
      link.destroy();
      return 'retry';
    }
    this.#pending.delete(client);
    if (client.destroyed || this.#stopping) {
      link.destroy();
      client.destroy();
      return 'done';
    }
    this.#join(client, link, answer.rest);
    return 'done';
  }

  /** Joins a client and its link, with backpressure both ways. */
  #join(client: Socket, link: Socket, first: Buffer): void {
    const f: Forward = { client, link, boundary: new FrameBoundary(), clientEnded: false, done: false };
    this.#forwards.add(f);
    const toClient = (chunk: Buffer) => {
      f.boundary.push(chunk);
      if (!client.write(chunk)) link.pause();
    };
    client.on('drain', () => link.resume());
    link.on('drain', () => client.resume());
    if (first.length > 0) toClient(first);
    link.on('data', toClient);
    client.on('data', (chunk: Buffer) => {
      if (!link.write(chunk)) client.pause();
    });
    client.on('end', () => {
      f.clientEnded = true;
      link.end();
    });
    link.on('end', () => this.#ownerEnded(f));
    link.on('close', () => {
      this.#ownerEnded(f);
      this.#forwards.delete(f);
    });
    client.on('close', () => {
      if (!link.destroyed) {
        link.end();
        setTimeout(() => link.destroy(), this.#config.closeTimeout).unref();
      }
    });
    link.resume();
    client.resume();
  }

  /**
   * The owner closed the link. After its ERROR, or once the client ended its side, that
   * is the conversation's end: pass it on. Otherwise the owner is gone (killed, or its
   * machine lost): the client gets ERROR, if the link stopped on a frame boundary.
   */
  #ownerEnded(f: Forward): void {
    if (f.done) return;
    f.done = true;
    const { client, boundary } = f;
    if (client.destroyed) return;
    const clean = f.clientEnded || (boundary.atBoundary && boundary.lastType === FrameType.ERROR);
    if (!clean) {
      this.#log.warn({ event: 'owner-lost' }, 'the relay serving a forwarded client is gone');
      if (!boundary.atBoundary) {
        client.destroy();
        return;
      }
      client.write(
        encodeFrame({
          type: FrameType.ERROR,
          body: encodeError({
            code: ErrorCode.SERVER_SHUTTING_DOWN,
            message:
              'the relay serving this room is gone (failed or stopped); this session cannot resume yet: start a new one',
          }),
        }),
      );
    }
    client.end();
    setTimeout(() => client.destroy(), this.#config.closeTimeout).unref();
  }

  // -------------------------------------------------------------------------
  // The owner's side: links from other relays

  #incomingLink(link: Socket): void {
    if (this.#stopping) {
      link.destroy();
      return;
    }
    this.#incoming.add(link);
    let buffer: Buffer = Buffer.alloc(0);
    const timer = setTimeout(() => link.destroy(), this.#config.handshakeTimeout);
    const onData = (chunk: Buffer) => {
      buffer = buffer.length === 0 ? chunk : Buffer.concat([buffer, chunk]);
      let parsed: ReturnType<typeof decodeLinkHeader>;
      try {
        parsed = decodeLinkHeader(buffer);
      } catch (error) {
        this.#log.warn({ event: 'link-refused', message: (error as Error).message }, 'bad cluster link');
        cleanup();
        link.end(Buffer.from([LinkStatus.UNAVAILABLE]));
        return;
      }
      if (parsed === undefined) {
        if (buffer.length > MAX_BEFORE_HELLO * 4) link.destroy();
        return;
      }
      cleanup();
      link.pause();
      void this.#acceptLink(link, parsed.header.room, parsed.header.remote, buffer.subarray(parsed.size));
    };
    const cleanup = () => {
      clearTimeout(timer);
      link.off('data', onData);
      this.#incoming.delete(link);
    };
    link.on('error', () => {});
    link.on('data', onData);
    link.on('close', cleanup);
  }

  async #acceptLink(link: Socket, roomKey: string, remote: string, rest: Buffer): Promise<void> {
    if (!this.#rooms.has(roomKey)) {
      let owner: { relayId: string };
      try {
        if (!this.#redisUp) throw new Error('Redis is down');
        owner = await this.#leases!.acquire(roomKey);
      } catch (error) {
        this.#down(error as Error);
        link.end(Buffer.from([LinkStatus.UNAVAILABLE]));
        return;
      }
      if (owner.relayId !== this.#relayId) {
        link.end(Buffer.from([LinkStatus.NOT_OWNER]));
        return;
      }
      if (!this.#rooms.has(roomKey)) this.#rooms.set(roomKey, new Set());
    }
    if (link.destroyed || this.#stopping) {
      link.destroy();
      this.#releaseIfEmpty(roomKey);
      return;
    }
    link.write(Buffer.from([LinkStatus.ACCEPTED]));
    if (rest.length > 0) link.unshift(rest);
    const connId = this.#host.adopt(link, remote);
    if (connId !== undefined) this.#enter(roomKey, connId, link);
    else this.#releaseIfEmpty(roomKey);
    link.resume();
  }

  // -------------------------------------------------------------------------
  // Rooms served here

  #enter(roomKey: string, connId: string, socket: Socket): void {
    let connections = this.#rooms.get(roomKey);
    if (!connections) {
      connections = new Set();
      this.#rooms.set(roomKey, connections);
    }
    connections.add(connId);
    socket.once('close', () => {
      const now = this.#rooms.get(roomKey);
      if (now !== connections) return; // lost meanwhile
      now.delete(connId);
      this.#releaseIfEmpty(roomKey);
    });
  }

  /** The room has no connection here any more: release its lease. */
  #releaseIfEmpty(roomKey: string): void {
    const connections = this.#rooms.get(roomKey);
    if (connections !== undefined && connections.size > 0) return;
    this.#rooms.delete(roomKey);
    if (this.#redisUp) this.#leases?.release(roomKey).catch(() => {}); // else it expires by itself
  }

  // -------------------------------------------------------------------------

  bufferedBytes(): number {
    let total = 0;
    for (const bytes of this.#pending.values()) total += bytes;
    for (const { client, link } of this.#forwards) {
      total += client.writableLength + client.readableLength + link.writableLength + link.readableLength;
    }
    return total;
  }

  async shutdown(): Promise<void> {
    if (this.#stopping) return;
    this.#stopping = true;
    clearInterval(this.#heartbeat);
    const listenerClosed = new Promise<void>((resolve) => this.#listener.close(() => resolve()));
    const sockets: Socket[] = [];
    for (const socket of this.#pending.keys()) {
      this.#refuse(socket, ErrorCode.SERVER_SHUTTING_DOWN, 'server shutting down');
      sockets.push(socket);
    }
    for (const link of this.#incoming) link.destroy();
    for (const f of this.#forwards) {
      sockets.push(f.client, f.link);
      f.done = true;
      f.link.end();
      if (!f.client.destroyed && f.boundary.atBoundary) {
        f.client.write(
          encodeFrame({
            type: FrameType.ERROR,
            body: encodeError({ code: ErrorCode.SERVER_SHUTTING_DOWN, message: 'server shutting down' }),
          }),
        );
      }
      f.client.end();
    }
    const deadline = setTimeout(() => {
      for (const socket of sockets) socket.destroy();
    }, this.#config.closeTimeout);
    await Promise.all([listenerClosed, ...sockets.map(closed)]);
    clearTimeout(deadline);
    const redis = this.#redis;
    if (!redis) return;
    if (redis.status === 'ready') {
      // The server's connections are closing: our leases go with our liveness.
      await Promise.race([
        Promise.allSettled([
          this.#leases!.retire(),
          ...[...this.#rooms.keys()].map((roomKey) => this.#leases!.release(roomKey)),
        ]),
        delay(CONNECT_TIMEOUT),
      ]);
      await Promise.race([redis.quit().catch(() => {}), delay(CONNECT_TIMEOUT)]);
    }
    redis.disconnect();
  }
}

function closed(socket: Socket): Promise<void> {
  if (socket.closed) return Promise.resolve();
  return new Promise((resolve) => socket.once('close', () => resolve()));
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms).unref());
}

/** `HOST:PORT` or `[V6]:PORT` → parts. */
function splitAddress(address: string): { host: string; port: number } {
  const colon = address.lastIndexOf(':');
  const host = address.slice(0, colon).replace(/^\[(.*)\]$/, '$1');
  return { host, port: Number(address.slice(colon + 1)) };
}

/** A Redis URL without its password, for the log. */
function redactUrl(text: string): string {
  try {
    const url = new URL(text);
    if (url.password) url.password = '***';
    return url.toString();
  } catch {
    return 'redis://?';
  }
}
