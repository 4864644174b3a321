import { describe, expect, it } from 'vitest';
import { ExitCode } from '../src/exit-codes.js';
import { type ConversationInput, initialConversation, reduceConversation } from '../src/outcome.js';

const run = (inputs: ConversationInput[]) =>
  inputs.reduce(reduceConversation, initialConversation('bob')).outcome;
const left = (ended: boolean): ConversationInput => ({ type: 'peer-left', ended });

describe('the conversation reducer (PROTOCOL.md §6.4), shared by terminal and pipe mode', () => {
  it('exit 0 exactly when both ENDs crossed, in either order', () => {
    expect(run([{ type: 'sent-end' }, { type: 'peer-ended' }])).toEqual({ code: 0, message: undefined });
    expect(run([{ type: 'peer-ended' }, { type: 'sent-end' }])).toEqual({ code: 0, message: undefined });
    expect(run([{ type: 'sent-end' }, { type: 'peer-ended' }, { type: 'closed' }, left(true)])?.code).toBe(0);
    // after a clean close, nothing changes the outcome
    expect(run([{ type: 'closed' }, { type: 'transport-closed', message: 'x' }])?.code).toBe(0);
  });

  it('PEER_LEFT after the peer END but before ours: 6, the peer may not have all we sent', () => {
    expect(run([{ type: 'peer-ended' }, left(true)])).toEqual({
      code: ExitCode.PEER_LEFT,
      message: 'bob left before receiving everything you sent',
    });
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
