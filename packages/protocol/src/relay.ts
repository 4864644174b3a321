/**
 * The relay driver, sans-IO: it applies the rules of PROTOCOL.md §3.7 —
 * {@link RELAY_RULES} in `envelope.ts` — to each frame header as it arrives (read
 * with the same header reader as `FrameDecoder`), and owns what the table cannot:
 * rooms, pairs, partial frames, and the actions for the server. The server maps
 * connection ids to sockets and executes the returned actions in order; it writes
 * no byte-level or pairing code of its own.
 * @module
 */

import { _describe, _readU32 } from './_util';
import {
  decodeHello,
  ErrorCode,
  type ErrorCodeName,
  encodeError,
  encodePaired,
  encodeWaiting,
  MAX_HELLO_BODY,
  PROTOCOL_VERSION,
  RELAY_RULES,
  type RelayState,
  type RelayVerdict,
  relayFrameClass,
} from './envelope';
import { LocalProtocolError, RemoteProtocolError } from './errors';
import { _checkMaxFrameLength, _HeaderReader, _writeHeader, encodeFrame, FrameType, lengths } from './frame';

/** What the server must do, in order. */
export type RelayAction =
  /**
   * write these bytes to that connection. Do not mutate them: they may be views of
   * the input, of this call or of earlier ones (the pieces of a frame split across
   * reads go out as several sends, one after the other, in the call that brings its
   * last byte: write a call's sends in order, nothing between them)
   */
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
  /**
   * A frame to forward that is split across chunks: the bytes of it that arrived in
   * earlier chunks (`pieces`, `held` bytes in all) and how many are still to come
   * (`owed`). Pieces of a socket read's size are kept as views of the input, not
   * copied; once a small piece comes (a trickle), the frame is gathered in one
   * buffer (`gather`) that grows with the bytes received, never to more than twice
   * them (or MIN_GATHER), whatever length the header claims. When the last byte
   * arrives, the pieces go out one after the other in the same `receive` result,
   * so the peer gets the frame whole and the relay can always put PEER_LEFT or
   * ERROR on a frame boundary.
   */
  pieces: Uint8Array[];
  /** the memory the pieces keep alive (what `bufferedBytes` counts) */
  held: number;
  owed: number;
  gather: Uint8Array | undefined;
  gatherFill: number;
  /** the length of the forwarded frame in progress (header included) */
  frameTotal: number;
  /** a HELLO or PING body split across chunks (at most MAX_HELLO_BODY bytes) */
  body: Uint8Array | undefined;
  bodyFill: number;
  bodyType: number;
  /** bytes passed to `receive` for this connection so far */
  bytesIn: number;
  /** offset in this connection's input of the first byte of the unfinished frame */
  frameStart: number;
  /** the length field of the unfinished frame (0 while its header is partial) */
  frameLength: number;
}

interface Room {
  waiting: Conn | undefined;
  full: boolean;
}

const HEADER = lengths.header;
const EMPTY = new Uint8Array(0);
const PONG = FrameType.PONG;
/** The first capacity of a gathered frame's buffer; it then doubles with what arrives. */
const MIN_GATHER = 1024;
/**
 * A piece of a split frame at least this long (and at least half of the ArrayBuffer
 * it views) is kept as a view of the input; any other starts gathering (a trickle
 * must not cost an object per byte, nor a view pin a big buffer for a few bytes).
 */
const KEEP_VIEW = 4096;
/** The first capacity of the PONG buffer of one `receive` call; it then doubles. */
const MIN_PONGS = 64;
const PEER_LEFT_FRAME = encodeFrame({ type: FrameType.PEER_LEFT, body: new Uint8Array(0) });

/**
 * {@link RELAY_RULES} compiled for the driver: per state, one entry per type byte
 * (0..255) with the state's verdict and the row's body cap. The same table, read in
 * O(1) per frame; nothing is decided here that the table does not say.
 */
interface CompiledRule {
  readonly verdict: RelayVerdict;
  /** the longest body the row allows (Infinity when it sets no cap) */
  readonly maxBody: number;
  /** the verdict for a longer body */
  readonly overMaxBody: RelayVerdict;
}

const COMPILED_RULES: Readonly<Record<RelayState, readonly CompiledRule[]>> = (() => {
  const states = Object.keys(RELAY_RULES[0]!.in) as RelayState[];
  const byClass = new Map(RELAY_RULES.map((rule) => [rule.frame, rule]));
  const compiled = {} as Record<RelayState, readonly CompiledRule[]>;
  for (const state of states) {
    compiled[state] = Object.freeze(
      Array.from({ length: 256 }, (_, type): CompiledRule => {
        const rule = byClass.get(relayFrameClass(type))!;
        const verdict = rule.in[state];
        return Object.freeze({
          verdict,
          maxBody: rule.maxBody ?? Number.POSITIVE_INFINITY,
          overMaxBody: rule.overMaxBody ?? verdict,
        });
      }),
    );
  }
  return Object.freeze(compiled);
})();

/** The verdict of the compiled table on a header: the state's verdict, or the row's over-cap one. */
function verdictOf(rule: CompiledRule, bodyLength: number): RelayVerdict {
  const { verdict } = rule;
  if (verdict in ErrorCode) return verdict;
  return bodyLength > rule.maxBody ? rule.overMaxBody : verdict;
}

/**
 * The relay's pairing and forwarding rules, sans-IO.
 *
 * - Before pairing a client may send HELLO (once) and PING; after it, any frame of
 *   type 0x10–0x1f is forwarded to the peer byte for byte (a whole frame that lies
 *   inside one `receive` chunk is forwarded as a view of that chunk, runs of them as
 *   one view; a frame split across chunks is held, as views of the chunks while they
 *   are large, and forwarded whole once its last byte comes, so the relay can always
 *   put PEER_LEFT or ERROR on a frame boundary).
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
  /** WAITING announcing this relay's frame cap (§3.2) */
  readonly #waitingFrame: Uint8Array;
  readonly #conns = new Map<string, Conn>();
  readonly #rooms = new Map<string, Room>();
  /** PONGs of the current `receive` call, written as one send (see {@link Relay.receive}) */
  #pongs: Uint8Array = EMPTY;
  #pongFill = 0;

  /**
   * @param options - `maxFrameLength` (default 65536)
   * @throws LocalProtocolError INVALID_ARGUMENT for a bad option
   */
  constructor(options: RelayOptions = {}) {
    this.#max = _checkMaxFrameLength(options.maxFrameLength);
    this.#waitingFrame = encodeFrame({
      type: FrameType.WAITING,
      body: encodeWaiting({ maxFrameLength: this.#max }),
    });
  }

  /** The number of open connections. */
  get connections(): number {
    return this.#conns.size;
  }

  /**
   * Bytes the relay holds for frames split across `receive` calls: partial headers
   * and the pieces of partial frames (at most one frame per connection). What it
   * holds of a partial frame grows with the bytes actually received, whatever length
   * its header announced: the pieces themselves, views of the input each counted by
   * the ArrayBuffer it keeps alive (at most twice the piece), or else one buffer of
   * at most max(1024, 2 × received) bytes, never more than `maxFrameLength` + 4. Whole frames are never held: they go out
   * as views of the input.
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
    const held = (conn: Conn) => conn.header.buffered + conn.held + (conn.body?.length ?? 0);
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
      pieces: [],
      held: 0,
      owed: 0,
      gather: undefined,
      gatherFill: 0,
      frameTotal: 0,
      body: undefined,
      bodyFill: 0,
      bodyType: 0,
      bytesIn: 0,
      frameStart: 0,
      frameLength: 0,
    });
    return [];
  }

  /**
   * Where a connection stands inside a frame: the server uses it to end a frame that
   * makes no progress (the relay reads no clock). A frame is unfinished from its
   * first header byte until its last body byte has arrived, whether the relay
   * buffers it (HELLO, PING, a frame to forward) or discards it (PONG, a frame
   * while alone).
   *
   * @param connId - the connection
   * @returns undefined at a frame boundary (or for an unknown id); else `start`, the
   *   offset of the frame's first byte in the connection's input (bytes passed to
   *   `receive` before it), `received`, how many of its bytes have arrived (header
   *   included), and `length`, its length field (0 while the header is partial)
   * @example
   * ```ts
   * relay.receive('a', Uint8Array.of(0, 0, 0x10, 0, 0x13, 1, 2));
   * relay.partialFrame('a'); // { start: 0, received: 7, length: 4096 }
   * ```
   */
  partialFrame(connId: string): { start: number; received: number; length: number } | undefined {
    const conn = this.#conns.get(connId);
    if (conn === undefined || conn.bytesIn === conn.frameStart) return undefined;
    return { start: conn.frameStart, received: conn.bytesIn - conn.frameStart, length: conn.frameLength };
  }

  /**
   * Bytes arrived on a connection.
   *
   * The PONGs owed for the PINGs of one call go out as one send (one write for the
   * server, however many PINGs the chunk held), in order with the other sends to
   * that connection.
   *
   * @param connId - the connection (unknown or closed ids are ignored)
   * @param bytes - the bytes, in any split. The relay may keep views of them until
   *   the frame they end in is whole: do not reuse or mutate the array afterwards
   *   (Node's socket chunks are fresh for each read)
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
    if (conn !== undefined) {
      this.#parse(conn, bytes, out);
      this.#flushPongs(conn, out);
    }
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
    const base = conn.bytesIn; // offset of bytes[0] in this connection's input
    conn.bytesIn += bytes.length;
    const n = bytes.length;
    let pos = 0;
    let run = -1; // start of a run of whole client-to-client frames to forward as one view
    let boundary = -1; // the start of the last frame header begun in this chunk
    while (pos < n) {
      if (conn.skip > 0) {
        const take = Math.min(conn.skip, n - pos);
        conn.skip -= take;
        pos += take;
        continue;
      }
      if (conn.owed > 0) {
        // The rest of a frame to forward begun in an earlier chunk.
        const take = Math.min(conn.owed, n - pos);
        conn.owed -= take;
        if (conn.owed > 0) {
          this.#keep(conn, bytes.subarray(pos, pos + take));
        } else {
          this.#release(conn, out); // what came before, then this chunk's part joined with the frames after it
          run = pos;
        }
        pos += take;
        continue;
      }
      const body = conn.body;
      if (body !== undefined) {
        // The rest of a HELLO or PING body.
        const take = Math.min(body.length - conn.bodyFill, n - pos);
        body.set(bytes.subarray(pos, pos + take), conn.bodyFill);
        conn.bodyFill += take;
        pos += take;
        if (conn.bodyFill === body.length) {
          conn.body = undefined;
          this.#answer(conn, conn.bodyType, body, out);
          if (!this.#conns.has(conn.id)) return;
        }
        continue;
      }
      // A frame header: §2's length checks, then the §3.7 table.
      const hs = pos;
      const rules = COMPILED_RULES[conn.phase];
      if (conn.header.buffered === 0) {
        boundary = hs;
        // A run of whole frames the table answers with PONG (a PING flood's shape):
        // one copy, one pass, however many.
        if (n - pos >= HEADER && rules[bytes[pos + 4]!]!.verdict === 'pong') {
          const end = _replyRun(bytes, pos, n, rules);
          if (end > pos) {
            run = this.#flushRun(conn, bytes, run, pos, out);
            this.#pongRun(bytes, pos, end);
            pos = end;
            continue;
          }
        }
      }
      const header = conn.header.read(bytes, pos);
      pos = header.pos;
      if ('partial' in header) {
        run = this.#flushRun(conn, bytes, run, hs, out); // the run ends where the partial header starts
        if (boundary >= 0) conn.frameStart = base + boundary; // else: begun in an earlier chunk
        conn.frameLength = 0;
        return;
      }
      const { length, type, whole } = header;
      conn.frameLength = length;
      const bodyLength = length - 1;
      const lengthError = conn.header.check(length);
      const verdict = lengthError ? undefined : verdictOf(rules[type]!, bodyLength);
      if (lengthError !== undefined || (verdict !== undefined && verdict in ErrorCode)) {
        run = this.#flushRun(conn, bytes, run, hs, out);
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
        const available = n - pos;
        if (available >= bodyLength) {
          // Whole here: part of the run (after its header, if that began in an earlier chunk).
          if (!whole) {
            this.#forward(conn, headerBytes(length, type), out);
            run = pos;
          } else if (run < 0) run = hs;
          pos += bodyLength;
          continue;
        }
        // Split: kept (as views where it can) until its last byte comes.
        run = this.#flushRun(conn, bytes, run, hs, out);
        conn.frameTotal = HEADER + bodyLength;
        conn.owed = bodyLength - available;
        if (whole) {
          this.#keep(conn, bytes.subarray(hs, n));
        } else {
          this.#keep(conn, headerBytes(length, type));
          this.#keep(conn, bytes.subarray(pos, n));
        }
        pos = n;
        continue;
      }
      run = this.#flushRun(conn, bytes, run, hs, out);
      if (verdict === 'discard') {
        conn.skip = bodyLength;
        continue;
      }
      // 'hello', 'pong': the body is needed (≤ MAX_HELLO_BODY: the rows cap it)
      if (n - pos >= bodyLength) {
        const whole = bytes.subarray(pos, pos + bodyLength);
        pos += bodyLength;
        this.#answer(conn, type, whole, out);
        if (!this.#conns.has(conn.id)) return;
      } else {
        const partial = new Uint8Array(bodyLength);
        partial.set(bytes.subarray(pos), 0);
        conn.body = partial;
        conn.bodyFill = n - pos;
        conn.bodyType = type;
        pos = n;
      }
    }
    this.#flushRun(conn, bytes, run, pos, out);
    if (conn.skip === 0 && conn.owed === 0 && conn.body === undefined && conn.header.buffered === 0)
      conn.frameStart = conn.bytesIn;
    else if (boundary >= 0) conn.frameStart = base + boundary;
  }

  /**
   * Forwards the run of whole frames `bytes[run, end)` (none when `run` is -1).
   * (A method, not a closure in `#parse`: no allocation per call.)
   *
   * @returns -1, the new run start
   */
  #flushRun(conn: Conn, bytes: Uint8Array, run: number, end: number, out: RelayAction[]): number {
    if (run >= 0) this.#forward(conn, bytes.subarray(run, end), out);
    return -1;
  }

  /**
   * Holds a piece of a split frame to forward (see `Conn.pieces`): a view while the
   * pieces are large; once a small one comes, all of the frame in one buffer that
   * grows with the bytes received (at most twice them, at least MIN_GATHER, never
   * past the frame's length).
   */
  #keep(conn: Conn, piece: Uint8Array): void {
    let gather = conn.gather;
    if (gather === undefined) {
      // A view keeps its whole ArrayBuffer alive: only when that is at most twice the piece.
      if (piece.length >= KEEP_VIEW && piece.buffer.byteLength <= 2 * piece.length) {
        conn.pieces.push(piece);
        conn.held += piece.buffer.byteLength; // the memory it keeps alive
        return;
      }
      gather = new Uint8Array(
        Math.min(conn.frameTotal, Math.max(MIN_GATHER, 2 * (keptBytes(conn) + piece.length))),
      );
      let at = 0;
      for (const kept of conn.pieces) {
        gather.set(kept, at);
        at += kept.length;
      }
      conn.pieces = [];
      conn.gather = gather;
      conn.gatherFill = at;
      conn.held = gather.length;
    }
    const fill = conn.gatherFill;
    if (fill + piece.length > gather.length) {
      const grown = new Uint8Array(
        Math.min(conn.frameTotal, Math.max(fill + piece.length, 2 * gather.length)),
      );
      grown.set(gather.subarray(0, fill), 0);
      gather = grown;
      conn.gather = grown;
      conn.held = grown.length;
    }
    gather.set(piece, fill);
    conn.gatherFill = fill + piece.length;
  }

  /** Sends what was kept of a split frame to the peer, in order, and forgets it. */
  #release(conn: Conn, out: RelayAction[]): void {
    const peer = conn.peer;
    if (peer !== undefined) {
      if (conn.gather !== undefined) {
        out.push({ type: 'send', connId: peer.id, bytes: conn.gather.subarray(0, conn.gatherFill) });
      } else {
        for (const piece of conn.pieces) out.push({ type: 'send', connId: peer.id, bytes: piece });
      }
    }
    forgetPieces(conn);
  }

  /** The table said `pong` (answer PONG with the body) or `hello` (pair or wait). */
  #answer(conn: Conn, type: number, body: Uint8Array, out: RelayAction[]): void {
    if (COMPILED_RULES[conn.phase][type]!.verdict === 'pong') {
      this.#pong(body); // answered with the others of this receive() call, in order
      return;
    }
    this.#envelope(conn, type, body, out);
  }

  /** Room for `size` more bytes of PONGs. */
  #pongRoom(size: number): Uint8Array {
    const need = this.#pongFill + size;
    if (need > this.#pongs.length) {
      const grown = new Uint8Array(Math.max(MIN_PONGS, need, 2 * this.#pongs.length));
      grown.set(this.#pongs.subarray(0, this.#pongFill), 0);
      this.#pongs = grown;
    }
    return this.#pongs;
  }

  /** Queues the PONG answering a PING whose body is `body` (≤ 32 bytes: checked on the header). */
  #pong(body: Uint8Array): void {
    const out = this.#pongRoom(HEADER + body.length);
    _writeHeader(out, this.#pongFill, body.length + 1, PONG);
    out.set(body, this.#pongFill + HEADER);
    this.#pongFill += HEADER + body.length;
  }

  /** Queues the PONGs answering the run of whole frames `src[start, end)` (see {@link _replyRun}). */
  #pongRun(src: Uint8Array, start: number, end: number): void {
    const out = this.#pongRoom(end - start);
    const at = this.#pongFill;
    out.set(src.subarray(start, end), at);
    // A PONG echoes the body: it is the frame with another type byte.
    const stop = at + (end - start);
    for (let p = at; p < stop; p += 4 + _readU32(out, p)) out[p + 4] = PONG;
    this.#pongFill = stop;
  }

  /** Sends the PONGs queued so far in this `receive` call to `conn`, as one send. */
  #flushPongs(conn: Conn, out: RelayAction[]): void {
    if (this.#pongFill === 0) return;
    out.push({ type: 'send', connId: conn.id, bytes: this.#pongs.subarray(0, this.#pongFill) });
    this.#pongs = EMPTY; // handed to the server: never written again
    this.#pongFill = 0;
  }

  #forward(conn: Conn, bytes: Uint8Array, out: RelayAction[]): void {
    if (bytes.length > 0 && conn.peer !== undefined) out.push({ type: 'send', connId: conn.peer.id, bytes });
  }

  #envelope(conn: Conn, _type: number, body: Uint8Array, out: RelayAction[]): void {
    this.#flushPongs(conn, out); // what this HELLO brings comes after the PONGs before it
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
        unsupported
          ? `unsupported protocol version ${body[0]}: this relay speaks arctalk protocol version ${PROTOCOL_VERSION}; upgrade the client`
          : 'malformed HELLO',
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
      out.push({ type: 'send', connId: conn.id, bytes: this.#waitingFrame.slice() });
      return;
    }
    existing.waiting = undefined;
    existing.full = true;
    waiting.phase = 'paired';
    conn.phase = 'paired';
    waiting.peer = conn;
    conn.peer = waiting;
    // Each side learns the relay's cap (§3.3): DATA is sized to it and to the peer's (§6.1).
    const maxFrameLength = this.#max;
    const toInitiator = encodePaired({ role: 'initiator', maxFrameLength, peerName: name });
    const toResponder = encodePaired({ role: 'responder', maxFrameLength, peerName: waiting.name! });
    out.push(
      { type: 'send', connId: waiting.id, bytes: encodeFrame({ type: FrameType.PAIRED, body: toInitiator }) },
      { type: 'send', connId: conn.id, bytes: encodeFrame({ type: FrameType.PAIRED, body: toResponder }) },
      { type: 'log', event: 'paired', connId: waiting.id, peerId: conn.id, room },
    );
  }

  /** ERROR + close for `conn`, then forget it. */
  #fail(conn: Conn, code: number, message: string, out: RelayAction[]): void {
    this.#flushPongs(conn, out);
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
      if (peer.owed > 0) {
        // the rest of a frame that can no longer be delivered: discard it
        peer.skip = peer.owed;
        peer.owed = 0;
        forgetPieces(peer);
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

/** The bytes of a split frame kept in views so far. */
function keptBytes(conn: Conn): number {
  let kept = 0;
  for (const piece of conn.pieces) kept += piece.length;
  return kept;
}

/** Forgets the kept pieces of a split frame. */
function forgetPieces(conn: Conn): void {
  conn.pieces = [];
  conn.held = 0;
  conn.gather = undefined;
  conn.gatherFill = 0;
}

/** A frame header on its own (for a frame whose header was split across chunks). */
function headerBytes(length: number, type: number): Uint8Array {
  const header = new Uint8Array(HEADER);
  _writeHeader(header, 0, length, type);
  return header;
}

/**
 * The end of the run of whole frames from `pos` in `bytes[0, n)` that `rules` answer
 * with PONG (PING, in every state of §3.7), each within its row's body cap; `pos`
 * if there is none.
 */
function _replyRun(bytes: Uint8Array, pos: number, n: number, rules: readonly CompiledRule[]): number {
  let p = pos;
  while (n - p >= HEADER) {
    const rule = rules[bytes[p + 4]!]!;
    if (rule.verdict !== 'pong') break;
    const length = _readU32(bytes, p);
    if (length === 0 || length - 1 > rule.maxBody || n - p < 4 + length) break;
    p += 4 + length;
  }
  return p;
}
