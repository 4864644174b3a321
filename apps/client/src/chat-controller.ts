/**
 * The terminal UI's state and behaviour, without React and without I/O: session
 * events and key actions in, a new immutable {@link ChatView} out (for
 * `useSyncExternalStore`), and calls on a {@link ChatLink} to send. The Ink
 * components only draw a ChatView; tty-mode.tsx wires this to a socket.
 */
import type { SessionEvent } from '@arctalk/protocol';
import { ExitCode, type ExitCodeValue } from './exit-codes.js';
import {
  type Command,
  editLine,
  editLive,
  emptyInput,
  type InputAction,
  type InputEffect,
  type InputState,
} from './line-edit.js';
import { handshakeTimeoutMessage } from './messages.js';
import {
  type ConversationInput,
  type ConversationState,
  initialConversation,
  reduceConversation,
} from './outcome.js';
import { PaneBuffer } from './pane.js';
import { sanitizeLine } from './sanitize.js';
import { sasMatches } from './verification.js';

/** Where the conversation stands, as the status bar says it. */
export type ChatPhase =
  | 'connecting'
  | 'waiting'
  | 'securing'
  | 'secured'
  | 'peer-ended'
  | 'peer-left'
  | 'closing'
  | 'ended'
  | 'failed';

/** Status-bar wording of each phase. */
export const PHASE_LABEL: Readonly<Record<ChatPhase, string>> = {
  connecting: 'connecting',
  waiting: 'waiting for peer',
  securing: 'securing',
  secured: 'secured',
  'peer-ended': 'peer ended',
  'peer-left': 'peer left',
  closing: 'closing',
  ended: 'ended',
  failed: 'failed',
};

/** A one-line message above the input line. */
export interface Notice {
  readonly text: string;
  readonly tone: 'info' | 'warn' | 'error';
}

/** Everything the screen shows. Immutable: a new object on every change. */
export interface ChatView {
  readonly server: string;
  readonly room: string;
  readonly name: string;
  readonly peerName: string | undefined;
  readonly phase: ChatPhase;
  readonly sas: string | undefined;
  /**
   * the peer is authenticated: by a code or passphrase (CONFIRM), by --expect-sas, or
   * by the user's /verify after comparing the SAS; until then the status bar says "unverified"
   */
  readonly verified: boolean;
  /** the prominent SAS notice is up */
  readonly showSas: boolean;
  readonly showHelp: boolean;
  readonly sent: number;
  readonly received: number;
  readonly mine: PaneBuffer;
  readonly theirs: PaneBuffer;
  /** bumps on every change (the panes are mutable buffers) */
  readonly version: number;
  readonly input: string;
  /** lines of a held paste waiting for return or Esc (0: none) */
  readonly pendingPaste: number;
  readonly live: boolean;
  readonly notice: Notice | undefined;
  readonly scroll: { readonly mine: number; readonly theirs: number };
  readonly focus: 'mine' | 'theirs';
}

/** What the controller needs from the connection. */
export interface ChatLink {
  /** sends plaintext (throws LocalProtocolError on misuse) */
  send(bytes: Uint8Array): void;
  /** queues our END; resolves once written */
  end(): Promise<void>;
  /** closes the connection gracefully */
  finish(): Promise<void>;
  /** closes at once */
  close(): void;
  readonly sent: number;
  readonly received: number;
}

/** Options of {@link ChatController}. */
export interface ChatOptions {
  server: string;
  room: string;
  name: string;
  live: boolean;
  /** a code or passphrase authenticates the peer once CONFIRM passes */
  secret?: boolean;
  /** `--expect-sas`: the words that authenticate the peer (a different SAS fails the session) */
  expectSas?: readonly string[] | undefined;
}

/** How the conversation ended: the exit code and the line for stderr. */
export interface ChatOutcome {
  readonly code: ExitCodeValue;
  readonly message: string | undefined;
}

/**
 * The chat's state machine for the terminal.
 *
 * @example
 * const chat = new ChatController({ server: '127.0.0.1:5518', room: 'lobby', name: 'alice', live: false });
 * chat.attach(link);
 * chat.handleEvent({ type: 'waiting' });
 * chat.getSnapshot().phase; // 'waiting'
 */
export class ChatController {
  private view: ChatView;
  private readonly listeners = new Set<() => void>();
  private link: ChatLink | undefined;
  private inputState: InputState = emptyInput;
  /** the end-of-conversation rules, shared with pipe mode (outcome.ts) */
  private conversation: ConversationState = initialConversation();
  /** we sent END on /quit and wait for the peer's (a second ^C leaves at once) */
  private awaitingPeerEnd = false;
  private redraws = 0;
  private readonly options: ChatOptions;
  /** the notice that goes away by itself (set by ^L) */
  private transient: Notice | undefined;
  private resolveOutcome!: (outcome: ChatOutcome) => void;
  /** resolves when the client should exit */
  readonly outcome: Promise<ChatOutcome>;
  /** called on ^L (tty-mode clears the terminal and redraws) */
  onRedraw: (() => void) | undefined;
  /** called on ^Z (tty-mode restores the terminal and stops the process) */
  onSuspend: (() => void) | undefined;
  /** rows of the panes, set by the UI for PgUp/PgDn */
  pageRows = { mine: 10, theirs: 10 };

  /**
   * @param options - what the status bar shows and the typing mode
   */
  constructor(options: ChatOptions) {
    this.options = options;
    this.outcome = new Promise((resolve) => {
      this.resolveOutcome = resolve;
    });
    this.view = {
      server: options.server,
      room: sanitizeLine(options.room),
      name: sanitizeLine(options.name),
      peerName: undefined,
      phase: 'connecting',
      sas: undefined,
      verified: false,
      showSas: false,
      showHelp: false,
      sent: 0,
      received: 0,
      mine: new PaneBuffer(),
      theirs: new PaneBuffer(),
      version: 0,
      input: '',
      pendingPaste: 0,
      live: options.live,
      notice: undefined,
      scroll: { mine: 0, theirs: 0 },
      focus: 'theirs',
    };
  }

  /** For useSyncExternalStore. */
  subscribe = (listener: () => void): (() => void) => {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  };

  /** For useSyncExternalStore: the current view (same object until something changes). */
  getSnapshot = (): ChatView => this.view;

  private update(patch: Partial<ChatView>): void {
    const counters = this.link ? { sent: this.link.sent, received: this.link.received } : {};
    this.view = { ...this.view, ...counters, ...patch, version: this.view.version + 1 };
    for (const listener of this.listeners) listener();
  }

  private exit(code: ExitCodeValue, message?: string): void {
    this.resolveOutcome({ code, message });
  }

  /**
   * Connects the controller to a live connection.
   *
   * @param link - the connection
   */
  attach(link: ChatLink): void {
    this.link = link;
    this.update({});
  }

  /**
   * Applies a session event.
   *
   * @param event - from `ClientSession.receive`
   */
  handleEvent(event: SessionEvent): void {
    const { phase } = this.view;
    if (this.awaitingPeerEnd) {
      if (event.type === 'text') this.view.theirs.write(event.data);
      this.reduce(event);
      if (this.conversation.outcome) void this.finish();
      else this.update({});
      return;
    }
    if (phase === 'failed' || phase === 'closing' || phase === 'ended') return;
    this.reduce(event);
    switch (event.type) {
      case 'waiting':
        this.update({
          phase: 'waiting',
          notice: { text: `Waiting for someone to join room ${this.view.room}…`, tone: 'info' },
        });
        break;
      case 'paired':
        this.update({
          phase: 'securing',
          peerName: sanitizeLine(event.peerName, 32),
          notice: {
            text: `Paired with ${sanitizeLine(event.peerName, 32)}; agreeing on keys…`,
            tone: 'info',
          },
        });
        break;
      case 'secured': {
        const { secret, expectSas } = this.options;
        if (expectSas && !sasMatches(expectSas, event.sasWords)) {
          const message = `the SAS "${sanitizeLine(event.sas)}" is not the expected "${expectSas.join(' ')}": someone may be in the middle`;
          this.update({
            phase: 'failed',
            sas: sanitizeLine(event.sas),
            notice: { text: message, tone: 'error' },
          });
          this.link?.close();
          this.exit(ExitCode.AUTH_FAILED, message);
          return;
        }
        const verified = secret === true || expectSas !== undefined;
        this.update({
          phase: 'secured',
          sas: sanitizeLine(event.sas),
          verified,
          showSas: true,
          notice: verified
            ? undefined
            : { text: 'Unverified: compare the SAS by voice, then type /verify.', tone: 'warn' },
        });
        break;
      }
      case 'text':
        this.view.theirs.write(event.data);
        this.update({ showSas: false });
        break;
      case 'peer-ended':
        this.view.theirs.flush();
        this.update({
          phase: 'peer-ended',
          notice: { text: `${this.peer()} has finished. /quit or ^C to exit.`, tone: 'info' },
        });
        break;
      case 'closed':
        break;
      case 'peer-left': {
        const ended = event.ended || phase === 'peer-ended';
        this.view.theirs.flush();
        this.update({
          phase: 'peer-left',
          notice: {
            text: ended
              ? `${this.peer()} has left. You can read the conversation; /quit or ^C to exit.`
              : `${this.peer()} left without ending the conversation. /quit or ^C to exit.`,
            tone: ended ? 'info' : 'warn',
          },
        });
        break;
      }
      case 'error':
        this.fail();
        break;
      default:
        break;
    }
  }

  private reduce(input: ConversationInput): void {
    this.conversation = reduceConversation(this.conversation, input);
  }

  /**
   * The socket closed.
   *
   * @param expected - we closed it
   * @param error - the socket error, if any
   */
  handleClose(expected: boolean, error?: Error): void {
    const { phase } = this.view;
    if (expected || phase === 'failed' || phase === 'ended') return;
    if (phase === 'closing' && !this.awaitingPeerEnd) return;
    if (phase === 'peer-left') {
      // Nothing more could come anyway: stay readable until the user quits.
      return;
    }
    const reason = error ? `: ${(error as NodeJS.ErrnoException).code ?? error.message}` : '';
    this.reduce({ type: 'transport-closed', message: `connection to ${this.view.server} lost${reason}` });
    if (this.awaitingPeerEnd) {
      void this.finish();
      return;
    }
    const message = this.conversation.outcome?.message ?? 'connection lost';
    this.update({ phase: 'failed', notice: { text: message, tone: 'error' } });
    this.exit(this.conversation.outcome?.code ?? ExitCode.CONNECTION_LOST, message);
  }

  /**
   * The handshake made no progress for the configured time (connection.ts): give up.
   *
   * @param timeoutMs - the limit that passed, ms
   */
  handshakeTimedOut(timeoutMs: number, stalled?: unknown): void {
    const { phase } = this.view;
    if (phase === 'failed' || phase === 'closing' || phase === 'ended') return;
    if (stalled !== undefined) {
      // After our CONFIRM a stall is a failed confirmation (PROTOCOL.md §4.4), not a timeout.
      this.reduce({ type: 'error', error: stalled as never });
      this.fail();
      return;
    }
    const message = handshakeTimeoutMessage(timeoutMs);
    this.update({ phase: 'failed', notice: { text: message, tone: 'error' } });
    this.link?.close();
    this.exit(ExitCode.HANDSHAKE_TIMEOUT, message);
  }

  /**
   * Both ENDs crossed, but the peer did not acknowledge ours in time (connection.ts):
   * "sent but not confirmed received" (exit 12).
   *
   * @param timeoutMs - the limit that passed, ms
   */
  ackTimedOut(timeoutMs: number): void {
    this.reduce({ type: 'ack-timeout', timeoutMs });
    if (this.awaitingPeerEnd) {
      void this.finish();
      return;
    }
    const outcome = this.conversation.outcome;
    if (outcome === undefined) return;
    this.update({ phase: 'failed', notice: { text: outcome.message ?? '', tone: 'error' } });
    this.link?.close();
    this.exit(outcome.code, outcome.message);
  }

  /** A session error (already reduced) or a local failure: show it, close, exit with its code. */
  private fail(error?: unknown): void {
    if (error !== undefined) {
      this.reduce({
        type: 'local-error',
        message: `internal error: ${(error as Error)?.message ?? String(error)}`,
      });
    }
    const outcome = this.conversation.outcome ?? { code: ExitCode.INTERNAL, message: 'internal error' };
    const message = outcome.message ?? 'internal error';
    this.update({ phase: 'failed', notice: { text: message, tone: 'error' } });
    this.link?.close();
    this.exit(outcome.code, message);
  }

  private peer(): string {
    return this.view.peerName ?? 'your peer';
  }

  /**
   * Ends the conversation as `/quit` and ^C do (PROTOCOL.md §6.4): send END, then wait
   * for the peer's END so that both ENDs cross and both sides end cleanly; a second
   * quit while waiting (or `now`, for a signal that must not wait) leaves at once.
   *
   * @param now - leave without waiting for the peer's END
   */
  async quit(now = false): Promise<void> {
    const { phase } = this.view;
    if (this.awaitingPeerEnd) {
      this.reduce({ type: 'user-left' });
      await this.finish();
      return;
    }
    if (phase === 'closing' || phase === 'failed' || phase === 'ended') return;
    this.update({ phase: 'closing', notice: { text: 'Closing…', tone: 'info' } });
    try {
      if (this.link && (phase === 'secured' || phase === 'peer-ended')) {
        await this.link.end();
        this.reduce({ type: 'sent-end' });
      }
    } catch {
      this.link?.close();
    }
    // Closed only once both ENDs crossed and the peer acknowledged ours (PROTOCOL.md §6.4).
    if (this.conversation.outcome === undefined && (phase === 'secured' || phase === 'peer-ended') && !now) {
      this.awaitingPeerEnd = true;
      this.update({
        notice: {
          text:
            phase === 'peer-ended'
              ? `Waiting for ${this.peer()} to confirm it received everything… (^C again to leave now)`
              : `Waiting for ${this.peer()} to finish… (^C again to leave now)`,
          tone: 'info',
        },
      });
      return;
    }
    this.reduce({ type: 'user-left' });
    await this.finish();
  }

  /** Closes the connection gracefully and exits with the conversation's outcome. */
  private async finish(): Promise<void> {
    this.awaitingPeerEnd = false;
    this.update({ phase: 'closing' });
    try {
      await this.link?.finish();
    } catch {
      this.link?.close();
    }
    const outcome = this.conversation.outcome ?? { code: ExitCode.OK, message: undefined };
    this.update({ phase: 'ended', notice: { text: 'Conversation ended.', tone: 'info' } });
    this.exit(outcome.code, outcome.message);
  }

  /**
   * Applies key actions (from keys.ts's KeyDecoder).
   *
   * @param actions - in order
   */
  handleActions(actions: readonly InputAction[]): void {
    for (const action of actions) this.handleAction(action);
  }

  private handleAction(action: InputAction): void {
    const { phase } = this.view;
    // A transient notice (the ^L one) goes with the next key.
    if (this.view.notice !== undefined && this.view.notice === this.transient) {
      this.transient = undefined;
      this.update({ notice: undefined });
    }
    switch (action.type) {
      case 'quit':
        void this.quit();
        return;
      case 'redraw': {
        // The terminal is wiped; the frame must then differ from the last one, or
        // Ink would skip writing it: the notice alternates between two texts. It is
        // transient: the next key or {@link expireNotice} takes it away.
        this.onRedraw?.();
        this.redraws++;
        const notice: Notice = {
          text: this.redraws % 2 ? 'Screen redrawn.' : 'Screen redrawn (^L).',
          tone: 'info',
        };
        this.transient = notice;
        this.update({ notice });
        return;
      }
      case 'suspend':
        this.onSuspend?.();
        return;
      case 'escape':
        if (this.view.showHelp) {
          this.update({ showHelp: false });
          return;
        }
        break;
      case 'switch-pane':
        this.update({ focus: this.view.focus === 'mine' ? 'theirs' : 'mine' });
        return;
      case 'page-up':
      case 'page-down':
      case 'scroll-top':
      case 'scroll-bottom': {
        const pane = this.view.focus;
        const page = Math.max(1, this.pageRows[pane] - 1);
        const current = this.view.scroll[pane];
        const next =
          action.type === 'page-up'
            ? current + page
            : action.type === 'page-down'
              ? Math.max(0, current - page)
              : action.type === 'scroll-top'
                ? Number.MAX_SAFE_INTEGER
                : 0;
        this.update({ scroll: { ...this.view.scroll, [pane]: next } });
        return;
      }
      default:
        break;
    }
    if (phase === 'closing' || phase === 'failed' || phase === 'ended') return;
    const canSend = phase === 'secured' || phase === 'peer-ended';
    const { buffer, pendingPaste } = this.inputState;
    const isText = pendingPaste !== undefined || !buffer.startsWith('/') || buffer.startsWith('//');
    if (!canSend && action.type === 'enter' && isText) {
      // Text cannot go out yet (or any more): keep the line, say why. Commands still run.
      const text =
        phase === 'peer-left'
          ? `${this.peer()} has left: nothing more can be sent.`
          : 'Not secured yet: wait for the SAS before typing.';
      this.update({ notice: { text, tone: 'warn' } });
      return;
    }
    // Before the channel is secured even live mode edits locally; the line goes out on return.
    const edit = this.view.live && canSend ? editLive : editLine;
    const { state, effects } = edit(this.inputState, action);
    this.inputState = state;
    for (const effect of effects) this.apply(effect);
    const held = this.inputState.pendingPaste;
    this.update({ input: held ? held[0]! : this.inputState.buffer, pendingPaste: held?.length ?? 0 });
  }

  /**
   * Shows an informational notice (from the terminal wiring, e.g. about ^Z).
   *
   * @param text - our own words
   */
  notify(text: string): void {
    this.update({ notice: { text, tone: 'info' } });
  }

  /**
   * Takes a transient notice (the ^L one) away if it is still shown: tty-mode calls
   * this a few seconds after a redraw.
   */
  expireNotice(): void {
    if (this.transient !== undefined && this.view.notice === this.transient) {
      this.transient = undefined;
      this.update({ notice: undefined });
    }
  }

  /**
   * The scroll offsets the panes actually used (clamped), so PgDn works at once after PgUp at the top.
   *
   * @param mine - clamped offset of your pane
   * @param theirs - clamped offset of the peer's pane
   */
  clampScroll(mine: number, theirs: number): void {
    const { scroll } = this.view;
    if (scroll.mine !== mine || scroll.theirs !== theirs) {
      this.view = { ...this.view, scroll: { mine, theirs } };
    }
  }

  private apply(effect: InputEffect): void {
    if (effect.type === 'command') {
      this.command(effect.command);
      return;
    }
    if (effect.type === 'paste-held') {
      this.update({
        notice: {
          text: `Pasted ${effect.lines} lines: return sends them as ${effect.lines} messages, Esc drops them.`,
          tone: 'warn',
        },
      });
      return;
    }
    if (effect.type === 'paste-dropped') {
      this.update({ notice: { text: `Paste of ${effect.lines} lines dropped.`, tone: 'info' } });
      return;
    }
    if (effect.type === 'unknown-command') {
      this.update({
        notice: {
          text: `Unknown command ${sanitizeLine(effect.text, 40)}: /help lists them; // sends a line starting with /`,
          tone: 'warn',
        },
      });
      return;
    }
    try {
      this.link?.send(effect.bytes);
    } catch (error) {
      if (typeof error === 'object' && error !== null && 'code' in error) {
        this.reduce({ type: 'error', error: error as never });
        this.fail();
      } else this.fail(error);
      return;
    }
    this.view.mine.write(effect.bytes);
    this.update({ showSas: false, scroll: { ...this.view.scroll, mine: 0 }, notice: undefined });
  }

  private command(command: Command): void {
    switch (command) {
      case 'quit':
        void this.quit();
        break;
      case 'sas':
        if (this.view.sas) this.update({ showSas: true, showHelp: false, notice: undefined });
        else this.update({ notice: { text: 'No SAS yet: the channel is not secured.', tone: 'warn' } });
        break;
      case 'verify':
        if (!this.view.sas) {
          this.update({
            notice: { text: 'Nothing to verify yet: the channel is not secured.', tone: 'warn' },
          });
        } else if (this.view.verified) {
          this.update({ notice: { text: `${this.peer()} is already verified.`, tone: 'info' } });
        } else {
          this.update({
            verified: true,
            showSas: false,
            notice: { text: `${this.peer()} verified: you compared the SAS.`, tone: 'info' },
          });
        }
        break;
      case 'help':
        this.update({ showHelp: !this.view.showHelp, showSas: false });
        break;
      case 'clear':
        this.view.mine.clear();
        this.view.theirs.clear();
        this.update({ scroll: { mine: 0, theirs: 0 }, showHelp: false, notice: undefined });
        break;
    }
  }
}
