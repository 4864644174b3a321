/**
 * PROTOCOL.md §7, one end of an arctalk conversation, sans-IO (as h11 and snow):
 * bytes in → events out; calls → bytes queued, taken with `takeOutput()` (as
 * quinn-proto's `poll_transmit` and rustls's `write_tls`). This file holds the
 * options, the events, the transition table {@link TRANSITIONS} and the driver
 * that applies it; the handshake is `handshake.ts` (§4), the key schedule
 * `keys.ts` (§5), each direction's record layer `record.ts` (§6), the frames
 * `frame.ts` (§2) and `envelope.ts` (§3).
 * @module
 */
import type { DHGroup } from '@arctalk/dh';
import { concatBytes } from '@noble/hashes/utils';
import { _defaultRandomBytes, _describe } from './_util';
import {
  DEFAULT_ROOM,
  decodeEmpty,
  decodePaired,
  decodePing,
  decodeWaiting,
  encodeHello,
  type Role,
  relayError,
  validateName,
  validateRoom,
} from './envelope';
import {
  InternalProtocolError,
  LocalProtocolError,
  type ProtocolError,
  type ProtocolErrorCode,
  RemoteProtocolError,
} from './errors';
import {
  _checkMaxFrameLength,
  encodeFrame,
  FrameDecoder,
  FrameType,
  type FrameTypeName,
  frameTypeName,
  isKnownFrameType,
} from './frame';
import { groupPolicy, Handshake, type HandshakeConfig, type Secured } from './handshake';
import { passphraseBytes } from './keys';
import { DEFAULT_BYTE_BUDGET, MAX_DATA_LENGTH, recordLengths } from './record';

/** Bytes of a DATA body that are not plaintext: offset and tag. */
const DATA_OVERHEAD = recordLengths.offset + recordLengths.tag;

/** Options of {@link ClientSession}. Only `name` is required. */
export interface SessionOptions {
  /** the room to join, 1..64 bytes of UTF-8 once put in NFC; default {@link DEFAULT_ROOM} */
  room?: string;
  /** display name, 1..32 bytes of UTF-8 once put in NFC, no control characters */
  name: string;
  /**
   * the group this side proposes when it is the initiator; default 'ffdhe2048', or
   * the smallest ffdhe group of at least `minGroupBits`
   */
  group?: DHGroup | string;
  /** refuse a group smaller than this from the peer; default 2048 */
  minGroupBits?: number;
  /**
   * optional pre-shared passphrase mixed into the key schedule: a string is put in
   * NFC, then UTF-8 encoded; bytes are used as given (an application that reads text
   * from a file or the environment should decode it strictly and pass the string)
   */
  passphrase?: Uint8Array | string;
  /** randomness source; default `crypto.getRandomValues` (inject for reproducible sessions) */
  randomBytes?: (length: number) => Uint8Array;
  /**
   * cap on the length field of frames this side receives; default 65536, at least
   * 2048. Announced to the peer in KEX (§4.2): the peer's DATA frames fit it. This
   * side's own DATA frames fit the smaller of the peer's cap and the relay's (§6.1).
   */
  maxFrameLength?: number;
  /**
   * how many plaintext bytes this side sends at most; default and maximum 2^30, the
   * version's budget (§6.3). The peer's direction is always held to 2^30.
   */
  byteBudget?: number;
}

/** What {@link ClientSession.receive} reports. */
export type SessionEvent =
  | { type: 'waiting' }
  | { type: 'paired'; role: Role; peerName: string }
  | { type: 'secured'; sas: string; sasWords: readonly string[] }
  | { type: 'text'; data: Uint8Array }
  | { type: 'peer-ended' }
  /**
   * the peer acknowledged (§6.5) receiving `offset` bytes of ours, and our END when
   * `ended`: exactly what was sent has arrived, whatever the relay did
   */
  | { type: 'acknowledged'; offset: number; ended: boolean }
  | { type: 'peer-left'; ended: boolean }
  | { type: 'pong' }
  /**
   * the conversation is closed (§6.4): both ENDs have crossed and the peer
   * acknowledged ours, hence every byte we sent
   */
  | { type: 'closed' }
  | { type: 'error'; error: ProtocolError };

/** The states of a session, in the order a session moves through them; see {@link TRANSITIONS}. */
export const SESSION_STATES = Object.freeze([
  'idle',
  'hello-sent',
  'waiting',
  'committing',
  'exchanging',
  'confirming',
  'secured',
  'closed',
  'failed',
] as const);

/** A state of a session: one of {@link SESSION_STATES}. */
export type SessionState = (typeof SESSION_STATES)[number];

/** Inputs of the state machine: the caller's calls, the end of the transport, and received frame types. */
export type SessionInput = 'start' | 'send' | 'end' | 'ping' | 'eof' | FrameTypeName;

/** The flags a transition's guard or target may read. */
export interface SessionFlags {
  readonly role: Role | undefined;
  readonly ended: boolean;
  readonly peerEnded: boolean;
  readonly peerLeft: boolean;
  /** the peer acknowledged our END (§6.5) */
  readonly endAcked: boolean;
}

/** The handler a transition runs (a private method of ClientSession). */
export type SessionAction =
  | 'sendHello'
  | 'sendPing'
  | 'sendData'
  | 'sendEnd'
  | 'onWaiting'
  | 'onPaired'
  | 'onPing'
  | 'onPong'
  | 'onRelayError'
  | 'onPeerLeft'
  | 'onCommit'
  | 'onKex'
  | 'onConfirm'
  | 'onData'
  | 'onEnd'
  | 'onAck'
  | 'onConnectionLost'
  | 'none';

/** One row of the transition table. */
export interface Transition {
  /** the input */
  readonly on: SessionInput;
  /** the states it applies in */
  readonly from: readonly SessionState[];
  /** only for this role */
  readonly role?: Role;
  /** extra condition on the flags */
  readonly when?: (flags: SessionFlags) => boolean;
  /** the next state: fixed, computed from the flags after the action, or unchanged */
  readonly to: SessionState | 'same' | ((flags: SessionFlags) => SessionState);
  /** what happens */
  readonly run: SessionAction;
}

const STARTED = SESSION_STATES.filter((s) => s !== 'idle' && s !== 'failed');
const PAIRED: readonly SessionState[] = ['committing', 'exchanging', 'confirming', 'secured'];

/**
 * Every transition of a session, in one table (as h11's `_state.py`). An input
 * with no matching row is refused: a received frame with UNEXPECTED_FRAME (the
 * session fails), a call with a {@link LocalProtocolError} (nothing changes).
 * Handlers that detect a fault throw {@link RemoteProtocolError}, which moves the
 * session to 'failed' whatever the row says.
 */
export const TRANSITIONS: readonly Transition[] = Object.freeze(
  (
    [
      // the caller
      { on: 'start', from: ['idle'], to: 'hello-sent', run: 'sendHello' },
      { on: 'ping', from: STARTED, to: 'same', run: 'sendPing' },
      { on: 'send', from: ['secured'], when: (f) => !f.ended, to: 'same', run: 'sendData' },
      // closed needs the peer's ACK of our END too (§6.4): never right after end()
      { on: 'end', from: ['secured'], when: (f) => !f.ended, to: 'same', run: 'sendEnd' },
      // the transport
      { on: 'eof', from: ['idle', 'closed'], to: 'same', run: 'none' },
      { on: 'eof', from: STARTED.filter((s) => s !== 'closed'), to: 'failed', run: 'onConnectionLost' },
      // the relay
      { on: 'WAITING', from: ['hello-sent'], to: 'waiting', run: 'onWaiting' },
      { on: 'PAIRED', from: ['hello-sent', 'waiting'], to: 'committing', run: 'onPaired' },
      { on: 'PING', from: STARTED, to: 'same', run: 'onPing' },
      { on: 'PONG', from: STARTED, to: 'same', run: 'onPong' },
      { on: 'ERROR', from: STARTED, to: 'failed', run: 'onRelayError' },
      { on: 'PEER_LEFT', from: PAIRED, to: 'closed', run: 'onPeerLeft' },
      { on: 'PEER_LEFT', from: ['closed'], when: (f) => !f.peerLeft, to: 'closed', run: 'onPeerLeft' },
      // the peer: handshake
      { on: 'COMMIT', from: ['committing'], role: 'responder', to: 'exchanging', run: 'onCommit' },
      { on: 'KEX', from: ['committing'], role: 'initiator', to: 'confirming', run: 'onKex' },
      { on: 'KEX', from: ['exchanging'], role: 'responder', to: 'confirming', run: 'onKex' },
      { on: 'CONFIRM', from: ['confirming'], to: 'secured', run: 'onConfirm' },
      // the peer: conversation
      { on: 'DATA', from: ['secured'], when: (f) => !f.peerEnded, to: 'same', run: 'onData' },
      {
        on: 'END',
        from: ['secured'],
        when: (f) => !f.peerEnded,
        to: (f) => (f.ended && f.endAcked ? 'closed' : 'secured'),
        run: 'onEnd',
      },
      {
        on: 'ACK',
        from: ['secured'],
        to: (f) => (f.ended && f.peerEnded && f.endAcked ? 'closed' : 'secured'),
        run: 'onAck',
      },
    ] satisfies Transition[]
  ).map((t): Transition => Object.freeze({ ...t, from: Object.freeze([...t.from]) })),
);

const INDEX = new Map<string, Transition[]>();
for (const t of TRANSITIONS) {
  for (const s of t.from) {
    const key = `${s}:${t.on}`;
    INDEX.set(key, [...(INDEX.get(key) ?? []), t]);
  }
}

type LocalInput = 'start' | 'send' | 'end' | 'ping';

/**
 * One end of an end-to-end encrypted conversation through an untrusted relay.
 *
 * Feed it every byte received with {@link ClientSession.receive}; write every
 * byte {@link ClientSession.takeOutput} returns. It opens no socket, sets no
 * timer and reads no clock.
 *
 * @example
 * ```ts
 * const session = new ClientSession({ room: 'lobby', name: 'alice' });
 * session.start();
 * socket.write(session.takeOutput());
 * socket.on('data', (chunk) => {
 *   for (const ev of session.receive(chunk)) {
 *     if (ev.type === 'secured') console.log('compare:', ev.sas);
 *     if (ev.type === 'text') console.log(new TextDecoder().decode(ev.data));
 *   }
 *   socket.write(session.takeOutput());
 * });
 * ```
 */
export class ClientSession {
  /** what the handshake needs besides the pairing (role, peer name), fixed at construction */
  readonly #config: Omit<HandshakeConfig, 'role' | 'peerName' | 'relayMaxFrameLength'>;
  /** the relay's frame cap, from WAITING or PAIRED (§3.2, §3.3) */
  #relayMaxFrameLength: number | undefined;
  #framesReceived = 0;
  readonly #decoder: FrameDecoder;

  #state: SessionState = 'idle';
  #error: ProtocolError | undefined;
  #output: Uint8Array[] = [];
  #role: Role | undefined;
  #peerName: string | undefined;
  #peerLeft = false;
  /** exists from PAIRED until the peer's CONFIRM verified (or the session failed) */
  #handshake: Handshake | undefined;
  /** exists once the peer's CONFIRM verified: the SAS and the two directions */
  #secured: Secured | undefined;
  /** receive(): where the DATA frames of the current call are decrypted, and how far */
  #plain: Uint8Array | undefined;
  #plainAt = 0;

  /**
   * @param options - `name` is required; see {@link SessionOptions} for the defaults
   * @throws LocalProtocolError INVALID_ARGUMENT for a bad option (bad name or room, a group
   *   with no wire id or below `minGroupBits`, an empty passphrase, ...)
   */
  constructor(options: SessionOptions) {
    if (typeof options !== 'object' || options === null) {
      throw new LocalProtocolError(
        'INVALID_ARGUMENT',
        `"options" expected object, got ${_describe(options)}`,
      );
    }
    const { name, room = DEFAULT_ROOM, randomBytes = _defaultRandomBytes } = options;
    validateName(name);
    validateRoom(room);
    const { group, minGroupBits } = groupPolicy(options.group, options.minGroupBits);
    if (typeof randomBytes !== 'function') {
      throw new LocalProtocolError(
        'INVALID_ARGUMENT',
        `"randomBytes" expected function, got ${_describe(randomBytes)}`,
      );
    }
    const sendBudget = options.byteBudget ?? DEFAULT_BYTE_BUDGET;
    if (!Number.isSafeInteger(sendBudget) || sendBudget < 1 || sendBudget > DEFAULT_BYTE_BUDGET) {
      throw new LocalProtocolError(
        'INVALID_ARGUMENT',
        `"byteBudget" expected an integer 1..2^30, got ${String(sendBudget)}`,
      );
    }
    this.#config = {
      // NFC (PROTOCOL.md §1): the spelling sent in HELLO and hashed into the transcript.
      room: room.normalize('NFC'),
      name: name.normalize('NFC'),
      group,
      minGroupBits,
      passphrase: options.passphrase === undefined ? undefined : passphraseBytes(options.passphrase),
      randomBytes,
      sendBudget,
      maxFrameLength: _checkMaxFrameLength(options.maxFrameLength),
    };
    this.#decoder = new FrameDecoder({
      maxFrameLength: this.#config.maxFrameLength,
      acceptType: isKnownFrameType,
    });
  }

  /** The current state. */
  get state(): SessionState {
    return this.#state;
  }
  /** This side's role, once paired. */
  get role(): Role | undefined {
    return this.#role;
  }
  /** The peer's display name (as the relay announced it, authenticated by CONFIRM), once paired. */
  get peerName(): string | undefined {
    return this.#peerName;
  }
  /**
   * The short authentication string, once secured (the peer's CONFIRM verified), and
   * still after a clean close; undefined before, for a session that closed during the
   * handshake, and after a failure.
   */
  get sas(): string | undefined {
    return this.#state === 'failed' ? undefined : this.#secured?.sas;
  }
  /** The SAS words, under the same conditions as {@link ClientSession.sas}. */
  get sasWords(): readonly string[] | undefined {
    return this.#state === 'failed' ? undefined : this.#secured?.sasWords;
  }
  /** Plaintext bytes sent so far (= the sending keystream's position after the drop). */
  get sent(): number {
    return this.#secured?.send.offset ?? 0;
  }
  /** Plaintext bytes received so far (= the receiving keystream's position after the drop). */
  get received(): number {
    return this.#secured?.receive.offset ?? 0;
  }
  /** Bytes this side may still send before its budget is spent. */
  get sendBudgetRemaining(): number {
    return this.#secured?.send.budgetRemaining ?? this.#config.sendBudget;
  }
  /** Whether this side has sent END. */
  get ended(): boolean {
    return this.#secured?.send.ended ?? false;
  }
  /** Whether the peer's authenticated END has arrived. */
  get peerEnded(): boolean {
    return this.#secured?.receive.ended ?? false;
  }
  /** Bytes of ours the peer acknowledged receiving (§6.5). */
  get acknowledged(): number {
    return this.#secured?.send.acknowledged ?? 0;
  }
  /** Whether the peer acknowledged our END, hence every byte we sent (§6.5). */
  get endAcknowledged(): boolean {
    return this.#secured?.send.endAcknowledged ?? false;
  }
  /**
   * What a stall of the handshake means now, for an application whose handshake timer
   * fired (PROTOCOL.md §4.4, §10): after this side sent CONFIRM_i and before CONFIRM_r,
   * the peer holds everything it needs to test a guess, so a peer that stops answering
   * is a failed key confirmation (AUTH_FAILED), exactly as one that leaves; before that,
   * undefined (an ordinary timeout).
   *
   * @returns the AUTH_FAILED error to report, or undefined
   * @example
   * ```ts
   * onHandshakeTimeout = () => report(session.stallError() ?? timeoutError);
   * ```
   */
  stallError(): ProtocolError | undefined {
    return this.#handshake?.departureError();
  }
  /**
   * Whole frames of a known type received so far (each passed the §2 header checks:
   * a sane length and a type this version defines), whether or not their bodies were
   * valid. An application can tell "the other end speaks arctalk, badly" (a malformed
   * PAIRED: a protocol error) from "the other end is not arctalk" (0 here).
   */
  get framesReceived(): number {
    return this.#framesReceived;
  }
  /** The relay's frame cap as it announced it in WAITING or PAIRED; undefined before. */
  get relayMaxFrameLength(): number | undefined {
    return this.#relayMaxFrameLength;
  }
  /** The error that killed the session, if it failed. */
  get error(): ProtocolError | undefined {
    return this.#error;
  }
  /**
   * The largest plaintext one DATA frame carries (longer `send`s are split): once
   * secured, the smaller of the relay's cap (WAITING/PAIRED) and the peer's (KEX) less
   * 25 bytes of DATA overhead (§6.1); before that, 2023 bytes (the smallest cap, §2).
   */
  get maxDataLength(): number {
    return this.#secured?.send.maxDataLength ?? MAX_DATA_LENGTH;
  }

  /**
   * Queues HELLO (version, room, name).
   *
   * @throws LocalProtocolError ALREADY_STARTED; the stored error once the session failed
   * @example
   * ```ts
   * session.start(); socket.write(session.takeOutput());
   * ```
   */
  start(): void {
    this.#local('start');
  }

  /**
   * Encrypts, authenticates and queues text as DATA frames (split at
   * {@link ClientSession.maxDataLength}). An empty array queues nothing.
   *
   * @param text - the plaintext bytes (not modified)
   * @throws LocalProtocolError NOT_SECURED, ENDED, CLOSED, BUDGET_EXHAUSTED or INVALID_ARGUMENT
   *   (nothing is queued then); the stored error once the session failed
   * @example
   * ```ts
   * session.send(new TextEncoder().encode('hello\n'));
   * ```
   */
  send(text: Uint8Array): void {
    if (this.#error) throw this.#error;
    if (!(text instanceof Uint8Array)) {
      throw new LocalProtocolError('INVALID_ARGUMENT', `"text" expected Uint8Array, got ${_describe(text)}`);
    }
    this.#local('send', text);
  }

  /**
   * Queues an authenticated END: this side sends nothing more (half-close). The
   * peer may go on sending until it ends too. The session is `closed` (a `closed`
   * event from {@link ClientSession.receive}) once the peer's END has arrived and the
   * peer has acknowledged ours (§6.4).
   *
   * @throws LocalProtocolError NOT_SECURED, ENDED or CLOSED; the stored error once the session failed
   * @example
   * ```ts
   * session.end(); socket.write(session.takeOutput());
   * ```
   */
  end(): void {
    this.#local('end');
  }

  /**
   * Queues a PING to the relay; its PONG arrives as a `pong` event.
   *
   * @throws LocalProtocolError NOT_STARTED; the stored error once the session failed
   * @example
   * ```ts
   * setInterval(() => { session.ping(); socket.write(session.takeOutput()); }, 30_000);
   * ```
   */
  ping(): void {
    this.#local('ping');
  }

  /**
   * Takes every byte queued for the transport: HELLO, handshake replies, DATA,
   * END, PING/PONG, in order.
   *
   * @returns the bytes (an empty Uint8Array when nothing is pending). Never throws:
   *   after a failure it still returns what was queued before the fault (write it,
   *   then close), and nothing after that
   * @example
   * ```ts
   * const bytes = session.takeOutput(); if (bytes.length) socket.write(bytes);
   * ```
   */
  takeOutput(): Uint8Array {
    const parts = this.#output;
    this.#output = [];
    if (parts.length === 1) return parts[0]!;
    return concatBytes(...parts);
  }

  /**
   * Feeds bytes from the transport (in any split).
   *
   * @param bytes - the next bytes received
   * @returns the events they produce, in order (DATA frames of one call that follow
   *   each other give one `text` event with all their plaintext, in one array). A fault of the peer or the relay
   *   ends the list with `{ type: 'error' }` (a {@link RemoteProtocolError}); an
   *   exception none of the checks meant to raise — a bug in this library — ends it
   *   with an INTERNAL {@link InternalProtocolError}, never reported as tampering.
   *   Either way the session is then failed.
   * @throws LocalProtocolError NOT_STARTED before `start()`, INVALID_ARGUMENT for a
   *   non-Uint8Array; the stored error once the session failed
   * @example
   * ```ts
   * for (const ev of session.receive(chunk)) handle(ev);
   * ```
   */
  receive(bytes: Uint8Array): SessionEvent[] {
    if (this.#error) throw this.#error;
    if (!(bytes instanceof Uint8Array)) {
      throw new LocalProtocolError(
        'INVALID_ARGUMENT',
        `"bytes" expected Uint8Array, got ${_describe(bytes)}`,
      );
    }
    if (this.#state === 'idle') throw new LocalProtocolError('NOT_STARTED', 'receive() before start()');
    const events: SessionEvent[] = [];
    try {
      const { frames, error } = this.#decoder.decode(bytes);
      this.#framesReceived += frames.length;
      // One array for the plaintext of every DATA frame of this call, decrypted back to
      // back, so that their text events join without a copy.
      let room = 0;
      for (const f of frames)
        if (f.type === FrameType.DATA) room += Math.max(0, f.body.length - DATA_OVERHEAD);
      this.#plain = room > 0 ? new Uint8Array(room) : undefined;
      this.#plainAt = 0;
      for (const frame of frames) {
        const name = frameTypeName(frame.type)!;
        const row = this.#find(name);
        if (row === undefined) {
          throw new RemoteProtocolError(
            'UNEXPECTED_FRAME',
            `unexpected ${name} frame in state ${this.#state}`,
          );
        }
        this.#apply(row, frame.body, events);
      }
      // One ACK per call for the DATA it verified (§6.5: cheap, and as soon as the
      // transport's read is consumed); the END's own ACK went out with it.
      if (this.#state === 'secured' && this.#secured?.receive.ackPending) {
        this.#queue(this.#secured.receive.encodeAck());
      }
      if (error) throw error;
    } catch (e) {
      this.#fail(e, events);
    }
    return events;
  }

  /**
   * The transport closed. Clean only once the session is closed (both ENDs, or
   * the peer left); otherwise the session fails with CONNECTION_LOST.
   *
   * @returns no events when clean, else one `{ type: 'error' }`
   * @throws the stored error once the session failed
   * @example
   * ```ts
   * socket.on('close', () => report(session.transportClosed()));
   * ```
   */
  transportClosed(): SessionEvent[] {
    if (this.#error) throw this.#error;
    const events: SessionEvent[] = [];
    try {
      this.#apply(this.#find('eof')!, new Uint8Array(0), events);
    } catch (e) {
      this.#fail(e, events);
    }
    return events;
  }

  // ---------------------------------------------------------------------------
  // The driver.

  #flags(): SessionFlags {
    return {
      role: this.#role,
      ended: this.ended,
      peerEnded: this.peerEnded,
      peerLeft: this.#peerLeft,
      endAcked: this.endAcknowledged,
    };
  }

  #find(input: SessionInput): Transition | undefined {
    const rows = INDEX.get(`${this.#state}:${input}`);
    if (rows === undefined) return undefined;
    const flags = this.#flags();
    return rows.find((t) => (t.role === undefined || t.role === flags.role) && (t.when?.(flags) ?? true));
  }

  #local(input: LocalInput, text?: Uint8Array): void {
    if (this.#error) throw this.#error;
    const row = this.#find(input);
    if (row === undefined) throw this.#refusal(input);
    this.#apply(row, text ?? new Uint8Array(0), []);
  }

  /** Why a call has no row, as the caller's error. */
  #refusal(input: LocalInput): LocalProtocolError {
    const s = this.#state;
    const [code, message]: [ProtocolErrorCode, string] =
      input === 'start'
        ? ['ALREADY_STARTED', 'start() was already called']
        : s === 'idle'
          ? ['NOT_STARTED', `${input}() before start()`]
          : this.ended
            ? ['ENDED', `${input}() after end()`]
            : s === 'closed'
              ? ['CLOSED', `${input}() on a closed session`]
              : ['NOT_SECURED', `${input}() before the session is secured (state ${s})`];
    return new LocalProtocolError(code, message);
  }

  #apply(row: Transition, body: Uint8Array, events: SessionEvent[]): void {
    this.#run(row.run, body, events);
    const to = row.to;
    if (to === 'same') return;
    this.#state = typeof to === 'function' ? to(this.#flags()) : to;
    if (this.#state === 'closed') this.#wipe();
  }

  /**
   * The one boundary: a ProtocolError thrown by a check stays what it is; anything
   * else is a bug here (INTERNAL), never blamed on the peer.
   */
  #fail(e: unknown, events: SessionEvent[]): void {
    const error =
      e instanceof RemoteProtocolError ||
      e instanceof LocalProtocolError ||
      e instanceof InternalProtocolError
        ? e
        : new InternalProtocolError(e);
    this.#error = error;
    this.#state = 'failed';
    // Bytes queued before the fault (e.g. our CONFIRM, so that the peer learns of a
    // failed confirmation too) stay queued; nothing is queued after it.
    this.#wipe();
    events.push({ type: 'error', error });
  }

  #wipe(): void {
    this.#handshake?.wipe();
    this.#handshake = undefined;
    this.#secured?.send.wipe();
    this.#secured?.receive.wipe();
    this.#config.passphrase?.fill(0);
  }

  #queue(...frames: Uint8Array[]): void {
    for (const f of frames) if (f.length > 0) this.#output.push(f);
  }

  #run(action: SessionAction, body: Uint8Array, events: SessionEvent[]): void {
    this.#actions[action](body, events);
  }

  /** What each action of the table does; a fault throws (see {@link ClientSession.receive}). */
  readonly #actions: Record<SessionAction, (body: Uint8Array, events: SessionEvent[]) => void> = {
    none: () => {},
    sendHello: () => this.#queue(encodeFrame({ type: FrameType.HELLO, body: encodeHello(this.#config) })),
    sendPing: () => this.#queue(encodeFrame({ type: FrameType.PING, body: new Uint8Array(0) })),
    sendData: (text) => this.#queue(this.#records().send.encodeData(text)),
    sendEnd: () => this.#queue(this.#records().send.encodeEnd()),
    onWaiting: (body, events) => {
      this.#relayMaxFrameLength = decodeWaiting(body).maxFrameLength;
      events.push({ type: 'waiting' });
    },
    onPaired: (body, events) => {
      const { role, peerName, maxFrameLength } = decodePaired(body);
      this.#relayMaxFrameLength = maxFrameLength;
      this.#role = role;
      this.#peerName = peerName;
      events.push({ type: 'paired', role, peerName });
      const { handshake, frames } = Handshake.begin({
        ...this.#config,
        role,
        peerName,
        relayMaxFrameLength: maxFrameLength,
      });
      this.#handshake = handshake;
      this.#queue(...frames);
    },
    onPing: (body) => this.#queue(encodeFrame({ type: FrameType.PONG, body: decodePing(body).slice() })),
    onPong: (body, events) => {
      decodePing(body);
      events.push({ type: 'pong' });
    },
    onRelayError: (body) => {
      throw relayError(body);
    },
    onPeerLeft: (body, events) => {
      decodeEmpty('PEER_LEFT', body);
      // After our CONFIRM_i, leaving is a failed confirmation (§4.4), not a departure.
      const departure = this.#handshake?.departureError();
      if (departure) throw departure;
      this.#peerLeft = true;
      events.push({ type: 'peer-left', ended: this.peerEnded });
    },
    onCommit: (body) => this.#queue(...this.#handshaking().onCommit(body)),
    onKex: (body) => this.#queue(...this.#handshaking().onKex(body)),
    onConfirm: (body, events) => {
      const { secured, frames } = this.#handshaking().onConfirm(body);
      this.#queue(...frames);
      this.#handshake = undefined;
      this.#secured = secured;
      events.push({ type: 'secured', sas: secured.sas, sasWords: secured.sasWords });
    },
    onData: (body, events) => {
      const data = this.#records().receive.decodeData(body, this.#plain?.subarray(this.#plainAt));
      this.#plainAt += data.length;
      // DATA frames that follow each other were decrypted back to back: one text event.
      const last = events.at(-1);
      if (
        last?.type === 'text' &&
        last.data.buffer === data.buffer &&
        last.data.byteOffset + last.data.length === data.byteOffset
      ) {
        last.data = new Uint8Array(data.buffer, last.data.byteOffset, last.data.length + data.length);
      } else events.push({ type: 'text', data });
    },
    onEnd: (body, events) => {
      this.#records().receive.decodeEnd(body);
      // Acknowledged at once: the END is the last thing of its direction (§6.5).
      this.#queue(this.#records().receive.encodeAck());
      events.push({ type: 'peer-ended' });
      if (this.ended && this.endAcknowledged) events.push({ type: 'closed' });
    },
    onAck: (body, events) => {
      const { offset, ended } = this.#records().send.decodeAck(body);
      events.push({ type: 'acknowledged', offset, ended });
      if (ended && this.peerEnded) events.push({ type: 'closed' });
    },
    onConnectionLost: () => {
      const inside = this.#decoder.buffered > 0 ? 'inside a frame' : 'before the conversation ended';
      throw (
        this.#handshake?.departureError() ??
        new RemoteProtocolError('CONNECTION_LOST', `the transport closed ${inside}`)
      );
    },
  };

  /** The handshake; the table runs handshake actions only while it exists. */
  #handshaking(): Handshake {
    if (this.#handshake === undefined) throw new Error(`no handshake in state ${this.#state}`);
    return this.#handshake;
  }

  /** The two directions; the table runs record actions only once secured. */
  #records(): Secured {
    if (this.#secured === undefined) throw new Error(`no records in state ${this.#state}`);
    return this.#secured;
  }
}
