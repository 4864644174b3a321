/**
 * PROTOCOL.md §2, framing: every message on every hop is `u32 length | u8 type |
 * body`, `length` counting the type byte and the body (big-endian, RFC 1700
 * network byte order). The frame types, the sizes of the wire format, the one
 * header reader that {@link FrameDecoder} and the relay both use, and the frame
 * encoder.
 * @module
 */
import { _abytes, _describe, _putU32, _readU32 } from './_util';
import { LocalProtocolError, RemoteProtocolError } from './errors';

/** Default cap on a frame's `length` field (type byte + body), in bytes. */
export const DEFAULT_MAX_FRAME_LENGTH = 65536;

/** Fixed sizes of the wire format, in bytes. */
export const lengths = Object.freeze({
  /** `u32 length | u8 type` */
  header: 5,
  /**
   * the smallest allowed `max frame length`: every receiver accepts frames this
   * long, so a sender that knows nothing of the path may send them (§2)
   */
  minMaxFrameLength: 2048,
  /** display name in HELLO / PAIRED: 1..32 bytes of UTF-8 */
  maxName: 32,
  /** room name in HELLO: 1..64 bytes of UTF-8 */
  maxRoom: 64,
  /** PING/PONG opaque body: 0..32 bytes */
  maxPing: 32,
  /** ERROR message: 0..1024 bytes of UTF-8 */
  maxErrorMessage: 1024,
});

const HEADER = lengths.header;

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
  ACK: 0x15,
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
 * @returns true for the types of {@link FrameType}
 * @example
 * ```ts
 * isKnownFrameType(0x08); // false
 * ```
 */
export function isKnownFrameType(type: number): boolean {
  return TYPE_NAMES.has(type);
}

/** One frame: its type byte and its body (the bytes after the type). */
export interface Frame {
  type: number;
  body: Uint8Array;
}

/**
 * @internal Validates a max frame length option (`min` defaults to the protocol's minimum,
 * 2048); undefined gives {@link DEFAULT_MAX_FRAME_LENGTH}.
 */
export function _checkMaxFrameLength(value: unknown, min: number = lengths.minMaxFrameLength): number {
  return value === undefined ? DEFAULT_MAX_FRAME_LENGTH : _checkFrameCap(value, min);
}

/**
 * @internal Reads an announced frame cap (WAITING, PAIRED §3.2–§3.3, KEX §4.2): a u32
 * that no receiver may set below {@link lengths.minMaxFrameLength} (2048, §2).
 *
 * @throws RemoteProtocolError MALFORMED_FRAME below the minimum
 */
export function _readFrameCap(what: string, body: Uint8Array, at: number): number {
  const cap = _readU32(body, at);
  if (cap < lengths.minMaxFrameLength) {
    throw new RemoteProtocolError(
      'MALFORMED_FRAME',
      `${what} announces a frame cap of ${cap} bytes, below the minimum ${lengths.minMaxFrameLength}`,
    );
  }
  return cap;
}

/** @internal Validates a frame cap to encode (WAITING, PAIRED, KEX): an integer min..2^32−1. */
export function _checkFrameCap(value: unknown, min: number = lengths.minMaxFrameLength): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > 0xffffffff) {
    throw new LocalProtocolError(
      'INVALID_ARGUMENT',
      `"maxFrameLength" expected integer ${min}..2^32-1, got ${String(value)}`,
    );
  }
  return value;
}

/** @internal Writes `u32 length | u8 type` at `offset`. */
export function _writeHeader(out: Uint8Array, offset: number, length: number, type: number): void {
  _putU32(out, offset, length);
  out[offset + 4] = type;
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
  const out = new Uint8Array(body.length + HEADER);
  _writeHeader(out, 0, length, type);
  out.set(body, HEADER);
  return out;
}

/** A frame header, as read by {@link _HeaderReader}. */
export interface _Header {
  /** the `length` field: type byte + body */
  readonly length: number;
  readonly type: number;
  /** where the body starts in the bytes just read */
  readonly pos: number;
  /** the header lay whole in these bytes (a body that follows in them is a view of them) */
  readonly whole: boolean;
}

/**
 * @internal The one reader of frame headers (used by FrameDecoder and by the relay):
 * takes the 5 header bytes in any split, then checks them in the order of §2 —
 * `length = 0` (MALFORMED_FRAME), `length` over the cap (FRAME_TOO_LARGE). The
 * type is the caller's to judge (the decoder's accepted types, the relay's table).
 */
export class _HeaderReader {
  readonly #partial = new Uint8Array(HEADER);
  #fill = 0;
  readonly #max: number;

  constructor(maxFrameLength: number) {
    this.#max = maxFrameLength;
  }

  /** Header bytes held from an earlier chunk. */
  get buffered(): number {
    return this.#fill;
  }

  /**
   * Reads a header starting at `pos`.
   *
   * @returns the header, or the position after the bytes it took when they ended inside one
   */
  read(bytes: Uint8Array, pos: number): _Header | { readonly pos: number; readonly partial: true } {
    if (this.#fill === 0 && bytes.length - pos >= HEADER) {
      return { length: _readU32(bytes, pos), type: bytes[pos + 4]!, pos: pos + HEADER, whole: true };
    }
    const take = Math.min(HEADER - this.#fill, bytes.length - pos);
    this.#partial.set(bytes.subarray(pos, pos + take), this.#fill);
    this.#fill += take;
    if (this.#fill < HEADER) return { pos: pos + take, partial: true };
    this.#fill = 0;
    return { length: _readU32(this.#partial, 0), type: this.#partial[4]!, pos: pos + take, whole: false };
  }

  /**
   * The §2 checks on `length`, in order.
   *
   * @returns the error, or undefined when the length is acceptable
   */
  check(length: number): RemoteProtocolError | undefined {
    if (length === 0) return new RemoteProtocolError('MALFORMED_FRAME', 'frame length 0 (no type byte)');
    if (length > this.#max) {
      return new RemoteProtocolError(
        'FRAME_TOO_LARGE',
        `frame length ${length} exceeds the maximum ${this.#max}`,
      );
    }
    return undefined;
  }
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
  readonly #accept: (type: number) => boolean;
  readonly #header: _HeaderReader;
  #body: Uint8Array | undefined;
  #bodyFill = 0;
  #type = 0;
  #error: RemoteProtocolError | undefined;

  /**
   * @param options - `maxFrameLength` (default 65536), `acceptType` (default: the known types)
   * @throws LocalProtocolError INVALID_ARGUMENT for a bad option
   */
  constructor(options: FrameDecoderOptions = {}) {
    this.#header = new _HeaderReader(_checkMaxFrameLength(options.maxFrameLength, 1));
    this.#accept = options.acceptType ?? isKnownFrameType;
  }

  /** Bytes held for an incomplete frame. */
  get buffered(): number {
    return this.#body === undefined ? this.#header.buffered : HEADER + this.#bodyFill;
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
        const header = this.#header.read(bytes, pos);
        pos = header.pos;
        if ('partial' in header) break;
        const { length, type } = header;
        const error =
          this.#header.check(length) ??
          (this.#accept(type)
            ? undefined
            : new RemoteProtocolError(
                'UNKNOWN_FRAME_TYPE',
                `unknown frame type 0x${type.toString(16).padStart(2, '0')}`,
              ));
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
}
