/**
 * The README's Usage example runs as written, in both entries, and every value its comments
 * state holds: a statement `expr; // 256`, `// 'text'` or `// true` is checked as
 * `expect(expr)` equal to that number, string or boolean.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import * as pure from '../src/index.js';
import * as node from '../src/index.node.js';

const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');
const start = readme.indexOf('## Usage');
const usage = readme.slice(start, readme.indexOf('\n## ', start + 1));
const block = /```ts\n([\s\S]*?)```/.exec(usage)?.[1] ?? '';

const CLAIM = /^(\s*)(.+?);\s*\/\/\s*(-?\d+(?=$|[\s:])|'[^']*'|true\b|false\b)/;

/** The example as the body of an async function, its claims turned into `check(value, claim)` calls. */
function instrument(code: string): { body: string; claims: number } {
  let claims = 0;
  const lines = code.split('\n').map((line) => {
    const m = CLAIM.exec(line);
    if (m === null) return line;
    claims++;
    return `${m[1]}check(${m[2]}, ${JSON.stringify(m[3])});`;
  });
  const body = lines.join('\n').replace(/^import \{([^}]*)\} from '@arctalk\/dh';$/m, 'const {$1} = module;');
  return { body, claims };
}

const AsyncFunction = Object.getPrototypeOf(async () => {}).constructor as new (
  ...args: string[]
) => (...values: unknown[]) => Promise<void>;

describe('README', () => {
  it.each([
    ['pure', pure],
    ['node', node],
  ])('the Usage example runs (%s entry), and its stated values hold', async (_, api) => {
    const { body, claims } = instrument(block);
    expect(body).toContain('const { createDH, groups, InvalidPublicKeyError } = module;');
    expect(claims).toBe(4);
    const asserted: string[] = [];
    await new AsyncFunction('module', 'check', body)(api, (value: unknown, claim: string) => {
      expect(value).toEqual(JSON.parse(claim.replace(/^'(.*)'$/, '"$1"')));
      asserted.push(claim);
    });
    expect(asserted).toHaveLength(claims);
  });
});
