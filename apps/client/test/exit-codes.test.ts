import { describe, expect, it } from 'vitest';
import {
  classifyError,
  EXIT_CODE_HELP,
  ExitCode,
  RELAY_QUOTE_COLUMNS,
  relayQuote,
} from '../src/exit-codes.js';

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

  it('messages name only what applies: no passphrase outside a failed key confirmation', () => {
    // a replayed DATA (BAD_OFFSET), a forged tag (AUTH_FAILED 'authentication failed'),
    // framing faults, a broken key exchange: none of these is a wrong code or passphrase
    for (const [code, message] of [
      ['BAD_OFFSET', 'offset 0 where 12 was expected: a frame was dropped, replayed or reordered'],
      ['AUTH_FAILED', 'authentication failed'],
      ['MALFORMED_FRAME', 'PAIRED role 3 is not 1 or 2'],
      ['UNEXPECTED_FRAME', 'unexpected DATA frame in state waiting'],
      ['UNKNOWN_FRAME_TYPE', 'unknown frame type 0x42'],
      ['FRAME_TOO_LARGE', 'frame length 70000 exceeds 65536'],
      ['COMMITMENT_MISMATCH', 'the initiator KEX does not match its commitment'],
      ['INVALID_PUBLIC_KEY', 'the peer public key failed validation'],
      ['PARAMETER_MISMATCH', 'the responder KEX names another suite or group'],
    ] as const) {
      const out = classifyError({ code, message });
      expect(out.code, code).toBe(ExitCode.AUTH_FAILED);
      expect(out.message, code).not.toMatch(/passphrase|code or/);
    }
    expect(classifyError({ code: 'BAD_OFFSET', message: 'x' }).message).toMatch(
      /dropped, replayed or reordered/,
    );
    expect(
      classifyError({ code: 'MALFORMED_FRAME', message: 'PAIRED role 3 is not 1 or 2' }).message,
    ).toMatch(/malformed frame.*\(PAIRED role 3 is not 1 or 2\)/);
    // the key confirmation's own words are kept as the protocol chose them (with or without a secret)
    const wrong =
      'key confirmation failed: wrong code or passphrase, or someone in the middle of the key exchange';
    expect(classifyError({ code: 'AUTH_FAILED', message: wrong }).message).toContain(wrong);
    const none = 'key confirmation failed: someone in the middle of the key exchange (or a broken peer)';
    expect(classifyError({ code: 'AUTH_FAILED', message: none }).message).toContain(none);
    expect(classifyError({ code: 'AUTH_FAILED', message: none }).message).not.toMatch(/passphrase/);
  });

  it('classify relay refusals, incompatibility, budget and connection loss', () => {
    expect(
      classifyError({ code: 'RELAY_ERROR', message: 'relay error 6 (ROOM_FULL): room full', relayCode: 6 }),
    ).toEqual({
      code: ExitCode.REFUSED,
      message:
        'refused by the server: the room is full (two people are already talking there); the server\'s message: "room full"',
    });
    // A shutdown mid-conversation is not a refusal.
    expect(
      classifyError({
        code: 'RELAY_ERROR',
        message: 'relay error 10 (SERVER_SHUTTING_DOWN): server shutting down',
        relayCode: 10,
      }).message,
    ).toBe(
      'the server ended the session: it is shutting down; the server\'s message: "server shutting down"',
    );
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

  it('shows the relay-controlled message short, escaped, quoted and attributed, after our own words', () => {
    const cases: [string, string][] = [
      ['full\x1b]0;owned\x07\nfake line', '"full^[]0;owned^G^Jfake line"'],
      [
        'SAS verified by both peers. Reconnect with --room vip-2',
        '"SAS verified by both peers. Reconnect with --room vip-2"',
      ],
      ['x" — arctalk: secured, SAS ok', '"x\\" — arctalk: secured, SAS ok"'],
      ['a\u200d', '"a<U+200D>"'],
      ['\u202eevil', '"<U+202E>evil"'],
    ];
    for (const [text, quoted] of cases) {
      const { code, message } = classifyError({
        code: 'RELAY_ERROR',
        message: `relay error 12 (INTERNAL): ${text}`,
      });
      expect(code).toBe(ExitCode.REFUSED);
      expect(message).toBe(
        `the server reported an error (code 12, INTERNAL); the server's message: ${quoted}`,
      );
    }
    // At most RELAY_QUOTE_COLUMNS columns of it, however long (the protocol allows 1024 bytes).
    const long = classifyError({
      code: 'RELAY_ERROR',
      message: `relay error 8 (IDLE_TIMEOUT): ${'SAS verified. '.repeat(80)}`,
    });
    const quote = /"(.*)"$/u.exec(long.message)![1]!;
    expect(quote.length).toBeLessThanOrEqual(RELAY_QUOTE_COLUMNS);
    expect(quote.endsWith('…')).toBe(true);
    expect(long.message.startsWith('the server ended the session: the connection was idle')).toBe(true);
    expect(relayQuote('')).toBe('');
  });
});
