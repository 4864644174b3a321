/**
 * Finds a Chromium for the browser proof, with nothing to install by hand:
 *
 * 1. `CHROMIUM_PATH`, when set (an error if it names no executable);
 * 2. "system": a Chromium or Chrome on `PATH` (chromium, chromium-browser,
 *    google-chrome-stable, google-chrome, chrome) or in macOS's /Applications;
 * 3. "npm": the headless Chromium for Linux x64/arm64 shipped inside the npm package
 *    @sparticuz/chromium (a devDependency, so `pnpm install` fetched it from the
 *    registry), unpacked once into node_modules/.cache by its own `executablePath()`.
 *
 * `ARCTALK_BROWSER_SOURCES` (default `system,npm`) sets which of 2 and 3 are tried,
 * in that order: `ARCTALK_BROWSER_SOURCES=npm` proves the npm path on a machine
 * that has a system Chromium. When nothing is found, {@link findBrowser} throws one
 * {@link BrowserNotFoundError} whose message is one line saying what was tried.
 */
import { spawnSync } from 'node:child_process';
import { accessSync, constants, mkdirSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { delimiter, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Where a browser came from. */
export type BrowserSource = 'env' | 'system' | 'npm';

/** A browser to launch. */
export interface FoundBrowser {
  /** absolute path of the executable */
  executablePath: string;
  source: BrowserSource;
  /** extra environment for the browser process (the npm Chromium's fallback libraries) */
  env: Record<string, string>;
}

/** No browser could be found or unpacked; the message is one line. */
export class BrowserNotFoundError extends Error {
  override readonly name = 'BrowserNotFoundError';
}

/** Executable names looked up on PATH, in order. */
export const SYSTEM_NAMES = [
  'chromium',
  'chromium-browser',
  'google-chrome-stable',
  'google-chrome',
  'chrome',
];
const MAC_PATHS = [
  '/Applications/Chromium.app/Contents/MacOS/Chromium',
  '/Applications/Google Chrome.app/Contents/MacOS/Google Chrome',
];

const here = dirname(fileURLToPath(import.meta.url));

function isExecutable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

/**
 * A Chromium or Chrome installed on the system.
 *
 * @param env - the environment (its PATH is searched)
 * @returns the executable's path, or undefined
 */
export function findSystemBrowser(env: NodeJS.ProcessEnv = process.env): string | undefined {
  const dirs = (env.PATH ?? '').split(delimiter).filter(Boolean);
  for (const name of SYSTEM_NAMES) {
    for (const dir of dirs) {
      const path = join(dir, name);
      if (isExecutable(path)) return path;
    }
  }
  return MAC_PATHS.find(isExecutable);
}

/** The version of an installed package (whose exports may hide its package.json). */
function packageVersion(name: string): string | undefined {
  let dir: string;
  try {
    dir = dirname(createRequire(join(here, 'package.json')).resolve(name));
  } catch {
    return undefined;
  }
  for (; dir !== dirname(dir); dir = dirname(dir)) {
    try {
      const json = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as {
        name?: string;
        version?: string;
      };
      if (json.name === name) return json.version;
    } catch {
      // no package.json here: go up
    }
  }
  return undefined;
}

/**
 * The Chromium of the @sparticuz/chromium package (Linux x64/arm64), unpacked into
 * `cacheRoot` on first use. The package's own `executablePath()` unpacks it, in a
 * child process whose TMPDIR is a private directory (it unpacks into the temporary
 * directory); `AWS_EXECUTION_ENV` makes it unpack its bundled libraries too (libexpat,
 * libnss3…), used only when the system lacks them. A finished unpack is renamed into
 * place, so concurrent runs never see half a browser.
 *
 * @param cacheRoot - directory for the unpacked browser
 * @returns the browser
 * @throws BrowserNotFoundError when the package is missing or cannot unpack here
 */
export function npmBrowser(cacheRoot: string = join(here, 'node_modules/.cache')): FoundBrowser {
  if (process.platform !== 'linux' || !['x64', 'arm64'].includes(process.arch)) {
    throw new BrowserNotFoundError(
      `@sparticuz/chromium has no build for ${process.platform}-${process.arch}`,
    );
  }
  const version = packageVersion('@sparticuz/chromium');
  if (version === undefined) {
    throw new BrowserNotFoundError('@sparticuz/chromium is not installed (run pnpm install)');
  }
  const dir = join(cacheRoot, `sparticuz-chromium-${version}-${process.arch}`);
  const result = (root: string): FoundBrowser => ({
    executablePath: join(root, 'chromium'),
    source: 'npm',
    env: {
      // Appended: the system's libraries win; the package's fill what is missing.
      LD_LIBRARY_PATH: [process.env.LD_LIBRARY_PATH, join(root, 'al2023', 'lib')].filter(Boolean).join(':'),
      FONTCONFIG_PATH: join(root, 'fonts'),
    },
  });
  if (isExecutable(join(dir, 'chromium'))) return result(dir);

  const staging = `${dir}.tmp-${process.pid}`;
  rmSync(staging, { recursive: true, force: true });
  mkdirSync(staging, { recursive: true });
  const script =
    "const { default: Chromium } = await import('@sparticuz/chromium');" +
    'process.stdout.write(await Chromium.executablePath());';
  const child = spawnSync(process.execPath, ['--input-type=module', '-e', script], {
    cwd: here,
    env: { ...process.env, TMPDIR: staging, AWS_EXECUTION_ENV: 'AWS_Lambda_nodejs20.x' },
    encoding: 'utf8',
    timeout: 120_000,
  });
  if (child.status !== 0 || child.stdout !== join(staging, 'chromium')) {
    rmSync(staging, { recursive: true, force: true });
    const reason = (child.error?.message ?? child.stderr ?? '').trim().split('\n').pop() || 'no output';
    throw new BrowserNotFoundError(`@sparticuz/chromium ${version} could not unpack: ${reason}`);
  }
  try {
    renameSync(staging, dir);
  } catch {
    // Another run finished first: use its copy.
    rmSync(staging, { recursive: true, force: true });
  }
  if (!isExecutable(join(dir, 'chromium'))) {
    throw new BrowserNotFoundError(
      `@sparticuz/chromium ${version}: no executable at ${join(dir, 'chromium')}`,
    );
  }
  return result(dir);
}

/**
 * Finds a browser (see the module comment for the order).
 *
 * @param env - the environment: CHROMIUM_PATH, ARCTALK_BROWSER_SOURCES, PATH
 * @param cacheRoot - where the npm Chromium is unpacked
 * @returns the browser to launch
 * @throws BrowserNotFoundError, one line naming what was tried
 */
export function findBrowser(env: NodeJS.ProcessEnv = process.env, cacheRoot?: string): FoundBrowser {
  const explicit = env.CHROMIUM_PATH;
  if (explicit) {
    if (!isExecutable(explicit)) {
      throw new BrowserNotFoundError(`CHROMIUM_PATH=${explicit} is not an executable file`);
    }
    return { executablePath: explicit, source: 'env', env: {} };
  }
  const sources = (env.ARCTALK_BROWSER_SOURCES ?? 'system,npm').split(',').map((s) => s.trim());
  const unknown = sources.filter((s) => s !== 'system' && s !== 'npm');
  if (unknown.length > 0 || sources.length === 0) {
    throw new BrowserNotFoundError(
      `ARCTALK_BROWSER_SOURCES must list "system" and/or "npm", got "${env.ARCTALK_BROWSER_SOURCES}"`,
    );
  }
  const tried: string[] = [];
  for (const source of sources) {
    if (source === 'system') {
      const path = findSystemBrowser(env);
      if (path) return { executablePath: path, source: 'system', env: {} };
      tried.push(`no ${SYSTEM_NAMES.join('/')} on PATH`);
    } else {
      try {
        return npmBrowser(cacheRoot);
      } catch (error) {
        if (!(error instanceof BrowserNotFoundError)) throw error;
        tried.push(error.message);
      }
    }
  }
  throw new BrowserNotFoundError(
    `no Chromium for the browser tests: ${tried.join('; ')}; install chromium or set CHROMIUM_PATH`,
  );
}
