/**
 * The exit-code table. Each non-zero exit prints one line on stderr, starting
 * with `arctalk: `; scripts can tell the cases apart by the code alone.
 */
import { errorKind } from '@arctalk/protocol';
import { sanitizeLine } from './sanitize.js';

/** Process exit codes of `arctalk`. */
export const ExitCode = Object.freeze({
  /** the conversation ended cleanly (both ENDs crossed and the peer acknowledged all you sent, or you quit) */
  OK: 0,
  /** a bug or an unexpected local failure */
  INTERNAL: 1,
  /** bad command line, environment or passphrase file */
  USAGE: 2,
  /** the server could not be reached (refused, unreachable, unknown host, timeout, no answer) */
  CANNOT_CONNECT: 3,
  /** the connection to the server dropped before the conversation ended */
  CONNECTION_LOST: 4,
  /** key confirmation or a message tag failed: wrong code or passphrase, or someone altering the traffic */
  AUTH_FAILED: 5,
  /** the peer left before ending the conversation (or before receiving all you sent) */
  PEER_LEFT: 6,
  /** the server refused or ended the session (room full, too many connections, timeout, shutdown) */
  REFUSED: 7,
  /** the peer is incompatible or below your policy (version, DH group too small, unknown group) */
  INCOMPATIBLE: 8,
  /** this session's per-direction byte budget is spent: start a new session */
  BUDGET_EXHAUSTED: 9,
  /** the address answered, but not as an arctalk relay (another service, or it closed at once) */
  NOT_A_RELAY: 10,
  /** the key exchange made no progress for --handshake-timeout seconds (a relay withholding frames) */
  HANDSHAKE_TIMEOUT: 11,
  /**
   * sent but not confirmed received: the peer's text arrived whole, but it never
   * acknowledged (authenticated, PROTOCOL.md §6.5) everything we sent, our END included
   */
  NOT_CONFIRMED: 12,
});

/** One of the {@link ExitCode} values. */
export type ExitCodeValue = (typeof ExitCode)[keyof typeof ExitCode];

/** The table as shown by `--help` and the README. */
export const EXIT_CODE_HELP: readonly (readonly [ExitCodeValue, string])[] = [
  [ExitCode.OK, 'clean end'],
  [ExitCode.INTERNAL, 'internal error'],
  [ExitCode.USAGE, 'usage error (bad option, address, name or passphrase file)'],
  [ExitCode.CANNOT_CONNECT, 'cannot connect to the server, or no answer from it'],
  [ExitCode.CONNECTION_LOST, 'connection to the server lost'],
  [ExitCode.AUTH_FAILED, 'authentication failed / tampering detected (or wrong code or passphrase)'],
  [ExitCode.PEER_LEFT, 'peer left before the conversation ended'],
  [ExitCode.REFUSED, 'refused or ended by the server (room full, busy, timeout, shutdown)'],
  [ExitCode.INCOMPATIBLE, 'incompatible peer (version, DH group below the minimum)'],
  [ExitCode.BUDGET_EXHAUSTED, 'session byte budget exhausted: start a new session'],
  [ExitCode.NOT_A_RELAY, 'the address is not an arctalk relay (another service answered)'],
  [ExitCode.HANDSHAKE_TIMEOUT, 'the key exchange made no progress (see --handshake-timeout)'],
  [ExitCode.NOT_CONFIRMED, 'sent but not confirmed received: the peer never acknowledged all you sent'],
];

/**
 * Our own words for each relay ERROR code: what the user reads first. The
 * relay's message follows, short, escaped and quoted as the relay's, since a
 * hostile relay chooses it (it could claim anything, e.g. "SAS verified").
 */
const RELAY_ERROR_WORDS: Readonly<Record<string, string>> = {
  ROOM_FULL: 'refused by the server: the room is full (two people are already talking there)',
  TOO_MANY_CONNECTIONS: 'refused by the server: it is busy (too many connections)',
  HANDSHAKE_TIMEOUT: 'the server ended the session: no pair was formed in time',
  IDLE_TIMEOUT: 'the server ended the session: the connection was idle for too long',
  SERVER_SHUTTING_DOWN: 'the server ended the session: it is shutting down',
  BAD_HELLO: 'refused by the server: it did not accept our room or name',
  UNSUPPORTED_VERSION: 'refused by the server: it does not speak our protocol version',
};

/**
 * What each tampering code means, in words that name only what applies: none of
 * these can come from a wrong code or passphrase (that fails key confirmation, whose
 * message the protocol words itself).
 */
const TAMPERING_WORDS: Readonly<Record<string, string>> = {
  AUTH_FAILED: 'a message failed authentication: someone on the path altered the traffic',
  BAD_OFFSET: 'a message was dropped, replayed or reordered on the path',
  COMMITMENT_MISMATCH: 'the key exchange was altered on the path',
  INVALID_PUBLIC_KEY: 'the key exchange was altered on the path (an invalid public key)',
  PARAMETER_MISMATCH: 'the key exchange was altered on the path (its parameters changed)',
  MALFORMED_FRAME: 'a malformed frame: the relay or the peer is broken or altering the traffic',
  UNEXPECTED_FRAME: 'a frame out of place: the relay or the peer is broken or altering the traffic',
  UNKNOWN_FRAME_TYPE: 'a frame of an unknown type: the relay or the peer is broken or altering the traffic',
  FRAME_TOO_LARGE: 'a frame over the size limit: the relay or the peer is broken or altering the traffic',
};

/** The longest relay message shown, in columns. */
export const RELAY_QUOTE_COLUMNS = 60;

/**
 * The relay's own message as the user sees it: escaped, cut to
 * {@link RELAY_QUOTE_COLUMNS} columns, quoted (quotes and backslashes inside
 * escaped, so it cannot close its own quote) and attributed.
 *
 * @param message - the ERROR message, as the relay sent it
 * @returns e.g. `the server's message: "room lobby is full"`, or '' for an empty message
 * @example
 * relayQuote('SAS verified by both peers'); // 'the server\'s message: "SAS verified by both peers"'
 */
export function relayQuote(message: string): string {
  const line = sanitizeLine(message.replace(/[\\"]/gu, '\\$&'), RELAY_QUOTE_COLUMNS);
  return line === '' ? '' : `the server's message: "${line}"`;
}

/** The error shape the classifier reads (a ProtocolError from @arctalk/protocol). */
export interface ClassifiableError {
  readonly code?: string;
  readonly message: string;
  readonly relayCode?: number;
}

/**
 * Maps a fatal session error to an exit code and a one-line message, by the kind
 * the protocol gives its code (`errorKind`, from `ERROR_KINDS`): the exit code of
 * a code is data, not a list kept here.
 *
 * @param error - the error from the session's `{ type: 'error' }` event
 * @returns the exit code and the message (without the `arctalk: ` prefix)
 * @example
 * classifyError({ code: 'AUTH_FAILED', message: 'authentication failed' }).code; // 5
 */
export function classifyError(error: ClassifiableError): { code: ExitCodeValue; message: string } {
  const code = error.code ?? '';
  // The message may quote the relay's ERROR text: untrusted, so sanitised for the terminal.
  const detail = sanitizeLine(error.message, 200);
  // Not (or not yet) a relay: the message names the address (connection.ts).
  if (code === 'NOT_A_RELAY') return { code: ExitCode.NOT_A_RELAY, message: detail };
  if (code === 'NO_ANSWER') return { code: ExitCode.CANNOT_CONNECT, message: detail };
  switch (errorKind(code)) {
    case 'relay': {
      // The session's message is "relay error N (NAME): <the relay's own text>".
      const parsed = /^relay error (\d+) \(([A-Za-z_]+)\): ([\s\S]*)$/u.exec(error.message);
      const name = parsed?.[2] ?? 'unknown';
      const words =
        RELAY_ERROR_WORDS[name] ?? `the server reported an error (code ${parsed?.[1] ?? '?'}, ${name})`;
      const quote = relayQuote(parsed?.[3] ?? '');
      return { code: ExitCode.REFUSED, message: quote ? `${words}; ${quote}` : words };
    }
    case 'transport':
      return { code: ExitCode.CONNECTION_LOST, message: `connection lost: ${detail}` };
    case 'budget':
      return {
        code: ExitCode.BUDGET_EXHAUSTED,
        message: 'session byte budget exhausted; start a new session',
      };
    case 'incompatible':
      return { code: ExitCode.INCOMPATIBLE, message: `incompatible peer: ${detail}` };
    case 'tampering':
      // Only what applies: a wrong code or passphrase only where one could be wrong
      // (key confirmation, in a session with one: the protocol's message says so);
      // after the handshake, or without a secret, someone altering the traffic.
      return {
        code: ExitCode.AUTH_FAILED,
        message: `authentication failed / tampering detected (${code}): ${
          /wrong code or passphrase|key confirmation failed/.test(detail)
            ? detail
            : code === 'AUTH_FAILED' || code === 'BAD_OFFSET'
              ? TAMPERING_WORDS[code]
              : TAMPERING_WORDS[code]
                ? `${TAMPERING_WORDS[code]} (${detail})`
                : detail
        }`,
      };
    case 'internal':
      // A bug in arctalk itself: never reported as tampering.
      return {
        code: ExitCode.INTERNAL,
        message: `internal error (a bug in arctalk, please report it): ${detail}`,
      };
    default:
      return { code: ExitCode.INTERNAL, message: `protocol error (${code || 'unknown'}): ${detail}` };
  }
}
