/**
 * Load: 1,000 concurrent pairs of real ClientSessions (full DH handshake, RC4 +
 * HMAC records) through the real `arctalk-server` process. Every message must be
 * delivered exactly once and in order. The server runs as a child process so that
 * it has its own event loop and file descriptors (2,000 sockets on each side).
 */
import { readFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { cleanup, type SessionClient, sessionClient, spawnServer, within } from './helpers.js';

const PAIRS = 1_000;
const MESSAGES = 10; // per direction per pair
const BATCH = 100; // pairs set up concurrently

afterEach(cleanup);

/** The soft limit on open files of this process (Linux), or undefined elsewhere. */
function openFileLimit(): number | undefined {
  try {
    const match = /^Max open files\s+(\d+|unlimited)/m.exec(readFileSync('/proc/self/limits', 'utf8'));
    return match?.[1] === 'unlimited' ? Number.POSITIVE_INFINITY : Number(match?.[1]);
  } catch {
    return undefined;
  }
}

describe('load', () => {
  it(`carries ${PAIRS} concurrent secured pairs, every message exactly once and in order`, async () => {
    const limit = openFileLimit();
    if (limit !== undefined && limit < PAIRS * 2 + 200) {
      throw new Error(
        `this test needs ${PAIRS * 2 + 200} open files, the limit is ${limit} (raise ulimit -n)`,
      );
    }
    const server = spawnServer([
      '--port',
      '0',
      '--max-connections',
      String(PAIRS * 2 + 10),
      '--max-per-address',
      String(PAIRS * 2 + 10),
      '--log-level',
      'warn',
    ]);
    const { port } = await within(server.listening, 20_000, 'listening');

    const pairs: [SessionClient, SessionClient][] = [];
    for (let start = 0; start < PAIRS; start += BATCH) {
      const batch = await Promise.all(
        Array.from({ length: BATCH }, async (_, k) => {
          const room = `load-${start + k}`;
          const a = await sessionClient(port, { room, name: 'a' });
          await a.waitFor('waiting', 30_000);
          const b = await sessionClient(port, { room, name: 'b' });
          const [sa, sb] = await Promise.all([a.waitFor('secured', 30_000), b.waitFor('secured', 30_000)]);
          expect(sa.sas).toBe(sb.sas);
          return [a, b] as [SessionClient, SessionClient];
        }),
      );
      pairs.push(...batch);
    }
    expect(pairs).toHaveLength(PAIRS);

    // Everyone talks at once.
    for (const [i, [a, b]] of pairs.entries()) {
      for (let m = 0; m < MESSAGES; m++) {
        a.sendText(`${i}:a:${m}`);
        b.sendText(`${i}:b:${m}`);
      }
    }
    await Promise.all(
      pairs.flatMap(([a, b], i) =>
        [
          [a, 'b'],
          [b, 'a'],
        ].map(async ([client, from]) => {
          const c = client as SessionClient;
          for (let m = 0; m < MESSAGES; m++) {
            const expected = `${i}:${from}:${m}`;
            const got = await c.readText(expected.length, 60_000);
            if (got !== expected) expect(got).toBe(expected);
          }
        }),
      ),
    );

    // Exactly once: nothing beyond the expected events and bytes arrived anywhere (the
    // texts of one socket read arrive joined in one text event).
    const textBytes = (c: SessionClient) =>
      c.events.all.reduce((n, e) => n + (e.type === 'text' ? e.data.length : 0), 0);
    for (const [i, [a, b]] of pairs.entries()) {
      const typesOf = (c: SessionClient) =>
        c.events.all
          .map((e) => e.type)
          .filter((t) => t !== 'acknowledged') // the peer's ACKs of our text (PROTOCOL.md §6.5)
          .filter((t, k, all) => t !== 'text' || all[k - 1] !== 'text');
      expect(typesOf(a).join()).toBe(['waiting', 'paired', 'secured', 'text'].join());
      expect(typesOf(b).join()).toBe(['paired', 'secured', 'text'].join());
      const sent = (from: string) =>
        Array.from({ length: MESSAGES }, (_, m) => `${i}:${from}:${m}`.length).reduce((x, y) => x + y, 0);
      expect(textBytes(a)).toBe(sent('b'));
      expect(textBytes(b)).toBe(sent('a'));
      expect(a.session.received).toBe(b.session.sent);
      expect(b.session.received).toBe(a.session.sent);
    }

    server.child.kill('SIGTERM');
    expect((await within(server.exited, 15_000, 'exit')).code).toBe(0);
  }, 120_000);
});
