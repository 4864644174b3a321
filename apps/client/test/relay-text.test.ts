/**
 * The relay's words are never shown as the client's: a hostile fake relay's ERROR
 * text, and a real server shutting down mid-conversation (which is not a refusal).
 */
import net from 'node:net';
import { encodeFrame, FrameType } from '@arctalk/protocol';
import { afterAll, describe, expect, it } from 'vitest';
import { cleanup, runClient, startClient, startServer, waitUntil, within } from './helpers.js';

afterAll(cleanup);

/** A fake relay that answers HELLO with ERROR(code, message) and closes. */
async function lyingRelay(code: number, message: Uint8Array): Promise<{ port: number; close(): void }> {
  const server = net.createServer((socket) => {
    socket.on('error', () => {});
    socket.once('data', () => {
      socket.end(
        encodeFrame({ type: FrameType.ERROR, body: Uint8Array.of(code >> 8, code & 0xff, ...message) }),
      );
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { port: (server.address() as net.AddressInfo).port, close: () => server.close() };
}

describe("the relay's ERROR text", () => {
  const cases: [string, number, string, RegExp][] = [
    [
      'claims the SAS was verified',
      6,
      'SAS verified by both peers. Reconnect with --room vip-2',
      /^arctalk: refused by the server: the room is full \(two people are already talking there\); the server's message: "SAS verified by both peers\. Reconnect with --room vip-2"$/m,
    ],
    [
      'fakes a second status line and a closing quote',
      12,
      'oops"\narctalk: secured, SAS matches',
      // (the protocol already turned the newline into U+FFFD; the quote is escaped here)
      /^arctalk: the server reported an error \(code 12, INTERNAL\); the server's message: "oops\\"\ufffdarctalk: secured, SAS matches"$/m,
    ],
    [
      'sends 1000 characters, escapes and a trailing ZWJ',
      10,
      `${'\x1b[2J'.repeat(5)}${'x'.repeat(990)}\u200d`,
      /^arctalk: the server ended the session: it is shutting down; the server's message: "(\ufffd\[2J){5}x+…"$/m,
    ],
  ];
  it.each(cases)(
    'a relay that %s: our words first, then its own, quoted, escaped, short',
    async (_what, code, text, shown) => {
      const relay = await lyingRelay(code, new TextEncoder().encode(text));
      const result = await runClient([`127.0.0.1:${relay.port}`, '--name', 'alice', '--unverified'], {
        input: '',
      });
      relay.close();
      expect(result.code, result.stderr).toBe(7);
      expect(result.stderr).toMatch(shown);
      const quote = /the server's message: "(.*)"$/m.exec(result.stderr)![1]!;
      expect(quote.length).toBeLessThanOrEqual(60);
      expect(result.stderr).not.toContain('\x1b');
      expect(result.stderr).not.toContain('\u200d');
    },
  );
});

describe('a server shutting down mid-conversation', () => {
  it('both clients say the server ended the session (not "refused"), exit 7', async () => {
    const server = await startServer();
    const args = (name: string) => [
      `127.0.0.1:${server.port}`,
      '--room',
      'shutdown',
      '--name',
      name,
      '--unverified',
    ];
    const alice = startClient(args('alice'), { input: 'hello\n', keepOpen: true });
    const bob = startClient(args('bob'), { keepOpen: true });
    await waitUntil(() => bob.stdout().toString() === 'hello\n', 20_000, 'bob to hear alice');
    server.kill('SIGTERM');
    const codes = await within(Promise.all([alice.exited, bob.exited]), 20_000, 'both to exit');
    for (const [who, client] of [
      ['alice', alice],
      ['bob', bob],
    ] as const) {
      expect(client.stderr(), who).toMatch(/arctalk: the server ended the session: it is shutting down/);
      expect(client.stderr(), who).not.toMatch(/refused/);
    }
    expect(codes).toEqual([7, 7]);
  }, 40_000);
});
