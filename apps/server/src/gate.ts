/**
 * The one seam between the relay server (server.ts) and a cluster (cluster.ts): a
 * gate sees each admitted client socket before the relay does, and gives it back
 * (`adopt`) when this relay serves its room. Types only, so that a single relay
 * loads nothing of the cluster.
 *
 * @module
 */
import type { Socket } from 'node:net';

/** What the server offers a gate. */
export interface GateHost {
  /**
   * Opens `socket` in this relay as a client connection: a socket the gate was given
   * (already counted), or a client forwarded by another relay (admitted now under the
   * caps, counted under `remote`; refused with ERROR TOO_MANY_CONNECTIONS over it).
   * The socket's pending bytes (`unshift`) are read once it is resumed.
   *
   * @param socket - a client socket the gate was given, or a cluster link
   * @param remote - the client's own address
   * @returns the connection id, or undefined when refused
   */
  adopt(socket: Socket, remote: string): string | undefined;
  /**
   * Ends a connection with ERROR `code` (after what it is owed), as the relay's own
   * timers do.
   */
  evict(connId: string, code: number, message: string): void;
}

/** What a cluster says about itself (tests, logs). */
export interface ClusterInfo {
  /** this relay's id in the cluster */
  readonly relayId: string;
  /** the address other relays dial, `HOST:PORT` */
  readonly address: string;
  /** Redis answered the last heartbeat */
  readonly redisUp: boolean;
  /** rooms this relay holds the lease of */
  readonly rooms: number;
  /** clients this relay forwards to other relays */
  readonly forwarded: number;
}

/** A gate: set on the server by a cluster. */
export interface ConnectionGate {
  readonly info: ClusterInfo;
  /** A new client socket, admitted and counted: route it (adopt it here, or forward it). */
  route(socket: Socket, remote: string): void;
  /** Bytes the gate holds in user space (sockets it forwards, both ways). */
  bufferedBytes(): number;
  /** Closes forwarded clients and links, releases the leases, quits Redis. */
  shutdown(): Promise<void>;
}
