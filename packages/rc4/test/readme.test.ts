/**
 * The README's Usage example runs as written, and every value its comments state holds: a
 * statement `expr; // 12`, `// 'text'`, `// true` or `// bb f3 16` is checked as
 * `expect(expr)` equal to that number, string, boolean or hex bytes.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import * as api from '../src/index';
import { hex } from './helpers';

const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');
const usage = readme.slice(
  readme.indexOf('## Usage'),
  readme.indexOf('\n## ', readme.indexOf('## Usage') + 1),
);
const block = /```ts\n([\s\S]*?)```/.exec(usage)?.[1] ?? '';

const CLAIM = /^(\s*)(.+?);\s*\/\/\s*(-?\d+(?=$|[\s:])|'[^']*'|true\b|false\b|(?:[0-9a-f]{2} )+[0-9a-f]{2}$)/;

/** The example as the body of an async function, its claims turned into `check(value, claim)` calls. */
function instrument(code: string): { body: string; claims: number } {
  let claims = 0;
  const lines = code.split('\n').map((line) => {
    const m = CLAIM.exec(line);
    if (m === null) return line;
    claims++;
    return `${m[1]}check(${m[2]}, ${JSON.stringify(m[3])});`;
  });
  const body = lines
    .join('\n')
    .replace(/^import \{([^}]*)\} from '@arctalk\/rc4';$/m, 'const {$1} = module;');
  return { body, claims };
}

function check(value: unknown, claim: string): void {
  if (/^[0-9a-f]{2} /.test(claim)) expect(hex(value as Uint8Array)).toBe(claim.replaceAll(' ', ''));
  else expect(value).toEqual(JSON.parse(claim.replace(/^'(.*)'$/, '"$1"')));
}

describe('README', () => {
  it('the Usage example runs, and its stated values hold', async () => {
    const { body, claims } = instrument(block);
    expect(body).toContain('const { createRC4, rc4, createRC4TransformStream } = module;');
    expect(claims).toBe(6);
    const AsyncFunction = Object.getPrototypeOf(async () => {}).constructor as new (
      ...args: string[]
    ) => (...values: unknown[]) => Promise<void>;
    const asserted: string[] = [];
    await new AsyncFunction('module', 'check', body)(api, (value: unknown, claim: string) => {
      check(value, claim);
      asserted.push(claim);
    });
    expect(asserted).toHaveLength(claims);
  });
});
