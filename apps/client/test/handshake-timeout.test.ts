/**
 * The client's own handshake deadline (--handshake-timeout, exit 11), against
 * hostile fake relays that keep the connection busy (they answer PING) but never
 * let the key exchange finish: one that tells both clients they are the
 * responder, one that never forwards the answer to the COMMIT. (One that never
 * answers HELLO is --connect-timeout's: exit 3, "no answer".) Waiting for a peer is not a stalled handshake: a client alone in
 * its room waits past the deadline.
 */
import net from 'node:net';
import { encodeFrame, encodePaired, encodeWaiting, FrameDecoder, FrameType } from '@arctalk/protocol';
import { afterAll, describe, expect, it } from 'vitest';
import { cleanup, runClient, sleep, startClient, startServer, within } from './helpers.js';

type Behaviour = 'both-responders' | 'withhold-kex';

/** A fake relay: pairs the first two connections as `behaviour` says, answers every PING. */
async function fakeRelay(behaviour: Behaviour): Promise<{ port: number; close(): void }> {
  const sockets: net.Socket[] = [];
  const server = net.createServer((socket) => {
    const index = sockets.length;
    sockets.push(socket);
    const decoder = new FrameDecoder();
    let forwarded = 0;
    socket.on('error', () => {});
    socket.on('data', (chunk) => {
      for (const frame of decoder.push(new Uint8Array(chunk))) {
        if (frame.type === FrameType.PING) {
          socket.write(encodeFrame({ type: FrameType.PONG, body: frame.body }));
        } else if (frame.type === FrameType.HELLO) {
          if (index === 0)
            socket.write(
              encodeFrame({ type: FrameType.WAITING, body: encodeWaiting({ maxFrameLength: 65536 }) }),
            );
          else {
            const [first, second] = sockets as [net.Socket, net.Socket];
            const firstRole = behaviour === 'both-responders' ? 'responder' : 'initiator';
            first.write(
              encodeFrame({
                type: FrameType.PAIRED,
                body: encodePaired({ role: firstRole, maxFrameLength: 65536, peerName: 'bob' }),
              }),
            );
            second.write(
              encodeFrame({
                type: FrameType.PAIRED,
                body: encodePaired({ role: 'responder', maxFrameLength: 65536, peerName: 'alice' }),
              }),
            );
          }
        } else if (behaviour === 'withhold-kex' && forwarded === 0) {
          // Forward the initiator's COMMIT, then nothing: the responder's KEX never arrives.
          forwarded++;
          sockets[1 - index]?.write(encodeFrame(frame));
        }
      }
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as net.AddressInfo).port,
    close: () => {
      for (const socket of sockets) socket.destroy();
      server.close();
    },
  };
}

afterAll(cleanup);

describe('the client gives up on a handshake that makes no progress: exit 11 (5 after our CONFIRM)', () => {
  for (const behaviour of ['both-responders', 'withhold-kex'] as const) {
    it(`a relay that ${behaviour === 'both-responders' ? 'makes both clients responders' : 'never forwards the KEX'}`, async () => {
      const relay = await fakeRelay(behaviour);
      const args = (name: string) => [
        `127.0.0.1:${relay.port}`,
        '--name',
        name,
        '--handshake-timeout',
        '2',
        '--keepalive',
        '1', // PINGs and PONGs flow all along: they are not progress
        '--unverified',
      ];
      const started = Date.now();
      const [alice, bob] = await Promise.all([
        runClient(args('alice'), { input: 'never sent\n' }, 30_000),
        (async () => {
          await sleep(200);
          return runClient(args('bob'), { input: '' }, 30_000);
        })(),
      ]);
      relay.close();
      for (const [who, result] of [
        ['alice', alice],
        ['bob', bob],
      ] as const) {
        expect(result.stdout.length).toBe(0);
        // whoever connected first is the initiator (under load it need not be alice)
        if (behaviour === 'withhold-kex' && result.stderr.includes('(you are the initiator)')) {
          // alice got bob's KEX and sent KEX_i and CONFIRM_i, which the relay withheld:
          // a stall after our CONFIRM is a failed key confirmation (PROTOCOL.md §4.4), as a
          // departure would be, since the peer may hold all it needs to test a guess: exit 5.
          expect(result.code, `${who}: ${result.stderr}`).toBe(5);
          expect(result.stderr).toMatch(
            /key confirmation failed: the peer left after our CONFIRM, or stopped answering/,
          );
          expect(result.stderr).not.toMatch(/passphrase/); // no secret in this session
          continue;
        }
        expect(result.code, `${who}: ${result.stderr}`).toBe(11);
        expect(result.stderr).toContain('arctalk: the key exchange made no progress for 2 s');
      }
      // Not before the deadline (and well before the runner's timeout).
      expect(Date.now() - started).toBeGreaterThanOrEqual(2000);
    }, 40_000);
  }

  it('waiting for a peer is not a stalled handshake; the default and the flag are documented', async () => {
    const server = await startServer();
    const alice = startClient(
      [
        `127.0.0.1:${server.port}`,
        '--room',
        `wait-${process.pid}`,
        '--name',
        'alice',
        '--handshake-timeout',
        '1',
        '--unverified',
      ],
      { input: 'hi\n' },
    );
    await sleep(2500); // past alice's deadline, alone in the room
    const bob = await runClient(
      [
        `127.0.0.1:${server.port}`,
        '--room',
        `wait-${process.pid}`,
        '--name',
        'bob',
        '--handshake-timeout',
        '1',
        '--unverified',
      ],
      { input: '' },
    );
    expect(await within(alice.exited, 20_000, 'alice'), alice.stderr()).toBe(0);
    expect(bob.code, bob.stderr).toBe(0);
    expect(bob.stdout.toString()).toBe('hi\n');
    const help = await runClient(['--help']);
    expect(help.stdout.toString()).toMatch(/--handshake-timeout <seconds>[\s\S]*default 30/);
    expect(help.stdout.toString()).toMatch(/11 {2}the key exchange made no progress/);
    const bad = await runClient(['--handshake-timeout', '0']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('--handshake-timeout must be an integer 1..3600');
  }, 60_000);
});
