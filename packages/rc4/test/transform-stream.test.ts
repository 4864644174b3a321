import fc from 'fast-check';
import { afterEach, beforeEach, describe, expect, it, type MockInstance, vi } from 'vitest';
import { createRC4, createRC4TransformStream, rc4 } from '../src/index';
import { concat, hex, splitAt, utf8 } from './helpers';

async function pipe(
  chunks: unknown[],
  transform: TransformStream<Uint8Array, Uint8Array>,
): Promise<Uint8Array[]> {
  const source = new ReadableStream<unknown>({
    start(controller) {
      for (const c of chunks) controller.enqueue(c);
      controller.close();
    },
  });
  const out: Uint8Array[] = [];
  await (source as ReadableStream<Uint8Array>).pipeThrough(transform).pipeTo(
    new WritableStream({
      write(chunk) {
        out.push(chunk);
      },
    }),
  );
  return out;
}

describe('createRC4TransformStream (Web Streams)', () => {
  it('Secret / Attack at dawn, in pieces', async () => {
    const out = await pipe(
      [utf8('Attack'), utf8(' at '), new Uint8Array(0), utf8('dawn')],
      createRC4TransformStream(utf8('Secret')),
    );
    expect(hex(concat(out))).toBe('45a01f645fc35b383552544b9bf5');
    expect(out.map((c) => c.length)).toEqual([6, 4, 0, 4]);
  });

  it('any split, with drop, = one-shot; encrypt then decrypt through two transforms gives the input back', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.uint8Array({ minLength: 1, maxLength: 64 }),
        fc.uint8Array({ maxLength: 2000 }),
        fc.array(fc.nat({ max: 2000 }), { maxLength: 10 }),
        async (key, data, cuts) => {
          const encrypted = await pipe(splitAt(data, cuts), createRC4TransformStream(key, { drop: 3072 }));
          expect(hex(concat(encrypted))).toBe(hex(rc4(key, data, { drop: 3072 })));
          const decrypted = await pipe(encrypted, createRC4TransformStream(key, { drop: 3072 }));
          expect(hex(concat(decrypted))).toBe(hex(data));
        },
      ),
      { numRuns: 50 },
    );
  });

  it('a chunk that is not a Uint8Array errors the stream with a TypeError naming "chunk"', async () => {
    await expect(pipe([utf8('ok'), 'not bytes'], createRC4TransformStream(utf8('Key')))).rejects.toThrow(
      /"chunk" expected Uint8Array, got string/,
    );
  });

  describe('wipes its state however the stream ends', () => {
    // The stream's RC4 object is internal: count wipe() calls on the shared prototype.
    const proto = Object.getPrototypeOf(createRC4(utf8('Key'))) as { wipe(): void };
    let wipe: MockInstance<() => void>;
    beforeEach(() => {
      wipe = vi.spyOn(proto, 'wipe');
    });
    afterEach(() => {
      wipe.mockRestore();
    });

    it('at the end of the input (flush)', async () => {
      await pipe([utf8('Attack at dawn')], createRC4TransformStream(utf8('Secret')));
      expect(wipe).toHaveBeenCalledTimes(1);
    });

    it('when a bad chunk errors the stream', async () => {
      await expect(pipe([utf8('ok'), 42], createRC4TransformStream(utf8('Key')))).rejects.toThrow(TypeError);
      expect(wipe).toHaveBeenCalledTimes(1);
    });

    it('when the readable side is cancelled', async () => {
      const transform = createRC4TransformStream(utf8('Key'));
      await transform.readable.cancel('reader gone');
      expect(wipe).toHaveBeenCalledTimes(1);
    });

    it('when the writable side is aborted', async () => {
      const transform = createRC4TransformStream(utf8('Key'));
      await transform.writable.abort('writer gone');
      expect(wipe).toHaveBeenCalledTimes(1);
    });
  });

  it('bad key or drop throws at creation', () => {
    expect(() => createRC4TransformStream(new Uint8Array(0))).toThrow(RangeError);
    expect(() => createRC4TransformStream(utf8('k'), { drop: -1 })).toThrow(/"drop"/);
  });
});
