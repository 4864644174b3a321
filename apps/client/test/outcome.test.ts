import { describe, expect, it } from 'vitest';
import { ExitCode } from '../src/exit-codes.js';
import { type ConversationInput, initialConversation, reduceConversation } from '../src/outcome.js';

const run = (inputs: ConversationInput[]) =>
  inputs.reduce(reduceConversation, initialConversation('bob')).outcome;
const left = (ended: boolean): ConversationInput => ({ type: 'peer-left', ended });

describe('the conversation reducer (PROTOCOL.md §6.4), shared by terminal and pipe mode', () => {
  it('exit 0 exactly when the session closed: both ENDs crossed AND the peer acknowledged ours', () => {
    // both ENDs alone are not enough any more (PROTOCOL.md §6.4, §6.5)
    expect(run([{ type: 'sent-end' }, { type: 'peer-ended' }])).toBeUndefined();
    expect(run([{ type: 'peer-ended' }, { type: 'sent-end' }])).toBeUndefined();
    expect(run([{ type: 'sent-end' }, { type: 'peer-ended' }, { type: 'closed' }, left(true)])?.code).toBe(0);
    // after a clean close, nothing changes the outcome
    expect(run([{ type: 'closed' }, { type: 'transport-closed', message: 'x' }])?.code).toBe(0);
  });

  it('the peer END in but ours not acknowledged: 12 "sent but not confirmed received", however it ends', () => {
    const ack = (offset: number, ended = false): ConversationInput => ({
      type: 'acknowledged',
      offset,
      ended,
    });
    const cases: [ConversationInput[], RegExp][] = [
      // the peer left after its END, before acknowledging our END
      [
        [ack(10), { type: 'sent-end' }, { type: 'peer-ended' }, left(true)],
        /bob left before confirming everything you sent \(bob confirmed 10 bytes, not your END\)/,
      ],
      // it ENDed and left while we were still sending
      [
        [ack(1), { type: 'peer-ended' }, left(true)],
        /bob left before confirming everything you sent \(bob confirmed 1 byte\)$/,
      ],
      // the acknowledgement never came (a relay withholding it, or our DATA)
      [
        [{ type: 'sent-end' }, { type: 'peer-ended' }, { type: 'ack-timeout', timeoutMs: 30_000 }],
        /no acknowledgement from bob within 30 s \(bob confirmed 0 bytes, not your END\)/,
      ],
      // the transport dropped after the peer's END
      [
        [
          { type: 'sent-end' },
          { type: 'peer-ended' },
          { type: 'transport-closed', message: 'connection to x lost' },
        ],
        /connection to x lost/,
      ],
    ];
    for (const [inputs, message] of cases) {
      const outcome = run(inputs);
      expect(outcome?.code).toBe(ExitCode.NOT_CONFIRMED);
      expect(outcome?.code).toBe(12);
      expect(outcome?.message).toMatch(/^sent but not confirmed received: /);
      expect(outcome?.message).toMatch(message);
    }
  });

  it('PEER_LEFT before the peer END: 6, cut (with or without our END)', () => {
    for (const before of [[], [{ type: 'sent-end' }]] as ConversationInput[][]) {
      expect(run([...before, left(false)])).toEqual({
        code: ExitCode.PEER_LEFT,
        message: 'bob left before ending the conversation',
      });
    }
  });

  it('the first decisive fact wins; undecided until then', () => {
    expect(run([{ type: 'sent-end' }])).toBeUndefined();
    expect(run([{ type: 'transport-closed', message: 'lost' }, { type: 'closed' }])).toEqual({
      code: ExitCode.CONNECTION_LOST,
      message: 'lost',
    });
    expect(run([{ type: 'user-left' }, left(false)])?.code).toBe(0);
    expect(run([{ type: 'local-error', message: 'cannot write stdout: EPIPE' }])?.code).toBe(
      ExitCode.INTERNAL,
    );
  });

  it('session errors by their kind; INTERNAL is never tampering', () => {
    const err = (code: string) => run([{ type: 'error', error: { code, message: 'm' } as never }]);
    expect(err('AUTH_FAILED')?.code).toBe(ExitCode.AUTH_FAILED);
    expect(err('INTERNAL')?.code).toBe(ExitCode.INTERNAL);
    expect(err('INTERNAL')?.message).not.toMatch(/tampering/);
    expect(err('RELAY_ERROR')?.code).toBe(ExitCode.REFUSED);
  });

  it('is pure: the input state is not changed', () => {
    const s = initialConversation('bob');
    const copy = { ...s };
    reduceConversation(s, { type: 'peer-ended' });
    expect(s).toEqual(copy);
  });
});
