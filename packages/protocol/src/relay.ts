/**
 * The relay's rules as a sans-IO state machine: pairing by room, verbatim
 * forwarding of client-to-client frames, ERROR codes, PEER_LEFT. The server maps
 * connection ids to sockets and executes the returned actions in order; it writes
 * no byte-level or pairing code of its own. Wire format: PROTOCOL.md §2–§3.
 * @module
 */

import { _checkMaxFrameLength, _describe, _readU32, _writeHeader } from './_util';
import { LocalProtocolError, RemoteProtocolError } from './errors';
import {
  DEFAULT_ROOM,
  decodeHello,
  ErrorCode,
  encodeError,
  encodeFrame,
  encodePaired,
  FrameType,
  isClientToClientType,
  lengths,
  validateRoom,
} from './frame';

/** What the server must do, in order. */
export type RelayAction =
  /** write these bytes to that connection (do not mutate them: they may be views into the input) */
  | { type: 'send'; connId: string; bytes: Uint8Array }
  /** end that connection, after the sends before this action have been written */
  | { type: 'close'; connId: string }
  /** something worth logging; carries no message content, only metadata */
  | {
      type: 'log';
      event: 'hello' | 'paired' | 'left' | 'error';
      connId: string;
      peerId?: string;
      room?: string;
      code?: number;
      message?: string;
    };

/** Options of {@link Relay}. */
export interface RelayOptions {
  /** cap on a frame's length field; default 65536 */
  maxFrameLength?: number;
  /** the room a HELLO with an empty room name joins; default `'lobby'` */
  defaultRoom?: string;
}

enum Phase {
  Hello = 0,
  Waiting = 1,
  Paired = 2,
  Alone = 3,
}

enum Pending {
  None = 0,
  Forward = 1,
  Collect = 2,
}

interface Conn {
  readonly id: string;
  phase: Phase;
  room: string | undefined;
  name: string | undefined;
  peer: Conn | undefined;
  /** the partial header, when a chunk ended inside one */
  readonly header: Uint8Array;
  headerFill: number;
  /** body bytes still to discard (PONG, or a client-to-client frame with no peer) */
  skip: number;
  /** a frame split across chunks: the whole frame (Forward) or its body (Collect) */
  pending: Uint8Array | undefined;
  pendingFill: number;
  pendingKind: Pending;
  pendingType: number;
}

interface Room {
  waiting: Conn | undefined;
  full: boolean;
}

/**
 * The longest HELLO body the relay buffers. A version-1 HELLO is at most
 * 3 + 64 + 32 = 99 bytes; the margin lets a later version's HELLO (a different
 * layout) still be read far enough to be answered UNSUPPORTED_VERSION.
 */
const MAX_HELLO_BODY = 1024;

const WAITING_FRAME = encodeFrame({ type: FrameType.WAITING, body: new Uint8Array(0) });
const PEER_LEFT_FRAME = encodeFrame({ type: FrameType.PEER_LEFT, body: new Uint8Array(0) });

/**
 * The relay's pairing and forwarding rules, sans-IO.
 *
 * - Before pairing a client may send HELLO (once) and PING; after it, any frame of
 *   type 0x10–0x1f is forwarded to the peer byte for byte (a whole frame that lies
 *   inside one `receive` chunk is forwarded as a view of that chunk, runs of them as
 *   one view; a frame split across chunks is reassembled, then forwarded whole, so
 *   the relay can always put PEER_LEFT or ERROR on a frame boundary).
 * - The relay answers PING itself with a PONG echoing the body, at any time; it
 *   never forwards PING or PONG; a PONG from a client is discarded.
 * - The first client in a room waits (WAITING); the second is paired with it: the
 *   one that waited is the initiator. A third gets ROOM_FULL. When one of a pair
 *   leaves, the other gets PEER_LEFT, stays connected (it can still read what is
 *   on its way) but is alone for good: it cannot re-pair, its client-to-client
 *   frames are discarded, and the room is free for a new pair.
 * - Hostile bytes never throw: they produce an ERROR frame and a close action.
 *
 * @example
 * ```ts
 * const relay = new Relay();
 * relay.open('a');
 * for (const action of relay.receive('a', chunk)) {
 *   if (action.type === 'send') sockets.get(action.connId)?.write(action.bytes);
 *   else if (action.type === 'close') sockets.get(action.connId)?.end();
 * }
 * ```
 */
export class Relay {
  readonly #max: number;
  readonly #defaultRoom: string;
  readonly #conns = new Map<string, Conn>();
  readonly #rooms = new Map<string, Room>();

  /**
   * @param options - `maxFrameLength` (default 65536), `defaultRoom` (default `'lobby'`)
   * @throws LocalProtocolError INVALID_ARGUMENT for a bad option
   */
  constructor(options: RelayOptions = {}) {
    this.#max = _checkMaxFrameLength(options.maxFrameLength);
    const room = options.defaultRoom ?? DEFAULT_ROOM;
    if (validateRoom(room).length === 0) {
      throw new LocalProtocolError('INVALID_ARGUMENT', '"defaultRoom" must not be empty');
    }
    this.#defaultRoom = room;
  }

  /** The number of open connections. */
  get connections(): number {
    return this.#conns.size;
  }

  /**
   * Bytes the relay holds for frames split across `receive` calls: partial headers
   * and the buffers of partial frames (at most one frame, ≤ `maxFrameLength` + 4
   * bytes, per connection). Whole frames are never held: they go out as views of
   * the input.
   *
   * @param connId - one connection; all of them when omitted
   * @returns the byte count
   * @example
   * ```ts
   * relay.receive('a', firstHalfOfAFrame);
   * relay.bufferedBytes('a'); // > 0 until the rest arrives
   * ```
   */
  bufferedBytes(connId?: string): number {
    const held = (conn: Conn) => conn.headerFill + (conn.pending?.length ?? 0);
    if (connId !== undefined) {
      const conn = this.#conns.get(connId);
      return conn === undefined ? 0 : held(conn);
    }
    let total = 0;
    for (const conn of this.#conns.values()) total += held(conn);
    return total;
  }

  /**
   * Registers a new connection.
   *
   * @param connId - the server's id for it, unique among open connections
   * @returns no actions (the relay speaks only when spoken to)
   * @throws LocalProtocolError INVALID_ARGUMENT if the id is not a string or already open
   * @example
   * ```ts
   * relay.open('conn-1');
   * ```
   */
  open(connId: string): RelayAction[] {
    if (typeof connId !== 'string') {
      throw new LocalProtocolError('INVALID_ARGUMENT', `"connId" expected string, got ${_describe(connId)}`);
    }
    if (this.#conns.has(connId)) {
      throw new LocalProtocolError('INVALID_ARGUMENT', `"connId" ${connId} is already open`);
    }
    this.#conns.set(connId, {
      id: connId,
      phase: Phase.Hello,
      room: undefined,
      name: undefined,
      peer: undefined,
      header: new Uint8Array(5),
      headerFill: 0,
      skip: 0,
      pending: undefined,
      pendingFill: 0,
      pendingKind: Pending.None,
      pendingType: 0,
    });
    return [];
  }

  /**
   * Whether a connection has been paired (it may be alone by now): the server
   * stops its handshake timer then.
   *
   * @param connId - the connection
   * @returns true once PAIRED was sent to it
   * @example
   * ```ts
   * if (relay.isPaired(id)) clearTimeout(handshakeTimer);
   * ```
   */
  isPaired(connId: string): boolean {
    const conn = this.#conns.get(connId);
    return conn !== undefined && (conn.phase === Phase.Paired || conn.phase === Phase.Alone);
  }

  /**
   * Bytes arrived on a connection.
   *
   * @param connId - the connection (unknown or closed ids are ignored)
   * @param bytes - the bytes, in any split
   * @returns sends, closes and logs, in order; never throws on bad bytes
   * @throws LocalProtocolError INVALID_ARGUMENT only if `bytes` is not a Uint8Array
   * @example
   * ```ts
   * socket.on('data', (chunk) => run(relay.receive(id, chunk)));
   * ```
   */
  receive(connId: string, bytes: Uint8Array): RelayAction[] {
    if (!(bytes instanceof Uint8Array)) {
      throw new LocalProtocolError(
        'INVALID_ARGUMENT',
        `"bytes" expected Uint8Array, got ${_describe(bytes)}`,
      );
    }
    const out: RelayAction[] = [];
    const conn = this.#conns.get(connId);
    if (conn !== undefined) this.#parse(conn, bytes, out);
    return out;
  }

  /**
   * The transport closed. If the connection was paired its peer gets PEER_LEFT and
   * the room is freed; if it was waiting the room is freed. Idempotent.
   *
   * @param connId - the connection
   * @returns PEER_LEFT for the peer and logs
   * @example
   * ```ts
   * socket.on('close', () => run(relay.close(id)));
   * ```
   */
  close(connId: string): RelayAction[] {
    const out: RelayAction[] = [];
    const conn = this.#conns.get(connId);
    if (conn !== undefined) this.#drop(conn, out);
    return out;
  }

  /**
   * A server timer fired. `'handshake'` ends a connection not yet paired (ignored
   * once paired); `'idle'` ends any connection.
   *
   * @param connId - the connection
   * @param kind - which timer
   * @returns ERROR (HANDSHAKE_TIMEOUT or IDLE_TIMEOUT) and close, PEER_LEFT for a peer
   * @example
   * ```ts
   * setTimeout(() => run(relay.timeout(id, 'handshake')), 30_000);
   * ```
   */
  timeout(connId: string, kind: 'handshake' | 'idle'): RelayAction[] {
    const out: RelayAction[] = [];
    const conn = this.#conns.get(connId);
    if (conn === undefined) return out;
    if (kind === 'handshake') {
      if (conn.phase === Phase.Hello || conn.phase === Phase.Waiting) {
        this.#fail(conn, ErrorCode.HANDSHAKE_TIMEOUT, 'no pair formed in time', out);
      }
    } else {
      this.#fail(conn, ErrorCode.IDLE_TIMEOUT, 'idle for too long', out);
    }
    return out;
  }

  /**
   * Refuses or ends a connection on the server's behalf (e.g. TOO_MANY_CONNECTIONS).
   * Works for ids never opened too.
   *
   * @param connId - the connection
   * @param code - a u16 ERROR code (see `ErrorCode`)
   * @param message - a short reason
   * @returns ERROR and close, PEER_LEFT for a peer
   * @throws LocalProtocolError INVALID_ARGUMENT for a code outside 0..65535
   * @example
   * ```ts
   * run(relay.reject(id, ErrorCode.TOO_MANY_CONNECTIONS, 'server full'));
   * ```
   */
  reject(connId: string, code: number, message: string): RelayAction[] {
    const out: RelayAction[] = [];
    const conn = this.#conns.get(connId);
    if (conn !== undefined) {
      this.#fail(conn, code, message, out);
    } else {
      const bytes = encodeFrame({ type: FrameType.ERROR, body: encodeError({ code, message }) });
      out.push({ type: 'send', connId, bytes }, { type: 'close', connId });
      out.push({ type: 'log', event: 'error', connId, code, message });
    }
    return out;
  }

  /**
   * Ends every connection with SERVER_SHUTTING_DOWN.
   *
   * @returns ERROR and close for each open connection
   * @example
   * ```ts
   * process.on('SIGTERM', () => run(relay.shutdown()));
   * ```
   */
  shutdown(): RelayAction[] {
    const out: RelayAction[] = [];
    const bytes = encodeFrame({
      type: FrameType.ERROR,
      body: encodeError({ code: ErrorCode.SERVER_SHUTTING_DOWN, message: 'server shutting down' }),
    });
    for (const conn of this.#conns.values()) {
      out.push({ type: 'send', connId: conn.id, bytes: bytes.slice() }, { type: 'close', connId: conn.id });
    }
    this.#conns.clear();
    this.#rooms.clear();
    return out;
  }

  // -------------------------------------------------------------------------

  #parse(conn: Conn, bytes: Uint8Array, out: RelayAction[]): void {
    const n = bytes.length;
    let pos = 0;
    let run = -1; // start of a run of whole client-to-client frames to forward as one view
    while (pos < n) {
      if (conn.skip > 0) {
        const take = Math.min(conn.skip, n - pos);
        conn.skip -= take;
        pos += take;
        continue;
      }
      const pending = conn.pending;
      if (pending !== undefined) {
        const take = Math.min(pending.length - conn.pendingFill, n - pos);
        pending.set(bytes.subarray(pos, pos + take), conn.pendingFill);
        conn.pendingFill += take;
        pos += take;
        if (conn.pendingFill === pending.length) {
          conn.pending = undefined;
          if (conn.pendingKind === Pending.Forward) {
            if (conn.phase === Phase.Paired)
              out.push({ type: 'send', connId: conn.peer!.id, bytes: pending });
          } else {
            this.#envelope(conn, conn.pendingType, pending, out);
            if (!this.#conns.has(conn.id)) return;
          }
        }
        continue;
      }
      // A frame header.
      const hs = pos;
      let length: number;
      let type: number;
      let whole: boolean;
      if (conn.headerFill === 0 && n - pos >= 5) {
        length = _readU32(bytes, pos);
        type = bytes[pos + 4]!;
        pos += 5;
        whole = true;
      } else {
        const take = Math.min(5 - conn.headerFill, n - pos);
        conn.header.set(bytes.subarray(pos, pos + take), conn.headerFill);
        conn.headerFill += take;
        pos += take;
        if (conn.headerFill < 5) {
          if (run >= 0) this.#forward(conn, bytes.subarray(run, hs), out);
          return;
        }
        conn.headerFill = 0;
        length = _readU32(conn.header, 0);
        type = conn.header[4]!;
        whole = false;
      }
      const bodyLength = length - 1;
      let code = 0;
      let message = '';
      let kind = Pending.None; // None here means "skip the body"
      if (length === 0) {
        code = ErrorCode.MALFORMED_FRAME;
        message = 'frame length 0';
      } else if (length > this.#max) {
        code = ErrorCode.FRAME_TOO_LARGE;
        message = `frame length ${length} exceeds ${this.#max}`;
      } else if (isClientToClientType(type)) {
        if (conn.phase === Phase.Paired) kind = Pending.Forward;
        else if (conn.phase !== Phase.Alone) {
          code = ErrorCode.UNEXPECTED_FRAME;
          message = 'client-to-client frame before pairing';
        }
      } else if (type === FrameType.HELLO) {
        if (conn.phase !== Phase.Hello) {
          code = ErrorCode.UNEXPECTED_FRAME;
          message = 'HELLO sent twice';
        } else if (bodyLength > MAX_HELLO_BODY) {
          // Refused on the header, before any body is buffered: a connection that has
          // not said HELLO yet holds at most MAX_HELLO_BODY bytes, not a whole frame.
          code = ErrorCode.BAD_HELLO;
          message = `HELLO body over ${MAX_HELLO_BODY} bytes`;
        } else kind = Pending.Collect;
      } else if (type === FrameType.PING || type === FrameType.PONG) {
        // Refused on the header, before any body is buffered; a PONG is otherwise discarded.
        if (bodyLength > lengths.maxPing) {
          code = ErrorCode.MALFORMED_FRAME;
          message = `${type === FrameType.PING ? 'PING' : 'PONG'} body over ${lengths.maxPing} bytes`;
        } else if (type === FrameType.PING) kind = Pending.Collect;
      } else if (type >= FrameType.WAITING && type <= FrameType.ERROR) {
        code = ErrorCode.UNEXPECTED_FRAME;
        message = 'relay-to-client frame sent by a client';
      } else {
        code = ErrorCode.UNKNOWN_FRAME_TYPE;
        message = `unknown frame type 0x${type.toString(16).padStart(2, '0')}`;
      }
      if (code !== 0) {
        if (run >= 0) this.#forward(conn, bytes.subarray(run, hs), out);
        this.#fail(conn, code, message, out);
        return;
      }
      if (kind === Pending.Forward) {
        if (whole && n - pos >= bodyLength) {
          if (run < 0) run = hs;
          pos += bodyLength;
          continue;
        }
        if (run >= 0) this.#forward(conn, bytes.subarray(run, hs), out);
        run = -1;
        const frame = new Uint8Array(5 + bodyLength);
        _writeHeader(frame, 0, length, type);
        const take = Math.min(bodyLength, n - pos);
        frame.set(bytes.subarray(pos, pos + take), 5);
        pos += take;
        if (take === bodyLength) {
          out.push({ type: 'send', connId: conn.peer!.id, bytes: frame });
        } else {
          conn.pending = frame;
          conn.pendingFill = 5 + take;
          conn.pendingKind = Pending.Forward;
        }
        continue;
      }
      if (run >= 0) this.#forward(conn, bytes.subarray(run, hs), out);
      run = -1;
      if (kind === Pending.None) {
        conn.skip = bodyLength;
        continue;
      }
      if (n - pos >= bodyLength) {
        const body = bytes.subarray(pos, pos + bodyLength);
        pos += bodyLength;
        this.#envelope(conn, type, body, out);
        if (!this.#conns.has(conn.id)) return;
      } else {
        const body = new Uint8Array(bodyLength);
        body.set(bytes.subarray(pos), 0);
        conn.pending = body;
        conn.pendingFill = n - pos;
        conn.pendingKind = Pending.Collect;
        conn.pendingType = type;
        pos = n;
      }
    }
    if (run >= 0) this.#forward(conn, bytes.subarray(run, n), out);
  }

  #forward(conn: Conn, bytes: Uint8Array, out: RelayAction[]): void {
    if (bytes.length > 0 && conn.peer !== undefined) out.push({ type: 'send', connId: conn.peer.id, bytes });
  }

  #envelope(conn: Conn, type: number, body: Uint8Array, out: RelayAction[]): void {
    if (type === FrameType.PING) {
      // the body's length (≤ 32) was checked on the header; encodeFrame copies it
      out.push({ type: 'send', connId: conn.id, bytes: encodeFrame({ type: FrameType.PONG, body }) });
      return;
    }
    // HELLO
    let room: string;
    let name: string;
    try {
      const hello = decodeHello(body);
      room = hello.room === '' ? this.#defaultRoom : hello.room;
      name = hello.name;
    } catch (e) {
      const unsupported = e instanceof RemoteProtocolError && e.code === 'UNSUPPORTED_VERSION';
      this.#fail(
        conn,
        unsupported ? ErrorCode.UNSUPPORTED_VERSION : ErrorCode.BAD_HELLO,
        unsupported ? `unsupported protocol version ${body[0]}` : 'malformed HELLO',
        out,
      );
      return;
    }
    out.push({ type: 'log', event: 'hello', connId: conn.id, room });
    const existing = this.#rooms.get(room);
    if (existing?.full) {
      this.#fail(conn, ErrorCode.ROOM_FULL, 'room is full', out);
      return;
    }
    conn.room = room;
    conn.name = name;
    const waiting = existing?.waiting;
    if (existing === undefined || waiting === undefined) {
      conn.phase = Phase.Waiting;
      this.#rooms.set(room, { waiting: conn, full: false });
      out.push({ type: 'send', connId: conn.id, bytes: WAITING_FRAME.slice() });
      return;
    }
    existing.waiting = undefined;
    existing.full = true;
    waiting.phase = Phase.Paired;
    conn.phase = Phase.Paired;
    waiting.peer = conn;
    conn.peer = waiting;
    const toInitiator = encodePaired({ role: 'initiator', peerName: name });
    const toResponder = encodePaired({ role: 'responder', peerName: waiting.name! });
    out.push(
      { type: 'send', connId: waiting.id, bytes: encodeFrame({ type: FrameType.PAIRED, body: toInitiator }) },
      { type: 'send', connId: conn.id, bytes: encodeFrame({ type: FrameType.PAIRED, body: toResponder }) },
      { type: 'log', event: 'paired', connId: waiting.id, peerId: conn.id, room },
    );
  }

  /** ERROR + close for `conn`, then forget it. */
  #fail(conn: Conn, code: number, message: string, out: RelayAction[]): void {
    const bytes = encodeFrame({ type: FrameType.ERROR, body: encodeError({ code, message }) });
    out.push(
      { type: 'send', connId: conn.id, bytes },
      { type: 'close', connId: conn.id },
      { type: 'log', event: 'error', connId: conn.id, code, message },
    );
    this.#drop(conn, out);
  }

  /** Forgets `conn`: frees its room, tells its peer. */
  #drop(conn: Conn, out: RelayAction[]): void {
    this.#conns.delete(conn.id);
    const room = conn.room;
    const peer = conn.peer;
    if (conn.phase === Phase.Waiting && room !== undefined) {
      if (this.#rooms.get(room)?.waiting === conn) this.#rooms.delete(room);
    } else if (conn.phase === Phase.Paired && peer !== undefined) {
      this.#rooms.delete(room!);
      peer.phase = Phase.Alone;
      peer.peer = undefined;
      if (peer.pending !== undefined && peer.pendingKind === Pending.Forward) {
        // the rest of a frame that can no longer be delivered: discard it
        peer.skip = peer.pending.length - peer.pendingFill;
        peer.pending = undefined;
      }
      out.push({ type: 'send', connId: peer.id, bytes: PEER_LEFT_FRAME.slice() });
    }
    conn.peer = undefined;
    conn.phase = Phase.Alone;
    out.push({
      type: 'log',
      event: 'left',
      connId: conn.id,
      ...(peer !== undefined ? { peerId: peer.id } : {}),
      ...(room !== undefined ? { room } : {}),
    });
  }
}
