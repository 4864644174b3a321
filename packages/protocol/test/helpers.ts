import { sha256 } from '@noble/hashes/sha2';
import { ClientSession, type SessionEvent, type SessionOptions } from '../src/index';
import { Relay, type RelayAction } from '../src/relay';

/** A deterministic byte stream: SHA-256(seed || u32 counter) blocks, concatenated. */
export function seededRandom(seed: string): ((length: number) => Uint8Array) & { consumed: Uint8Array[] } {
  const seedBytes = new TextEncoder().encode(seed);
  let counter = 0;
  let pool = new Uint8Array(0);
  const consumed: Uint8Array[] = [];
  const fn = (length: number) => {
    while (pool.length < length) {
      const block = new Uint8Array(seedBytes.length + 4);
      block.set(seedBytes);
      new DataView(block.buffer).setUint32(seedBytes.length, counter++);
      const next = new Uint8Array(pool.length + 32);
      next.set(pool);
      next.set(sha256(block), pool.length);
      pool = next;
    }
    const out = pool.slice(0, length);
    pool = pool.slice(length);
    consumed.push(out);
    return out;
  };
  return Object.assign(fn, { consumed });
}

/** Replays recorded random bytes, in order; throws if asked for more or different lengths. */
export function replayRandom(stream: Uint8Array): (length: number) => Uint8Array {
  let pos = 0;
  return (length: number) => {
    if (pos + length > stream.length)
      throw new Error(`replayRandom: asked for ${length} bytes past the recording`);
    const out = stream.slice(pos, pos + length);
    pos += length;
    return out;
  };
}

export const hex = (b: Uint8Array) => Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');
export const fromHex = (s: string) =>
  new Uint8Array((s.match(/../g) ?? []).map((h) => Number.parseInt(h, 16)));
export const utf8 = (s: string) => new TextEncoder().encode(s);
export const text = (b: Uint8Array) => new TextDecoder().decode(b);
export const concat = (parts: Uint8Array[]) => {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let o = 0;
  for (const p of parts) {
    out.set(p, o);
    o += p.length;
  }
  return out;
};

/** Bytes on their way from the relay to a client; a tamper hook may rewrite them. */
export type Tamper = (to: string, bytes: Uint8Array) => Uint8Array | Uint8Array[] | null;

/**
 * Clients and a Relay wired together in memory (h11's ConnectionPair). `pump()`
 * moves bytes until nothing moves. `chunk` decides how each delivery is split.
 */
export class Net {
  readonly relay: Relay;
  readonly clients = new Map<string, ClientSession>();
  readonly events = new Map<string, SessionEvent[]>();
  /** bytes the relay sent to each client, before tampering, in order (one entry per send) */
  readonly wire = new Map<string, Uint8Array[]>();
  readonly closedByRelay = new Set<string>();
  readonly actions: RelayAction[] = [];
  tamper: Tamper | undefined;
  chunk: ((bytes: Uint8Array) => Uint8Array[]) | undefined;

  constructor(relay = new Relay()) {
    this.relay = relay;
  }

  add(id: string, options: SessionOptions, start = true): ClientSession {
    const s = new ClientSession(options);
    this.clients.set(id, s);
    this.events.set(id, []);
    this.wire.set(id, []);
    this.relay.open(id);
    if (start) s.start();
    return s;
  }

  leave(id: string): void {
    this.clients.delete(id);
    for (const [to, list] of this.run(this.relay.close(id))) for (const b of list) this.deliver(to, b);
    this.pump();
  }

  run(actions: RelayAction[]): Map<string, Uint8Array[]> {
    const out = new Map<string, Uint8Array[]>();
    for (const a of actions) {
      this.actions.push(a);
      if (a.type === 'send') {
        this.wire.get(a.connId)?.push(a.bytes.slice());
        out.set(a.connId, [...(out.get(a.connId) ?? []), a.bytes.slice()]);
      } else if (a.type === 'close') this.closedByRelay.add(a.connId);
    }
    return out;
  }

  deliver(id: string, bytes: Uint8Array): void {
    const s = this.clients.get(id);
    if (s === undefined || s.error !== undefined) return;
    let parts: Uint8Array[] = [bytes];
    if (this.tamper) {
      const t = this.tamper(id, bytes);
      parts = t === null ? [] : Array.isArray(t) ? t : [t];
    }
    for (const p of parts) {
      for (const c of this.chunk ? this.chunk(p) : [p]) {
        if (s.error !== undefined) return;
        this.events.get(id)!.push(...s.receive(c));
      }
    }
  }

  /** Moves bytes client → relay → client until quiet. */
  pump(): void {
    for (let round = 0; round < 1000; round++) {
      let moved = false;
      for (const [id, s] of this.clients) {
        const out = s.takeOutput();
        if (out.length === 0) continue;
        moved = true;
        const parts = this.chunk ? this.chunk(out) : [out];
        for (const p of parts) {
          for (const [to, list] of this.run(this.relay.receive(id, p))) {
            for (const b of list) this.deliver(to, b);
          }
        }
      }
      if (!moved) return;
    }
    throw new Error('pump did not settle');
  }

  ev(id: string): SessionEvent[] {
    return this.events.get(id)!;
  }

  texts(id: string): string {
    return this.ev(id)
      .filter((e): e is Extract<SessionEvent, { type: 'text' }> => e.type === 'text')
      .map((e) => text(e.data))
      .join('');
  }

  errorOf(id: string) {
    const e = this.ev(id).find((x) => x.type === 'error');
    return e?.type === 'error' ? e.error : undefined;
  }
}

/** Two clients, alice (initiator) and bob (responder), secured. */
export function securedPair(
  opts: { alice?: Partial<SessionOptions>; bob?: Partial<SessionOptions>; room?: string; seed?: string } = {},
) {
  const net = new Net();
  const room = opts.room ?? 'r';
  const seed = opts.seed ?? 'pair';
  const alice = net.add('alice', {
    room,
    name: 'alice',
    randomBytes: seededRandom(`${seed}/a`),
    ...opts.alice,
  });
  net.pump();
  const bob = net.add('bob', { room, name: 'bob', randomBytes: seededRandom(`${seed}/b`), ...opts.bob });
  net.pump();
  return { net, alice, bob };
}
