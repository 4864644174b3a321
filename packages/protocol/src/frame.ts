/**
 * The arctalk wire format: framing (`u32 length | u8 type | body`), the frame
 * types, the relay's numeric ERROR codes, and the encoders/decoders of the relay
 * envelope (HELLO, WAITING, PAIRED, PEER_LEFT, ERROR, PING, PONG). The byte-exact
 * specification is PROTOCOL.md; UTF-8 is RFC 3629, big-endian integers as in
 * RFC 1700 network byte order.
 * @module
 */

import { _abytes, _checkMaxFrameLength, _describe, _readU32, _writeHeader } from './_util';
import { LocalProtocolError, RemoteProtocolError } from './errors';

/** The protocol version carried in HELLO. */
export const PROTOCOL_VERSION = 1;
/** Default cap on a frame's `length` field (type byte + body), in bytes. */
export const DEFAULT_MAX_FRAME_LENGTH = 65536;
/** The room a HELLO with an empty room name joins. */
export const DEFAULT_ROOM = 'lobby';

/** Fixed sizes of the wire format, in bytes. */
export const lengths = Object.freeze({
  /** `u32 length | u8 type` */
  header: 5,
  /** the smallest allowed `max frame length` (an ffdhe8192 KEX frame needs 1061) */
  minMaxFrameLength: 2048,
  /** display name in HELLO / PAIRED: 1..32 bytes of UTF-8 */
  maxName: 32,
  /** room name in HELLO: 0..64 bytes of UTF-8 (0 = the default room) */
  maxRoom: 64,
  /** PING/PONG opaque body: 0..32 bytes */
  maxPing: 32,
  /** ERROR message: 0..1024 bytes of UTF-8 */
  maxErrorMessage: 1024,
});

/** Frame type codes. 0x01–0x0f: relay envelope; 0x10–0x1f: client-to-client, forwarded verbatim. */
export const FrameType = Object.freeze({
  HELLO: 0x01,
  WAITING: 0x02,
  PAIRED: 0x03,
  PEER_LEFT: 0x04,
  ERROR: 0x05,
  PING: 0x06,
  PONG: 0x07,
  COMMIT: 0x10,
  KEX: 0x11,
  CONFIRM: 0x12,
  DATA: 0x13,
  END: 0x14,
} as const);

/** The name of a frame type, e.g. `'HELLO'`. */
export type FrameTypeName = keyof typeof FrameType;

const TYPE_NAMES: ReadonlyMap<number, FrameTypeName> = new Map(
  (Object.entries(FrameType) as [FrameTypeName, number][]).map(([k, v]) => [v, k]),
);

/**
 * The name of a known frame type.
 *
 * @param type - a frame type byte
 * @returns its name, or undefined if the type is not defined by this version
 * @example
 * ```ts
 * frameTypeName(0x13); // 'DATA'
 * ```
 */
export function frameTypeName(type: number): FrameTypeName | undefined {
  return TYPE_NAMES.get(type);
}

/**
 * Whether a type byte is in the client-to-client range 0x10–0x1f, which the relay
 * forwards verbatim once a pair is formed (including types it does not know).
 *
 * @param type - a frame type byte
 * @returns true for 0x10..0x1f
 * @example
 * ```ts
 * isClientToClientType(FrameType.DATA); // true
 * ```
 */
export function isClientToClientType(type: number): boolean {
  return type >= 0x10 && type <= 0x1f;
}

/**
 * Whether a type byte is defined by this protocol version.
 *
 * @param type - a frame type byte
 * @returns true for the twelve types of {@link FrameType}
 * @example
 * ```ts
 * isKnownFrameType(0x08); // false
 * ```
 */
export function isKnownFrameType(type: number): boolean {
  return TYPE_NAMES.has(type);
}

/** Stable numeric codes of the relay's ERROR frame (u16 on the wire). */
export const ErrorCode = Object.freeze({
  MALFORMED_FRAME: 1,
  FRAME_TOO_LARGE: 2,
  UNKNOWN_FRAME_TYPE: 3,
  UNSUPPORTED_VERSION: 4,
  UNEXPECTED_FRAME: 5,
  ROOM_FULL: 6,
  HANDSHAKE_TIMEOUT: 7,
  IDLE_TIMEOUT: 8,
  TOO_MANY_CONNECTIONS: 9,
  SERVER_SHUTTING_DOWN: 10,
  BAD_HELLO: 11,
  INTERNAL: 12,
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

/** One frame: its type byte and its body (the bytes after the type). */
export interface Frame {
  type: number;
  body: Uint8Array;
}

/**
 * Encodes one frame: `u32 length (big-endian, = 1 + body.length) | u8 type | body`.
 *
 * @param frame - the type byte (0..255) and the body
 * @param maxFrameLength - cap on the length field (default {@link DEFAULT_MAX_FRAME_LENGTH})
 * @returns a new Uint8Array of 5 + body.length bytes
 * @throws LocalProtocolError INVALID_ARGUMENT for a bad type or body; FRAME_TOO_LARGE over the cap
 * @example
 * ```ts
 * encodeFrame({ type: FrameType.PING, body: new Uint8Array(0) }); // 00 00 00 01 06
 * ```
 */
export function encodeFrame(frame: Frame, maxFrameLength: number = DEFAULT_MAX_FRAME_LENGTH): Uint8Array {
  if (typeof frame !== 'object' || frame === null) {
    throw new LocalProtocolError('INVALID_ARGUMENT', `"frame" expected object, got ${_describe(frame)}`);
  }
  const { type, body } = frame;
  if (!Number.isInteger(type) || type < 0 || type > 255) {
    throw new LocalProtocolError(
      'INVALID_ARGUMENT',
      `"frame.type" expected integer 0..255, got ${String(type)}`,
    );
  }
  _abytes('frame.body', body);
  const length = body.length + 1;
  if (length > maxFrameLength) {
    throw new LocalProtocolError(
      'FRAME_TOO_LARGE',
      `frame length ${length} exceeds the maximum ${maxFrameLength}`,
    );
  }
  const out = new Uint8Array(body.length + 5);
  _writeHeader(out, 0, length, type);
  out.set(body, 5);
  return out;
}

/** Options of {@link FrameDecoder}. */
export interface FrameDecoderOptions {
  /** cap on a frame's length field, 1..2^32-1; default {@link DEFAULT_MAX_FRAME_LENGTH} */
  maxFrameLength?: number;
  /** which type bytes are accepted; default {@link isKnownFrameType} */
  acceptType?: (type: number) => boolean;
}

/** What {@link FrameDecoder.decode} returns: the whole frames, then the error that stopped decoding. */
export interface DecodeResult {
  frames: Frame[];
  error?: RemoteProtocolError;
}

/**
 * Incremental frame decoder: push bytes in any split, get whole frames out. Any
 * split of the same input yields the same frames. A frame's body is a view into
 * the pushed bytes when the frame lay whole inside one push (copy it if you reuse
 * that buffer), else a fresh copy.
 *
 * The type and length are checked as soon as the 5-byte header is in: a length
 * of 0 (MALFORMED_FRAME), over the cap (FRAME_TOO_LARGE) or a type not accepted
 * (UNKNOWN_FRAME_TYPE) is a {@link RemoteProtocolError}; the decoder then stays
 * failed and every later push throws the same error.
 *
 * @example
 * ```ts
 * const decoder = new FrameDecoder();
 * for (const frame of decoder.push(chunk)) console.log(frame.type, frame.body.length);
 * ```
 */
export class FrameDecoder {
  readonly #max: number;
  readonly #accept: (type: number) => boolean;
  readonly #header = new Uint8Array(5);
  #headerFill = 0;
  #body: Uint8Array | undefined;
  #bodyFill = 0;
  #type = 0;
  #error: RemoteProtocolError | undefined;

  /**
   * @param options - `maxFrameLength` (default 65536), `acceptType` (default: the known types)
   * @throws LocalProtocolError INVALID_ARGUMENT for a bad option
   */
  constructor(options: FrameDecoderOptions = {}) {
    this.#max = _checkMaxFrameLength(options.maxFrameLength, 1);
    this.#accept = options.acceptType ?? isKnownFrameType;
  }

  /** Bytes held for an incomplete frame. */
  get buffered(): number {
    return this.#body === undefined ? this.#headerFill : 5 + this.#bodyFill;
  }

  /**
   * Feeds bytes, returns the frames they complete.
   *
   * @param bytes - the next bytes of the stream
   * @returns the whole frames, in order (possibly none)
   * @throws RemoteProtocolError FRAME_TOO_LARGE, UNKNOWN_FRAME_TYPE or MALFORMED_FRAME; frames
   *   completed earlier in the same push are lost (use {@link FrameDecoder.decode} to keep them)
   * @example
   * ```ts
   * decoder.push(new Uint8Array([0, 0, 0, 1])); // []
   * decoder.push(new Uint8Array([6]));          // [{ type: 6, body: Uint8Array(0) }]
   * ```
   */
  push(bytes: Uint8Array): Frame[] {
    const { frames, error } = this.decode(bytes);
    if (error) throw error;
    return frames;
  }

  /**
   * Like {@link FrameDecoder.push}, but returns the error beside the frames completed
   * before it instead of throwing it.
   *
   * @param bytes - the next bytes of the stream
   * @returns the whole frames and, if the stream broke, the error (the decoder stays failed)
   * @throws LocalProtocolError INVALID_ARGUMENT if `bytes` is not a Uint8Array
   * @example
   * ```ts
   * const { frames, error } = decoder.decode(chunk);
   * ```
   */
  decode(bytes: Uint8Array): DecodeResult {
    _abytes('bytes', bytes);
    const frames: Frame[] = [];
    if (this.#error) return { frames, error: this.#error };
    const n = bytes.length;
    let pos = 0;
    while (pos < n) {
      if (this.#body === undefined) {
        let length: number;
        let type: number;
        if (this.#headerFill === 0 && n - pos >= 5) {
          length = _readU32(bytes, pos);
          type = bytes[pos + 4]!;
          pos += 5;
        } else {
          const take = Math.min(5 - this.#headerFill, n - pos);
          this.#header.set(bytes.subarray(pos, pos + take), this.#headerFill);
          this.#headerFill += take;
          pos += take;
          if (this.#headerFill < 5) break;
          this.#headerFill = 0;
          length = _readU32(this.#header, 0);
          type = this.#header[4]!;
        }
        const error = this.#check(length, type);
        if (error) {
          this.#error = error;
          return { frames, error };
        }
        const bodyLength = length - 1;
        if (n - pos >= bodyLength) {
          frames.push({ type, body: bytes.subarray(pos, pos + bodyLength) });
          pos += bodyLength;
        } else {
          const body = new Uint8Array(bodyLength);
          body.set(bytes.subarray(pos), 0);
          this.#body = body;
          this.#bodyFill = n - pos;
          this.#type = type;
          pos = n;
        }
      } else {
        const body = this.#body;
        const take = Math.min(body.length - this.#bodyFill, n - pos);
        body.set(bytes.subarray(pos, pos + take), this.#bodyFill);
        this.#bodyFill += take;
        pos += take;
        if (this.#bodyFill === body.length) {
          frames.push({ type: this.#type, body });
          this.#body = undefined;
          this.#bodyFill = 0;
        }
      }
    }
    return { frames };
  }

  #check(length: number, type: number): RemoteProtocolError | undefined {
    if (length === 0) return new RemoteProtocolError('MALFORMED_FRAME', 'frame length 0 (no type byte)');
    if (length > this.#max) {
      return new RemoteProtocolError(
        'FRAME_TOO_LARGE',
        `frame length ${length} exceeds the maximum ${this.#max}`,
      );
    }
    if (!this.#accept(type)) {
      return new RemoteProtocolError(
        'UNKNOWN_FRAME_TYPE',
        `unknown frame type 0x${type.toString(16).padStart(2, '0')}`,
      );
    }
    return undefined;
  }
}

// ---------------------------------------------------------------------------
// Text fields: display names, rooms, messages.

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
 * Checks a room name: 0..64 bytes of UTF-8 once NFC-normalised (empty = the relay's
 * default room), same character rules as {@link validateName}.
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
  return checkText('room', room, 0, lengths.maxRoom, 'local');
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
// Envelope messages. Encoders return the BODY (wrap with encodeFrame); decoders
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
 * @param hello - room (0..64 bytes), name (1..32 bytes), version (default {@link PROTOCOL_VERSION})
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
 * @returns version (always {@link PROTOCOL_VERSION}), room (possibly empty) and name
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
    throw new RemoteProtocolError('UNSUPPORTED_VERSION', `unsupported protocol version ${version}`);
  }
  if (body.length < 3) throw new RemoteProtocolError('MALFORMED_FRAME', 'HELLO body too short');
  const roomLength = body[1]!;
  if (body.length < 3 + roomLength) throw new RemoteProtocolError('MALFORMED_FRAME', 'HELLO body too short');
  const nameLength = body[2 + roomLength]!;
  if (body.length !== 3 + roomLength + nameLength) {
    throw new RemoteProtocolError('MALFORMED_FRAME', 'HELLO length fields do not match the body');
  }
  const room = readText('room', body.subarray(2, 2 + roomLength), 0, lengths.maxRoom);
  const name = readText('name', body.subarray(3 + roomLength), 1, lengths.maxName);
  return { version, room, name };
}

/** The two roles of a pair. */
export type Role = 'initiator' | 'responder';

/** PAIRED: the relay formed a pair. */
export interface Paired {
  role: Role;
  peerName: string;
}

/**
 * Encodes a PAIRED body: `u8 role (1 initiator, 2 responder) | u8 nameLen | peer name`.
 *
 * @param paired - role of the receiving client and the peer's display name
 * @returns the body
 * @throws LocalProtocolError INVALID_ARGUMENT for a bad field
 * @example
 * ```ts
 * encodePaired({ role: 'initiator', peerName: 'bob' });
 * ```
 */
export function encodePaired(paired: Paired): Uint8Array {
  if (paired.role !== 'initiator' && paired.role !== 'responder') {
    throw new LocalProtocolError(
      'INVALID_ARGUMENT',
      `"role" expected 'initiator' | 'responder', got ${String(paired.role)}`,
    );
  }
  const name = checkText('peerName', paired.peerName, 1, lengths.maxName, 'local');
  const out = new Uint8Array(2 + name.length);
  out[0] = paired.role === 'initiator' ? 1 : 2;
  out[1] = name.length;
  out.set(name, 2);
  return out;
}

/**
 * Decodes a PAIRED body.
 *
 * @param body - the frame body
 * @returns the role and the peer's display name
 * @throws RemoteProtocolError MALFORMED_FRAME for a bad layout, role or name
 * @example
 * ```ts
 * const { role, peerName } = decodePaired(frame.body);
 * ```
 */
export function decodePaired(body: Uint8Array): Paired {
  if (body.length < 2 || body.length !== 2 + body[1]!) {
    throw new RemoteProtocolError('MALFORMED_FRAME', 'PAIRED length field does not match the body');
  }
  const r = body[0];
  if (r !== 1 && r !== 2) throw new RemoteProtocolError('MALFORMED_FRAME', `PAIRED role ${r} is not 1 or 2`);
  return {
    role: r === 1 ? 'initiator' : 'responder',
    peerName: readText('peer name', body.subarray(2), 1, lengths.maxName),
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
 * Checks an empty body (WAITING, PEER_LEFT).
 *
 * @param what - the frame type name, for the message
 * @param body - the frame body
 * @throws RemoteProtocolError MALFORMED_FRAME if the body is not empty
 * @example
 * ```ts
 * decodeEmpty('WAITING', frame.body);
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
