/**
 * PROTOCOL.md §6, the record layer: one {@link RecordState} per direction, as
 * snow's `CipherState` — the direction's RC4-drop[3072] stream (RC4 keyed as in
 * RFC 4345's arcfour discard), its HMAC-SHA256 key (RFC 2104, tags truncated to
 * 128 bits), its offset and its byte budget, with both the encoder and the
 * decoder of DATA and END. A session holds one for sending and one for
 * receiving; both exist only once the handshake has derived their keys.
 * @module
 */
import { createRC4, type RC4Stream } from '@arctalk/rc4';
import { _equalBytes, _keyedMac, type _Mac } from './_hash';
import { _getU64, _putU64 } from './_util';
import { LocalProtocolError, RemoteProtocolError } from './errors';
import { _writeHeader, FrameType, lengths } from './frame';
import type { DirectionKeys } from './keys';

/** RC4 keystream bytes discarded before use, per direction (RC4-drop[3072]). */
export const RC4_DROP = 3072;
/**
 * The byte budget of version 1: at most 2^30 plaintext bytes per direction. Fixed
 * by the version, so the two sides agree on it without saying it: a receiver
 * refuses more (BUDGET_EXHAUSTED), a sender never sends more and may choose to
 * stop earlier (§6.3).
 */
export const DEFAULT_BYTE_BUDGET = 2 ** 30;

/** Sizes of the record layer's fields, in bytes. */
export const recordLengths = Object.freeze({
  /** u64 offset in DATA and END */
  offset: 8,
  /** truncated HMAC-SHA256 tag in DATA and END */
  tag: 16,
});

/**
 * The most plaintext one DATA frame carries on a path whose smallest frame cap is
 * `frameCap` (§2, §6.1): `frameCap − 1 − 8 − 16` (65511 for the default 65536).
 *
 * @param frameCap - the smallest cap on the path (type + body bytes), at least 2048
 * @returns plaintext bytes per DATA frame
 */
export function maxDataLengthFor(frameCap: number): number {
  return frameCap - 1 - recordLengths.offset - recordLengths.tag;
}

/**
 * The most plaintext one DATA frame carries when a sender may assume only the
 * smallest frame cap (2048, §2): 2048 − 1 − 8 − 16 = 2023 bytes.
 */
export const MAX_DATA_LENGTH = maxDataLengthFor(lengths.minMaxFrameLength);

const HEADER = lengths.header;
const { offset: OFFSET, tag: TAG } = recordLengths;
const DATA_TYPE = Uint8Array.of(FrameType.DATA);
const END_TYPE = Uint8Array.of(FrameType.END);
const ACK_TYPE = Uint8Array.of(FrameType.ACK);
/** ACK flags (§6.5): bit 0, the acknowledged direction's END was verified; the others are 0. */
const ACK_END = 0x01;
/** ACK body: `u64 received | u8 flags | tag [16]`. */
const ACK_BODY = OFFSET + 1 + TAG;

/**
 * One direction of the record layer. The sending side calls {@link RecordState.encodeData}
 * and {@link RecordState.encodeEnd}; the receiving side {@link RecordState.decodeData}
 * and {@link RecordState.decodeEnd}. Once it has ended (END sent or verified) it
 * refuses DATA and END both ways.
 *
 * @example
 * ```ts
 * const out = new RecordState(keys.i2r, { budget: DEFAULT_BYTE_BUDGET });
 * const bytes = out.encodeData(new TextEncoder().encode('hi')); // one DATA frame, ready to write
 * ```
 */
export class RecordState {
  readonly #stream: RC4Stream;
  readonly #mac: _Mac;
  readonly #budget: number;
  readonly #maxData: number;
  #offset = 0;
  #ended = false;
  #wiped = false;
  /** sending side: what the peer's ACKs confirmed so far (bytes, and our END) */
  #acked = 0;
  #ackedEnd = false;
  /** receiving side: what our last ACK said (bytes, and the peer's END) */
  #ackSent = 0;
  #ackSentEnd = false;

  /**
   * @param keys - the direction's RC4 and MAC keys; the state takes them over and zeroes them
   * @param options - `budget` (bytes, default {@link DEFAULT_BYTE_BUDGET}); `maxDataLength`
   *   (plaintext bytes per DATA frame, default {@link MAX_DATA_LENGTH})
   */
  constructor(keys: DirectionKeys, options: { budget?: number; maxDataLength?: number } = {}) {
    this.#stream = createRC4(keys.rc4Key, { drop: RC4_DROP });
    this.#mac = _keyedMac(keys.macKey);
    keys.rc4Key.fill(0);
    keys.macKey.fill(0);
    this.#budget = options.budget ?? DEFAULT_BYTE_BUDGET;
    this.#maxData = options.maxDataLength ?? MAX_DATA_LENGTH;
  }

  /** Plaintext bytes through this direction so far (= the stream's position after the drop). */
  get offset(): number {
    return this.#offset;
  }
  /** Bytes this direction may still carry. */
  get budgetRemaining(): number {
    return this.#budget - this.#offset;
  }
  /** END was sent (sending side) or verified (receiving side). */
  get ended(): boolean {
    return this.#ended;
  }
  /** Sending side: the bytes the peer acknowledged receiving (§6.5). */
  get acknowledged(): number {
    return this.#acked;
  }
  /** Sending side: the peer acknowledged our END (hence every byte before it). */
  get endAcknowledged(): boolean {
    return this.#ackedEnd;
  }
  /** Receiving side: whether an ACK would say more than the last one sent. */
  get ackPending(): boolean {
    return this.#offset > this.#ackSent || (this.#ended && !this.#ackSentEnd);
  }
  /** The most plaintext one DATA frame carries; longer texts are split. */
  get maxDataLength(): number {
    return this.#maxData;
  }

  /**
   * Encrypts and tags `text` at the current offset, as whole DATA frames written
   * back to back into one new array (one write for the transport). Each frame is
   * built in place: the plaintext is copied to its slot and encrypted there, and
   * the tag is computed over the frame's own `type | offset | ciphertext` bytes.
   *
   * @param text - plaintext (not modified); empty gives an empty array
   * @returns the frames (headers included), each carrying at most `maxDataLength` bytes
   *   of plaintext, concatenated
   * @throws LocalProtocolError BUDGET_EXHAUSTED past the budget (nothing is encoded)
   */
  encodeData(text: Uint8Array): Uint8Array {
    if (this.#offset + text.length > this.#budget) {
      throw new LocalProtocolError(
        'BUDGET_EXHAUSTED',
        `sending ${text.length} bytes would pass the budget of ${this.#budget} (${this.budgetRemaining} left): end() and start a new session`,
      );
    }
    const max = this.#maxData;
    const count = Math.ceil(text.length / max);
    const out = new Uint8Array(text.length + count * (HEADER + OFFSET + TAG));
    for (let i = 0, at = 0; i < text.length; i += max) {
      const n = Math.min(max, text.length - i);
      const ct = at + HEADER + OFFSET;
      _writeHeader(out, at, 1 + OFFSET + n + TAG, FrameType.DATA);
      _putU64(out, at + HEADER, this.#offset);
      // Copy, then encrypt in place: source and destination share their alignment, so
      // RC4 takes its word-at-a-time path whatever the caller's offsets.
      const slot = out.subarray(ct, ct + n);
      slot.set(text.subarray(i, i + n));
      this.#stream.xor(slot, slot);
      // MAC input = type (the header's last byte) | offset | ciphertext, contiguous here.
      out.set(this.#mac.digest(out.subarray(at + HEADER - 1, ct + n)).subarray(0, TAG), ct + n);
      this.#offset += n;
      at = ct + n + TAG;
    }
    return out;
  }

  /**
   * The authenticated END at the current (final) offset; the direction is then ended.
   *
   * @returns the whole END frame
   */
  encodeEnd(): Uint8Array {
    const frame = new Uint8Array(HEADER + OFFSET + TAG);
    _writeHeader(frame, 0, 1 + OFFSET + TAG, FrameType.END);
    _putU64(frame, HEADER, this.#offset);
    frame.set(this.#tag(END_TYPE, frame.subarray(HEADER, HEADER + OFFSET)), HEADER + OFFSET);
    this.#ended = true;
    return frame;
  }

  /**
   * Checks and decrypts a DATA body, in the order of §6.1: length (MALFORMED_FRAME),
   * offset (BAD_OFFSET), tag (AUTH_FAILED), budget (BUDGET_EXHAUSTED); only then
   * does the stream advance.
   *
   * @param body - the DATA frame body
   * @param out - optional destination for the plaintext, at least as long as the
   *   ciphertext (untouched when a check fails); default a new array
   * @returns the plaintext: `out.subarray(0, n)`, or a new array
   * @throws RemoteProtocolError as above; RangeError for an `out` too short
   */
  decodeData(body: Uint8Array, out?: Uint8Array): Uint8Array {
    if (body.length < OFFSET + 1 + TAG) {
      throw new RemoteProtocolError('MALFORMED_FRAME', `DATA body of ${body.length} bytes is too short`);
    }
    this.#checkOffset(_getU64(body, 0));
    const ciphertext = body.subarray(OFFSET, body.length - TAG);
    // The tag before the budget: a frame the relay forged is AUTH_FAILED (tampering),
    // never mistaken for a peer that honestly ran out of budget.
    if (
      !_equalBytes(
        body.subarray(body.length - TAG),
        this.#tag(DATA_TYPE, body.subarray(0, body.length - TAG)),
      )
    ) {
      throw new RemoteProtocolError('AUTH_FAILED', 'authentication failed');
    }
    if (this.#offset + ciphertext.length > this.#budget) {
      throw new RemoteProtocolError('BUDGET_EXHAUSTED', 'the peer sent past the byte budget');
    }
    let data: Uint8Array;
    if (out === undefined) data = ciphertext.slice();
    else if (out.length < ciphertext.length) {
      throw new RangeError(`"out" expected at least ${ciphertext.length} bytes, got ${out.length}`);
    } else {
      data = out.subarray(0, ciphertext.length);
      data.set(ciphertext);
    }
    // Copied first, decrypted in place: source and destination share their alignment.
    this.#stream.xor(data, data);
    this.#offset += data.length;
    return data;
  }

  /**
   * Checks an END body, in the order of §6.2: length 24 (MALFORMED_FRAME), offset
   * (BAD_OFFSET), tag (AUTH_FAILED). The direction is then ended.
   *
   * @param body - the END frame body
   * @throws RemoteProtocolError as above
   */
  decodeEnd(body: Uint8Array): void {
    if (body.length !== OFFSET + TAG) {
      throw new RemoteProtocolError(
        'MALFORMED_FRAME',
        `END body of ${body.length} bytes, expected ${OFFSET + TAG}`,
      );
    }
    this.#checkOffset(_getU64(body, 0));
    if (!_equalBytes(body.subarray(OFFSET), this.#tag(END_TYPE, body.subarray(0, OFFSET)))) {
      throw new RemoteProtocolError('AUTH_FAILED', 'authentication failed');
    }
    this.#ended = true;
  }

  /**
   * Receiving side: the ACK frame for what this direction has received (§6.5): the
   * offset, and the END flag once the END verified, tagged with this direction's MAC key.
   *
   * @returns the whole ACK frame (25-byte body)
   * @example
   * ```ts
   * if (records.receive.ackPending) socket.write(records.receive.encodeAck());
   * ```
   */
  encodeAck(): Uint8Array {
    const frame = new Uint8Array(HEADER + ACK_BODY);
    _writeHeader(frame, 0, 1 + ACK_BODY, FrameType.ACK);
    _putU64(frame, HEADER, this.#offset);
    frame[HEADER + OFFSET] = this.#ended ? ACK_END : 0;
    frame.set(this.#tag(ACK_TYPE, frame.subarray(HEADER, HEADER + OFFSET + 1)), HEADER + OFFSET + 1);
    this.#ackSent = this.#offset;
    this.#ackSentEnd = this.#ended;
    return frame;
  }

  /**
   * Sending side: checks the peer's ACK of this direction, in the order of §6.5: length
   * 25 (MALFORMED_FRAME), tag (AUTH_FAILED), flags (MALFORMED_FRAME), then that it says
   * more than the last ACK, no more than was sent, and the END flag only for our END at
   * our final offset (BAD_OFFSET: a replayed, reordered or impossible acknowledgement).
   *
   * @param body - the ACK frame body
   * @returns the acknowledged offset and whether our END is acknowledged
   * @throws RemoteProtocolError as above
   */
  decodeAck(body: Uint8Array): { offset: number; ended: boolean } {
    if (body.length !== ACK_BODY) {
      throw new RemoteProtocolError(
        'MALFORMED_FRAME',
        `ACK body of ${body.length} bytes, expected ${ACK_BODY}`,
      );
    }
    if (!_equalBytes(body.subarray(OFFSET + 1), this.#tag(ACK_TYPE, body.subarray(0, OFFSET + 1)))) {
      throw new RemoteProtocolError('AUTH_FAILED', 'authentication failed');
    }
    const flags = body[OFFSET]!;
    if ((flags & ~ACK_END) !== 0) {
      throw new RemoteProtocolError(
        'MALFORMED_FRAME',
        `ACK flags 0x${flags.toString(16)} has unknown bits set`,
      );
    }
    const offset = _getU64(body, 0);
    const ended = flags === ACK_END;
    const impossible =
      offset < 0 || // ≥ 2^53, more than any budget
      offset > this.#offset ||
      (ended && !(this.#ended && offset === this.#offset));
    const stale = offset < this.#acked || (offset === this.#acked && (!ended || this.#ackedEnd));
    if (impossible || stale) {
      throw new RemoteProtocolError(
        'BAD_OFFSET',
        impossible
          ? 'an acknowledgement of bytes (or an END) that were never sent'
          : 'an acknowledgement that says no more than an earlier one: replayed or reordered',
      );
    }
    this.#acked = offset;
    this.#ackedEnd = ended;
    return { offset, ended };
  }

  /** Zeroes the RC4 state and the MAC key; later calls throw. Idempotent. */
  wipe(): void {
    if (this.#wiped) return;
    this.#wiped = true;
    this.#stream.wipe();
    this.#mac.destroy();
  }

  #tag(type: Uint8Array, data: Uint8Array): Uint8Array {
    return this.#mac.digest(type, data).subarray(0, TAG);
  }

  #checkOffset(offset: number): void {
    if (offset !== this.#offset) {
      throw new RemoteProtocolError(
        'BAD_OFFSET',
        `offset ${offset < 0 ? '≥ 2^53' : offset} where ${this.#offset} was expected: a frame was dropped, replayed or reordered`,
      );
    }
  }
}
