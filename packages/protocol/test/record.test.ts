import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  encodeFrame,
  FrameDecoder,
  FrameType,
  MAX_DATA_LENGTH,
  RecordState,
  type RemoteProtocolError,
} from '../src/index';
import { concat, utf8 } from './helpers';

/** A sender and a receiver of one direction, with the same keys (as the key schedule gives both ends). */
function direction(options: { sendBudget?: number; receiveBudget?: number } = {}) {
  const keys = () => ({ rc4Key: new Uint8Array(32).fill(7), macKey: new Uint8Array(32).fill(9) });
  return {
    send: new RecordState(keys(), { budget: options.sendBudget }),
    receive: new RecordState(keys(), { budget: options.receiveBudget }),
  };
}
const bodies = (frames: Uint8Array[]) => new FrameDecoder().push(concat(frames)).map((f) => f.body);
const frameLengths = (bytes: Uint8Array) => new FrameDecoder().push(bytes).map((f) => 5 + f.body.length);
const codeOf = (f: () => unknown) => {
  try {
    f();
  } catch (e) {
    return (e as RemoteProtocolError).code;
  }
  return 'ok';
};

describe('RecordState: one direction of the record layer (§6)', () => {
  it('takes its keys over and zeroes them', () => {
    const rc4Key = new Uint8Array(32).fill(1);
    const macKey = new Uint8Array(32).fill(2);
    new RecordState({ rc4Key, macKey });
    expect([...rc4Key, ...macKey].every((b) => b === 0)).toBe(true);
  });

  it('property: decode(encode(text)) = text, in DATA frames of at most 2023 bytes, offsets agreeing', () => {
    fc.assert(
      fc.property(fc.array(fc.uint8Array({ maxLength: 5000 }), { maxLength: 6 }), (texts) => {
        const { send, receive } = direction();
        const got: Uint8Array[] = [];
        for (const text of texts) {
          const bytes = send.encodeData(text);
          const sizes = frameLengths(bytes);
          expect(sizes.length).toBe(Math.ceil(text.length / MAX_DATA_LENGTH));
          for (const size of sizes) expect(size - 4).toBeLessThanOrEqual(2048);
          for (const body of bodies([bytes])) got.push(receive.decodeData(body));
        }
        expect(concat(got)).toEqual(concat(texts));
        expect(receive.offset).toBe(send.offset);
        receive.decodeEnd(bodies([send.encodeEnd()])[0]!);
        expect(send.ended && receive.ended).toBe(true);
      }),
      { numRuns: 30 },
    );
  });

  it('decodeData into a caller-owned array: written at its start; too short is a RangeError; a refused frame leaves it untouched', () => {
    const { send, receive } = direction();
    const [a, b] = bodies([send.encodeData(utf8('hello')), send.encodeData(utf8('world'))]);
    const out = new Uint8Array(12).fill(0xee);
    expect(() => receive.decodeData(a!, out.subarray(0, 4))).toThrow(RangeError);
    const got = receive.decodeData(a!, out.subarray(1));
    expect(new TextDecoder().decode(got)).toBe('hello');
    expect(got.buffer).toBe(out.buffer);
    expect([out[0], out[6]]).toEqual([0xee, 0xee]);
    const forged = b!.slice();
    forged[forged.length - 1]! ^= 1;
    const before = out.slice();
    expect(codeOf(() => receive.decodeData(forged, out.subarray(6)))).toBe('AUTH_FAILED');
    expect(out).toEqual(before);
  });

  it('the receiver budget at its edge: exactly the budget arrives, one byte more is BUDGET_EXHAUSTED', () => {
    const { send, receive } = direction({ receiveBudget: 5 });
    for (const body of bodies([send.encodeData(utf8('12')), send.encodeData(utf8('345'))])) {
      receive.decodeData(body);
    }
    expect(receive.offset).toBe(5);
    const [over] = bodies([send.encodeData(utf8('6'))]);
    expect(codeOf(() => receive.decodeData(over!))).toBe('BUDGET_EXHAUSTED');
    expect(receive.offset).toBe(5);
  });

  it('a forged DATA past the budget is AUTH_FAILED, not BUDGET_EXHAUSTED (the tag is checked first)', () => {
    const { receive } = direction({ receiveBudget: 5 });
    const body = new Uint8Array(8 + 6 + 16).fill(0x41);
    body.fill(0, 0, 8);
    expect(codeOf(() => receive.decodeData(body))).toBe('AUTH_FAILED');
  });

  it('the sender refuses to pass its budget and encodes nothing then', () => {
    const { send } = direction({ sendBudget: 10 });
    send.encodeData(new Uint8Array(10));
    expect(codeOf(() => send.encodeData(new Uint8Array(1)))).toBe('BUDGET_EXHAUSTED');
    expect(send.offset).toBe(10);
    expect(send.budgetRemaining).toBe(0);
  });

  it('names the error of every malformed DATA and END (§6.1, §6.2)', () => {
    const { send, receive } = direction();
    const [data] = bodies([send.encodeData(utf8('hello'))]);
    const end = bodies([direction().send.encodeEnd()])[0]!;
    expect(codeOf(() => receive.decodeData(data!.subarray(0, 24)))).toBe('MALFORMED_FRAME'); // n = 0
    for (const n of [0, 8, 23, 25, 40]) {
      expect(codeOf(() => receive.decodeEnd(new Uint8Array(n)))).toBe('MALFORMED_FRAME');
    }
    const wrongOffset = data!.slice();
    wrongOffset[7] = 1;
    expect(codeOf(() => receive.decodeData(wrongOffset))).toBe('BAD_OFFSET');
    const huge = data!.slice();
    huge[0] = 0xff; // ≥ 2^53: never a valid offset
    expect(codeOf(() => receive.decodeData(huge))).toBe('BAD_OFFSET');
    const flipped = data!.slice();
    flipped[10]! ^= 1;
    expect(codeOf(() => receive.decodeData(flipped))).toBe('AUTH_FAILED');
    expect(receive.offset).toBe(0); // nothing advanced
    expect(codeOf(() => receive.decodeEnd(end))).toBe('ok');
  });

  it('an END cannot stand in for DATA nor DATA for END (the type is under the tag)', () => {
    const { send, receive } = direction();
    const end = bodies([send.encodeEnd()])[0]!;
    // an END body reframed as DATA: 24 bytes is too short for DATA anyway; pad one byte
    const asData = encodeFrame({
      type: FrameType.DATA,
      body: concat([end.subarray(0, 8), new Uint8Array(1), end.subarray(8)]),
    });
    expect(codeOf(() => receive.decodeData(bodies([asData])[0]!))).toBe('AUTH_FAILED');
  });

  it('wipe() is idempotent and later use throws', () => {
    const { send } = direction();
    send.wipe();
    send.wipe();
    expect(() => send.encodeData(utf8('x'))).toThrow();
  });
});
