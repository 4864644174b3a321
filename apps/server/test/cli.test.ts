/**
 * The real `arctalk-server` command, spawned from its TypeScript source through tsx.
 */
import { createServer, type Server } from 'node:net';
import { ErrorCode } from '@arctalk/protocol';
import { afterEach, describe, expect, it } from 'vitest';
import packageJson from '../package.json' with { type: 'json' };
import { DEFAULT_PORT } from '../src/config.js';
import {
  cleanup,
  dataFrame,
  expectError,
  helloFrame,
  logLines,
  rawClient,
  runCli,
  securedPair,
  sleep,
  spawnServer,
  within,
} from './helpers.js';

afterEach(cleanup);

describe('arctalk-server command line', () => {
  it('--help documents every flag, its environment variable and the exit codes', async () => {
    const { code, stdout } = await runCli(['--help']);
    expect(code).toBe(0);
    expect(stdout).toContain('Usage: arctalk-server [options]');
    for (const flag of [
      '--host',
      '--port',
      '--max-frame',
      '--max-connections',
      '--max-per-address',
      '--handshake-timeout',
      '--idle-timeout',
      '--close-timeout',
      '--max-buffer',
      '--stall-timeout',
      '--frame-timeout',
      '--backlog',
      '--log-level',
      '--version',
    ]) {
      expect(stdout).toContain(flag);
    }
    for (const env of ['ARCTALK_HOST', 'ARCTALK_PORT', 'ARCTALK_IDLE_TIMEOUT', 'ARCTALK_LOG_LEVEL']) {
      expect(stdout.replace(/\s+/g, ' ')).toContain(env);
    }
    expect(stdout).toContain(`default: ${DEFAULT_PORT}`);
    expect(stdout).toContain('Exit codes');
  });

  it('--version prints the package version', async () => {
    const { code, stdout } = await runCli(['--version']);
    expect(code).toBe(0);
    expect(stdout.trim()).toBe(packageJson.version);
  });

  it('rejects bad flags and values with a clear message and exit code 2', async () => {
    // The real process for a few; test/config.test.ts checks every flag and variable in-process.
    const cases: [string[], Record<string, string>, RegExp][] = [
      [['--bogus'], {}, /^arctalk-server: unknown option '--bogus'/],
      [
        ['--port', 'abc'],
        {},
        /^arctalk-server: option '-p, --port <port>' argument 'abc' is invalid\. expected a whole number, got "abc"/,
      ],
      [
        ['--max-frame', '1'],
        {},
        /^arctalk-server: option '--max-frame <bytes>' argument '1' is invalid\. expected 4096\.\.16777216 bytes \(4KiB\.\.16MiB\), got 1 byte/,
      ],
      [['--log-level', 'loud'], {}, /^arctalk-server: .*Allowed choices are fatal, error, warn, info/],
      [
        ['--max-buffer', '64KiB'],
        {},
        /^arctalk-server: --max-buffer 65536 is too small: expected 0 or at least --max-frame \(default 65536\) \+ 65536 = 131072 bytes/,
      ],
      [
        [],
        { ARCTALK_BACKLOG: '70000' },
        /^arctalk-server: .*from env 'ARCTALK_BACKLOG' is invalid\. expected 1\.\.65535, got 70000/,
      ],
      [['extra'], {}, /^arctalk-server: too many arguments/],
      [[], { ARCTALK_PORT: 'abc' }, /^arctalk-server: .*from env 'ARCTALK_PORT' is invalid/],
    ];
    // Four at a time: each is a node + tsx start-up, and the machine is shared.
    const results: Awaited<ReturnType<typeof runCli>>[] = [];
    for (let i = 0; i < cases.length; i += 4) {
      results.push(...(await Promise.all(cases.slice(i, i + 4).map(([args, env]) => runCli(args, env)))));
    }
    results.forEach(({ code, stdout, stderr }, i) => {
      const [args, , message] = cases[i]!;
      expect(code, args.join(' ')).toBe(2);
      expect(stderr, args.join(' ')).toMatch(message);
      expect(stderr).toContain('arctalk-server --help');
      expect(stderr).not.toMatch(/maxFrameLength|maxBuffer|maxConnections|"port"|"backlog"/);
      expect(stdout).toBe('');
    });
  }, 90_000);

  it('exits non-zero with a clear message when the port is taken', async () => {
    const blocker: Server = createServer();
    await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
    const { port } = blocker.address() as { port: number };
    try {
      const { code, stdout, stderr } = await runCli(['--port', String(port)]);
      expect(code).toBe(1);
      expect(stderr).toContain(`arctalk-server: cannot listen on 127.0.0.1:${port}: address already in use`);
      expect(stdout).toBe('');
    } finally {
      await new Promise((resolve) => blocker.close(resolve));
    }
  });

  it('takes host and port from the environment and prints one line on stdout', async () => {
    const server = spawnServer([], { ARCTALK_HOST: '127.0.0.1', ARCTALK_PORT: '0' });
    const { host, port } = await within(server.listening, 20_000, 'listening');
    expect(host).toBe('127.0.0.1');
    expect(port).toBeGreaterThan(0);
    const client = await rawClient(port);
    client.write(helloFrame('env'));
    expect((await client.frames.next()).type).toBe(0x02);
    server.child.kill('SIGINT');
    expect(await within(server.exited, 10_000, 'exit')).toEqual({ code: 0, signal: null });
    expect(server.stdout).toEqual([`listening on 127.0.0.1:${port}`]);
  });

  it('on SIGTERM tells every client SERVER_SHUTTING_DOWN and exits 0 within the close timeout', async () => {
    const server = spawnServer(['--port', '0', '--close-timeout', '1s', '--log-level', 'info']);
    const { port } = await within(server.listening, 20_000, 'listening');
    const { alice, bob } = await securedPair(port, 'cli');
    alice.sendText('before the end');
    await bob.waitFor('text');
    const waiting = await rawClient(port);
    waiting.write(helloFrame('alone'));
    await waiting.frames.next();
    const silent = await rawClient(port);
    // A pair whose reader has stopped reading: its last frames cannot flush.
    const pusher = await rawClient(port);
    pusher.write(helloFrame('stuck', 'p'));
    await pusher.frames.next();
    const stuck = await rawClient(port);
    stuck.write(helloFrame('stuck', 's'));
    await Promise.all([pusher.frames.next(), stuck.frames.next()]);
    stuck.socket.pause();
    const chunk = dataFrame(new Uint8Array(60_000));
    for (let i = 0; i < 300; i++) pusher.write(chunk);
    await sleep(200);

    const started = Date.now();
    server.child.kill('SIGTERM');
    for (const client of [waiting, silent]) await expectError(client, ErrorCode.SERVER_SHUTTING_DOWN);
    for (const session of [alice, bob]) {
      const event = await session.waitFor('error');
      expect(event.error).toMatchObject({ code: 'RELAY_ERROR', relayCode: ErrorCode.SERVER_SHUTTING_DOWN });
    }
    expect(await within(server.exited, 10_000, 'exit')).toEqual({ code: 0, signal: null });
    expect(Date.now() - started).toBeLessThan(3_500);

    const lines = logLines(server.stderr);
    const events = lines.map((line) => line.event);
    for (const event of ['listen', 'connect', 'pair', 'signal', 'shutdown', 'stopped'])
      expect(events).toContain(event);
    expect(lines.every((line) => typeof line.level === 'string' && typeof line.time === 'string')).toBe(true);
    expect(server.stderr.join('')).not.toContain('before the end');
    expect(server.stdout).toEqual([`listening on 127.0.0.1:${port}`]);
  }, 30_000);
});
