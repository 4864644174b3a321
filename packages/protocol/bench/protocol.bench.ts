/**
 * Benchmarks of @arctalk/protocol (plain script: `pnpm --filter @arctalk/protocol bench`).
 * Each figure is the median of 7 rounds with its range (min–max); each ratio is taken
 * per round against a reference timed in the same round (interleaved, alternating
 * which goes first), then its median and range are reported:
 *  - Relay forwarding vs copying the same bytes once (`slice()`, what any relay that
 *    buffers must at least do) and vs a naive relay that decodes and re-encodes frames;
 *  - ClientSession send+receive vs the bare crypto it cannot avoid (RC4-drop xor and
 *    HMAC-SHA256 per frame, both directions' worth);
 *  - a whole handshake, in milliseconds.
 * Outputs are checked to agree before anything is timed.
 */
import { createRC4 } from '@arctalk/rc4';
import { hmac } from '@noble/hashes/hmac';
import { sha256 } from '@noble/hashes/sha2';
import { formatSpread, loadLine, machineLine, spread } from '../../../scripts/bench-common';
import { ClientSession, encodeFrame, encodeHello, FrameDecoder, FrameType, Relay } from '../src/index';

const ROUNDS = 7;
console.log('@arctalk/protocol benchmark (default entry: @noble/hashes)');
console.log(machineLine());
console.log(
  `${ROUNDS} interleaved rounds; median (min–max); ratio = time / reference time, per round (< 1 is faster)\n`,
);

/** Mean ms per call of `fn` over about `roundMs`. */
function once(fn: () => void, roundMs: number): number {
  let n = 0;
  const start = performance.now();
  let elapsed = 0;
  do {
    fn();
    n++;
    elapsed = performance.now() - start;
  } while (elapsed < roundMs);
  return elapsed / n;
}

/** ms per call of each function, per round: the functions interleaved, the order rotating each round. */
function rounds(fns: (() => void)[], roundMs = 150): number[][] {
  for (const fn of fns) fn(); // warm up
  const out = fns.map(() => [] as number[]);
  for (let r = 0; r < ROUNDS; r++) {
    for (let k = 0; k < fns.length; k++) {
      const i = (k + r) % fns.length;
      out[i]!.push(once(fns[i]!, roundMs));
    }
  }
  return out;
}
/** "median (min–max)" of MiB/s for `bytes` per call. */
const rate = (bytes: number, ms: number[]) =>
  `${formatSpread(spread(ms.map((t) => ((bytes / t) * 1e3) / 2 ** 20)), 0)} MiB/s`;
/** Per-round time ratios a/b: "median (min–max)". */
const ratio = (a: number[], b: number[]) => formatSpread(spread(a.map((t, i) => t / b[i]!)));

const equal = (a: Uint8Array, b: Uint8Array) => a.length === b.length && a.every((x, i) => x === b[i]);

// ---------------------------------------------------------------------------
// Relay forwarding: 4 MiB of 1 KiB client-to-client frames, delivered in 64 KiB reads.
{
  const frame = encodeFrame({ type: FrameType.DATA, body: new Uint8Array(1019).fill(7) }); // 1024 bytes
  const total = 4 * 2 ** 20;
  const stream = new Uint8Array(total);
  for (let o = 0; o < total; o += frame.length) stream.set(frame, o);
  const chunks: Uint8Array[] = [];
  for (let o = 0; o < total; o += 65536 + 77)
    chunks.push(stream.subarray(o, Math.min(o + 65536 + 77, total))); // reads cut frames

  const setup = () => {
    const relay = new Relay();
    relay.open('a');
    relay.open('b');
    relay.receive('a', encodeFrame({ type: FrameType.HELLO, body: encodeHello({ room: 'r', name: 'a' }) }));
    relay.receive('b', encodeFrame({ type: FrameType.HELLO, body: encodeHello({ room: 'r', name: 'b' }) }));
    return relay;
  };
  // agreement: the peer receives exactly the input
  const check = setup();
  const out: Uint8Array[] = [];
  for (const c of chunks)
    for (const a of check.receive('a', c)) if (a.type === 'send') out.push(a.bytes.slice());
  const joined = new Uint8Array(total);
  let o = 0;
  for (const p of out) {
    joined.set(p, o);
    o += p.length;
  }
  if (!equal(joined, stream)) throw new Error('relay output differs from its input');

  const [relayMs, copyMs, naiveMs] = rounds([
    () => {
      const relay = setup();
      for (const c of chunks) relay.receive('a', c);
    },
    () => {
      for (const c of chunks) c.slice();
    },
    () => {
      const d = new FrameDecoder();
      for (const c of chunks) for (const f of d.push(c)) encodeFrame(f);
    },
  ]) as [number[], number[], number[]];
  console.log(`Relay forwarding (1 KiB frames, 64 KiB reads): ${rate(total, relayMs)}`);
  console.log(
    `  vs one copy of the bytes (slice):  ${rate(total, copyMs)}  → ratio ${ratio(relayMs, copyMs)}`,
  );
  console.log(
    `  vs decode + re-encode every frame: ${rate(total, naiveMs)}  → ratio ${ratio(relayMs, naiveMs)}`,
  );
}

{
  const rnd = (seed: number) => (n: number) => new Uint8Array(n).map((_, i) => (i * 31 + seed) & 255);
  const pair = () => {
    const relay = new Relay();
    const a = new ClientSession({ name: 'a', randomBytes: rnd(1) });
    const b = new ClientSession({ name: 'b', randomBytes: rnd(2) });
    relay.open('a');
    relay.open('b');
    const ids = { a, b } as const;
    const pump = () => {
      for (let moved = true; moved; ) {
        moved = false;
        for (const id of ['a', 'b'] as const) {
          const bytes = ids[id].takeOutput();
          if (bytes.length === 0) continue;
          moved = true;
          for (const act of relay.receive(id, bytes))
            if (act.type === 'send') ids[act.connId as 'a' | 'b'].receive(act.bytes);
        }
      }
    };
    a.start();
    pump();
    b.start();
    pump();
    return { a, b };
  };
  const [handshakeMs] = rounds([() => void pair()], 300) as [number[]];
  const msg = new Uint8Array(1024).fill(0x61);
  const count = 1024;
  const { a: a0, b: b0 } = pair();
  for (let i = 0; i < 4; i++) a0.send(msg);
  const got = b0.receive(a0.takeOutput()); // one read: the four texts arrive as one text event
  const all = new Uint8Array(4 * msg.length);
  for (let i = 0; i < 4; i++) all.set(msg, i * msg.length);
  if (got.length !== 1 || got[0]!.type !== 'text' || !equal(got[0]!.data, all))
    throw new Error('session round trip differs');

  // one long-lived pair, as in a conversation (2^30-byte budget: room for ~1000 rounds)
  const { a, b } = pair();
  const key = new Uint8Array(32).fill(1);
  const enc = createRC4(key, { drop: 3072 });
  const dec = createRC4(key, { drop: 3072 });
  const keyed = hmac.create(sha256, key); // keyed once, cloned per message, as the session does
  const [sessionMs, bareMs] = rounds([
    () => {
      for (let i = 0; i < count; i++) {
        a.send(msg);
        b.receive(a.takeOutput());
      }
    },
    () => {
      for (let i = 0; i < count; i++) {
        const ct = enc.xor(msg);
        keyed.clone().update(ct).digest();
        keyed.clone().update(ct).digest();
        dec.xor(ct);
      }
    },
  ]) as [number[], number[]];
  console.log(`ClientSession send + receive (1 KiB texts): ${rate(count * 1024, sessionMs)}`);
  console.log(
    `  vs bare RC4-drop xor ×2 + keyed HMAC ×2:  ${rate(count * 1024, bareMs)}  → ratio ${ratio(sessionMs, bareMs)}`,
  );
  console.log(`Handshake (ffdhe2048, both sides, in memory): ${formatSpread(spread(handshakeMs), 1)} ms`);
}
console.log(loadLine());
