/**
 * PROTOCOL.md §3, the relay envelope: the frames between a client and the relay
 * (HELLO, WAITING, PAIRED, PEER_LEFT, ERROR, PING, PONG), their encoders and
 * decoders, the relay's numeric ERROR codes, the text rules of names and rooms
 * (§1; UTF-8 is RFC 3629), and the relay's rules as one frozen table,
 * {@link RELAY_RULES}, that mirrors §3.7 row for row.
 * @module
 */
import { _describe, _putU32 } from './_util';
import { LocalProtocolError, RemoteProtocolError } from './errors';
import { _checkFrameCap, _readFrameCap, FrameType, isClientToClientType, lengths } from './frame';

/** The protocol version carried in HELLO. */
export const PROTOCOL_VERSION = 2;
/**
 * The room `ClientSession` joins when its options name none. A client choice: the
 * relay has no default room (an empty room is BAD_HELLO, §3.1).
 */
export const DEFAULT_ROOM = 'lobby';
/**
 * The longest HELLO body the relay reads. A version-1 HELLO is at most
 * 3 + 64 + 32 = 99 bytes; the margin lets a later version's HELLO (another
 * layout) still be read far enough to be answered UNSUPPORTED_VERSION.
 */
export const MAX_HELLO_BODY = 1024;

/** Stable numeric codes of the relay's ERROR frame (u16 on the wire). */
export const ErrorCode = Object.freeze({
  MALFORMED_FRAME: 1,
  FRAME_TOO_LARGE: 2,
  UNKNOWN_FRAME_TYPE: 3,
  UNSUPPORTED_VERSION: 4,
  UNEXPECTED_FRAME: 5,
  ROOM_FULL: 6,
  /** no HELLO accepted within the relay's handshake timeout */
  HANDSHAKE_TIMEOUT: 7,
  IDLE_TIMEOUT: 8,
  TOO_MANY_CONNECTIONS: 9,
  SERVER_SHUTTING_DOWN: 10,
  BAD_HELLO: 11,
  INTERNAL: 12,
  /** a frame begun but not finished made no progress in time (relay policy) */
  FRAME_TIMEOUT: 13,
  /** the client does not read: its unsent output did not drain in time (relay policy) */
  SLOW_CONSUMER: 14,
} as const);

/** The name of a relay ERROR code, e.g. `'ROOM_FULL'`. */
export type ErrorCodeName = keyof typeof ErrorCode;

const ERROR_NAMES: ReadonlyMap<number, ErrorCodeName> = new Map(
  (Object.entries(ErrorCode) as [ErrorCodeName, number][]).map(([k, v]) => [v, k]),
);

/**
 * The name of a relay ERROR code.
 *
 * @param code - a u16 ERROR code
 * @returns its name, or undefined for a code this version does not define
 * @example
 * ```ts
 * errorCodeName(6); // 'ROOM_FULL'
 * ```
 */
export function errorCodeName(code: number): ErrorCodeName | undefined {
  return ERROR_NAMES.get(code);
}

// ---------------------------------------------------------------------------
// §1 text fields: display names, rooms, messages.

const utf8Encoder = new TextEncoder();
const utf8Fatal = new TextDecoder('utf-8', { fatal: true, ignoreBOM: true });
const utf8Lenient = new TextDecoder('utf-8', { fatal: false, ignoreBOM: true });

/**
 * Characters no name or room may hold: C0 and C1 controls, DEL, line and paragraph
 * separators, every bidirectional-formatting character (Unicode's Bidi_Control set:
 * U+061C, U+200E, U+200F, U+202A–U+202E, U+2066–U+2069; terminal spoofing) and, in
 * a JS string, lone surrogates (in `u` mode the range matches only unpaired ones).
 */
const FORBIDDEN =
  /[\u0000-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028\u2029\u202a-\u202e\u2066-\u2069\ud800-\udfff]/u;

function checkText(
  what: string,
  text: unknown,
  min: number,
  max: number,
  fault: 'local' | 'remote',
): Uint8Array {
  const fail = (message: string) =>
    fault === 'local'
      ? new LocalProtocolError('INVALID_ARGUMENT', message)
      : new RemoteProtocolError('MALFORMED_FRAME', message);
  if (typeof text !== 'string') throw fail(`"${what}" expected string, got ${_describe(text)}`);
  // One spelling on the wire (PROTOCOL.md §1): a caller's text is put in NFC; a
  // peer's or client's text must arrive in NFC, or two spellings of one room would
  // never meet and two spellings of one name would hash differently.
  const nfc = text.normalize('NFC');
  if (fault === 'remote' && nfc !== text) throw fail(`"${what}" is not in Unicode Normalization Form C`);
  const bytes = utf8Encoder.encode(nfc);
  if (bytes.length < min || bytes.length > max) {
    throw fail(`"${what}" expected ${min}..${max} bytes of UTF-8, got ${bytes.length}`);
  }
  if (FORBIDDEN.test(nfc)) {
    throw fail(`"${what}" contains a control, bidirectional-formatting or lone surrogate character`);
  }
  return bytes;
}

/**
 * Checks a display name: 1..32 bytes of UTF-8 once NFC-normalised, no control,
 * line-separator or bidirectional-formatting character.
 *
 * @param name - the display name (any normalisation form: it is put in NFC)
 * @returns the UTF-8 bytes of its NFC form, as sent on the wire
 * @throws LocalProtocolError INVALID_ARGUMENT when it breaks a rule
 * @example
 * ```ts
 * validateName('alice'); // Uint8Array(5)
 * ```
 */
export function validateName(name: string): Uint8Array {
  return checkText('name', name, 1, lengths.maxName, 'local');
}

/**
 * Checks a room name: 1..64 bytes of UTF-8 once NFC-normalised, same character
 * rules as {@link validateName}. The room is hashed into the transcript exactly as sent in
 * HELLO, and the relay pairs only clients that sent the same bytes, so there is no
 * empty "default" room whose meaning only the relay knows (§3.1).
 *
 * @param room - the room name (any normalisation form: it is put in NFC)
 * @returns the UTF-8 bytes of its NFC form, as sent on the wire
 * @throws LocalProtocolError INVALID_ARGUMENT when it breaks a rule
 * @example
 * ```ts
 * validateRoom('lobby'); // Uint8Array(5)
 * ```
 */
export function validateRoom(room: string): Uint8Array {
  return checkText('room', room, 1, lengths.maxRoom, 'local');
}

function readText(what: string, bytes: Uint8Array, min: number, max: number): string {
  let text: string;
  try {
    text = utf8Fatal.decode(bytes);
  } catch {
    throw new RemoteProtocolError('MALFORMED_FRAME', `${what} is not valid UTF-8`);
  }
  checkText(what, text, min, max, 'remote');
  return text;
}

// ---------------------------------------------------------------------------
// §3.1–§3.6 envelope messages. Encoders return the BODY (wrap with encodeFrame); decoders
// take the body and throw RemoteProtocolError on anything malformed.

/** HELLO: the first frame a client sends. */
export interface Hello {
  version: number;
  room: string;
  name: string;
}

/**
 * Encodes a HELLO body: `u8 version | u8 roomLen | room | u8 nameLen | name`.
 *
 * @param hello - room (1..64 bytes), name (1..32 bytes), version (default {@link PROTOCOL_VERSION})
 * @returns the body
 * @throws LocalProtocolError INVALID_ARGUMENT for a bad field
 * @example
 * ```ts
 * encodeFrame({ type: FrameType.HELLO, body: encodeHello({ room: 'lobby', name: 'alice' }) });
 * ```
 */
export function encodeHello(hello: { room: string; name: string; version?: number }): Uint8Array {
  const version = hello.version ?? PROTOCOL_VERSION;
  if (!Number.isInteger(version) || version < 0 || version > 255) {
    throw new LocalProtocolError(
      'INVALID_ARGUMENT',
      `"version" expected integer 0..255, got ${String(version)}`,
    );
  }
  const room = validateRoom(hello.room);
  const name = validateName(hello.name);
  const out = new Uint8Array(3 + room.length + name.length);
  out[0] = version;
  out[1] = room.length;
  out.set(room, 2);
  out[2 + room.length] = name.length;
  out.set(name, 3 + room.length);
  return out;
}

/**
 * Decodes a HELLO body. The version byte is checked first, so a future version's
 * HELLO of a different layout is still answered with UNSUPPORTED_VERSION.
 *
 * @param body - the frame body
 * @returns version (always {@link PROTOCOL_VERSION}), room and name
 * @throws RemoteProtocolError UNSUPPORTED_VERSION, or MALFORMED_FRAME for a bad layout or text
 * @example
 * ```ts
 * decodeHello(frame.body).room;
 * ```
 */
export function decodeHello(body: Uint8Array): Hello {
  if (body.length < 1) throw new RemoteProtocolError('MALFORMED_FRAME', 'HELLO body is empty');
  const version = body[0]!;
  if (version !== PROTOCOL_VERSION) {
    throw new RemoteProtocolError(
      'UNSUPPORTED_VERSION',
      `unsupported protocol version ${version}: this side speaks arctalk protocol version ${PROTOCOL_VERSION}`,
    );
  }
  if (body.length < 3) throw new RemoteProtocolError('MALFORMED_FRAME', 'HELLO body too short');
  const roomLength = body[1]!;
  if (body.length < 3 + roomLength) throw new RemoteProtocolError('MALFORMED_FRAME', 'HELLO body too short');
  const nameLength = body[2 + roomLength]!;
  if (body.length !== 3 + roomLength + nameLength) {
    throw new RemoteProtocolError('MALFORMED_FRAME', 'HELLO length fields do not match the body');
  }
  const room = readText('room', body.subarray(2, 2 + roomLength), 1, lengths.maxRoom);
  const name = readText('name', body.subarray(3 + roomLength), 1, lengths.maxName);
  return { version, room, name };
}

/** The two roles of a pair. */
export type Role = 'initiator' | 'responder';

/** WAITING: the client waits for a peer; the relay announces its frame cap. */
export interface Waiting {
  /** the longest frame (`length` field) the relay accepts from this client, ≥ 2048 */
  maxFrameLength: number;
}

/**
 * Encodes a WAITING body: `u32 maxFrameLength` (the relay's cap, §3.2).
 *
 * @param waiting - the relay's cap on a frame's length field, 2048..2^32-1
 * @returns the 4-byte body
 * @throws LocalProtocolError INVALID_ARGUMENT for a cap outside 2048..2^32-1
 * @example
 * ```ts
 * encodeWaiting({ maxFrameLength: 65536 }); // 00 01 00 00
 * ```
 */
export function encodeWaiting(waiting: Waiting): Uint8Array {
  const out = new Uint8Array(4);
  _putU32(out, 0, _checkFrameCap(waiting.maxFrameLength));
  return out;
}

/**
 * Decodes a WAITING body.
 *
 * @param body - the frame body
 * @returns the relay's frame cap
 * @throws RemoteProtocolError MALFORMED_FRAME unless the body is 4 bytes with a cap ≥ 2048
 * @example
 * ```ts
 * decodeWaiting(frame.body).maxFrameLength; // 65536
 * ```
 */
export function decodeWaiting(body: Uint8Array): Waiting {
  if (body.length !== 4)
    throw new RemoteProtocolError('MALFORMED_FRAME', `WAITING body of ${body.length} bytes, expected 4`);
  return { maxFrameLength: _readFrameCap('WAITING', body, 0) };
}

/** PAIRED: the relay formed a pair. */
export interface Paired {
  role: Role;
  /** the longest frame (`length` field) the relay accepts from this client, ≥ 2048 */
  maxFrameLength: number;
  peerName: string;
}

/**
 * Encodes a PAIRED body: `u8 role (1 initiator, 2 responder) | u32 maxFrameLength |
 * u8 nameLen | peer name` (§3.3).
 *
 * @param paired - role of the receiving client, the relay's frame cap and the peer's display name
 * @returns the body
 * @throws LocalProtocolError INVALID_ARGUMENT for a bad field
 * @example
 * ```ts
 * encodePaired({ role: 'initiator', maxFrameLength: 65536, peerName: 'bob' });
 * ```
 */
export function encodePaired(paired: Paired): Uint8Array {
  if (paired.role !== 'initiator' && paired.role !== 'responder') {
    throw new LocalProtocolError(
      'INVALID_ARGUMENT',
      `"role" expected 'initiator' | 'responder', got ${String(paired.role)}`,
    );
  }
  const cap = _checkFrameCap(paired.maxFrameLength);
  const name = checkText('peerName', paired.peerName, 1, lengths.maxName, 'local');
  const out = new Uint8Array(6 + name.length);
  out[0] = paired.role === 'initiator' ? 1 : 2;
  _putU32(out, 1, cap);
  out[5] = name.length;
  out.set(name, 6);
  return out;
}

/**
 * Decodes a PAIRED body.
 *
 * @param body - the frame body
 * @returns the role, the relay's frame cap and the peer's display name
 * @throws RemoteProtocolError MALFORMED_FRAME for a bad layout, role, cap or name
 * @example
 * ```ts
 * const { role, peerName } = decodePaired(frame.body);
 * ```
 */
export function decodePaired(body: Uint8Array): Paired {
  if (body.length < 6 || body.length !== 6 + body[5]!) {
    throw new RemoteProtocolError('MALFORMED_FRAME', 'PAIRED length field does not match the body');
  }
  const r = body[0];
  if (r !== 1 && r !== 2) throw new RemoteProtocolError('MALFORMED_FRAME', `PAIRED role ${r} is not 1 or 2`);
  return {
    role: r === 1 ? 'initiator' : 'responder',
    maxFrameLength: _readFrameCap('PAIRED', body, 1),
    peerName: readText('peer name', body.subarray(6), 1, lengths.maxName),
  };
}

/** ERROR: the relay refuses or ends a connection. */
export interface ErrorMessage {
  code: number;
  message: string;
}

/**
 * Encodes an ERROR body: `u16 code | UTF-8 message (rest of the body, ≤ 1024 bytes)`.
 * The message is truncated to 1024 bytes on a character boundary.
 *
 * @param error - numeric code (see {@link ErrorCode}) and message
 * @returns the body
 * @throws LocalProtocolError INVALID_ARGUMENT for a code outside 0..65535
 * @example
 * ```ts
 * encodeError({ code: ErrorCode.ROOM_FULL, message: 'room is full' });
 * ```
 */
export function encodeError(error: ErrorMessage): Uint8Array {
  const { code } = error;
  if (!Number.isInteger(code) || code < 0 || code > 0xffff) {
    throw new LocalProtocolError('INVALID_ARGUMENT', `"code" expected integer 0..65535, got ${String(code)}`);
  }
  let message = utf8Encoder.encode(String(error.message));
  if (message.length > lengths.maxErrorMessage) {
    let end = lengths.maxErrorMessage;
    while (end > 0 && (message[end]! & 0xc0) === 0x80) end--; // cut before a continuation byte
    message = message.subarray(0, end);
  }
  const out = new Uint8Array(2 + message.length);
  out[0] = code >>> 8;
  out[1] = code & 0xff;
  out.set(message, 2);
  return out;
}

/**
 * Decodes an ERROR body. The message is decoded leniently (invalid UTF-8 and
 * control characters become U+FFFD) so it is always safe to print.
 *
 * @param body - the frame body
 * @returns the numeric code and the sanitised message
 * @throws RemoteProtocolError MALFORMED_FRAME if the body is shorter than 2 bytes or its message over 1024
 * @example
 * ```ts
 * const { code, message } = decodeError(frame.body);
 * ```
 */
export function decodeError(body: Uint8Array): ErrorMessage {
  if (body.length < 2 || body.length > 2 + lengths.maxErrorMessage) {
    throw new RemoteProtocolError('MALFORMED_FRAME', `ERROR body of ${body.length} bytes`);
  }
  const message = utf8Lenient.decode(body.subarray(2)).replace(new RegExp(FORBIDDEN.source, 'gu'), '\ufffd');
  return { code: (body[0]! << 8) | body[1]!, message };
}

/**
 * What a client reports for the relay's ERROR frame: UNSUPPORTED_VERSION when the
 * relay (or a peer behind it) speaks another protocol version — incompatible, not
 * refused — else RELAY_ERROR carrying the numeric code.
 *
 * @param body - the ERROR frame body
 * @returns the error to fail the session with (the message is the relay's, sanitised)
 * @throws RemoteProtocolError MALFORMED_FRAME for a malformed body, as {@link decodeError}
 * @example
 * ```ts
 * throw relayError(frame.body); // e.g. RELAY_ERROR 'relay error 6 (ROOM_FULL): room is full'
 * ```
 */
export function relayError(body: Uint8Array): RemoteProtocolError {
  const { code, message } = decodeError(body);
  if (code === ErrorCode.UNSUPPORTED_VERSION) {
    return new RemoteProtocolError(
      'UNSUPPORTED_VERSION',
      `the relay does not speak arctalk protocol version ${PROTOCOL_VERSION} (it answered: ${message})`,
      code,
    );
  }
  const name = errorCodeName(code) ?? 'unknown';
  return new RemoteProtocolError('RELAY_ERROR', `relay error ${code} (${name}): ${message}`, code);
}

/**
 * Checks an empty body (PEER_LEFT).
 *
 * @param what - the frame type name, for the message
 * @param body - the frame body
 * @throws RemoteProtocolError MALFORMED_FRAME if the body is not empty
 * @example
 * ```ts
 * decodeEmpty('PEER_LEFT', frame.body);
 * ```
 */
export function decodeEmpty(what: string, body: Uint8Array): void {
  if (body.length !== 0) throw new RemoteProtocolError('MALFORMED_FRAME', `${what} body must be empty`);
}

/**
 * Checks a PING or PONG body: 0..32 opaque bytes (a PONG echoes its PING's body).
 *
 * @param body - the frame body
 * @returns the body
 * @throws RemoteProtocolError MALFORMED_FRAME over 32 bytes
 * @example
 * ```ts
 * encodeFrame({ type: FrameType.PONG, body: decodePing(ping.body) });
 * ```
 */
export function decodePing(body: Uint8Array): Uint8Array {
  if (body.length > lengths.maxPing)
    throw new RemoteProtocolError('MALFORMED_FRAME', 'PING body over 32 bytes');
  return body;
}

// ---------------------------------------------------------------------------
// §3.7 the relay's rules, as data.

/** Where a connection stands at the relay (§3.7). */
export type RelayState = 'hello' | 'waiting' | 'paired' | 'alone';

/** The classes of frame the relay tells apart (§3.7's rows). */
export type RelayFrameClass = 'HELLO' | 'PING' | 'PONG' | 'client-to-client' | 'relay-to-client' | 'unknown';

/**
 * What the relay does with a frame: `hello` (read the body, then pair or wait),
 * `pong` (read the body, answer PONG with it), `discard` (skip the body),
 * `forward` (pass the whole frame to the peer, verbatim), or an {@link ErrorCodeName}
 * (answer ERROR with that code, then close).
 */
export type RelayVerdict = 'hello' | 'pong' | 'discard' | 'forward' | ErrorCodeName;

/** One row of {@link RELAY_RULES}. */
export interface RelayRule {
  readonly frame: RelayFrameClass;
  /** the verdict in each state */
  readonly in: Readonly<Record<RelayState, RelayVerdict>>;
  /** a longer body is refused on the header, before any of it is read */
  readonly maxBody?: number;
  /** the code for a body over `maxBody` (only when the state's verdict is not already a refusal) */
  readonly overMaxBody?: ErrorCodeName;
}

const everywhere = (v: RelayVerdict): Readonly<Record<RelayState, RelayVerdict>> =>
  Object.freeze({ hello: v, waiting: v, paired: v, alone: v });

/**
 * The relay's rules (PROTOCOL.md §3.7), one row per frame class. The table knows no
 * connection, room or peer: the {@link Relay} driver applies it to each frame header
 * as soon as the header is in, after the §2 length checks.
 */
export const RELAY_RULES: readonly RelayRule[] = Object.freeze(
  (
    [
      {
        frame: 'HELLO',
        in: {
          hello: 'hello',
          waiting: 'UNEXPECTED_FRAME',
          paired: 'UNEXPECTED_FRAME',
          alone: 'UNEXPECTED_FRAME',
        },
        maxBody: MAX_HELLO_BODY,
        overMaxBody: 'BAD_HELLO',
      },
      { frame: 'PING', in: everywhere('pong'), maxBody: lengths.maxPing, overMaxBody: 'MALFORMED_FRAME' },
      { frame: 'PONG', in: everywhere('discard'), maxBody: lengths.maxPing, overMaxBody: 'MALFORMED_FRAME' },
      {
        frame: 'client-to-client',
        in: { hello: 'UNEXPECTED_FRAME', waiting: 'UNEXPECTED_FRAME', paired: 'forward', alone: 'discard' },
      },
      { frame: 'relay-to-client', in: everywhere('UNEXPECTED_FRAME') },
      { frame: 'unknown', in: everywhere('UNKNOWN_FRAME_TYPE') },
    ] satisfies RelayRule[]
  ).map((r): RelayRule => Object.freeze({ ...r, in: Object.freeze({ ...r.in }) })),
);

/**
 * The row class of a frame type: HELLO, PING, PONG, the client-to-client range
 * 0x10–0x1f, the relay-to-client types 0x02–0x05, or anything else.
 *
 * @param type - a frame type byte
 * @returns its class in {@link RELAY_RULES}
 * @example
 * ```ts
 * relayFrameClass(FrameType.DATA); // 'client-to-client'
 * ```
 */
export function relayFrameClass(type: number): RelayFrameClass {
  if (type === FrameType.HELLO) return 'HELLO';
  if (type === FrameType.PING) return 'PING';
  if (type === FrameType.PONG) return 'PONG';
  if (isClientToClientType(type)) return 'client-to-client';
  if (type >= FrameType.WAITING && type <= FrameType.ERROR) return 'relay-to-client';
  return 'unknown';
}

const RULE_BY_CLASS: ReadonlyMap<RelayFrameClass, RelayRule> = new Map(RELAY_RULES.map((r) => [r.frame, r]));

/**
 * The relay's verdict on a frame header, from {@link RELAY_RULES}.
 *
 * @param state - the sending connection's state
 * @param type - the frame type
 * @param bodyLength - the body length announced by the header
 * @returns the verdict
 * @example
 * ```ts
 * relayVerdict('hello', FrameType.DATA, 10); // 'UNEXPECTED_FRAME'
 * ```
 */
export function relayVerdict(state: RelayState, type: number, bodyLength: number): RelayVerdict {
  const rule = RULE_BY_CLASS.get(relayFrameClass(type))!;
  const verdict = rule.in[state];
  if (verdict in ErrorCode) return verdict;
  if (rule.maxBody !== undefined && bodyLength > rule.maxBody) return rule.overMaxBody!;
  return verdict;
}
