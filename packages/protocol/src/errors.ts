/**
 * Protocol errors, typed by whose fault they are (as h11 does) and carrying a
 * stable string `code` (as snow does). What each code means for the user — its
 * *kind* — is data: {@link ERROR_KINDS}; the tampering set is derived from it.
 * The numeric codes of the relay's ERROR frame live in `envelope.ts` (`ErrorCode`).
 * @module
 */

/**
 * What an error means for the user, whatever its code:
 * - `tampering`: someone altered the conversation or sat in the middle of it, or
 *   the peer is broken (a wrong passphrase also shows up here, as AUTH_FAILED);
 * - `incompatible`: the two sides' versions or policies differ;
 * - `budget`: the session's byte budget is spent (start a new one);
 * - `relay`: the relay refused or ended the connection (an ERROR frame);
 * - `transport`: the connection ended before the conversation did;
 * - `internal`: a bug inside `@arctalk/protocol`, never the peer's fault;
 * - `misuse`: the caller broke the API's rules (a {@link LocalProtocolError}).
 */
export type ErrorKind =
  | 'tampering'
  | 'incompatible'
  | 'budget'
  | 'relay'
  | 'transport'
  | 'internal'
  | 'misuse';

/**
 * Every stable code and its kind. Apps switch on the kind (see {@link errorKind});
 * codes never change meaning within a major version.
 */
export const ERROR_KINDS = Object.freeze({
  // framing
  FRAME_TOO_LARGE: 'tampering',
  UNKNOWN_FRAME_TYPE: 'tampering',
  MALFORMED_FRAME: 'tampering',
  UNEXPECTED_FRAME: 'tampering',
  // handshake
  COMMITMENT_MISMATCH: 'tampering',
  INVALID_PUBLIC_KEY: 'tampering',
  PARAMETER_MISMATCH: 'tampering',
  // authentication and ordering
  AUTH_FAILED: 'tampering',
  BAD_OFFSET: 'tampering',
  // negotiation
  UNSUPPORTED_VERSION: 'incompatible',
  UNSUPPORTED_SUITE: 'incompatible',
  UNKNOWN_GROUP: 'incompatible',
  GROUP_TOO_SMALL: 'incompatible',
  // limits, relay, transport
  BUDGET_EXHAUSTED: 'budget',
  RELAY_ERROR: 'relay',
  CONNECTION_LOST: 'transport',
  // our own bug
  INTERNAL: 'internal',
  // caller misuse
  NOT_STARTED: 'misuse',
  ALREADY_STARTED: 'misuse',
  NOT_SECURED: 'misuse',
  ENDED: 'misuse',
  CLOSED: 'misuse',
  INVALID_ARGUMENT: 'misuse',
} as const satisfies Record<string, ErrorKind>);

/** Every stable error code a {@link ProtocolError} can carry. */
export type ProtocolErrorCode = keyof typeof ERROR_KINDS;

/**
 * Base class of every error the protocol raises.
 *
 * @example
 * ```ts
 * try { session.send(bytes) } catch (e) { if (e instanceof ProtocolError) console.log(e.code) }
 * ```
 */
export abstract class ProtocolError extends Error {
  /** The stable code; see {@link ERROR_KINDS}. */
  readonly code: ProtocolErrorCode;

  /**
   * @param code - stable error code
   * @param message - human-readable description (never contains secrets)
   * @param options - `cause`, as for `Error`
   */
  constructor(code: ProtocolErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
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
 * if (ev && isTamperingError(ev.error)) process.exitCode = 5;
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
 * A bug inside `@arctalk/protocol` (an exception none of its checks meant to
 * raise). Code INTERNAL; never reported as tampering; the original exception is
 * its `cause`. The session is dead, as after a remote error.
 *
 * @example
 * ```ts
 * if (error instanceof InternalProtocolError) console.error('please report:', error.cause);
 * ```
 */
export class InternalProtocolError extends ProtocolError {
  /**
   * @param cause - the unexpected exception
   */
  constructor(cause: unknown) {
    super(
      'INTERNAL',
      `internal error in @arctalk/protocol (a bug, not the peer): ${
        cause instanceof Error ? cause.message : String(cause)
      }`,
      { cause },
    );
  }
}

/**
 * The kind of an error code.
 *
 * @param code - a {@link ProtocolErrorCode}
 * @returns its {@link ErrorKind}, or undefined for a string that is not a code
 * @example
 * ```ts
 * errorKind('BAD_OFFSET'); // 'tampering'
 * ```
 */
export function errorKind(code: string): ErrorKind | undefined {
  return Object.hasOwn(ERROR_KINDS, code) ? ERROR_KINDS[code as ProtocolErrorCode] : undefined;
}

/**
 * The codes of kind `tampering` (derived from {@link ERROR_KINDS}): a failed
 * CONFIRM or tag, a broken commitment, a wrong offset (dropped, replayed or
 * reordered frame), a forged public key, or frames that make no sense at that point.
 */
export const TAMPERING_CODES: ReadonlySet<ProtocolErrorCode> = new Set(
  (Object.keys(ERROR_KINDS) as ProtocolErrorCode[]).filter((c) => ERROR_KINDS[c] === 'tampering'),
);

/**
 * Whether an error means the conversation was tampered with (see {@link TAMPERING_CODES}).
 *
 * @param error - any value caught or received in an `error` event
 * @returns true for a {@link RemoteProtocolError} whose code is of kind `tampering`
 * @example
 * ```ts
 * if (isTamperingError(err)) console.error('the conversation was altered in transit');
 * ```
 */
export function isTamperingError(error: unknown): boolean {
  return error instanceof RemoteProtocolError && TAMPERING_CODES.has(error.code);
}
