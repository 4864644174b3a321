import { describe, expect, it } from 'vitest';
import { classifyError, EXIT_CODE_HELP, ExitCode } from '../src/exit-codes.js';

describe('exit codes', () => {
  it('are distinct and all documented', () => {
    const values = Object.values(ExitCode);
    expect(new Set(values).size).toBe(values.length);
    expect(EXIT_CODE_HELP.map(([code]) => code).sort()).toEqual([...values].sort());
  });

  it('classify tampering and authentication failures as 5', () => {
    for (const code of [
      'AUTH_FAILED',
      'COMMITMENT_MISMATCH',
      'BAD_OFFSET',
      'INVALID_PUBLIC_KEY',
      'PARAMETER_MISMATCH',
      'MALFORMED_FRAME',
    ]) {
      expect(classifyError({ code, message: 'x' }).code, code).toBe(ExitCode.AUTH_FAILED);
    }
    expect(classifyError({ code: 'AUTH_FAILED', message: 'x' }).message).toMatch(/tampering detected/);
  });

  it('classify relay refusals, incompatibility, budget and connection loss', () => {
    expect(classifyError({ code: 'RELAY_ERROR', message: 'room full', relayCode: 6 })).toEqual({
      code: ExitCode.REFUSED,
      message: 'refused by the server: room full',
    });
    expect(classifyError({ code: 'GROUP_TOO_SMALL', message: 'x' }).code).toBe(ExitCode.INCOMPATIBLE);
    expect(classifyError({ code: 'UNSUPPORTED_VERSION', message: 'x' }).code).toBe(ExitCode.INCOMPATIBLE);
    expect(classifyError({ code: 'BUDGET_EXHAUSTED', message: 'x' }).code).toBe(ExitCode.BUDGET_EXHAUSTED);
    expect(classifyError({ code: 'CONNECTION_LOST', message: 'x' }).code).toBe(ExitCode.CONNECTION_LOST);
    expect(classifyError({ code: 'INTERNAL', message: 'x' }).code).toBe(ExitCode.INTERNAL);
    expect(classifyError({ code: 'INTERNAL', message: 'x' }).message).toMatch(
      /^internal error \(a bug in arctalk/,
    );
    expect(classifyError({ code: 'NOT_A_CODE', message: 'x' }).code).toBe(ExitCode.INTERNAL);
    expect(classifyError({ message: 'no code' }).code).toBe(ExitCode.INTERNAL);
  });

  it("follows the protocol's ERROR_KINDS for every code (no list of its own)", async () => {
    const { ERROR_KINDS } = await import('@arctalk/protocol');
    const byKind = {
      tampering: ExitCode.AUTH_FAILED,
      incompatible: ExitCode.INCOMPATIBLE,
      budget: ExitCode.BUDGET_EXHAUSTED,
      relay: ExitCode.REFUSED,
      transport: ExitCode.CONNECTION_LOST,
      internal: ExitCode.INTERNAL,
      misuse: ExitCode.INTERNAL,
    } as const;
    for (const [code, kind] of Object.entries(ERROR_KINDS)) {
      expect(classifyError({ code, message: 'x' }).code, code).toBe(byKind[kind]);
    }
    // INTERNAL (our bug) and tampering never share an exit code or a message
    expect(classifyError({ code: 'INTERNAL', message: 'x' }).message).not.toMatch(/tampering/);
  });

  it('sanitises the relay-controlled message', () => {
    const { message } = classifyError({ code: 'RELAY_ERROR', message: 'full\x1b]0;owned\x07\nfake line' });
    expect(message).toBe('refused by the server: full^[]0;owned^G^Jfake line');
  });
});
