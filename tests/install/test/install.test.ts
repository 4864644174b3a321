/**
 * The apps as a user installs them: each app is built and packed (`pnpm pack`, as
 * publishing would), the two tarballs are installed with `npm install -g --prefix`
 * into an empty temporary prefix — no workspace, no unpublished package, only the
 * npm registry — and the installed `arctalk` and `arctalk-server` then run: their
 * versions, their man pages, and a whole pipe-mode conversation on loopback.
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../../../', import.meta.url));
const scratch = mkdtempSync(join(tmpdir(), 'arctalk-install-'));
const prefix = join(scratch, 'prefix');
const bin = (name: string) => join(prefix, 'bin', name);
const children = new Set<ChildProcess>();

// The pnpm running the tests (npx pnpm@… puts none on PATH), else pnpm from PATH.
const execpath = process.env.npm_execpath ?? '';
const pnpm = /pnpm\.c?js$/.test(execpath) ? [process.execPath, execpath] : ['pnpm'];

/** The environment without pnpm's npm_* settings and the ARCTALK_* variables. */
const cleanEnv = Object.fromEntries(
  Object.entries(process.env).filter(([key]) => !/^(npm_|pnpm_|ARCTALK_)/i.test(key)),
);

const version = (app: string) =>
  (JSON.parse(readFileSync(join(root, 'apps', app, 'package.json'), 'utf8')) as { version: string }).version;

const tarballs: Record<string, string> = {};

/**
 * Builds, packs and installs once, on first use: a failure fails every test that needs
 * it (with npm's message), where a failing beforeAll would only mark them skipped.
 */
let installation: Error | true | undefined;
function ensureInstalled(): void {
  if (installation === undefined) {
    try {
      install();
      installation = true;
    } catch (error) {
      installation = error as Error;
    }
  }
  if (installation !== true) throw installation;
}

function install(): void {
  const packs = join(scratch, 'packs');
  mkdirSync(packs);
  for (const app of ['server', 'client']) {
    const dir = join(root, 'apps', app);
    execFileSync(process.execPath, [join(root, 'node_modules/tsup/dist/cli-default.js'), '--silent'], {
      cwd: dir,
      stdio: 'pipe',
    });
    const out = join(packs, app);
    mkdirSync(out);
    execFileSync(pnpm[0]!, [...pnpm.slice(1), 'pack', '--pack-destination', out], {
      cwd: dir,
      stdio: 'pipe',
    });
    tarballs[app] = join(out, readdirSync(out)[0]!);
  }
  // `--prefix` also moves npm's global config ({prefix}/etc/npmrc): keep the machine's
  // (a registry, a CA file) as a user's own `npm install -g` would read it.
  const globalconfig = execFileSync('npm', ['config', 'get', 'globalconfig'], {
    env: cleanEnv,
    encoding: 'utf8',
  }).trim();
  execFileSync(
    'npm',
    [
      '--globalconfig',
      globalconfig,
      'install',
      '--global',
      '--prefix',
      prefix,
      '--no-audit',
      '--no-fund',
      '--loglevel=error',
      ...Object.values(tarballs),
    ],
    { cwd: scratch, env: cleanEnv, stdio: 'pipe' },
  );
}

afterAll(() => {
  for (const child of children) child.kill('SIGKILL');
  rmSync(scratch, { recursive: true, force: true });
});

describe('the packed apps', () => {
  it.each(['client', 'server'])('%s: its tarball depends only on registry packages', (app) => {
    ensureInstalled();
    const manifest = JSON.parse(
      execFileSync('tar', ['-xzOf', tarballs[app]!, 'package/package.json'], { encoding: 'utf8' }),
    ) as { dependencies?: Record<string, string> };
    const deps = Object.entries(manifest.dependencies ?? {});
    expect(deps.length).toBeGreaterThan(0);
    for (const [name, range] of deps) {
      expect(name, 'no workspace library: they are bundled into dist').not.toMatch(/^@arctalk\//);
      expect(range).not.toMatch(/^(workspace|file|link):/);
    }
    const installed = join(prefix, 'lib/node_modules/@arctalk', app);
    expect(existsSync(join(installed, 'dist/cli.js'))).toBe(true);
    expect(existsSync(join(installed, 'node_modules/@arctalk'))).toBe(false);
  });
});

describe('the client bundle', () => {
  /** The modules `file` imports statically (not through `import()`), recursively: bare names. */
  function staticImports(file: string, seen = new Set<string>()): Set<string> {
    const text = readFileSync(file, 'utf8');
    for (const match of text.matchAll(/^(?:import|export)\s[^;]*?from\s*"([^"]+)"|^import\s*"([^"]+)"/gm)) {
      const spec = (match[1] ?? match[2])!;
      if (spec.startsWith('./')) {
        const path = join(file, '..', spec);
        if (!seen.has(path)) {
          seen.add(path);
          staticImports(path, seen);
        }
      } else {
        seen.add(spec);
      }
    }
    return seen;
  }

  it('loads no terminal UI (Ink, React) on its start-up path: only a dynamic import reaches it', () => {
    ensureInstalled();
    const dist = join(root, 'apps/client/dist');
    const entry = staticImports(join(dist, 'cli.js'));
    const main = readdirSync(dist).find((file) => /^main-.*\.js$/.test(file))!;
    const pipeMode = staticImports(join(dist, main));
    for (const graph of [entry, pipeMode]) {
      expect([...graph].filter((spec) => /^(ink|react)(\/|$)/.test(spec))).toEqual([]);
    }
    expect(pipeMode).toContain('commander');
    const ui = readdirSync(dist).find((file) => /^tty-mode-.*\.js$/.test(file))!;
    expect(staticImports(join(dist, ui))).toContain('ink');
    expect(readFileSync(join(dist, main), 'utf8')).toMatch(/import\("\.\/tty-mode-[\w-]+\.js"\)/);
  });
});

describe('the installed commands', () => {
  it('arctalk --version and arctalk-server --version print the package versions', () => {
    ensureInstalled();
    expect(execFileSync(bin('arctalk'), ['--version'], { encoding: 'utf8', env: cleanEnv }).trim()).toBe(
      version('client'),
    );
    expect(
      execFileSync(bin('arctalk-server'), ['--version'], { encoding: 'utf8', env: cleanEnv }).trim(),
    ).toBe(version('server'));
  });

  it('arctalk --help runs through the installed commander', () => {
    ensureInstalled();
    const help = execFileSync(bin('arctalk'), ['--help'], { encoding: 'utf8', env: cleanEnv });
    expect(help).toContain('Usage: arctalk [options] [HOST:PORT]');
  });

  it('installs the man pages', () => {
    ensureInstalled();
    for (const page of ['arctalk.1', 'arctalk-server.1']) {
      const path = join(prefix, 'share/man/man1', page);
      expect(existsSync(path), path).toBe(true);
      expect(readFileSync(path, 'utf8')).toMatch(/^\.TH "ARCTALK/);
    }
  });

  it('the installed arctalk-server --web serves the web page it carries', async () => {
    ensureInstalled();
    const server = spawn(
      bin('arctalk-server'),
      ['--host', '127.0.0.1', '--port', '0', '--ws-port', '0', '--web', '--log-level', 'warn'],
      { env: cleanEnv, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    children.add(server);
    const url = await new Promise<string>((resolve, reject) => {
      let out = '';
      server.stdout!.setEncoding('utf8');
      server.stdout!.on('data', (text: string) => {
        out += text;
        const match = /^listening on ws:\/\/(127\.0\.0\.1:\d+)\/$/m.exec(out);
        if (match) resolve(`http://${match[1]}/`);
      });
      server.once('exit', (code) => reject(new Error(`arctalk-server exited ${code}: ${out}`)));
    });
    const response = await fetch(url);
    const html = await response.text();
    server.kill('SIGTERM');
    expect(response.status).toBe(200);
    expect(response.headers.get('content-security-policy')).toMatch(
      /^default-src 'none'; script-src 'sha256-/,
    );
    expect(html).toMatch(/<title>arctalk<\/title>/);
    expect(html).toContain('arctalk/2'); // the protocol is bundled in
  });

  it('carry a whole pipe-mode conversation through the installed server', async () => {
    ensureInstalled();
    const server = spawn(
      bin('arctalk-server'),
      ['--host', '127.0.0.1', '--port', '0', '--log-level', 'warn'],
      {
        env: cleanEnv,
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    );
    children.add(server);
    const port = await new Promise<number>((resolve, reject) => {
      server.stdout!.setEncoding('utf8');
      server.stdout!.once('data', (line: string) => {
        const match = /^listening on 127\.0\.0\.1:(\d+)$/.exec(line.trim());
        if (match) resolve(Number(match[1]));
        else reject(new Error(`arctalk-server said ${line}`));
      });
      server.once('exit', (code) => reject(new Error(`arctalk-server exited ${code}`)));
    });

    const client = (name: string, text: string) =>
      new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
        const child = spawn(
          bin('arctalk'),
          [String(port), '--room', 'install', '--name', name, '--unverified'],
          {
            env: cleanEnv,
            stdio: ['pipe', 'pipe', 'pipe'],
          },
        );
        children.add(child);
        let stdout = '';
        let stderr = '';
        child.stdout!.on('data', (chunk: Buffer) => {
          stdout += chunk.toString('utf8');
        });
        child.stderr!.on('data', (chunk: Buffer) => {
          stderr += chunk.toString('utf8');
        });
        child.stdin!.end(text);
        child.once('close', (code) => resolve({ code, stdout, stderr }));
      });
    const [alice, bob] = await Promise.all([
      client('alice', 'hello from the installed alice ☕\n'),
      client('bob', 'and hello from bob\n'),
    ]);
    server.kill('SIGTERM');

    expect(alice.code, alice.stderr).toBe(0);
    expect(bob.code, bob.stderr).toBe(0);
    expect(bob.stdout).toBe('hello from the installed alice ☕\n');
    expect(alice.stdout).toBe('and hello from bob\n');
    const sas = (stderr: string) => /^arctalk: SAS: (.+)$/m.exec(stderr)?.[1];
    expect(sas(alice.stderr)).toBeTruthy();
    expect(sas(alice.stderr)).toBe(sas(bob.stderr));
  });
});
