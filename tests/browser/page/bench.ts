/**
 * The in-page half of the browser benchmark (bench/browser.bench.ts drives it in
 * headless Chromium): the libraries' default (browser) entries, timed in rounds
 * that interleave each implementation with its Web Crypto reference.
 *
 * - RC4 (`@arctalk/rc4`, 16 KiB chunks): MB/s; Web Crypto has no RC4, so no ratio.
 * - HMAC-SHA256 and SHA-256 (`@noble/hashes`, what the protocol's default entry uses)
 *   on 2023-byte and 64 KiB messages: MB/s, and the ratio per round to Web Crypto's
 *   `crypto.subtle.sign('HMAC')` / `crypto.subtle.digest('SHA-256')` (awaited one at a
 *   time, as a record layer would use them). Outputs are compared first.
 * - A whole session in memory: two ClientSessions and a Relay, plaintext bytes moved
 *   end to end per second (RC4 + HMAC both ways, framing, relay); no Web Crypto twin.
 */

import { ClientSession, Relay } from '@arctalk/protocol';
import { createRC4 } from '@arctalk/rc4';
import { hmac } from '@noble/hashes/hmac';
import { sha256 } from '@noble/hashes/sha2';

export interface BenchRow {
  name: string;
  /** MB/s per round */
  rates: number[];
  /** reference MB/s per round (same round), when Web Crypto has the operation */
  reference?: number[];
  referenceName?: string;
}

const hex = (b: Uint8Array) => Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');

/** Runs `op` (which processes `bytes` bytes) repeatedly for about `ms`; MB/s. */
async function rate(op: () => unknown | Promise<unknown>, bytes: number, ms: number): Promise<number> {
  let n = 0;
  const t0 = performance.now();
  let t = t0;
  while (t - t0 < ms) {
    for (let k = 0; k < 8; k++) await op();
    n += 8;
    t = performance.now();
  }
  return (n * bytes) / ((t - t0) * 1000);
}

function sessionPair(): { send: (text: Uint8Array) => number } {
  const relay = new Relay();
  const alice = new ClientSession({ room: 'bench', name: 'alice' });
  const bob = new ClientSession({ room: 'bench', name: 'bob' });
  const sessions = { alice, bob } as const;
  relay.open('alice');
  relay.open('bob');
  let received = 0;
  const pump = () => {
    for (let round = 0; round < 100; round++) {
      let moved = false;
      for (const side of ['alice', 'bob'] as const) {
        const out = sessions[side].takeOutput();
        if (out.length === 0) continue;
        moved = true;
        for (const action of relay.receive(side, out)) {
          if (action.type !== 'send') continue;
          for (const event of sessions[action.connId as 'alice' | 'bob'].receive(action.bytes)) {
            if (event.type === 'text') received += event.data.length;
            if (event.type === 'error') throw event.error;
          }
        }
      }
      if (!moved) return;
    }
  };
  alice.start();
  pump();
  bob.start();
  pump();
  if (alice.state !== 'secured' || bob.state !== 'secured') throw new Error('the sessions did not secure');
  return {
    send(text) {
      const before = received;
      alice.send(text);
      pump();
      return received - before;
    },
  };
}

/** Every row, `rounds` interleaved rounds of `ms` each per implementation. */
export async function runBench(rounds: number, ms: number): Promise<BenchRow[]> {
  const subtle = globalThis.crypto.subtle;
  const key = globalThis.crypto.getRandomValues(new Uint8Array(32));
  const cryptoKey = await subtle.importKey('raw', key, { name: 'HMAC', hash: 'SHA-256' }, false, ['sign']);
  const rows: BenchRow[] = [];
  const tasks: { row: BenchRow; op: () => unknown; ref?: () => Promise<unknown>; bytes: number }[] = [];

  const chunk = globalThis.crypto.getRandomValues(new Uint8Array(16384));
  const rc4 = createRC4(key, { drop: 3072 });
  const out = new Uint8Array(chunk.length);
  tasks.push({
    row: { name: 'RC4-drop[3072], 16 KiB chunks (xor into out)', rates: [] },
    op: () => rc4.xor(chunk, out),
    bytes: chunk.length,
  });

  for (const size of [2023, 65536]) {
    const msg = globalThis.crypto.getRandomValues(new Uint8Array(size));
    const mine = hmac(sha256, key, msg);
    const theirs = new Uint8Array(await subtle.sign('HMAC', cryptoKey, msg));
    if (hex(mine) !== hex(theirs)) throw new Error('noble and Web Crypto HMAC disagree');
    if (hex(sha256(msg)) !== hex(new Uint8Array(await subtle.digest('SHA-256', msg)))) {
      throw new Error('noble and Web Crypto SHA-256 disagree');
    }
    const keyed = hmac.create(sha256, key);
    tasks.push({
      row: {
        name: `HMAC-SHA256 (noble, keyed once), ${size} B`,
        rates: [],
        reference: [],
        referenceName: 'crypto.subtle.sign HMAC',
      },
      op: () => keyed.clone().update(msg).digest(),
      ref: () => subtle.sign('HMAC', cryptoKey, msg),
      bytes: size,
    });
    tasks.push({
      row: {
        name: `SHA-256 (noble), ${size} B`,
        rates: [],
        reference: [],
        referenceName: 'crypto.subtle.digest SHA-256',
      },
      op: () => sha256(msg),
      ref: () => subtle.digest('SHA-256', msg),
      bytes: size,
    });
  }

  const pair = sessionPair();
  const text = globalThis.crypto.getRandomValues(new Uint8Array(65536));
  if (pair.send(text) !== text.length) throw new Error('the session lost bytes');
  tasks.push({
    row: { name: 'whole session in memory, 64 KiB sends (2023-byte DATA)', rates: [] },
    op: () => pair.send(text),
    bytes: text.length,
  });

  for (const t of tasks) rows.push(t.row);
  for (const t of tasks) {
    await rate(t.op, t.bytes, 30); // warm-up
    if (t.ref) await rate(t.ref, t.bytes, 30);
  }
  for (let r = 0; r < rounds; r++) {
    for (const t of tasks) {
      // alternate which goes first
      if (t.ref && r % 2 === 1) t.row.reference!.push(await rate(t.ref, t.bytes, ms));
      t.row.rates.push(await rate(t.op, t.bytes, ms));
      if (t.ref && r % 2 === 0) t.row.reference!.push(await rate(t.ref, t.bytes, ms));
    }
  }
  return rows;
}

(globalThis as unknown as { arctalkBench: { runBench: typeof runBench } }).arctalkBench = { runBench };
