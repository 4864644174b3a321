/**
 * PROTOCOL.md agrees with the code where the spec states data the code also holds:
 * the PGP word list (Appendix A), the relay's rules (§3.7), the error codes and
 * kinds (§3.5, §8), the secret-exponent sizes (§4.2), the group ids (§4.1).
 */
import { readFileSync } from 'node:fs';
import { createDH, groups } from '@arctalk/dh';
import { expect, it } from 'vitest';
import {
  ERROR_KINDS,
  ErrorCode,
  FrameType,
  GroupId,
  PGP_EVEN_WORDS,
  PGP_ODD_WORDS,
  RELAY_RULES,
  type RelayState,
  relayVerdict,
  SESSION_STATES,
  TRANSITIONS,
} from '../src/index';

const spec = readFileSync(new URL('../PROTOCOL.md', import.meta.url), 'utf8');
const section = (start: string, end: string) =>
  spec.slice(spec.indexOf(start), spec.indexOf(end, spec.indexOf(start)));

it('Appendix A is the PGP word list of the code, word for word and case for case', () => {
  const appendix = spec.slice(spec.indexOf('## Appendix A'));
  const rows = [...appendix.matchAll(/^\| ([0-9A-F]{2}) \| (\S+) \| (\S+) \|$/gm)];
  expect(rows).toHaveLength(256);
  rows.forEach(([, byte, even, odd], i) => {
    expect(Number.parseInt(byte!, 16)).toBe(i);
    expect(even).toBe(PGP_EVEN_WORDS[i]);
    expect(odd).toBe(PGP_ODD_WORDS[i]);
  });
  // the capitalisation rule of §5.3: only the first letter, ASCII only
  for (const w of [...PGP_EVEN_WORDS, ...PGP_ODD_WORDS]) expect(w).toMatch(/^[A-Za-z][a-z]*$/);
  expect(PGP_EVEN_WORDS.filter((w) => /^[A-Z]/.test(w))).toHaveLength(16);
  expect(PGP_ODD_WORDS.filter((w) => /^[A-Z]/.test(w))).toHaveLength(34);
});

it('§3.7 and RELAY_RULES give the same verdict in every state', () => {
  const table = section('### 3.7 Relay rules', 'On HELLO:');
  const states: RelayState[] = ['hello', 'waiting', 'paired', 'alone'];
  const verdictOf = (cell: string, previous: string): string => {
    if (cell === '←') return previous;
    if (cell.startsWith('pair or wait')) return 'hello';
    if (cell === 'PONG') return 'pong';
    if (cell.startsWith('forward')) return 'forward';
    return cell; // discard, or an error code
  };
  const rows: [string, number, number][] = [
    ['HELLO', FrameType.HELLO, 10],
    ['PING (body ≤ 32)', FrameType.PING, 32],
    ['PONG (body ≤ 32)', FrameType.PONG, 0],
    ['PING, PONG (body > 32)', FrameType.PING, 33],
    ['0x10–0x1f', 0x1f, 100],
    ['0x02–0x05', FrameType.ERROR, 2],
    ['other type', 0x08, 0],
  ];
  for (const [label, type, bodyLength] of rows) {
    const line = table.split('\n').find((l) => l.startsWith(`| ${label} |`));
    expect(line, label).toBeDefined();
    const cells = line!
      .split('|')
      .slice(2, 6)
      .map((c) => c.trim());
    let previous = '';
    states.forEach((state, i) => {
      previous = verdictOf(cells[i]!, previous);
      expect(relayVerdict(state, type, bodyLength), `${label} in ${state}`).toBe(previous);
    });
  }
  expect(RELAY_RULES.map((r) => r.frame)).toEqual([
    'HELLO',
    'PING',
    'PONG',
    'client-to-client',
    'relay-to-client',
    'unknown',
  ]);
  expect(
    Object.isFrozen(RELAY_RULES) && RELAY_RULES.every((r) => Object.isFrozen(r) && Object.isFrozen(r.in)),
  ).toBe(true);
  // a HELLO over 1024 bytes is refused on its header
  expect(relayVerdict('hello', FrameType.HELLO, 1025)).toBe('BAD_HELLO');
  expect(relayVerdict('paired', FrameType.HELLO, 1025)).toBe('UNEXPECTED_FRAME');
});

it('§3.5 lists every relay ERROR code with its number, §8 every error code with its kind', () => {
  const codes = section('### 3.5 ERROR', '### 3.6');
  for (const [name, n] of Object.entries(ErrorCode))
    expect(codes).toMatch(new RegExp(`\\| ${n} \\| ${name} \\|`));
  const errors = section('## 8. Errors', '## 9.');
  for (const [code, kind] of Object.entries(ERROR_KINDS)) {
    if (kind === 'misuse') expect(errors, code).toContain(code);
    else expect(errors, code).toMatch(new RegExp(`\\| [^|]*\\b${code}\\b[^|]* \\| ${kind} \\|`));
  }
});

it('§4.2 gives the secret-exponent size @arctalk/dh draws for every group of §4.1', () => {
  const table = section('### 4.2 KEX', '### 4.3');
  const groupsTable = section('### 4.1 COMMIT', '### 4.2');
  const names = Object.keys(GroupId) as (keyof typeof GroupId)[];
  expect(names).toHaveLength(10);
  for (const name of names) {
    // §4.1: id and bits
    const id = `0x${GroupId[name].toString(16).padStart(4, '0')}`;
    expect(groupsTable).toMatch(new RegExp(`\\| ${id} \\| ${name} \\| ${groups[name].bits} \\|`));
    // §4.2: exponent bits and random bytes drawn, on the row naming this group
    const row = table
      .split('\n')
      .map((l) => l.trim())
      .find((l) => l.startsWith('|') && l.includes(` ${name}`) && /bits/.test(l));
    expect(row, name).toBeDefined();
    const [, bits, bytes] = /\| (\d+) bits \| (\d+) \|$/.exec(row!)!;
    let drawn = 0;
    const dh = createDH(groups[name], {
      randomBytes: (n) => {
        drawn = n;
        return new Uint8Array(n).fill(0x5a);
      },
    });
    dh.keygen();
    expect(drawn, name).toBe(Number(bytes));
    expect(dh.lengths.secretKey * 8, name).toBe(Number(bits));
  }
});

it('§7.1 is TRANSITIONS, row for row: states, input, role, handler', () => {
  const table = section('### 7.1 Client', '### 7.2');
  const rows = table
    .split('\n')
    .filter((l) => l.startsWith('| ') && !l.startsWith('| state') && !l.startsWith('| ---'))
    .map((l) =>
      l
        .split('|')
        .slice(1, -1)
        .map((c) => c.trim()),
    );
  expect(rows).toHaveLength(TRANSITIONS.length);
  const started = SESSION_STATES.filter((s) => s !== 'idle' && s !== 'failed');
  const states = (cell: string): readonly string[] =>
    cell === 'any started'
      ? started
      : cell === 'other started'
        ? started.filter((s) => s !== 'closed')
        : cell === 'committing … secured'
          ? ['committing', 'exchanging', 'confirming', 'secured']
          : cell.split(', ');
  const input = (cell: string) => (cell === 'transport closed' ? 'eof' : cell.replace(/\(.*\)$/, ''));
  TRANSITIONS.forEach((t, i) => {
    const [from, on, role, , , , run] = rows[i]!;
    expect([...states(from!)].sort(), `row ${i + 1}`).toEqual([...t.from].sort());
    expect(input(on!), `row ${i + 1}`).toBe(t.on);
    expect(role, `row ${i + 1}`).toBe(t.role ?? '');
    expect(run, `row ${i + 1}`).toBe(t.run);
  });
});
