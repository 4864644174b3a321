/**
 * The relay-to-relay link of a cluster, byte level: the header a relay sends before
 * one forwarded client's byte stream, the owner's one-byte answer, the reading of a
 * client's first frames (up to its HELLO) and a frame-boundary tracker.
 *
 * A link carries exactly one client: `u32 length (big-endian) | JSON header`, then
 * the client's bytes verbatim, both ways, until either end closes. The owner answers
 * one status byte before any byte of its own. See apps/server/README.md, "Cluster".
 *
 * @module
 */
import { decodeHello, FrameType, lengths, MAX_HELLO_BODY } from '@arctalk/protocol';

/** The version of the link header this relay speaks. */
export const LINK_VERSION = 1;

/** The longest link header accepted, in bytes. */
export const MAX_LINK_HEADER = 1024;

/** The owner's answer to a link header (one byte). */
export const LinkStatus = Object.freeze({
  /** the owner serves the room: the client's stream follows both ways */
  ACCEPTED: 0,
  /** the owner does not hold the room's lease (any more): look the owner up again */
  NOT_OWNER: 1,
  /** the owner cannot serve now (its Redis is unreachable, it is shutting down, a bad header) */
  UNAVAILABLE: 2,
} as const);

/** What a link header says. */
export interface LinkHeader {
  /** {@link LINK_VERSION} */
  v: number;
  /** the id of the relay that forwards the client */
  relay: string;
  /** the room's lease key (SHA-256 of the room name, hex) */
  room: string;
  /** the client's own address, for the owner's per-address limit and its log */
  remote: string;
}

/**
 * Encodes a link header.
 *
 * @param header - the fields
 * @returns `u32 length | JSON` bytes
 */
export function encodeLinkHeader(header: LinkHeader): Buffer {
  const json = Buffer.from(JSON.stringify(header), 'utf8');
  const out = Buffer.allocUnsafe(4 + json.length);
  out.writeUInt32BE(json.length, 0);
  json.copy(out, 4);
  return out;
}

/**
 * Reads a link header at the start of `bytes`.
 *
 * @param bytes - what the link has sent so far
 * @returns the header and how many bytes it took; undefined while incomplete
 * @throws {Error} when the header is over {@link MAX_LINK_HEADER}, not JSON, or not a version-1 header
 */
export function decodeLinkHeader(bytes: Buffer): { header: LinkHeader; size: number } | undefined {
  if (bytes.length < 4) return undefined;
  const length = bytes.readUInt32BE(0);
  if (length > MAX_LINK_HEADER) throw new Error(`link header of ${length} bytes (max ${MAX_LINK_HEADER})`);
  if (bytes.length < 4 + length) return undefined;
  const header = JSON.parse(bytes.subarray(4, 4 + length).toString('utf8')) as Partial<LinkHeader>;
  if (
    header.v !== LINK_VERSION ||
    typeof header.relay !== 'string' ||
    typeof header.room !== 'string' ||
    !/^[0-9a-f]{64}$/.test(header.room) ||
    typeof header.remote !== 'string'
  ) {
    throw new Error('not a version-1 link header');
  }
  return { header: header as LinkHeader, size: 4 + length };
}

/** What {@link readHello} found in a client's first bytes. */
export type HelloScan =
  /** more bytes are needed */
  | { kind: 'more' }
  /** a valid HELLO for `room` (after zero or more PINGs) */
  | { kind: 'hello'; room: string }
  /** anything else (a bad frame, a bad HELLO, too much before it): the local relay answers it */
  | { kind: 'other' };

/** Bytes a client may send before its HELLO and still be routed: a few PINGs. */
export const MAX_BEFORE_HELLO = 4096;

/**
 * Scans a client's first bytes for its HELLO, the only thing a cluster relay reads
 * of a client before routing it: PINGs may come first (the relay that serves the
 * room answers them later); anything the relay would refuse is left to it.
 *
 * @param bytes - the client's bytes so far
 * @param maxFrameLength - the relay's frame cap
 * @returns the scan's verdict
 */
export function readHello(bytes: Uint8Array, maxFrameLength: number): HelloScan {
  let pos = 0;
  for (;;) {
    if (bytes.length - pos < lengths.header) return more(bytes);
    const length =
      ((bytes[pos]! << 24) | (bytes[pos + 1]! << 16) | (bytes[pos + 2]! << 8) | bytes[pos + 3]!) >>> 0;
    const type = bytes[pos + 4]!;
    if (length === 0 || length > maxFrameLength) return { kind: 'other' };
    if (type === FrameType.PING) {
      if (length - 1 > lengths.maxPing) return { kind: 'other' };
    } else if (type !== FrameType.HELLO || length - 1 > MAX_HELLO_BODY) {
      return { kind: 'other' };
    }
    if (bytes.length - pos < 4 + length) return more(bytes);
    if (type === FrameType.HELLO) {
      try {
        return { kind: 'hello', room: decodeHello(bytes.subarray(pos + 5, pos + 4 + length)).room };
      } catch {
        return { kind: 'other' };
      }
    }
    pos += 4 + length;
  }
}

function more(bytes: Uint8Array): HelloScan {
  return bytes.length > MAX_BEFORE_HELLO ? { kind: 'other' } : { kind: 'more' };
}

/**
 * Follows frame boundaries in a byte stream without keeping its bytes: where a
 * forwarding relay may put a frame of its own (an ERROR when the owner is gone).
 */
export class FrameBoundary {
  #header = new Uint8Array(lengths.header);
  #headerFill = 0;
  /** body bytes of the current frame still to come */
  #rest = 0;
  /** type of the last frame begun */
  #type = -1;

  /** Feeds the next bytes of the stream. */
  push(bytes: Uint8Array): void {
    let pos = 0;
    const n = bytes.length;
    while (pos < n) {
      if (this.#rest > 0) {
        const take = Math.min(this.#rest, n - pos);
        this.#rest -= take;
        pos += take;
        continue;
      }
      const take = Math.min(lengths.header - this.#headerFill, n - pos);
      this.#header.set(bytes.subarray(pos, pos + take), this.#headerFill);
      this.#headerFill += take;
      pos += take;
      if (this.#headerFill === lengths.header) {
        const h = this.#header;
        const length = ((h[0]! << 24) | (h[1]! << 16) | (h[2]! << 8) | h[3]!) >>> 0;
        this.#type = h[4]!;
        this.#rest = Math.max(0, length - 1);
        this.#headerFill = 0;
      }
    }
  }

  /** True between two frames. */
  get atBoundary(): boolean {
    return this.#rest === 0 && this.#headerFill === 0;
  }

  /** The type of the last frame begun (-1 before any). */
  get lastType(): number {
    return this.#type;
  }
}
