/**
 * Runs the README's usage examples as written: two copies of the client example
 * and the relay example, over in-memory sockets with the slice of net.Socket's API
 * they use. If the README drifts from the API, this fails.
 */
import { readFileSync } from 'node:fs';
import { transformSync } from 'esbuild';
import { expect, it } from 'vitest';
import * as api from '../src/index';
import { ClientSession, Relay } from '../src/index';
import { text } from './helpers';

const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');
const usage = readme.slice(readme.indexOf('## Usage'), readme.indexOf('## API'));
// Imports dropped (the names are passed in), type annotations stripped by esbuild.
const blocks = [...usage.matchAll(/```ts\n([\s\S]*?)```/g)].map(
  (m) => transformSync(m[1]!.replace(/^import .*$/gm, ''), { loader: 'ts' }).code,
);

type Handler = (...args: unknown[]) => void;

/** Deliveries wait in one FIFO, as in an event loop: no handler runs inside another. */
const tasks: (() => void)[] = [];
const runAll = () => {
  for (let n = 0; tasks.length > 0; n++) {
    if (n > 10_000) throw new Error('the examples did not settle');
    tasks.shift()!();
  }
};

/** One end of an in-memory connection. */
class FakeSocket {
  peer!: FakeSocket;
  #handlers = new Map<string, Handler[]>();
  #ended = false;
  closed = false;

  on(event: string, handler: Handler): this {
    this.#handlers.set(event, [...(this.#handlers.get(event) ?? []), handler]);
    return this;
  }
  emit(event: string, ...args: unknown[]): void {
    for (const h of this.#handlers.get(event) ?? []) h(...args);
  }
  write(bytes: Uint8Array): boolean {
    if (this.#ended) throw new Error('write after end');
    if (this.closed) return false; // the other side is gone: the bytes are lost, as with EPIPE
    const copy = bytes.slice();
    tasks.push(() => this.peer.emit('data', copy));
    return true;
  }
  end(): void {
    if (this.#ended) return;
    this.#ended = true;
    tasks.push(() => {
      for (const s of [this, this.peer]) {
        if (!s.closed) {
          s.closed = true;
          s.emit('close');
        }
      }
    });
  }
}

function recorder() {
  const log: string[] = [];
  const errors: string[] = [];
  let stdout = '';
  return {
    log,
    errors,
    stdout: () => stdout,
    console: {
      log: (...a: unknown[]) => log.push(a.join(' ')),
      error: (...a: unknown[]) => errors.push(a.join(' ')),
    },
    process: {
      stdout: {
        write: (b: Uint8Array) => {
          stdout += text(b);
          return true;
        },
      },
    },
  };
}

it('the README has the client and the relay examples', () => {
  expect(blocks).toHaveLength(2);
  expect(blocks[0]).toMatch(/new ClientSession\(/);
  expect(blocks[1]).toMatch(/new Relay\(/);
});

it('the README usage examples run: two clients meet through the relay, agree on the SAS, talk and end', () => {
  const [clientCode, relayCode] = blocks as [string, string];
  // the relay example, with a server that hands it in-memory sockets
  let onConnection: Handler | undefined;
  const server = { on: (_event: string, h: Handler) => (onConnection = h) };
  const sockets = new Map<string, FakeSocket>();
  const logs: unknown[] = [];
  let next = 0;
  const relay = new Function('Relay', 'server', 'sockets', 'logger', 'newId', `${relayCode}\nreturn relay;`)(
    Relay,
    server,
    sockets,
    { info: (a: unknown) => logs.push(a) },
    () => `conn-${next++}`,
  ) as Relay;

  const client = (name: string) => {
    const socket = new FakeSocket();
    const serverSide = new FakeSocket();
    socket.peer = serverSide;
    serverSide.peer = socket;
    onConnection!(serverSide);
    const r = recorder();
    const code = clientCode.replace('name: "alice"', `name: ${JSON.stringify(name)}`);
    new Function('ClientSession', 'socket', 'console', 'process', code)(
      ClientSession,
      socket,
      r.console,
      r.process,
    );
    runAll();
    return { ...r, socket };
  };

  const alice = client('alice');
  expect(alice.log).toEqual(['waiting for a peer…']);
  const bob = client('bob');
  runAll();

  const sas = alice.log.find((l) => l.startsWith('compare aloud: '));
  expect(sas).toMatch(/^compare aloud: \S+ \S+ \S+$/);
  // bob is closed first (alice's ACK of his END is the last frame) and closes his socket,
  // so the relay also tells alice he left: after his END, a clean leave
  expect(alice.log).toEqual([
    'waiting for a peer…',
    'talking to bob (initiator)',
    sas,
    'peer finished',
    'peer left',
  ]);
  expect(bob.log).toEqual(['talking to alice (responder)', sas, 'peer finished']);
  expect([alice.stdout(), bob.stdout()]).toEqual(['hello\n', 'hello\n']);
  expect([...alice.errors, ...bob.errors]).toEqual([]);
  // both clients closed their sockets after the clean end; the relay forgot them
  expect([alice.socket.closed, bob.socket.closed]).toEqual([true, true]);
  expect(relay.connections).toBe(0);
  expect(logs).toContainEqual(expect.objectContaining({ event: 'paired', room: 'lobby' }));
});

it('the README API section names every public export (internal helpers start with _)', () => {
  const section = readme.slice(readme.indexOf('## API'), readme.indexOf('## Security'));
  const missing = Object.keys(api).filter(
    (name) => !name.startsWith('_') && !new RegExp(`\\b${name}\\b`).test(section),
  );
  expect(missing).toEqual([]);
});
