/**
 * Protocol errors, typed by whose fault they are (as h11 does) and carrying a
 * stable string `code` (as snow does). The wire codes of the relay's ERROR frame
 * live in `frame.ts` (`ErrorCode`).
 * @module
 */

/**
 * Every stable error code a {@link ProtocolError} can carry. Apps may switch on
 * these; they never change meaning within a major version.
 */
export type ProtocolErrorCode =
  // framing
  | 'FRAME_TOO_LARGE'
  | 'UNKNOWN_FRAME_TYPE'
  | 'MALFORMED_FRAME'
  | 'UNEXPECTED_FRAME'
  // negotiation
  | 'UNSUPPORTED_VERSION'
  | 'UNSUPPORTED_SUITE'
  | 'UNKNOWN_GROUP'
  | 'GROUP_TOO_SMALL'
  | 'PARAMETER_MISMATCH'
  | 'INVALID_PUBLIC_KEY'
  | 'COMMITMENT_MISMATCH'
  // authentication and ordering
  | 'AUTH_FAILED'
  | 'BAD_OFFSET'
  | 'BUDGET_EXHAUSTED'
  // transport and relay
  | 'RELAY_ERROR'
  | 'CONNECTION_LOST'
  // caller misuse
  | 'NOT_STARTED'
  | 'ALREADY_STARTED'
  | 'NOT_SECURED'
  | 'ENDED'
  | 'CLOSED'
  | 'INVALID_ARGUMENT'
  | 'SESSION_FAILED';

/**
 * Base class of every error the protocol raises on purpose.
 *
 * @example
 * ```ts
 * try { session.send(bytes) } catch (e) { if (e instanceof ProtocolError) console.log(e.code) }
 * ```
 */
export abstract class ProtocolError extends Error {
  /** The stable code; see {@link ProtocolErrorCode}. */
  readonly code: ProtocolErrorCode;

  /**
   * @param code - stable error code
   * @param message - human-readable description (never contains secrets)
   */
  constructor(code: ProtocolErrorCode, message: string) {
    super(message);
    this.code = code;
    this.name = new.target.name;
  }
}

/**
 * The caller misused the API (sent before the session was secured, passed a bad
 * argument, ...). The session's state is unchanged and it may still be used.
 *
 * @example
 * ```ts
 * new LocalProtocolError('NOT_SECURED', 'cannot send before the session is secured');
 * ```
 */
export class LocalProtocolError extends ProtocolError {}

/**
 * The peer or the relay misbehaved (malformed bytes, a failed tag, a wrong
 * offset, ...). The session is dead: every later call throws this same error.
 * For authentication failures the message deliberately carries no detail.
 *
 * @example
 * ```ts
 * const ev = events.find((e) => e.type === 'error');
 * if (ev && isTamperingError(ev.error)) process.exitCode = 3;
 * ```
 */
export class RemoteProtocolError extends ProtocolError {
  /** For `RELAY_ERROR`: the numeric `ErrorCode` the relay sent; otherwise undefined. */
  readonly relayCode: number | undefined;

  /**
   * @param code - stable error code
   * @param message - human-readable description
   * @param relayCode - the relay's numeric ERROR code, for `RELAY_ERROR`
   */
  constructor(code: ProtocolErrorCode, message: string, relayCode?: number) {
    super(code, message);
    this.relayCode = relayCode;
  }
}

/**
 * The codes that mean "someone altered the conversation or sat in the middle of
 * it": a failed CONFIRM or tag, a broken commitment, a wrong offset (dropped,
 * replayed or reordered frame), a forged public key, or frames that make no sense
 * at that point. Apps report these as tampering, unlike a relay refusal
 * (`RELAY_ERROR`) or a policy mismatch.
 */
export const TAMPERING_CODES: ReadonlySet<ProtocolErrorCode> = new Set<ProtocolErrorCode>([
  'AUTH_FAILED',
  'COMMITMENT_MISMATCH',
  'BAD_OFFSET',
  'INVALID_PUBLIC_KEY',
  'PARAMETER_MISMATCH',
  'MALFORMED_FRAME',
  'UNEXPECTED_FRAME',
  'UNKNOWN_FRAME_TYPE',
  'FRAME_TOO_LARGE',
]);

/**
 * Whether an error means the conversation was tampered with (see {@link TAMPERING_CODES}).
 *
 * @param error - any value caught or received in an `error` event
 * @returns true for a {@link RemoteProtocolError} whose code is in {@link TAMPERING_CODES}
 * @example
 * ```ts
 * if (isTamperingError(err)) console.error('the conversation was altered in transit');
 * ```
 */
export function isTamperingError(error: unknown): boolean {
  return error instanceof RemoteProtocolError && TAMPERING_CODES.has(error.code);
}
