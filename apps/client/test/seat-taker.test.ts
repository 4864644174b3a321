/**
 * The seat-taker of issue 14 against a real arctalk process: someone takes the
 * other seat of a room (an honest relay), runs an honest key exchange with one
 * guess of the passphrase, keeps the victim's CONFIRM, withholds its own and
 * disconnects. With CPace (PROTOCOL.md §4.4, §5.3) the victim reports a wrong code
 * or passphrase (exit 5) and sends nothing, and the captured transcript gives no
 * offline test of any other guess.
 */
import net from 'node:net';
import { createDH } from '@arctalk/dh';
import {
  ClientSession,
  cpaceFinish,
  deriveKeys,
  FrameDecoder,
  FrameType,
  groupId,
  pakeInput,
  passphraseBytes,
  transcriptHash,
} from '@arctalk/protocol';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cleanup, type ServerHandle, startClient, startServer, waitUntil, within } from './helpers.js';

let server: ServerHandle;
beforeAll(async () => {
  server = await startServer();
});
afterAll(cleanup);

const SECRET = 'hunter2';
const DICTIONARY = ['password', '123456', 'letmein', 'hunter2', 'dragon', 'qwerty', 'correct horse'];

/** Random bytes that remember what they gave, in order. */
function recordingRandom() {
  const given: Uint8Array[] = [];
  const fn = (n: number) => {
    const b = globalThis.crypto.getRandomValues(new Uint8Array(n));
    given.push(b.slice());
    return b;
  };
  return Object.assign(fn, { given });
}

/** Alice (a real process, the initiator) with the passphrase; mallory takes the seat with `guess`. */
async function seatTaker(room: string, guess: string) {
  const alice = startClient([`127.0.0.1:${server.port}`, '--room', room, '--name', 'alice'], {
    input: 'the plans\n',
    env: { ARCTALK_PASSPHRASE: SECRET },
  });
  await waitUntil(() => alice.stderr().includes('waiting for a peer'), 20_000, 'alice to wait');
  const random = recordingRandom();
  const session = new ClientSession({ room, name: 'mallory', passphrase: guess, randomBytes: random });
  const frames: { type: number; body: Uint8Array }[] = [];
  const decoder = new FrameDecoder({ acceptType: () => true });
  const sent: Uint8Array[] = [];
  const socket = net.connect(server.port, '127.0.0.1');
  const flush = () => {
    const out = session.takeOutput();
    if (out.length > 0) {
      sent.push(out);
      socket.write(out);
    }
  };
  socket.on('error', () => {});
  await new Promise<void>((resolve) => socket.once('connect', resolve));
  session.start();
  flush();
  await new Promise<void>((resolve) => {
    socket.on('data', (chunk: Buffer) => {
      for (const f of decoder.push(chunk)) frames.push({ type: f.type, body: f.body.slice() });
      session.receive(chunk);
      // Keep alice's CONFIRM and withhold ours: disconnect the moment it arrives.
      if (frames.some((f) => f.type === FrameType.CONFIRM)) {
        socket.destroy();
        resolve();
        return;
      }
      flush();
    });
  });
  const code = await within(alice.exited, 20_000, 'alice to exit');
  const mine = new FrameDecoder({ acceptType: () => true }).push(Buffer.concat(sent));
  return { alice, code, frames, mine, random: random.given };
}

/**
 * The offline test of issue 14, with CPace: for each candidate, recompute alice's
 * CONFIRM from everything mallory holds (her own DH and CPace secrets, the frames).
 * Returns the candidates that reproduce it.
 */
function offlineMatches(
  room: string,
  capture: Awaited<ReturnType<typeof seatTaker>>,
  candidates: readonly string[],
): string[] {
  const body = (list: { type: number; body: Uint8Array }[], type: number) =>
    list.find((f) => f.type === type)!.body;
  const commit = body(capture.frames, FrameType.COMMIT);
  const kexI = body(capture.frames, FrameType.KEX);
  const confirmI = body(capture.frames, FrameType.CONFIRM);
  const kexR = body(capture.mine, FrameType.KEX);
  // mallory's randomness: nonce, CPace scalar, then the DH exponent draws
  const scalar = capture.random[1]!.slice();
  scalar[31]! &= 0x0f;
  const group = groupId('ffdhe2048')!.group;
  const replay = capture.random.slice(2);
  const dh = createDH(group, { randomBytes: () => replay.shift()! });
  const { secretKey } = dh.keygen();
  const z = dh.getSharedSecret(secretKey, kexI.subarray(72));
  const th = transcriptHash({
    room,
    initiatorName: 'alice',
    responderName: 'mallory',
    commitBody: commit,
    responderKexBody: kexR,
    initiatorKexBody: kexI,
  });
  const empty = new Uint8Array(0);
  return candidates.filter((word) => {
    // The candidate would enter only through the generator, which mallory already
    // fixed in Yb with her one online guess: K = yb · Ya is the same for every
    // candidate, so no candidate can be told from another.
    expect(pakeInput(passphraseBytes(word), room, 'alice', 'mallory').prs).toHaveLength(word.length);
    const isk = cpaceFinish(
      empty,
      scalar.slice(),
      { share: kexI.subarray(36, 68), ad: empty },
      { share: kexR.subarray(36, 68), ad: empty },
      false,
    );
    const keys = deriveKeys(z.slice(), th, isk);
    return Buffer.from(keys.initiatorConfirm).equals(Buffer.from(confirmI));
  });
}

describe('a seat-taker with one wrong guess who withholds its CONFIRM and disconnects', () => {
  it('the victim exits 5 "wrong code or passphrase" and sends nothing; the capture tests no guess offline', async () => {
    const room = `seat-${process.pid}-wrong`;
    const capture = await seatTaker(room, 'dragon');
    expect(capture.code, capture.alice.stderr()).toBe(5);
    expect(capture.alice.stderr()).toMatch(/arctalk: authentication failed .*wrong code or passphrase/);
    expect(capture.alice.stderr()).not.toMatch(/left before ending/);
    // alice never sent a DATA frame: mallory received none
    expect(capture.frames.filter((f) => f.type === FrameType.DATA)).toHaveLength(0);
    // the dictionary holds the real passphrase; offline, it matches nothing
    expect(DICTIONARY).toContain(SECRET);
    expect(offlineMatches(room, capture, DICTIONARY)).toEqual([]);
  }, 60_000);

  it('control: had the one online guess been right, the same computation would match (and for every candidate alike)', async () => {
    const room = `seat-${process.pid}-right`;
    const capture = await seatTaker(room, SECRET);
    // all or nothing: the capture never singles out a candidate
    expect(offlineMatches(room, capture, DICTIONARY)).toEqual(DICTIONARY);
  }, 60_000);
});
