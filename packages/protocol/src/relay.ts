/**
 * The relay driver, sans-IO: it applies the rules of PROTOCOL.md §3.7 —
 * {@link RELAY_RULES} in `envelope.ts` — to each frame header as it arrives (read
 * with the same header reader as `FrameDecoder`), and owns what the table cannot:
 * rooms, pairs, partial frames, and the actions for the server. The server maps
 * connection ids to sockets and executes the returned actions in order; it writes
 * no byte-level or pairing code of its own.
 * @module
 */

import { _describe } from './_util';
import {
  decodeHello,
  ErrorCode,
  type ErrorCodeName,
  encodeError,
  encodePaired,
  MAX_HELLO_BODY,
  type RelayState,
  relayVerdict,
} from './envelope';
import { LocalProtocolError, RemoteProtocolError } from './errors';
import { _checkMaxFrameLength, _HeaderReader, _writeHeader, encodeFrame, FrameType, lengths } from './frame';

/** What the server must do, in order. */
export type RelayAction =
  /** write these bytes to that connection (do not mutate them: they may be views into the input) */
  | { type: 'send'; connId: string; bytes: Uint8Array }
  /** end that connection, after the sends before this action have been written */
  | { type: 'close'; connId: string }
  /**
   * stop that connection's handshake timer: its HELLO was accepted. The handshake
   * timeout is the time a connection has, from accept, to have its HELLO accepted;
   * a client that waits for its peer after that is bound by the idle timer only.
   */
  | { type: 'stop-timer'; connId: string; timer: 'handshake' }
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
}

enum Pending {
  None = 0,
  Forward = 1,
  Collect = 2,
}

interface Conn {
  readonly id: string;
  phase: RelayState;
  room: string | undefined;
  name: string | undefined;
  peer: Conn | undefined;
  /** the partial header, when a chunk ended inside one */
  readonly header: _HeaderReader;
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

const HEADER = lengths.header;
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
  readonly #conns = new Map<string, Conn>();
  readonly #rooms = new Map<string, Room>();

  /**
   * @param options - `maxFrameLength` (default 65536)
   * @throws LocalProtocolError INVALID_ARGUMENT for a bad option
   */
  constructor(options: RelayOptions = {}) {
    this.#max = _checkMaxFrameLength(options.maxFrameLength);
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
    const held = (conn: Conn) => conn.header.buffered + (conn.pending?.length ?? 0);
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
      phase: 'hello',
      room: undefined,
      name: undefined,
      peer: undefined,
      header: new _HeaderReader(this.#max),
      skip: 0,
      pending: undefined,
      pendingFill: 0,
      pendingKind: Pending.None,
      pendingType: 0,
    });
    return [];
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
   * A server timer fired. `'handshake'` ends a connection whose HELLO was not
   * accepted yet (ignored after: the relay said `stop-timer`); `'idle'` ends any
   * connection.
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
      if (conn.phase === 'hello') this.#fail(conn, ErrorCode.HANDSHAKE_TIMEOUT, 'no HELLO in time', out);
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
    const flush = (end: number) => {
      if (run >= 0) this.#forward(conn, bytes.subarray(run, end), out);
      run = -1;
    };
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
            if (conn.phase === 'paired') out.push({ type: 'send', connId: conn.peer!.id, bytes: pending });
          } else {
            this.#envelope(conn, conn.pendingType, pending, out);
            if (!this.#conns.has(conn.id)) return;
          }
        }
        continue;
      }
      // A frame header: §2's length checks, then the §3.7 table.
      const hs = pos;
      const header = conn.header.read(bytes, pos);
      pos = header.pos;
      if ('partial' in header) {
        flush(hs); // the run ends where the partial header starts
        return;
      }
      const { length, type, whole } = header;
      const bodyLength = length - 1;
      const lengthError = conn.header.check(length);
      const verdict = lengthError ? undefined : relayVerdict(conn.phase, type, bodyLength);
      if (lengthError !== undefined || (verdict !== undefined && verdict in ErrorCode)) {
        flush(hs);
        const code = lengthError ? (lengthError.code as ErrorCodeName) : (verdict as ErrorCodeName);
        const message =
          length === 0
            ? 'frame length 0'
            : lengthError
              ? `frame length ${length} exceeds ${this.#max}`
              : refusalMessage(code, type);
        this.#fail(conn, ErrorCode[code], message, out);
        return;
      }
      if (verdict === 'forward') {
        if (whole && n - pos >= bodyLength) {
          if (run < 0) run = hs;
          pos += bodyLength;
          continue;
        }
        flush(hs);
        const frame = new Uint8Array(HEADER + bodyLength);
        _writeHeader(frame, 0, length, type);
        const take = Math.min(bodyLength, n - pos);
        frame.set(bytes.subarray(pos, pos + take), HEADER);
        pos += take;
        if (take === bodyLength) {
          out.push({ type: 'send', connId: conn.peer!.id, bytes: frame });
        } else {
          conn.pending = frame;
          conn.pendingFill = HEADER + take;
          conn.pendingKind = Pending.Forward;
        }
        continue;
      }
      flush(hs);
      if (verdict === 'discard') {
        conn.skip = bodyLength;
        continue;
      }
      // 'hello' or 'pong': the body is needed
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
    flush(pos);
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
      room = hello.room;
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
    out.push(
      { type: 'stop-timer', connId: conn.id, timer: 'handshake' },
      { type: 'log', event: 'hello', connId: conn.id, room },
    );
    const existing = this.#rooms.get(room);
    if (existing?.full) {
      this.#fail(conn, ErrorCode.ROOM_FULL, 'room is full', out);
      return;
    }
    conn.room = room;
    conn.name = name;
    const waiting = existing?.waiting;
    if (existing === undefined || waiting === undefined) {
      conn.phase = 'waiting';
      this.#rooms.set(room, { waiting: conn, full: false });
      out.push({ type: 'send', connId: conn.id, bytes: WAITING_FRAME.slice() });
      return;
    }
    existing.waiting = undefined;
    existing.full = true;
    waiting.phase = 'paired';
    conn.phase = 'paired';
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
    if (conn.phase === 'waiting' && room !== undefined) {
      if (this.#rooms.get(room)?.waiting === conn) this.#rooms.delete(room);
    } else if (conn.phase === 'paired' && peer !== undefined) {
      this.#rooms.delete(room!);
      peer.phase = 'alone';
      peer.peer = undefined;
      if (peer.pending !== undefined && peer.pendingKind === Pending.Forward) {
        // the rest of a frame that can no longer be delivered: discard it
        peer.skip = peer.pending.length - peer.pendingFill;
        peer.pending = undefined;
      }
      out.push({ type: 'send', connId: peer.id, bytes: PEER_LEFT_FRAME.slice() });
    }
    conn.peer = undefined;
    conn.phase = 'alone';
    out.push({
      type: 'log',
      event: 'left',
      connId: conn.id,
      ...(peer !== undefined ? { peerId: peer.id } : {}),
      ...(room !== undefined ? { room } : {}),
    });
  }
}

/** The message of an ERROR the relay sends for a refused header (metadata only). */
function refusalMessage(code: ErrorCodeName, type: number): string {
  const t = `0x${type.toString(16).padStart(2, '0')}`;
  switch (code) {
    case 'UNKNOWN_FRAME_TYPE':
      return `unknown frame type ${t}`;
    case 'BAD_HELLO':
      return `HELLO body over ${MAX_HELLO_BODY} bytes`;
    case 'UNEXPECTED_FRAME':
      return type === FrameType.HELLO
        ? 'HELLO sent twice'
        : type >= 0x10
          ? 'client-to-client frame before pairing'
          : 'relay-to-client frame sent by a client';
    case 'MALFORMED_FRAME':
      return `${type === FrameType.PING ? 'PING' : 'PONG'} body over ${lengths.maxPing} bytes`;
    default:
      return `refused frame type ${t}`;
  }
}
