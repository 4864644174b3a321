/**
 * The docs cannot drift: the man pages are what docs/manual.md generates; the
 * manual's option lists are exactly the CLIs' own (commander definitions); every
 * relative link in the top-level docs resolves; the pinned pnpm version is the same
 * in package.json, .ci/run and the README's quick start.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Command } from 'commander';
import { describe, expect, it } from 'vitest';
import { buildProgram } from '../../../apps/client/src/main.ts';
import { program as serverProgram } from '../../../apps/server/src/options.ts';

const root = fileURLToPath(new URL('../../../', import.meta.url));
const read = (path: string) => readFileSync(join(root, path), 'utf8');
const manual = read('docs/manual.md');

/** The text of one `### SECTION` of a man block of the manual. */
function manSection(page: string, section: string): string {
  const block = manual.slice(
    manual.indexOf(`<!-- man:${page} -->`),
    manual.indexOf('<!-- /man -->', manual.indexOf(`<!-- man:${page} -->`)),
  );
  const start = block.indexOf(`### ${section}\n`);
  expect(start, `${page} has a ${section} section`).toBeGreaterThan(0);
  const end = block.indexOf('\n### ', start + 1);
  return block.slice(start, end < 0 ? undefined : end);
}

/** `* term:` items of a section: term line → the item's whole text. */
function items(section: string): Map<string, string> {
  const result = new Map<string, string>();
  for (const item of section.split(/\n(?=\* )/).slice(1)) {
    const term = item.slice(0, item.indexOf('\n'));
    result.set(term, item);
  }
  return result;
}

const longFlags = (text: string) => [...text.matchAll(/`(--[a-z][a-z-]*)`/g)].map((m) => m[1]!);

describe.each([
  { page: 'arctalk-server.1', make: serverProgram },
  { page: 'arctalk.1', make: buildProgram },
])('$page', ({ page, make }) => {
  const command: Command = make();
  const options = items(manSection(page, 'OPTIONS'));
  const documented = [...options.keys()].flatMap(longFlags).sort();
  const visible = command.options.filter((option) => !option.hidden);
  const actual = [...visible.map((option) => option.long!), '--help'].sort();

  it('documents exactly the options the program has', () => {
    expect(new Set(documented).size).toBe(documented.length);
    expect(documented).toEqual([...new Set(actual)].sort());
  });

  it('names each option’s environment variable and short flag', () => {
    for (const option of visible) {
      const entry = [...options].find(([term]) => longFlags(term).includes(option.long!));
      expect(entry, option.long).toBeDefined();
      const [term, text] = entry!;
      if (option.short) expect(term).toContain(`\`${option.short}\``);
      if (option.envVar) expect(text).toContain(`\`${option.envVar}\``);
      for (const choice of option.argChoices ?? []) expect(text).toContain(`\`${choice}\``);
    }
  });
});

describe('short options', () => {
  const shorts = (command: Command) =>
    new Map(
      [
        ...command.options,
        command
          .createHelp()
          .visibleOptions(command)
          .find((o) => o.long === '--help')!,
      ]
        .filter((option) => option.short)
        .map((option) => [option.short!, option.long!] as const),
    );
  const client = shorts(buildProgram());
  const server = shorts(serverProgram());

  it('mean the same in arctalk and arctalk-server', () => {
    expect(client.size).toBeGreaterThan(3);
    expect(server.size).toBeGreaterThan(2);
    for (const [short, long] of client) {
      if (server.has(short)) expect(`${short} ${server.get(short)}`).toBe(`${short} ${long}`);
    }
  });

  it('are unique within each program, and -p is the port in both', () => {
    for (const program of [buildProgram(), serverProgram()]) {
      const all = program.options.map((option) => option.short).filter(Boolean);
      expect(new Set(all).size).toBe(all.length);
    }
    expect(client.get('-p')).toBe('--port');
    expect(server.get('-p')).toBe('--port');
    expect(client.get('-V')).toBe('--version');
    expect(server.get('-V')).toBe('--version');
  });
});

describe('man pages', () => {
  it('are generated from docs/manual.md and up to date (pnpm docs:man)', () => {
    const result = spawnSync(process.execPath, [join(root, 'scripts/gen-man.mjs'), '--check'], {
      encoding: 'utf8',
    });
    expect(result.stderr).toBe('');
    expect(result.status).toBe(0);
  });

  it('ship with the apps', () => {
    for (const [app, page] of [
      ['server', 'arctalk-server.1'],
      ['client', 'arctalk.1'],
    ] as const) {
      const pkg = JSON.parse(read(`apps/${app}/package.json`));
      expect(pkg.man).toEqual([`./man/${page}`]);
      expect(pkg.files).toContain('man');
      expect(read(`apps/${app}/man/${page}`)).toMatch(/^\.TH "ARCTALK/);
    }
  });
});

describe('top-level docs', () => {
  const docs = ['README.md', 'SECURITY.md', 'CONTRIBUTING.md', 'docs/manual.md', 'docs/benchmarks.md'];

  it.each(docs)('%s: every relative link resolves', (doc) => {
    const text = read(doc);
    const links = [...text.matchAll(/\]\(([^)\s]+)\)/g)].map((m) => m[1]!);
    expect(links.length).toBeGreaterThan(0);
    for (const link of links) {
      if (/^[a-z]+:/.test(link) || link.startsWith('#')) continue;
      const target = join(root, dirname(doc), link.split('#')[0]!);
      expect(existsSync(target), `${doc} → ${link}`).toBe(true);
    }
  });

  it('pins one pnpm version in package.json, .ci/run and the README', () => {
    const version = /^pnpm@(\d+\.\d+\.\d+)$/.exec(JSON.parse(read('package.json')).packageManager)?.[1];
    expect(version).toMatch(/^10\./);
    expect(read('.ci/run')).toContain(`PNPM_VERSION=${version}`);
    const readme = read('README.md');
    const pins = [...readme.matchAll(/pnpm@(\d+\.\d+\.\d+)/g)].map((m) => m[1]);
    expect(pins.length).toBeGreaterThan(0);
    expect(new Set(pins)).toEqual(new Set([version]));
  });
});

describe('Quick start', () => {
  const readme = read('README.md');
  const block = /## Quick start[\s\S]*?```sh\n([\s\S]*?)```/.exec(readme)?.[1] ?? '';
  const commands = block.split('\n').filter((line) => line.trim() !== '' && !line.startsWith('#'));

  it('has two commands: the demo and the tests, each installing what it needs', () => {
    expect(commands).toHaveLength(2);
    expect(commands[0]).toMatch(/install --frozen-lockfile && .* demo$/);
    expect(commands[1]).toMatch(/install --frozen-lockfile && .* test$/);
  });

  it('the demo script passes (what the first command runs after the install)', () => {
    const script = JSON.parse(read('package.json')).scripts.demo as string;
    expect(script).toBe('node --conditions=@arctalk/source --import tsx scripts/demo.mjs');
    const result = spawnSync(process.execPath, script.split(' ').slice(1), {
      cwd: root,
      encoding: 'utf8',
      env: Object.fromEntries(Object.entries(process.env).filter(([key]) => !key.startsWith('ARCTALK_'))),
      timeout: 150_000,
    });
    expect(result.stdout + result.stderr).toContain('demo OK');
    expect(result.status).toBe(0);
  }, 180_000);

  it('.ci/run runs both verbatim, before any command of its own', () => {
    const lines = read('.ci/run')
      .split('\n')
      .filter((line) => line.trim() !== '' && !/^\s*#/.test(line));
    const first = lines.indexOf(commands[0]!);
    expect(first, 'the demo command, verbatim').toBeGreaterThan(0);
    expect(lines.indexOf(commands[1]!), 'the test command, verbatim').toBeGreaterThan(first);
    // Before the demo only variables, helpers and the step banner: no pnpm, npm, node or build.
    for (const line of lines.slice(0, first))
      expect(line).not.toMatch(/\b(pnpm|npm|npx|node|tsup|apt-get)\b(?!@|_)/);
  });
});

describe('README example', () => {
  it('runs and prints what its comments say', () => {
    const readme = read('README.md');
    const section = readme.slice(readme.indexOf('## Use the libraries'));
    const code = /```ts\n([\s\S]*?)```/.exec(section)?.[1];
    expect(code).toContain("from '@arctalk/rc4'");
    const dir = mkdtempSync(join(root, 'tests/docs/.tmp-'));
    try {
      const file = join(dir, 'example.ts');
      writeFileSync(file, code!);
      // Run from tests/docs, whose tsconfig maps @arctalk/* to the sources (tsx reads it).
      const result = spawnSync(process.execPath, ['--conditions=@arctalk/source', '--import', 'tsx', file], {
        cwd: join(root, 'tests/docs'),
        encoding: 'utf8',
      });
      expect(result.stderr).toBe('');
      expect(result.stdout).toBe('256 true\nhello 5\n');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
