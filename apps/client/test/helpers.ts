/**
 * End-to-end helpers: the real `arctalk-server` and `arctalk` CLIs as child
 * processes (run from their TypeScript sources with tsx, no build), and TCP
 * proxies that sit between a client and the server to record or alter traffic.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { rmSync, writeFileSync } from 'node:fs';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Screen } from './vt.js';

/** apps/client (cwd for the client CLI: tsx reads tsconfig.json `paths` there). */
export const CLIENT_DIR = fileURLToPath(new URL('..', import.meta.url));
/** apps/server (cwd for the server CLI). */
export const SERVER_DIR = fileURLToPath(new URL('../../server', import.meta.url));
/** The client entry point, run with tsx. */
export const CLIENT_CLI = fileURLToPath(new URL('../src/cli.tsx', import.meta.url));
/** The server entry point, run with tsx. */
export const SERVER_CLI = fileURLToPath(new URL('../../server/src/cli.ts', import.meta.url));

const children = new Set<ChildProcess>();
const closers = new Set<() => void>();

/** Resolves after `ms` milliseconds. */
export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Races `promise` against a timer. */
export function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms waiting for ${what}`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/** Polls `check` until it is true. */
export async function waitUntil(check: () => boolean, timeout: number, what: string): Promise<void> {
  const deadline = Date.now() + timeout;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(20);
  }
}

/** The environment for child processes: ours without any ARCTALK_* or CI settings. */
export function childEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [key, value] of Object.entries(process.env)) {
    if (key.startsWith('ARCTALK_') || key === 'CI' || key === 'CONTINUOUS_INTEGRATION') continue;
    env[key] = value;
  }
  return { ...env, ...extra };
}

/** SHA-256 hex of some bytes. */
export const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');

/** A running arctalk-server. */
export interface ServerHandle {
  readonly child: ChildProcess;
  readonly port: number;
  readonly stderr: string[];
  readonly exited: Promise<number | null>;
  kill(signal?: NodeJS.Signals): void;
}

/**
 * Starts arctalk-server on a free loopback port.
 *
 * @param args - extra flags
 */
export async function startServer(args: string[] = []): Promise<ServerHandle> {
  const child = spawn(
    process.execPath,
    [
      '--conditions=@arctalk/source',
      '--import',
      'tsx',
      SERVER_CLI,
      '--host',
      '127.0.0.1',
      '--port',
      '0',
      '--log-level',
      'warn',
      ...args,
    ],
    { cwd: SERVER_DIR, env: childEnv(), stdio: ['ignore', 'pipe', 'pipe'] },
  );
  children.add(child);
  const stderr: string[] = [];
  child.stderr!.setEncoding('utf8');
  child.stderr!.on('data', (text: string) => stderr.push(text));
  const exited = new Promise<number | null>((resolve) =>
    child.once('exit', (code) => {
      children.delete(child);
      resolve(code);
    }),
  );
  const port = await within(
    new Promise<number>((resolve, reject) => {
      let buffer = '';
      child.stdout!.setEncoding('utf8');
      child.stdout!.on('data', (text: string) => {
        buffer += text;
        const match = /listening on .+:(\d+)\n/.exec(buffer);
        if (match) resolve(Number(match[1]));
      });
      void exited.then((code) => reject(new Error(`server exited (${code}): ${stderr.join('')}`)));
    }),
    30_000,
    'arctalk-server to listen',
  );
  return { child, port, stderr, exited, kill: (signal = 'SIGKILL') => child.kill(signal) };
}

/** A running arctalk client in pipe mode. */
export interface ClientHandle {
  readonly child: ChildProcess;
  /** everything written to stdout so far */
  stdout(): Buffer;
  /** everything written to stderr so far */
  stderr(): string;
  /** exit code (null if killed by a signal) */
  readonly exited: Promise<number | null>;
  /** writes to stdin (more of the conversation) */
  write(bytes: Uint8Array | string): void;
  /** closes stdin (end of input) */
  end(): void;
}

/** Options of {@link startClient}. */
export interface ClientOptions {
  /** bytes for stdin; with `keepOpen` stdin stays open after them */
  input?: Uint8Array | string;
  keepOpen?: boolean;
  env?: Record<string, string>;
}

/**
 * Starts the arctalk CLI in pipe mode (stdin and stdout are pipes).
 *
 * @param args - command-line arguments (address, --room, --name...)
 * @param options - input and environment
 */
export function startClient(args: string[], options: ClientOptions = {}): ClientHandle {
  const child = spawn(
    process.execPath,
    ['--conditions=@arctalk/source', '--import', 'tsx', CLIENT_CLI, ...args],
    {
      cwd: CLIENT_DIR,
      env: childEnv(options.env),
      stdio: ['pipe', 'pipe', 'pipe'],
      // Its own session (setsid): no controlling terminal, as under cron or CI, so
      // pipe mode never asks the developer's terminal to confirm a SAS.
      detached: true,
    },
  );
  children.add(child);
  const out: Buffer[] = [];
  let err = '';
  child.stdout!.on('data', (chunk: Buffer) => out.push(chunk));
  child.stderr!.setEncoding('utf8');
  child.stderr!.on('data', (text: string) => {
    err += text;
  });
  child.stdin!.on('error', () => {});
  const exited = new Promise<number | null>((resolve) =>
    child.once('close', (code) => {
      children.delete(child);
      resolve(code);
    }),
  );
  if (options.input !== undefined) child.stdin!.write(options.input);
  if (!options.keepOpen) child.stdin!.end();
  return {
    child,
    stdout: () => Buffer.concat(out),
    stderr: () => err,
    exited,
    write: (bytes) => child.stdin!.write(bytes),
    end: () => child.stdin!.end(),
  };
}

/** Runs the client to completion. */
export async function runClient(args: string[], options: ClientOptions = {}, timeout = 30_000) {
  const client = startClient(args, options);
  const code = await within(client.exited, timeout, `arctalk ${args.join(' ')}`);
  return { code, stdout: client.stdout(), stderr: client.stderr() };
}

/** The SAS a pipe-mode client printed on stderr. */
export function sasOf(stderr: string): string | undefined {
  return /^arctalk: SAS: (.+)$/m.exec(stderr)?.[1];
}

/** Which way a chunk travels through a proxy. */
export type Direction = 'up' | 'down';

/** A TCP proxy in front of the server. */
export interface ProxyHandle {
  readonly port: number;
  /** every byte that passed, per connection and direction, in order */
  readonly captured: { conn: number; direction: Direction; bytes: Buffer }[];
  close(): void;
}

/**
 * Starts a proxy: each connection to it opens one to `targetPort`; `transform`
 * may rewrite (or hold back) each chunk before it is forwarded.
 *
 * @param targetPort - the server's port
 * @param transform - called per chunk; returns what to forward (an empty buffer forwards nothing)
 */
export async function startProxy(
  targetPort: number,
  transform: (
    conn: number,
    direction: Direction,
    bytes: Buffer,
    forward: (bytes: Buffer) => void,
  ) => Buffer = (_c, _d, bytes) => bytes,
): Promise<ProxyHandle> {
  const captured: ProxyHandle['captured'] = [];
  const sockets = new Set<net.Socket>();
  let next = 0;
  const server = net.createServer((client) => {
    const conn = next++;
    const upstream = net.connect({ host: '127.0.0.1', port: targetPort });
    sockets.add(client);
    sockets.add(upstream);
    const pipe = (from: net.Socket, to: net.Socket, direction: Direction) => {
      const forward = (bytes: Buffer) => {
        if (bytes.length > 0 && !to.destroyed) to.write(bytes);
      };
      from.on('data', (chunk: Buffer) => {
        captured.push({ conn, direction, bytes: chunk });
        forward(transform(conn, direction, chunk, forward));
      });
      from.on('end', () => to.end());
      from.on('error', () => to.destroy());
      from.on('close', () => to.destroy());
    };
    pipe(client, upstream, 'up');
    pipe(upstream, client, 'down');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const close = () => {
    for (const socket of sockets) socket.destroy();
    server.close();
  };
  closers.add(close);
  return { port: (server.address() as net.AddressInfo).port, captured, close };
}

/** Reassembles frames (`u32 length | u8 type | body`) from a byte stream, for proxies that act per frame. */
export class FrameSplitter {
  private buffer = Buffer.alloc(0);

  /** Adds bytes; returns the whole frames now available (header included). */
  push(bytes: Buffer): Buffer[] {
    this.buffer = Buffer.concat([this.buffer, bytes]);
    const frames: Buffer[] = [];
    while (this.buffer.length >= 5) {
      const length = this.buffer.readUInt32BE(0);
      if (this.buffer.length < 4 + length) break;
      frames.push(this.buffer.subarray(0, 4 + length));
      this.buffer = this.buffer.subarray(4 + length);
    }
    return frames;
  }
}

/** A free loopback port with nothing listening on it. */
export async function closedPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as net.AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** Kills every child and closes every proxy the helpers started. */
export function cleanup(): void {
  for (const child of children) child.kill('SIGKILL');
  children.clear();
  for (const close of closers) close();
  closers.clear();
}

/** A client running in a pseudo-terminal, its screen modelled by {@link Screen}. */
export interface TtyHandle {
  readonly child: ChildProcess;
  readonly screen: Screen;
  /** the raw bytes the program wrote to the terminal */
  raw(): string;
  /** types into the terminal */
  type(text: string): void;
  /** waits until the screen text matches */
  waitForScreen(pattern: RegExp | string, timeout?: number): Promise<string>;
  /**
   * Resizes the terminal to `resizeTo` (as a window manager would: the kernel sends
   * SIGWINCH); the screen model is resized the way xterm does it.
   */
  resize(): void;
  readonly exited: Promise<number | null>;
}

const shellQuote = (word: string) => `'${word.replaceAll("'", `'\\''`)}'`;
let ttyCounter = 0;

/**
 * Starts the arctalk CLI in a pseudo-terminal, with `script` from util-linux
 * (present on any Linux: no native module, nothing to install). The terminal
 * size is set with stty before the client starts.
 *
 * @param args - client arguments
 * @param options - terminal size and extra environment
 */
export function startTtyClient(
  args: string[],
  options: {
    columns?: number;
    rows?: number;
    env?: Record<string, string>;
    resizeTo?: { columns: number; rows: number };
  } = {},
): TtyHandle {
  const columns = options.columns ?? 80;
  const rows = options.rows ?? 24;
  const trigger = join(tmpdir(), `arctalk-resize-${process.pid}-${ttyCounter++}`);
  const resizeTo = options.resizeTo;
  // A background watcher resizes the pty (stty on /dev/tty) once the trigger file appears.
  const watcher = resizeTo
    ? `(while [ ! -e ${shellQuote(trigger)} ]; do sleep 0.05; done; stty cols ${resizeTo.columns} rows ${resizeTo.rows} < /dev/tty) &`
    : '';
  const command = [
    `stty cols ${columns} rows ${rows};`,
    watcher,
    'exec',
    ...[process.execPath, '--conditions=@arctalk/source', '--import', 'tsx', CLIENT_CLI, ...args].map(
      shellQuote,
    ),
  ].join(' ');
  const child = spawn('script', ['--quiet', '--flush', '--return', '--command', command, '/dev/null'], {
    cwd: CLIENT_DIR,
    env: childEnv({ TERM: 'xterm-256color', ...options.env }),
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  children.add(child);
  const screen = new Screen(columns, rows);
  let raw = '';
  child.stdout!.setEncoding('utf8');
  child.stdout!.on('data', (text: string) => {
    raw += text;
    screen.write(text);
  });
  child.once('close', () => rmSync(trigger, { force: true }));
  child.stderr!.resume();
  child.stdin!.on('error', () => {});
  const exited = new Promise<number | null>((resolve) =>
    child.once('close', (code) => {
      children.delete(child);
      resolve(code);
    }),
  );
  return {
    child,
    screen,
    raw: () => raw,
    resize() {
      if (!resizeTo) throw new Error('startTtyClient: no resizeTo given');
      writeFileSync(trigger, '');
      // The model follows once the program can have seen it; its output after the
      // resize is applied at the new size (SIGWINCH precedes any redraw).
      screen.resize(resizeTo.columns, resizeTo.rows);
    },
    type: (text) => child.stdin!.write(text),
    exited,
    async waitForScreen(pattern, timeout = 20_000) {
      const matches = () =>
        typeof pattern === 'string' ? screen.text().includes(pattern) : pattern.test(screen.text());
      try {
        await waitUntil(matches, timeout, `screen to show ${pattern}`);
      } catch (error) {
        throw new Error(`${(error as Error).message}; screen is:\n${screen.text()}`);
      }
      return screen.text();
    },
  };
}
