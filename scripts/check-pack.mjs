#!/usr/bin/env node
// Checks what each published library would ship: `pnpm pack` (which rewrites
// `workspace:` ranges as publishing does) into a temporary folder, then the tarball
// must hold package.json, README.md, LICENSE, CHANGELOG.md, dist/ and src/ (the TypeScript
// source: the "@arctalk/source" export condition and the source maps) — nothing else
// — and its package.json must name no `workspace:` range. Run after `pnpm build`.
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
// The pnpm running this script (npx pnpm@… leaves none on PATH), else pnpm from PATH.
const execpath = process.env.npm_execpath ?? '';
const pnpm = /pnpm\.c?js$/.test(execpath) ? [process.execPath, execpath] : ['pnpm'];
const libraries = ['rc4', 'dh', 'protocol'];
const REQUIRED = ['package/package.json', 'package/README.md', 'package/LICENSE', 'package/CHANGELOG.md'];
const ALLOWED = /^package\/(package\.json|README\.md|LICENSE|CHANGELOG\.md|PROTOCOL\.md|dist\/.+|src\/.+)$/;

let failures = 0;
const fail = (message) => {
  console.error(`check-pack: ${message}`);
  failures++;
};

for (const name of libraries) {
  const dir = join(root, 'packages', name);
  const out = mkdtempSync(join(tmpdir(), `arctalk-pack-${name}-`));
  try {
    execFileSync(pnpm[0], [...pnpm.slice(1), 'pack', '--pack-destination', out], {
      cwd: dir,
      stdio: 'ignore',
    });
    const [tarball] = readdirSync(out);
    if (!tarball) throw new Error('pnpm pack wrote no tarball');
    const files = execFileSync('tar', ['-tzf', join(out, tarball)], { encoding: 'utf8' })
      .trim()
      .split('\n');
    for (const file of files) if (!ALLOWED.test(file)) fail(`@arctalk/${name} would ship ${file}`);
    for (const file of REQUIRED) if (!files.includes(file)) fail(`@arctalk/${name} lacks ${file}`);
    if (!files.some((file) => file.startsWith('package/dist/index.')))
      fail(`@arctalk/${name} lacks dist/index.*`);
    const manifest = JSON.parse(
      execFileSync('tar', ['-xzOf', join(out, tarball), 'package/package.json'], { encoding: 'utf8' }),
    );
    for (const field of ['dependencies', 'peerDependencies', 'optionalDependencies']) {
      for (const [dep, range] of Object.entries(manifest[field] ?? {})) {
        if (String(range).startsWith('workspace:')) fail(`@arctalk/${name} ${field}.${dep} is ${range}`);
      }
    }
    const deps = Object.entries(manifest.dependencies ?? {}).map(([d, r]) => `${d}@${r}`);
    console.log(
      `@arctalk/${name}@${manifest.version}: ${files.length} files (${deps.join(', ') || 'no dependencies'})`,
    );
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
}
process.exit(failures > 0 ? 1 : 0);
