/**
 * One conversation of the web page, without the page: a `ClientSession` of
 * @arctalk/protocol wired to a WebSocket (PROTOCOL.md §12: binary messages, each a
 * slice of the frame stream of at most 64 KiB), a keepalive timer, and the
 * verification state. The page (main.ts) renders what {@link Conversation} reports.
 *
 * @module
 */
import { ClientSession, type SessionEvent } from '@arctalk/protocol';

/** The largest WebSocket message we send (PROTOCOL.md §12). */
export const MAX_MESSAGE = 65_536;

/** PING interval, ms: well inside the relay's default 10-minute idle timeout (as the terminal client). */
export const KEEPALIVE_MS = 30_000;

/** How the peer is authenticated, as the page shows it. */
export type Verification =
  | 'unverified' // secured, the SAS not compared yet
  | 'passphrase' // CONFIRM passed: the peer knows the passphrase
  | 'sas' // the user compared the SAS words and said they match
  | 'mismatch'; // the user said they differ: someone may be in the middle

/** What the page is told. */
export type ConversationUpdate =
  | { type: 'connecting' }
  | { type: 'waiting' }
  | { type: 'paired'; peerName: string }
  | { type: 'secured'; sasWords: readonly string[]; verification: Verification }
  | { type: 'verification'; verification: Verification }
  | { type: 'text'; text: string }
  | { type: 'peer-ended' }
  | { type: 'peer-left'; ended: boolean }
  | { type: 'closed'; message: string; clean: boolean };

export interface ConversationOptions {
  /** `ws://HOST:PORT/` or `wss://…` */
  relay: string;
  room: string;
  name: string;
  /** optional shared secret: CPace's password (PROTOCOL.md §5.4); never sent */
  passphrase?: string | undefined;
  /** called for every change, in order */
  onUpdate: (update: ConversationUpdate) => void;
  /** the WebSocket class (the browser's; tests may pass another) */
  WebSocketImpl?: typeof WebSocket;
}

/**
 * Normalizes what a person typed as the relay: `host:port` becomes `ws://host:port/`.
 *
 * @param text - e.g. `ws://relay.example:5519/`, `relay.example:5519`, `wss://relay.example/`
 * @returns the WebSocket URL
 * @throws {TypeError} when it is not a ws:// or wss:// URL (or a host:port)
 * @example
 * relayUrl('127.0.0.1:5519'); // 'ws://127.0.0.1:5519/'
 */
export function relayUrl(text: string): string {
  const trimmed = text.trim();
  const withScheme = /^[a-z][a-z0-9+.-]*:\/\//i.test(trimmed) ? trimmed : `ws://${trimmed}`;
  let url: URL;
  try {
    url = new URL(withScheme);
  } catch {
    throw new TypeError(`"relay" expected a ws:// or wss:// address, got ${JSON.stringify(text)}`);
  }
  if (url.protocol !== 'ws:' && url.protocol !== 'wss:') {
    throw new TypeError(`"relay" expected a ws:// or wss:// address, got ${JSON.stringify(text)}`);
  }
  if (url.hash !== '') throw new TypeError('"relay" must not have a #fragment');
  return url.href;
}

/** A running conversation. */
export class Conversation {
  readonly #session: ClientSession;
  readonly #ws: WebSocket;
  readonly #onUpdate: (update: ConversationUpdate) => void;
  readonly #decoder = new TextDecoder('utf-8');
  readonly #hasSecret: boolean;
  #keepalive: ReturnType<typeof setInterval> | undefined;
  #verification: Verification = 'unverified';
  #secured = false;
  #done = false;

  /**
   * Opens the WebSocket and sends HELLO once it is open.
   *
   * @throws {TypeError} for a bad relay URL; {@link ClientSession}'s errors for a bad room or name
   */
  constructor(options: ConversationOptions) {
    const url = relayUrl(options.relay);
    this.#onUpdate = options.onUpdate;
    const passphrase = options.passphrase === '' ? undefined : options.passphrase;
    this.#hasSecret = passphrase !== undefined;
    this.#session = new ClientSession({
      room: options.room,
      name: options.name,
      ...(passphrase === undefined ? {} : { passphrase }),
    });
    const Impl = options.WebSocketImpl ?? WebSocket;
    this.#ws = new Impl(url);
    this.#ws.binaryType = 'arraybuffer';
    this.#onUpdate({ type: 'connecting' });
    this.#ws.addEventListener('open', () => {
      this.#session.start();
      this.#flush();
      this.#keepalive = setInterval(() => {
        if (this.#done) return;
        this.#session.ping();
        this.#flush();
      }, KEEPALIVE_MS);
    });
    this.#ws.addEventListener('message', (event: MessageEvent) => {
      if (this.#done || !(event.data instanceof ArrayBuffer)) return;
      this.#receive(new Uint8Array(event.data));
    });
    this.#ws.addEventListener('close', (event: CloseEvent) => this.#transportClosed(event));
  }

  /** How the peer is authenticated now. */
  get verification(): Verification {
    return this.#verification;
  }

  /** Bytes sent and received so far (the two stream positions). */
  get positions(): { sent: number; received: number } {
    return { sent: this.#session.sent, received: this.#session.received };
  }

  /** Bytes handed to the WebSocket and not yet sent by the browser. */
  get bufferedAmount(): number {
    return this.#ws.bufferedAmount;
  }

  /** Whether text can be sent now (secured, our END not sent, the peer still here). */
  get canSend(): boolean {
    return !this.#done && this.#session.state === 'secured';
  }

  /**
   * Sends text (line mode: a line with its newline; live mode: each keystroke, 0x7f
   * for an erase, as the terminal client's live mode does).
   *
   * @throws {Error} when not secured (check {@link canSend})
   */
  send(text: string): void {
    if (!this.canSend) throw new Error('not secured: nothing can be sent yet');
    if (text === '') return;
    this.#session.send(new TextEncoder().encode(text));
    this.#flush();
  }

  /** The user compared the SAS words: `true` they match, `false` they differ (the conversation ends). */
  confirmSas(match: boolean): void {
    if (!this.#secured || this.#verification === 'passphrase') return;
    this.#verification = match ? 'sas' : 'mismatch';
    this.#onUpdate({ type: 'verification', verification: this.#verification });
    if (!match) this.leave('the SAS words differ: someone may be in the middle. Nothing more was sent.');
  }

  /** Ends our side (authenticated END) if secured, then closes the connection. */
  leave(message = 'you left the conversation'): void {
    if (this.#done) return;
    if (this.#session.state === 'secured' && this.#verification !== 'mismatch') {
      this.#session.end();
      this.#flush();
    }
    this.#finish(message, true);
    this.#ws.close(1000);
  }

  #receive(bytes: Uint8Array): void {
    let events: SessionEvent[];
    try {
      events = this.#session.receive(bytes);
    } catch (error) {
      this.#finish(`protocol error: ${(error as Error).message}`, false);
      this.#ws.close(1000);
      return;
    }
    this.#flush();
    for (const event of events) this.#event(event);
  }

  #event(event: SessionEvent): void {
    switch (event.type) {
      case 'waiting':
        this.#onUpdate({ type: 'waiting' });
        return;
      case 'paired':
        this.#onUpdate({ type: 'paired', peerName: event.peerName });
        return;
      case 'secured':
        this.#secured = true;
        // With a passphrase, key confirmation passed: the peer knows it.
        if (this.#hasSecret) this.#verification = 'passphrase';
        this.#onUpdate({ type: 'secured', sasWords: event.sasWords, verification: this.#verification });
        return;
      case 'text': {
        const text = this.#decoder.decode(event.data, { stream: true });
        if (text !== '') this.#onUpdate({ type: 'text', text });
        return;
      }
      case 'peer-ended':
        this.#onUpdate({ type: 'peer-ended' });
        // Nothing more will come: end our side too, as the terminal client's /quit does.
        return;
      case 'peer-left':
        this.#onUpdate({ type: 'peer-left', ended: event.ended });
        this.#finish(event.ended ? 'the conversation ended' : 'the peer left', event.ended);
        this.#ws.close(1000);
        return;
      case 'closed':
        this.#finish('the conversation ended: both sides are done', true);
        this.#ws.close(1000);
        return;
      case 'error':
        this.#finish(event.error.message, false);
        this.#ws.close(1000);
        return;
      case 'pong':
        return;
    }
  }

  #transportClosed(event: CloseEvent): void {
    if (this.#done) return;
    if (this.#session.state === 'idle') {
      this.#finish(`cannot reach the relay at ${this.#ws.url}`, false);
      return;
    }
    // The session may say more (e.g. a peer gone during key confirmation: a wrong passphrase).
    if (this.#session.state !== 'failed') {
      try {
        for (const e of this.#session.transportClosed()) this.#event(e);
      } catch {
        // already failed: its error was reported
      }
    }
    this.#finish(`the connection to the relay was lost${event.reason ? `: ${event.reason}` : ''}`, false);
  }

  #finish(message: string, clean: boolean): void {
    if (this.#done) return;
    this.#done = true;
    clearInterval(this.#keepalive);
    this.#onUpdate({ type: 'closed', message, clean });
  }

  /** Sends what the session has queued, in messages of at most MAX_MESSAGE bytes. */
  #flush(): void {
    const output = this.#session.takeOutput();
    if (output.length === 0 || this.#ws.readyState !== WebSocket.OPEN) return;
    for (let at = 0; at < output.length; at += MAX_MESSAGE) {
      this.#ws.send(output.subarray(at, Math.min(output.length, at + MAX_MESSAGE)));
    }
  }
}
