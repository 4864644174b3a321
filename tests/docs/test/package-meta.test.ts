/**
 * What a tarball carries: every relative link in a package's README resolves to a
 * file inside that package's tarball (links elsewhere in the repository are absolute
 * URLs); every package.json names the repository, homepage and bug tracker, all the
 * one address SECURITY.md gives.
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join, normalize } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../../../', import.meta.url));
const packages = ['packages/rc4', 'packages/dh', 'packages/protocol', 'apps/client', 'apps/server'];
const REPOSITORY = 'https://github.com/arctalk/arctalk';
const cleanEnv = Object.fromEntries(
  Object.entries(process.env).filter(([key]) => !/^(npm_|pnpm_)/i.test(key)),
);

/** The files `npm pack` would put in the tarball (paths inside the package). */
function packedFiles(dir: string): string[] {
  const out = execFileSync('npm', ['pack', '--dry-run', '--json', '--ignore-scripts'], {
    cwd: join(root, dir),
    env: cleanEnv,
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  return (JSON.parse(out) as { files: { path: string }[] }[])[0]!.files.map((file) => file.path);
}

describe.each(packages)('%s', (dir) => {
  it('README: every relative link is to a file in the tarball', () => {
    const files = packedFiles(dir);
    expect(files).toContain('README.md');
    const readme = readFileSync(join(root, dir, 'README.md'), 'utf8');
    const links = [...readme.matchAll(/\]\(([^)\s]+)\)|^\[[^\]]+\]:\s*(\S+)/gm)].map((m) => (m[1] ?? m[2])!);
    const missing = links
      .filter((link) => !/^[a-z][a-z+.-]*:/i.test(link) && !link.startsWith('#'))
      .map((link) => normalize(link.split('#')[0]!))
      .filter(
        (path) => !files.some((file) => file === path || file.startsWith(`${path.replace(/\/$/, '')}/`)),
      );
    expect(
      missing,
      `links to files not in the ${dir} tarball (make them absolute: ${REPOSITORY}/blob/main/…)`,
    ).toEqual([]);
  }, 60_000);

  it('package.json names the repository, homepage and bug tracker', () => {
    const pkg = JSON.parse(readFileSync(join(root, dir, 'package.json'), 'utf8'));
    expect(pkg.repository).toEqual({ type: 'git', url: `git+${REPOSITORY}.git`, directory: dir });
    expect(pkg.homepage).toBe(`${REPOSITORY}/tree/main/${dir}#readme`);
    expect(pkg.bugs).toEqual({ url: `${REPOSITORY}/issues` });
  });
});

it('the root package.json and SECURITY.md name the same repository', () => {
  const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'));
  expect(pkg.repository.url).toBe(`git+${REPOSITORY}.git`);
  expect(pkg.bugs).toEqual({ url: `${REPOSITORY}/issues` });
  expect(readFileSync(join(root, 'SECURITY.md'), 'utf8')).toContain(REPOSITORY);
});
