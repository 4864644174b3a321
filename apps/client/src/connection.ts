/**
 * The client's I/O around the sans-IO `ClientSession` of @arctalk/protocol:
 * it owns the TCP socket and the keepalive timer; the session owns every
 * protocol decision. Bytes from the socket go into `session.receive`, and
 * whatever `session.takeOutput()` holds afterwards goes back out, in order.
 */
import net from 'node:net';
import { ClientSession, type SessionEvent } from '@arctalk/protocol';
import type { ClientConfig } from './config.js';

/**
 * The most bytes the client lets wait unsent in its socket. Its own text is paced by
 * backpressure (pipe mode pauses stdin), so only unsolicited output can grow past
 * this: PONGs to a server that floods PINGs and never reads. Past it the connection
 * is dropped ("connection lost") instead of buffering without bound.
 */
export const MAX_UNSENT_BYTES = 4 * 1024 * 1024;

const concat = (a: Uint8Array, b: Uint8Array): Uint8Array => {
  const out = new Uint8Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
};

/** The server could not be reached: exit code 3. */
export class CannotConnectError extends Error {
  override readonly name = 'CannotConnectError';
}

/**
 * Opens a TCP connection.
 *
 * @param host - server host
 * @param port - server port
 * @param timeoutMs - give up after this long
 * @returns the connected socket
 * @throws CannotConnectError (ECONNREFUSED, ENOTFOUND, EHOSTUNREACH, timeout, ...)
 */
export function connectTcp(host: string, port: number, timeoutMs: number): Promise<net.Socket> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host, port });
    const fail = (reason: string) => {
      clearTimeout(timer);
      socket.destroy();
      reject(new CannotConnectError(reason));
    };
    const timer = setTimeout(() => fail(`timed out after ${timeoutMs / 1000} s`), timeoutMs);
    socket.once('error', (error: NodeJS.ErrnoException) => fail(error.code ?? error.message));
    socket.once('connect', () => {
      clearTimeout(timer);
      socket.removeAllListeners('error');
      socket.setNoDelay(true);
      resolve(socket);
    });
  });
}

/**
 * The address did not answer as an arctalk relay: it sent something that is not an
 * arctalk frame, or closed without a frame (`NOT_A_RELAY`, exit 10), or sent nothing
 * at all within the connect timeout (`NO_ANSWER`, exit 3). Delivered as a session
 * `error` event, so that both modes classify it like any other fatal error.
 */
export class RelayAnswerError extends Error {
  override readonly name = 'RelayAnswerError';
  /**
   * @param code - NOT_A_RELAY or NO_ANSWER
   * @param message - one line naming the address
   */
  constructor(
    readonly code: 'NOT_A_RELAY' | 'NO_ANSWER',
    message: string,
  ) {
    super(message);
  }
}

/** Until the relay's first frame: whom we called, and for how long we wait. */
export interface AnswerGate {
  /** `host:port` as shown to the user */
  address: string;
  /** ms to wait for the relay's first frame (what is left of --connect-timeout) */
  timeoutMs: number;
  /** the whole --connect-timeout, ms, as the messages name it (default: timeoutMs) */
  limitMs?: number;
}

/** The first bytes an impostor sent, printable: `"HTTP/1.1 400 Bad Req…"`. */
function quoteBytes(bytes: Uint8Array): string {
  const shown = [...bytes.subarray(0, 24)]
    .map((byte) => (byte >= 0x20 && byte < 0x7f && byte !== 0x22 ? String.fromCharCode(byte) : '.'))
    .join('');
  return `"${shown}${bytes.length > 24 ? '…' : ''}"`;
}

/** Callbacks of a {@link Connection}. */
export interface ConnectionHandlers {
  /** a session event, in order */
  onEvent(event: SessionEvent): void;
  /** the socket closed; `expected` is false unless {@link Connection.close} or {@link Connection.finish} was called */
  onClose(expected: boolean, error: Error | undefined): void;
  /** the socket accepts writes again after `send` returned false */
  onDrain?(): void;
  /**
   * the handshake made no progress for `handshakeTimeoutMs`: the app ends the session
   * (exit 11, or, when the session says a stall now means a failed confirmation, that
   * error: see {@link ClientSession.stallError})
   */
  onHandshakeTimeout?(): void;
  /** both ENDs crossed but the peer did not acknowledge ours within `ackTimeoutMs` (exit 12) */
  onAckTimeout?(): void;
}

/**
 * Session states in which the client waits for the peer (through the relay) to move
 * the key exchange on: from PAIRED to SECURED. Before the relay's first frame the
 * answer gate (--connect-timeout) applies; WAITING is not a stalled handshake (a peer
 * may take as long as the user likes to arrive).
 */
const HANDSHAKE_STATES: ReadonlySet<string> = new Set(['committing', 'exchanging', 'confirming']);

/**
 * Creates the session for a configuration.
 *
 * @param config - the resolved configuration
 * @param randomBytes - optional randomness source (tests)
 * @returns a fresh ClientSession
 * @throws LocalProtocolError from the session on invalid options
 */
export function createSession(
  config: ClientConfig,
  randomBytes?: (length: number) => Uint8Array,
): ClientSession {
  return new ClientSession({
    room: config.room,
    name: config.name,
    group: config.group,
    minGroupBits: config.minGroupBits,
    ...(config.passphrase ? { passphrase: config.passphrase } : {}),
    ...(randomBytes ? { randomBytes } : {}),
  });
}

/** A session bound to a socket. */
export class Connection {
  readonly session: ClientSession;
  private readonly socket: net.Socket;
  private readonly handlers: ConnectionHandlers;
  private closing = false;
  private closed = false;
  private keepalive: NodeJS.Timeout | undefined;
  private readonly maxUnsentBytes: number;
  /** the relay has sent a frame we understood (WAITING, PAIRED or ERROR) */
  private answered: boolean;
  private answerTimer: NodeJS.Timeout | undefined;
  private readonly gate: AnswerGate | undefined;
  /** the first bytes received before the relay answered (for the message) */
  private firstBytes: Uint8Array = new Uint8Array(0);
  private readonly handshakeTimeoutMs: number;
  private handshakeTimer: NodeJS.Timeout | undefined;
  private lastState: string | undefined;
  private readonly ackTimeoutMs: number;
  private ackTimer: NodeJS.Timeout | undefined;

  /**
   * Starts the session (queues HELLO) and begins reading.
   *
   * @param socket - a connected socket
   * @param session - a fresh session
   * @param handlers - event callbacks
   * @param keepaliveMs - send a PING this often (0: never)
   * @param maxUnsentBytes - drop the connection when more than this waits unsent
   * @param gate - when given, the relay must send its first frame within `gate.timeoutMs`,
   *   and anything else before it (bytes that are not an arctalk frame, a close) is a
   *   {@link RelayAnswerError} event instead of a protocol error or a lost connection
   * @param handshakeTimeoutMs - give up when the handshake stays in one state this long (0: never)
   * @param ackTimeoutMs - once both ENDs crossed, wait this long for the peer's ACK of ours (0: never)
   */
  constructor(
    socket: net.Socket,
    session: ClientSession,
    handlers: ConnectionHandlers,
    keepaliveMs = 0,
    maxUnsentBytes = MAX_UNSENT_BYTES,
    gate?: AnswerGate,
    handshakeTimeoutMs = 0,
    ackTimeoutMs = 0,
  ) {
    this.ackTimeoutMs = ackTimeoutMs;
    this.socket = socket;
    this.maxUnsentBytes = maxUnsentBytes;
    this.handshakeTimeoutMs = handshakeTimeoutMs;
    this.session = session;
    this.handlers = handlers;
    this.gate = gate;
    this.answered = gate === undefined;
    if (gate) {
      this.answerTimer = setTimeout(() => {
        const seconds = Math.round((gate.limitMs ?? gate.timeoutMs) / 100) / 10;
        this.notARelay(
          this.firstBytes.length === 0
            ? new RelayAnswerError('NO_ANSWER', `no answer from ${gate.address} within ${seconds} s`)
            : new RelayAnswerError(
                'NOT_A_RELAY',
                `${gate.address} is not an arctalk relay (no arctalk frame within ${seconds} s; it sent ${quoteBytes(this.firstBytes)})`,
              ),
        );
      }, gate.timeoutMs);
    }
    socket.on('data', (chunk: Buffer) =>
      this.receive(new Uint8Array(chunk.buffer, chunk.byteOffset, chunk.length)),
    );
    socket.on('drain', () => this.handlers.onDrain?.());
    let socketError: Error | undefined;
    socket.on('error', (error) => {
      socketError = error;
    });
    socket.on('close', () => {
      this.closed = true;
      this.stopKeepalive();
      if (!this.answered && !this.closing && this.gate) {
        const { address } = this.gate;
        this.notARelay(
          new RelayAnswerError(
            'NOT_A_RELAY',
            this.firstBytes.length === 0
              ? `${address} is not an arctalk relay (it closed the connection without answering)`
              : `${address} is not an arctalk relay (it sent ${quoteBytes(this.firstBytes)} and closed)`,
          ),
        );
      }
      clearTimeout(this.handshakeTimer);
      clearTimeout(this.ackTimer);
      if (!this.closing) this.reportTransportClosed();
      this.handlers.onClose(this.closing, socketError);
    });
    if (keepaliveMs > 0) {
      // The relay answers PING itself at any time after HELLO; the traffic keeps the
      // server's idle timer from closing a quiet conversation (or a long wait for a peer).
      this.keepalive = setInterval(() => {
        const { state } = this.session;
        if (this.closing || state === 'idle' || state === 'closed' || state === 'failed') return;
        try {
          this.session.ping();
          this.flush();
        } catch {
          // A session that cannot ping has failed; its error event says why.
        }
      }, keepaliveMs);
      this.keepalive.unref();
    }
    session.start();
    this.flush();
    this.watchHandshake();
  }

  /**
   * The handshake deadline (PROTOCOL.md §10: the client's own handshake timeout): restarted on
   * every change of the session's state, so it measures "no progress", and running
   * only in {@link HANDSHAKE_STATES}. Keepalive PINGs and the relay's PONGs do not
   * count as progress: a relay that withholds the next handshake frame (or makes both
   * clients responders) is caught although the connection itself stays busy.
   * The decision is the session's state alone; the timer is the only I/O, so the
   * deadline can move into the sans-IO core (returned like quinn's poll_timeout) as is.
   */
  private watchHandshake(): void {
    const { state } = this.session;
    if (state === this.lastState) return;
    this.lastState = state;
    clearTimeout(this.handshakeTimer);
    this.handshakeTimer = undefined;
    if (this.handshakeTimeoutMs <= 0 || !HANDSHAKE_STATES.has(state) || this.closing) return;
    this.handshakeTimer = setTimeout(() => {
      this.handshakeTimer = undefined;
      if (!this.closing && this.session.state === state) this.handlers.onHandshakeTimeout?.();
    }, this.handshakeTimeoutMs);
    this.handshakeTimer.unref();
  }

  /**
   * The wait for the peer's ACK of our END (PROTOCOL.md §6.4, §6.5): armed once both
   * ENDs have crossed and ours is not acknowledged, restarted by every ACK (progress),
   * disarmed when the session closes. The decision is the session's; the timer is I/O.
   */
  private watchAck(): void {
    const s = this.session;
    const waiting = s.state === 'secured' && s.ended && s.peerEnded && !s.endAcknowledged;
    if (!waiting || this.closing || this.ackTimeoutMs <= 0) {
      clearTimeout(this.ackTimer);
      this.ackTimer = undefined;
      return;
    }
    if (this.ackTimer !== undefined) return;
    this.ackTimer = setTimeout(() => {
      this.ackTimer = undefined;
      const now = this.session;
      if (!this.closing && now.state === 'secured' && !now.endAcknowledged) this.handlers.onAckTimeout?.();
    }, this.ackTimeoutMs);
    this.ackTimer.unref();
  }

  /** Bytes written to and read from the socket (ciphertext and framing). */
  get wire(): { written: number; read: number } {
    return { written: this.socket.bytesWritten, read: this.socket.bytesRead };
  }

  /** True once the socket has closed. */
  get isClosed(): boolean {
    return this.closed;
  }

  private receive(bytes: Uint8Array): void {
    // A failed session refuses input by throwing; whatever the server or peer sends
    // after the fault (while the app winds down) is dropped, not a crash.
    if (this.session.state === 'failed' || this.closing) return;
    if (!this.answered && this.firstBytes.length <= 24) {
      this.firstBytes = concat(this.firstBytes, bytes.subarray(0, 25 - this.firstBytes.length));
    }
    const events = this.session.receive(bytes);
    if (!this.answered) {
      const answer = events.some(
        (event) =>
          event.type === 'waiting' ||
          event.type === 'paired' ||
          (event.type === 'error' && event.error.code === 'RELAY_ERROR'),
      );
      // A whole arctalk frame (a malformed PAIRED, an ERROR with a bad body…) is an arctalk
      // relay misbehaving: a protocol error, reported as such, not "not an arctalk relay".
      if (answer || this.session.framesReceived > 0) {
        this.answered = true;
        clearTimeout(this.answerTimer);
      } else if (events.some((event) => event.type === 'error')) {
        // Not an arctalk frame before the relay's first: whoever answered is no relay.
        this.notARelay(
          new RelayAnswerError(
            'NOT_A_RELAY',
            `${this.gate!.address} is not an arctalk relay (it sent ${quoteBytes(this.firstBytes)})`,
          ),
        );
        return;
      }
    }
    // Handshake replies first (CONFIRM, KEX...), before the app reacts.
    this.flush();
    this.watchHandshake();
    this.watchAck();
    for (const event of events) this.handlers.onEvent(event);
  }

  /** Ends a connection whose other end is not (or not yet) an arctalk relay. */
  private notARelay(error: RelayAnswerError): void {
    if (this.answered) return;
    this.answered = true;
    clearTimeout(this.answerTimer);
    this.closing = true;
    this.stopKeepalive();
    this.socket.destroy();
    this.handlers.onEvent({ type: 'error', error } as unknown as SessionEvent);
  }

  /**
   * Writes whatever the session has queued.
   *
   * @returns false if the socket's buffer is full (wait for onDrain)
   */
  flush(): boolean {
    const output = this.session.takeOutput();
    if (output.length === 0 || this.socket.destroyed) return !this.socket.writableNeedDrain;
    const ok = this.socket.write(output);
    if (this.socket.writableLength > this.maxUnsentBytes) {
      this.socket.destroy(new Error(`the server stopped reading (over ${this.maxUnsentBytes} bytes unsent)`));
    }
    return ok;
  }

  /**
   * Sends text: the session splits it into DATA frames that fit the path
   * ({@link ClientSession.maxDataLength}), written in one socket write.
   *
   * @param bytes - plaintext
   * @returns false if the socket's buffer is full: pause the source until onDrain
   * @throws LocalProtocolError from the session (NOT_SECURED, ENDED, BUDGET_EXHAUSTED)
   */
  send(bytes: Uint8Array): boolean {
    this.session.send(bytes);
    return this.flush();
  }

  /**
   * Queues our END (half-close) and resolves once it has been handed to the kernel.
   *
   * @returns a promise for the write
   */
  end(): Promise<void> {
    if (!this.session.ended) this.session.end();
    this.watchAck();
    return this.flushed();
  }

  /** Resolves when everything written so far has left the socket's buffer. */
  flushed(): Promise<void> {
    const output = this.session.takeOutput();
    return new Promise((resolve) => {
      if (this.socket.destroyed) return resolve();
      this.socket.write(output, () => resolve());
    });
  }

  /**
   * Ends the connection after writing what is queued; resolves when the socket has closed
   * (or after `timeoutMs`, when it is destroyed).
   *
   * @param timeoutMs - how long to wait for the server to close its side
   */
  async finish(timeoutMs = 2000): Promise<void> {
    clearTimeout(this.answerTimer);
    clearTimeout(this.ackTimer);
    this.closing = true;
    this.stopKeepalive();
    if (this.closed) return;
    await this.flushed();
    await new Promise<void>((resolve) => {
      if (this.closed) return resolve();
      const timer = setTimeout(() => {
        this.socket.destroy();
        resolve();
      }, timeoutMs);
      timer.unref();
      this.socket.once('close', () => {
        clearTimeout(timer);
        resolve();
      });
      this.socket.end();
    });
  }

  /** Closes at once, discarding anything unsent. */
  close(): void {
    clearTimeout(this.answerTimer);
    this.closing = true;
    this.stopKeepalive();
    clearTimeout(this.handshakeTimer);
    clearTimeout(this.ackTimer);
    this.socket.destroy();
  }

  /** Stops reading from the socket (backpressure from our own output). */
  /**
   * The transport closed under a live session: the session may know better than
   * "connection lost" (PROTOCOL.md §4.4: gone during key confirmation is a wrong code
   * or passphrase), and then that error is delivered as an event before onClose.
   */
  private reportTransportClosed(): void {
    const { state } = this.session;
    if (state === 'idle' || state === 'closed' || state === 'failed') return;
    let events: SessionEvent[];
    try {
      events = this.session.transportClosed();
    } catch {
      return;
    }
    const specific = events.find((e) => e.type === 'error' && e.error.code !== 'CONNECTION_LOST');
    if (specific) this.handlers.onEvent(specific);
  }

  pause(): void {
    this.socket.pause();
  }

  /** Resumes reading from the socket. */
  resume(): void {
    this.socket.resume();
  }

  private stopKeepalive(): void {
    if (this.keepalive) clearInterval(this.keepalive);
    this.keepalive = undefined;
  }
}
