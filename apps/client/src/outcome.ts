/**
 * The conversation's end-of-session rules, as one pure reducer that terminal mode
 * and pipe mode both call (PROTOCOL.md §6.4), so the two cannot disagree: session
 * events and the few local facts (our END went out, the transport closed, the user
 * left) in, the exit code and its message out. No I/O, no clock.
 *
 * | what happened                                              | outcome |
 * | ---------------------------------------------------------- | ------- |
 * | closed: both ENDs crossed and the peer acknowledged ours   | 0 |
 * | the peer's END in, ours (or some bytes) unacknowledged, then PEER_LEFT, the transport closing, or no ACK within --ack-timeout | 12, "sent but not confirmed received" |
 * | PEER_LEFT before the peer's END                            | 6, "left before ending the conversation" |
 * | the transport closed before the peer's END                 | 4 |
 * | a session error                                            | by its kind (exit-codes.ts) |
 * | the user left before the conversation closed               | 0: their choice (the peer sees PEER_LEFT) |
 *
 * Exit 0 without the user leaving means the peer acknowledged, authenticated
 * (PROTOCOL.md §6.5), every byte we sent and our END.
 */
import type { SessionEvent } from '@arctalk/protocol';
import { type ClassifiableError, classifyError, ExitCode, type ExitCodeValue } from './exit-codes.js';
import { sanitizeLine } from './sanitize.js';

/** How a conversation ended: the exit code and the line for stderr (none for a clean end). */
export interface Outcome {
  readonly code: ExitCodeValue;
  readonly message: string | undefined;
}

/** What the reducer knows; `outcome` is set once, by the first fact that decides it. */
export interface ConversationState {
  /** the peer's display name, for messages */
  readonly peer: string;
  readonly ended: boolean;
  readonly peerEnded: boolean;
  /** bytes of ours the peer acknowledged */
  readonly acknowledged: number;
  readonly outcome: Outcome | undefined;
}

/** Inputs: session events, plus what only the app knows. */
export type ConversationInput =
  | SessionEvent
  /** our END was queued */
  | { type: 'sent-end' }
  /** the transport closed without us closing it; the line to show */
  | { type: 'transport-closed'; message: string }
  /** both ENDs crossed, but the peer's ACK of ours did not come in time (ms) */
  | { type: 'ack-timeout'; timeoutMs: number }
  /** the user (or a signal) leaves now, whatever the state */
  | { type: 'user-left' }
  /** a local failure (stdin, stdout, a bug) */
  | { type: 'local-error'; message: string };

/**
 * The state before anything happened.
 *
 * @param peer - the peer's name as shown (already sanitised)
 * @returns a state with no outcome
 */
export function initialConversation(peer = 'your peer'): ConversationState {
  return { peer, ended: false, peerEnded: false, acknowledged: 0, outcome: undefined };
}

const clean: Outcome = { code: ExitCode.OK, message: undefined };

/**
 * Applies one input. Pure: returns a new state (the same object when nothing changed).
 *
 * @param state - the current state
 * @param input - an event or a local fact
 * @returns the next state; `outcome` once the conversation's end is decided
 * @example
 * let s = initialConversation('bob');
 * s = reduceConversation(s, { type: 'peer-ended' });
 * s = reduceConversation(s, { type: 'peer-left', ended: true });
 * s.outcome?.code; // 12: bob left before confirming what we sent
 */
export function reduceConversation(state: ConversationState, input: ConversationInput): ConversationState {
  if (state.outcome !== undefined) return state;
  const decide = (outcome: Outcome): ConversationState => ({ ...state, outcome });
  /** The peer's text is complete, ours not confirmed: what the user must be told. */
  const unconfirmed = (why: string): ConversationState =>
    decide({
      code: ExitCode.NOT_CONFIRMED,
      message: `sent but not confirmed received: ${why} (${state.peer} confirmed ${state.acknowledged} byte${
        state.acknowledged === 1 ? '' : 's'
      }${state.ended ? ', not your END' : ''})`,
    });
  switch (input.type) {
    case 'paired':
      return { ...state, peer: sanitizeLine(input.peerName, 64) };
    case 'sent-end':
      return { ...state, ended: true };
    case 'peer-ended':
      return { ...state, peerEnded: true };
    case 'acknowledged':
      return { ...state, acknowledged: input.offset };
    case 'closed':
      return { ...state, ended: true, peerEnded: true, outcome: clean };
    case 'peer-left':
      if (state.peerEnded || input.ended) {
        return unconfirmed(`${state.peer} left before confirming everything you sent`);
      }
      return decide({
        code: ExitCode.PEER_LEFT,
        message: `${state.peer} left before ending the conversation`,
      });
    case 'ack-timeout':
      return unconfirmed(
        `no acknowledgement from ${state.peer} within ${Math.round(input.timeoutMs / 1000)} s`,
      );
    case 'error':
      return decide(classify(input.error));
    case 'transport-closed':
      if (state.peerEnded) return unconfirmed(input.message);
      return decide({ code: ExitCode.CONNECTION_LOST, message: input.message });
    case 'user-left':
      return decide(clean);
    case 'local-error':
      return decide({ code: ExitCode.INTERNAL, message: input.message });
    default:
      return state;
  }
}

function classify(error: unknown): Outcome {
  if (typeof error === 'object' && error !== null && 'code' in error) {
    const { code, message } = classifyError(error as ClassifiableError);
    return { code, message };
  }
  return {
    code: ExitCode.INTERNAL,
    message: `internal error: ${(error as Error)?.message ?? String(error)}`,
  };
}
