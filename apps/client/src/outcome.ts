/**
 * The conversation's end-of-session rules, as one pure reducer that terminal mode
 * and pipe mode both call (PROTOCOL.md §6.4), so the two cannot disagree: session
 * events and the few local facts (our END went out, the transport closed, the user
 * left) in, the exit code and its message out. No I/O, no clock.
 *
 * | what happened                                   | outcome |
 * | ----------------------------------------------- | ------- |
 * | both ENDs crossed (then anything)               | 0 |
 * | PEER_LEFT after the peer's END, before ours     | 6, "left before receiving everything you sent" |
 * | PEER_LEFT before the peer's END                 | 6, "left before ending the conversation" |
 * | the transport closed first                      | 4 |
 * | a session error                                 | by its kind (exit-codes.ts) |
 * | the user left before both ENDs crossed          | 0: their choice (the peer sees PEER_LEFT) |
 *
 * Exit 0 from the peer's side means "both ENDs crossed": version 1 has no
 * acknowledgements, so that is the only outcome that vouches for both directions.
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
  readonly outcome: Outcome | undefined;
}

/** Inputs: session events, plus what only the app knows. */
export type ConversationInput =
  | SessionEvent
  /** our END was queued */
  | { type: 'sent-end' }
  /** the transport closed without us closing it; the line to show */
  | { type: 'transport-closed'; message: string }
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
  return { peer, ended: false, peerEnded: false, outcome: undefined };
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
 * s.outcome?.code; // 6: bob left before our END
 */
export function reduceConversation(state: ConversationState, input: ConversationInput): ConversationState {
  if (state.outcome !== undefined) return state;
  const decide = (outcome: Outcome): ConversationState => ({ ...state, outcome });
  switch (input.type) {
    case 'paired':
      return { ...state, peer: sanitizeLine(input.peerName, 64) };
    case 'sent-end':
      return state.peerEnded ? { ...state, ended: true, outcome: clean } : { ...state, ended: true };
    case 'peer-ended':
      return state.ended ? { ...state, peerEnded: true, outcome: clean } : { ...state, peerEnded: true };
    case 'closed':
      return { ...state, ended: true, peerEnded: true, outcome: clean };
    case 'peer-left':
      if (state.ended && state.peerEnded) return decide(clean);
      return decide({
        code: ExitCode.PEER_LEFT,
        message:
          state.peerEnded || input.ended
            ? `${state.peer} left before receiving everything you sent`
            : `${state.peer} left before ending the conversation`,
      });
    case 'error':
      return decide(classify(input.error));
    case 'transport-closed':
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
