/**
 * A real `redis-server` for the cluster tests and bench, with nothing to install by
 * hand (as tests/browser finds its browser):
 *
 * 1. `REDIS_SERVER_PATH`, when set (an error if it names no executable);
 * 2. "system": `redis-server` on PATH, or in /usr/bin, /usr/sbin, /usr/local/bin;
 * 3. "apt": Debian's `redis-server` package, installed with `apt-get` when this
 *    process may (root, apt-get present); `apt-get update` first if the package is
 *    not known yet. One install at a time (a lock directory), for parallel test files.
 *
 * No npm package ships a working redis-server binary for Linux (the ones that exist
 * download and compile Redis's sources at install time), so there is no npm fallback.
 * When nothing works, {@link findRedisServer} throws one {@link RedisNotFoundError}
 * whose message is one line saying what was tried: the tests fail, they never skip.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { accessSync, constants, mkdirSync, rmdirSync } from 'node:fs';
import { connect, createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';

/** No redis-server could be found or installed; the message is one line. */
export class RedisNotFoundError extends Error {
  override readonly name = 'RedisNotFoundError';
}

const DIRS = ['/usr/bin', '/usr/sbin', '/usr/local/bin'];

function isExecutable(path: string): boolean {
  try {
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

function systemRedis(env: NodeJS.ProcessEnv): string | undefined {
  const dirs = [...(env.PATH ?? '').split(delimiter).filter(Boolean), ...DIRS];
  return dirs.map((dir) => join(dir, 'redis-server')).find(isExecutable);
}

/** Runs apt-get, one process at a time on this machine; returns its last stderr line on failure. */
function aptInstall(): string | undefined {
  const lock = join(tmpdir(), 'arctalk-apt-redis.lock');
  const deadline = Date.now() + 300_000;
  for (;;) {
    try {
      mkdirSync(lock);
      break;
    } catch {
      if (Date.now() > deadline) return 'timed out waiting for another apt-get install';
      spawnSync('sleep', ['1']);
      if (systemRedis(process.env)) return undefined; // the other one installed it
    }
  }
  try {
    const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
    const install = () =>
      spawnSync('apt-get', ['install', '-y', '-q', 'redis-server'], {
        env,
        encoding: 'utf8',
        timeout: 300_000,
      });
    let result = install();
    if (result.status !== 0) {
      spawnSync('apt-get', ['update', '-q'], { env, encoding: 'utf8', timeout: 300_000 });
      result = install();
    }
    if (result.status === 0) return undefined;
    const lines = `${result.stderr ?? ''}${result.error?.message ?? ''}`.trim().split('\n');
    return lines[lines.length - 1] || `exit ${result.status}`;
  } finally {
    rmdirSync(lock);
  }
}

/**
 * Finds (or installs) `redis-server`.
 *
 * @param env - the environment (REDIS_SERVER_PATH, PATH)
 * @returns the executable's path
 * @throws RedisNotFoundError (one line) when it cannot be found nor installed
 */
export function findRedisServer(env: NodeJS.ProcessEnv = process.env): string {
  const explicit = env.REDIS_SERVER_PATH;
  if (explicit) {
    if (isExecutable(explicit)) return explicit;
    throw new RedisNotFoundError(`REDIS_SERVER_PATH=${explicit} is not an executable`);
  }
  const found = systemRedis(env);
  if (found) return found;
  const root = process.getuid?.() === 0;
  const apt = spawnSync('apt-get', ['--version'], { encoding: 'utf8' }).status === 0;
  if (!root || !apt) {
    throw new RedisNotFoundError(
      `redis-server not found on PATH and cannot be installed here (${
        apt ? 'not root' : 'no apt-get'
      }): install Redis (Debian: apt-get install redis-server) or set REDIS_SERVER_PATH`,
    );
  }
  const failure = aptInstall();
  const installed = systemRedis(env);
  if (installed) return installed;
  throw new RedisNotFoundError(
    `redis-server not found on PATH, and apt-get install redis-server failed: ${failure ?? 'no redis-server after it'}`,
  );
}

/** A free TCP port on loopback (bound, then released). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen({ host: '127.0.0.1', port: 0 }, () => {
      const address = server.address();
      const port = address && typeof address === 'object' ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

/** A redis-server child process on a loopback port, which can be stopped and restarted there. */
export class RedisProcess {
  readonly port: number;
  readonly #path: string;
  #child: ChildProcess | undefined;

  private constructor(path: string, port: number) {
    this.#path = path;
    this.port = port;
  }

  /** Finds redis-server and starts it on a free loopback port (no persistence). */
  static async start(): Promise<RedisProcess> {
    const redis = new RedisProcess(findRedisServer(), await freePort());
    await redis.restart();
    return redis;
  }

  /** `redis://127.0.0.1:PORT` */
  get url(): string {
    return `redis://127.0.0.1:${this.port}`;
  }

  get running(): boolean {
    return this.#child !== undefined && this.#child.exitCode === null && this.#child.signalCode === null;
  }

  /** Starts it again on the same port (empty: nothing is saved); resolves once it accepts connections. */
  async restart(): Promise<void> {
    const child = spawn(
      this.#path,
      [
        '--port',
        String(this.port),
        '--bind',
        '127.0.0.1',
        '--save',
        '',
        '--appendonly',
        'no',
        '--loglevel',
        'warning',
      ],
      { stdio: ['ignore', 'pipe', 'pipe'] },
    );
    this.#child = child;
    let output = '';
    child.stdout?.on('data', (chunk: Buffer) => {
      output += chunk.toString();
    });
    child.stderr?.on('data', (chunk: Buffer) => {
      output += chunk.toString();
    });
    const deadline = Date.now() + 10_000;
    for (;;) {
      if (!this.running) throw new Error(`redis-server exited at start: ${output.trim().split('\n').pop()}`);
      if (await canConnect(this.port)) return;
      if (Date.now() > deadline) throw new Error('redis-server did not accept connections within 10 s');
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  }

  /** Stops it (SIGKILL by default: as if its machine went away); resolves once it has exited. */
  async stop(signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
    const child = this.#child;
    if (!child || !this.running) return;
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    child.kill(signal);
    await exited;
  }
}

function canConnect(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port });
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}
