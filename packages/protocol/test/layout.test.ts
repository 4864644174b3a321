/**
 * The package's layout as the README states it: one file per spec section, no
 * import cycles between them (a madge-like check on the sources), no I/O imports.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { expect, it } from 'vitest';

const dir = new URL('../src/', import.meta.url);
const files = readdirSync(dir).filter((f) => f.endsWith('.ts'));
const source = (f: string) => readFileSync(new URL(f, dir), 'utf8');
/** Local imports of a file (type-only ones included: a cycle of types is still a tangle). */
const imports = (f: string) =>
  [...source(f).matchAll(/^(?:import|export)[^;]*?from '\.\/([\w-]+)'/gms)].map((m) => `${m[1]}.ts`);

it('has one file per spec section, as the README maps them', () => {
  const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');
  for (const f of [
    'frame.ts',
    'envelope.ts',
    'handshake.ts',
    'keys.ts',
    'record.ts',
    'session.ts',
    'relay.ts',
    'errors.ts',
  ]) {
    expect(files).toContain(f);
    expect(readme).toContain(`src/${f}`);
  }
});

it('has no import cycles among its modules', () => {
  const graph = new Map(files.map((f) => [f, imports(f)]));
  const state = new Map<string, 'visiting' | 'done'>();
  const cycles: string[] = [];
  const visit = (f: string, path: string[]) => {
    if (state.get(f) === 'done') return;
    if (state.get(f) === 'visiting') {
      cycles.push([...path.slice(path.indexOf(f)), f].join(' → '));
      return;
    }
    state.set(f, 'visiting');
    for (const g of graph.get(f) ?? []) visit(g, [...path, f]);
    state.set(f, 'done');
  };
  for (const f of files) visit(f, []);
  expect(cycles).toEqual([]);
  // the check itself sees edges
  expect(graph.get('session.ts')).toContain('handshake.ts');
});

/** The files of the `"node"` entry alone: the only ones that may import node:crypto. */
const NODE_ONLY = ['index.node.ts', '_hash-node.ts'];

it('imports nothing with I/O, and keeps SHA-256, HMAC, HKDF and scrypt behind _hash.ts', () => {
  for (const f of files) {
    if (NODE_ONLY.includes(f)) {
      expect(source(f), f).not.toMatch(/from 'node:(?!crypto')/);
      continue;
    }
    expect(source(f), f).not.toMatch(/from 'node:/);
    if (f === '_hash.ts') continue;
    expect(source(f), f).not.toMatch(/@noble\/hashes\/(hmac|hkdf|scrypt)'/);
    expect(source(f), f).not.toMatch(/import \{[^}]*\bsha256\b[^}]*\} from '@noble\/hashes\/sha2'/);
  }
});

it('the default entry reaches no node: import; the "node" entry reaches node:crypto', () => {
  const reach = (entry: string) => {
    const seen = new Set<string>();
    const walk = (f: string) => {
      if (seen.has(f)) return;
      seen.add(f);
      for (const g of imports(f)) walk(g);
    };
    walk(entry);
    return [...seen];
  };
  const defaultEntry = reach('index.ts');
  expect(defaultEntry).toContain('record.ts');
  for (const f of defaultEntry) expect(source(f), f).not.toMatch(/from 'node:/);
  expect(defaultEntry).not.toContain('_hash-node.ts');
  expect(reach('index.node.ts')).toContain('_hash-node.ts');
  expect(source('_hash-node.ts')).toMatch(/from 'node:crypto'/);
});
