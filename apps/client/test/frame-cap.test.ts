/**
 * The relay announces its frame cap (PROTOCOL.md §3.2, §3.3) and the peers theirs (§4.2):
 * real clients size their DATA frames to the smaller one. Through a relay started with
 * `--max-frame 4096` a large pipe transfer crosses whole (no FRAME_TOO_LARGE), in frames
 * of at most 4096 bytes; through the default cap (65536) the frames are that large.
 */
import { randomBytes } from 'node:crypto';
import { afterAll, describe, expect, it } from 'vitest';
import { cleanup, FrameSplitter, runClient, sha256, startProxy, startServer } from './helpers.js';

const DATA = 0x13;
afterAll(cleanup);

/** Runs alice → bob and bob → alice in pipe mode through a recording proxy; returns the DATA frame lengths. */
async function transfer(serverArgs: string[], size: number) {
  const server = await startServer(serverArgs);
  const proxy = await startProxy(server.port);
  const room = `cap-${process.pid}-${serverArgs.join('')}`;
  const aliceText = randomBytes(size);
  const bobText = randomBytes(size / 2);
  const args = (name: string) => [`127.0.0.1:${proxy.port}`, '--room', room, '--name', name, '--unverified'];
  const [alice, bob] = await Promise.all([
    runClient(args('alice'), { input: aliceText }, 50_000),
    runClient(args('bob'), { input: bobText }, 50_000),
  ]);
  const lengths: number[] = [];
  const splitters = new Map<string, FrameSplitter>();
  for (const c of proxy.captured) {
    const key = `${c.conn}/${c.direction}`;
    if (!splitters.has(key)) splitters.set(key, new FrameSplitter());
    for (const f of splitters.get(key)!.push(c.bytes)) if (f[4] === DATA) lengths.push(f.readUInt32BE(0));
  }
  proxy.close();
  server.kill();
  return { alice, bob, aliceText, bobText, lengths };
}

describe('DATA frames fit the path the relay and the peer announced', () => {
  it('through --max-frame 4096: 1 MiB crosses whole, every DATA frame at most 4096 bytes', async () => {
    const r = await transfer(['--max-frame', '4096'], 1024 * 1024);
    expect([r.alice.code, r.bob.code], `${r.alice.stderr}\n${r.bob.stderr}`).toEqual([0, 0]);
    expect(r.alice.stderr + r.bob.stderr).not.toMatch(/FRAME_TOO_LARGE|too large/i);
    expect(sha256(r.bob.stdout)).toBe(sha256(r.aliceText));
    expect(sha256(r.alice.stdout)).toBe(sha256(r.bobText));
    expect(Math.max(...r.lengths)).toBe(4096);
    expect(r.lengths.every((n) => n <= 4096)).toBe(true);
  }, 60_000);

  it('through the default cap: DATA frames of 65536 bytes (not 2048)', async () => {
    const r = await transfer([], 1024 * 1024);
    expect([r.alice.code, r.bob.code], `${r.alice.stderr}\n${r.bob.stderr}`).toEqual([0, 0]);
    expect(sha256(r.bob.stdout)).toBe(sha256(r.aliceText));
    expect(Math.max(...r.lengths)).toBe(65536);
  }, 60_000);
});
