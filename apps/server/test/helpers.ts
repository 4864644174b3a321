/**
 * Test helpers: the real CLI as a child process (through tsx, no build needed), an
 * in-process server, raw framed sockets (the protocol's encodeFrame / FrameDecoder),
 * and `ClientSession`s wired to real TCP sockets.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { connect, type Socket } from 'node:net';
import { fileURLToPath } from 'node:url';
import {
  ClientSession,
  decodeError,
  encodeFrame,
  encodeHello,
  errorCodeName,
  type Frame,
  FrameDecoder,
  FrameType,
  frameTypeName,
  type SessionEvent,
  type SessionOptions,
} from '@arctalk/protocol';
import pino from 'pino';
import { expect } from 'vitest';
import { type ArctalkServer, type StartServerOptions, startServer } from '../src/server.js';

/** apps/server, the cwd for the CLI (tsx finds tsconfig.json and its `paths` there). */
export const SERVER_DIR = fileURLToPath(new URL('..', import.meta.url));

/** Resolves after `ms` milliseconds. */
export const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** Polls `check` every 10 ms until it returns true, or throws after `timeout` ms. */
export async function waitUntil(check: () => boolean, timeout = 5_000, what = 'condition'): Promise<void> {
  const deadline = Date.now() + timeout;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(10);
  }
}

/** Races `promise` against a timer. */
export function within<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms waiting for ${what}`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/** An async queue: `push` from callbacks, `next` from tests. */
export class Queue<T> {
  readonly #items: T[] = [];
  readonly #waiters: ((item: T) => void)[] = [];
  readonly all: T[] = [];

  push(item: T): void {
    this.all.push(item);
    const waiter = this.#waiters.shift();
    if (waiter) waiter(item);
    else this.#items.push(item);
  }

  next(timeout = 5_000, what = 'item'): Promise<T> {
    const item = this.#items.shift();
    if (item !== undefined) return Promise.resolve(item);
    return within(new Promise<T>((resolve) => this.#waiters.push(resolve)), timeout, what);
  }

  get pending(): number {
    return this.#items.length;
  }
}

// ---------------------------------------------------------------------------
// Logs

/** A pino logger whose lines are parsed into `lines` (in-process servers). */
export function memoryLogger(level: pino.Level = 'debug') {
  const lines: Record<string, unknown>[] = [];
  const raw: string[] = [];
  const logger = pino(
    { level },
    {
      write(line: string) {
        raw.push(line);
        lines.push(JSON.parse(line) as Record<string, unknown>);
      },
    },
  );
  return { logger, lines, raw };
}

// ---------------------------------------------------------------------------
// Servers

const servers = new Set<ArctalkServer>();
const sockets = new Set<Socket>();
const children = new Set<ChildProcess>();

/** Starts an in-process server on a free loopback port; `cleanup()` shuts it down. */
export async function startTestServer(options: StartServerOptions = {}): Promise<ArctalkServer> {
  const server = await startServer({ host: '127.0.0.1', port: 0, closeTimeout: 500, ...options });
  servers.add(server);
  return server;
}

/** The real CLI as a child process, with its stdout/stderr collected. */
export interface ServerProcess {
  readonly child: ChildProcess;
  readonly stdout: string[];
  readonly stderr: string[];
  /** Resolves with the exit code (or the signal) when the process ends. */
  readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** Resolves with the port from `listening on HOST:PORT`, rejects if it exits first. */
  readonly listening: Promise<{ host: string; port: number }>;
}

/**
 * Spawns `arctalk-server` from its TypeScript source with tsx.
 *
 * @param args - command-line flags
 * @param env - extra environment variables
 * @param launch - `nodeArgs` for node itself (e.g. `--max-old-space-size=128`); a
 *   `wrapper` command put in front (e.g. `['prlimit', '--nofile=64', '--']`)
 */
export function spawnServer(
  args: string[],
  env: Record<string, string> = {},
  launch: { nodeArgs?: string[]; wrapper?: string[] } = {},
): ServerProcess {
  const node = [
    process.execPath,
    ...(launch.nodeArgs ?? []),
    '--conditions=@arctalk/source',
    '--import',
    'tsx',
    'src/cli.ts',
    ...args,
  ];
  const [command, ...rest] = [...(launch.wrapper ?? []), ...node];
  const child = spawn(command!, rest, {
    cwd: SERVER_DIR,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.add(child);
  const stdout: string[] = [];
  const stderr: string[] = [];
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.once('exit', (code, signal) => {
      children.delete(child);
      resolve({ code, signal });
    }),
  );
  const listening = new Promise<{ host: string; port: number }>((resolve, reject) => {
    let buffer = '';
    child.stdout?.setEncoding('utf8');
    child.stdout?.on('data', (text: string) => {
      buffer += text;
      let newline = buffer.indexOf('\n');
      while (newline >= 0) {
        const line = buffer.slice(0, newline);
        buffer = buffer.slice(newline + 1);
        stdout.push(line);
        const match = /^listening on (.+):(\d+)$/.exec(line);
        if (match) resolve({ host: match[1]!, port: Number(match[2]) });
        newline = buffer.indexOf('\n');
      }
    });
    void exited.then(({ code }) =>
      reject(new Error(`server exited (${code}) before listening: ${stderr.join('')}`)),
    );
  });
  listening.catch(() => {});
  child.stderr?.setEncoding('utf8');
  child.stderr?.on('data', (text: string) => stderr.push(text));
  return { child, stdout, stderr, exited, listening };
}

/** Runs the CLI to completion (for --help, --version, bad flags). */
export async function runCli(args: string[], env: Record<string, string> = {}, timeout = 20_000) {
  const server = spawnServer(args, env);
  const { code } = await within(server.exited, timeout, `arctalk-server ${args.join(' ')}`);
  return { code, stdout: server.stdout.join('\n'), stderr: server.stderr.join('') };
}

/** Parses the JSON log lines a child wrote on stderr. */
export function logLines(stderr: string[]): Record<string, unknown>[] {
  return stderr
    .join('')
    .split('\n')
    .filter((line) => line.startsWith('{'))
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}

// ---------------------------------------------------------------------------
// Clients

/** Opens a TCP connection to the server on loopback. */
export function connectTo(port: number): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const socket = connect({ host: '127.0.0.1', port, noDelay: true });
    sockets.add(socket);
    socket.once('connect', () => {
      socket.off('error', reject);
      resolve(socket);
    });
    socket.once('error', reject);
    socket.once('close', () => sockets.delete(socket));
  });
}

/** A raw client: writes any bytes, reads frames with the protocol's FrameDecoder. */
export interface RawClient {
  readonly socket: Socket;
  readonly frames: Queue<Frame>;
  /** Resolves when the server closes the connection (FIN or reset). */
  readonly closed: Promise<void>;
  write(bytes: Uint8Array): void;
}

/** Connects a raw client (frames up to 16 MiB are decoded, so big test frames pass). */
export async function rawClient(port: number): Promise<RawClient> {
  const socket = await connectTo(port);
  const frames = new Queue<Frame>();
  const decoder = new FrameDecoder({ maxFrameLength: 16 * 1024 * 1024 });
  socket.on('data', (chunk: Buffer) => {
    for (const frame of decoder.push(chunk)) frames.push(frame);
  });
  socket.on('error', () => {});
  const closed = new Promise<void>((resolve) => {
    socket.once('end', () => resolve());
    socket.once('close', () => resolve());
  });
  return {
    socket,
    frames,
    closed,
    write: (bytes) => {
      socket.write(bytes);
    },
  };
}

/** A ClientSession on a real socket, its events queued. */
export interface SessionClient {
  readonly session: ClientSession;
  readonly socket: Socket;
  readonly events: Queue<SessionEvent>;
  /** Waits for the next event of `type`, skipping others (but failing on an error event). */
  waitFor<K extends SessionEvent['type']>(
    type: K,
    timeout?: number,
  ): Promise<Extract<SessionEvent, { type: K }>>;
  /** Flushes the session's pending output to the socket. */
  flush(): void;
  sendText(text: string): void;
  /**
   * The next `length` bytes of the peer's text, as UTF-8. Text is a byte stream: the
   * DATA frames of one socket read arrive as one text event, so texts sent one by one
   * may arrive joined; bytes past `length` are kept for the next call.
   */
  readText(length: number, timeout?: number): Promise<string>;
}

/** The transport-independent half of a session client: events, text in and out. */
export interface SessionDriver {
  readonly events: Queue<SessionEvent>;
  /** Feeds bytes from the transport to the session, queues its events, flushes. */
  onBytes(bytes: Uint8Array): void;
  flush(): void;
  sendText(text: string): void;
  readText(length: number, timeout?: number): Promise<string>;
  waitFor<K extends SessionEvent['type']>(
    type: K,
    timeout?: number,
  ): Promise<Extract<SessionEvent, { type: K }>>;
}

/**
 * Drives `session` over any transport: `write` gets its output (after start() and
 * after every input). Shared by the TCP and the WebSocket session clients.
 */
export function sessionDriver(session: ClientSession, write: (bytes: Uint8Array) => void): SessionDriver {
  const events = new Queue<SessionEvent>();
  const flush = () => {
    const output = session.takeOutput();
    if (output.length > 0) write(output);
  };
  let pending = new Uint8Array(0);
  const driver: SessionDriver = {
    events,
    onBytes(bytes) {
      if (session.state === 'failed') return; // a dead session throws on every call
      for (const event of session.receive(bytes)) events.push(event);
      flush();
    },
    flush,
    sendText(text) {
      session.send(new TextEncoder().encode(text));
      flush();
    },
    async readText(length, timeout = 10_000) {
      while (pending.length < length) {
        const { data } = await driver.waitFor('text', timeout);
        const joined = new Uint8Array(pending.length + data.length);
        joined.set(pending);
        joined.set(data, pending.length);
        pending = joined;
      }
      const text = new TextDecoder().decode(pending.subarray(0, length));
      pending = pending.slice(length);
      return text;
    },
    async waitFor(type, timeout = 10_000) {
      for (;;) {
        const event = await within(events.next(timeout, `session event ${type}`), timeout + 1_000, type);
        if (event.type === type) return event as never;
        if (event.type === 'error') throw event.error;
      }
    },
  };
  return driver;
}

/** Connects a ClientSession to the server and sends its HELLO. */
export async function sessionClient(port: number, options: SessionOptions): Promise<SessionClient> {
  const socket = await connectTo(port);
  const session = new ClientSession(options);
  const driver = sessionDriver(session, (bytes) => {
    if (!socket.destroyed) socket.write(bytes);
  });
  socket.on('data', (chunk: Buffer) => driver.onBytes(chunk));
  socket.on('error', () => {});
  session.start();
  driver.flush();
  return {
    session,
    socket,
    events: driver.events,
    flush: driver.flush,
    sendText: driver.sendText,
    readText: driver.readText,
    waitFor: driver.waitFor,
  };
}

/** Connects two sessions in `room` and waits until both are secured. */
export async function securedPair(port: number, room: string, extra: Partial<SessionOptions> = {}) {
  const alice = await sessionClient(port, { room, name: 'alice', ...extra });
  await alice.waitFor('waiting');
  const bob = await sessionClient(port, { room, name: 'bob', ...extra });
  const [aliceSecured, bobSecured] = await Promise.all([alice.waitFor('secured'), bob.waitFor('secured')]);
  return { alice, bob, sas: [aliceSecured.sas, bobSecured.sas] as const };
}

/** Shuts down every server, socket and child process the helpers created. */
export async function cleanup(): Promise<void> {
  for (const socket of sockets) socket.destroy();
  sockets.clear();
  for (const child of children) child.kill('SIGKILL');
  children.clear();
  await Promise.all([...servers].map((server) => server.shutdown()));
  servers.clear();
}

// ---------------------------------------------------------------------------
// Frames (built with the protocol's own encoders)

/** A HELLO frame. */
export function helloFrame(room: string, name = 'raw'): Uint8Array {
  return encodeFrame({ type: FrameType.HELLO, body: encodeHello({ room, name }) });
}

/** A client-to-client DATA-typed frame with an arbitrary body (the relay never looks inside). */
export function dataFrame(body: Uint8Array): Uint8Array {
  return encodeFrame({ type: FrameType.DATA, body }, 16 * 1024 * 1024);
}

/** Reads the next frame, checks it is an ERROR with `code`, and waits for the server to close. */
export async function expectError(client: RawClient, code: number, timeout = 5_000): Promise<string> {
  const frame = await client.frames.next(timeout, `ERROR ${errorCodeName(code)}`);
  expect(frameTypeName(frame.type)).toBe('ERROR');
  const error = decodeError(frame.body);
  expect(errorCodeName(error.code)).toBe(errorCodeName(code));
  await within(client.closed, timeout, 'the server to close the connection');
  return error.message;
}
