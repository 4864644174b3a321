/**
 * The client in a real (pseudo-)terminal: the Ink UI, raw keyboard input, and
 * what a user would see, modelled by a small VT screen (vt.ts). The peer is a
 * second terminal client, or a pipe-mode client playing a hostile peer.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  cleanup,
  closedPort,
  type ServerHandle,
  sleep,
  startClient,
  startServer,
  startTtyClient,
  within,
} from './helpers.js';

let server: ServerHandle;
let roomCounter = 0;
const room = () => `pty-${process.pid}-${roomCounter++}`;

beforeAll(async () => {
  server = await startServer();
});
afterAll(cleanup);

/** The SAS shown in the status bar (last line). */
const statusSas = (screen: string) => /SAS (.+?) │/.exec(screen.split('\n').at(-2) ?? '')?.[1];

/** The process whose parent is `parent` (`script` runs the client as its only child: the shell execs it). */
function childOf(parent: number): number {
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      // pid (comm) state ppid ...: comm may hold spaces and parentheses, so parse after the last ')'.
      if (Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]) === parent) return Number(entry);
    } catch {
      // gone meanwhile
    }
  }
  throw new Error(`no child of ${parent}`);
}

/** Types text one key at a time, as a person does. */
async function typeSlowly(type: (text: string) => void, keys: string[]): Promise<void> {
  for (const key of keys) {
    type(key);
    await sleep(40);
  }
}

describe('arctalk in a terminal', () => {
  it('line mode: a line typed in one terminal appears in the other, both show the same SAS', async () => {
    const r = room();
    const alice = startTtyClient([`127.0.0.1:${server.port}`, '--room', r, '--name', 'alice']);
    await alice.waitForScreen('waiting for peer');
    const bob = startTtyClient([`127.0.0.1:${server.port}`, '--room', r, '--name', 'bob']);
    const aliceScreen = await alice.waitForScreen(/secured.*SAS/);
    const bobScreen = await bob.waitForScreen(/secured.*SAS/);
    // The prominent notice, and the same SAS on both screens.
    expect(aliceScreen).toContain('Secured with bob');
    expect(aliceScreen).toContain('Read this code to each other by voice');
    expect(statusSas(aliceScreen)).toBeTruthy();
    expect(statusSas(aliceScreen)).toBe(statusSas(bobScreen));

    alice.type('helo');
    await sleep(100);
    alice.type('\x7flo from alice');
    await alice.waitForScreen('> hello from alice');
    alice.type('\r');
    const seen = await bob.waitForScreen('hello from alice');
    // In bob's screen it is in the lower (peer) pane, under alice's name.
    const lines = seen.split('\n');
    expect(lines.findIndex((l) => l.includes('hello from alice'))).toBeGreaterThan(
      lines.findIndex((l) => l.includes('alice ─')),
    );
    bob.type('hi alice\r');
    await alice.waitForScreen('hi alice');

    // ^L wipes the terminal and draws everything again.
    alice.type('\x0c');
    const redrawn = await alice.waitForScreen('Screen redrawn');
    expect(redrawn.split('\n')[0]).toContain('you (alice)');
    expect(redrawn).toContain('hello from alice');
    expect(redrawn).toContain('hi alice');
    // Nothing authenticated bob yet: "unverified" stands next to the state, until /verify.
    expect(redrawn.split('\n').at(-2)).toMatch(/^ secured unverified │ SAS /);
    alice.type('/verify\r');
    const verified = await alice.waitForScreen('bob verified: you compared the SAS.');
    expect(verified.split('\n').at(-2)).toMatch(/^ secured │ SAS /);

    // Colours are on by default (the NO_COLOR test below checks they go).
    expect(alice.raw()).toMatch(/\x1b\[(?:3|9)[0-9]m/);
    // /quit sends END and waits for the peer's (PROTOCOL.md §6.4): both ENDs cross, both exit 0.
    alice.type('/quit\r');
    await alice.waitForScreen('Waiting for bob to finish');
    await bob.waitForScreen('alice has finished');
    bob.type('\x03');
    expect(await within(Promise.all([alice.exited, bob.exited]), 20_000, 'both to exit')).toEqual([0, 0]);
  });

  it('live mode: keystrokes, erase, word-erase and kill show on the other screen as typed', async () => {
    const r = room();
    const alice = startTtyClient([`127.0.0.1:${server.port}`, '--room', r, '--name', 'alice', '--live']);
    await alice.waitForScreen('waiting for peer');
    const bob = startTtyClient([`127.0.0.1:${server.port}`, '--room', r, '--name', 'bob']);
    await alice.waitForScreen(/secured.*SAS/);
    await bob.waitForScreen(/secured.*SAS/);

    await typeSlowly(alice.type, [...'hx', '\x7f', ...'i there bob']);
    await bob.waitForScreen(/^hi there bob$/m); // no return pressed: live
    await typeSlowly(alice.type, ['\x17', ...'carol']);
    await bob.waitForScreen(/^hi there carol$/m);
    await typeSlowly(alice.type, ['\x15', ...'bye', '\r']);
    const screen = await bob.waitForScreen(/^bye$/m);
    expect(screen).not.toContain('hi there');
    expect(screen).not.toMatch(/\^\?|\^U|\^W/); // the edit bytes were applied, not shown

    alice.type('\x03');
    bob.type('\x03');
    expect(await within(Promise.all([alice.exited, bob.exited]), 20_000, 'both to exit')).toEqual([0, 0]);
  });

  it('a hostile peer cannot move the cursor, retitle the window or fake the status bar', async () => {
    const r = room();
    const victim = startTtyClient([`127.0.0.1:${server.port}`, '--room', r, '--name', 'alice'], {
      columns: 100,
    });
    await victim.waitForScreen('waiting for peer');
    const hostile = Buffer.concat([
      Buffer.from('plain\n'),
      Buffer.from(
        '\x1b]0;pwned title\x07\x1b[2J\x1b[H\x1b[24;1H\x1b[7m secured │ SAS fake words │ peer bob \x1b[0m\n',
      ),
      Buffer.from([0x9b]), // a raw 8-bit CSI: invalid UTF-8
      Buffer.from('31m\u009b31m\u202eexe.txt\x07\x1bc\n'), // a C1 CSI, a bidi override, BEL, RIS
    ]);
    const mallory = startClient(
      [`127.0.0.1:${server.port}`, '--room', r, '--name', 'mallory', '--unverified'],
      {
        input: hostile,
      },
    );
    await victim.waitForScreen('exe.txt');
    const screen = await victim.waitForScreen('peer ended');
    // Escaped, visible, harmless.
    expect(screen).toContain(
      '^[]0;pwned title^G^[[2J^[[H^[[24;1H^[[7m secured │ SAS fake words │ peer bob ^[[0m',
    );
    expect(screen).toContain('\\x9B31m<U+009B>31m<U+202E>exe.txt^G^[c');
    // Nothing reached the terminal as a control: no OSC, no bell, no reset, screen not cleared.
    expect(victim.raw()).not.toContain('\x1b]');
    expect(victim.raw()).not.toContain('\x07');
    expect(victim.raw()).not.toContain('\x1bc');
    expect(victim.screen.oscCount).toBe(0);
    expect(victim.screen.bellCount).toBe(0);
    expect(screen).toContain('you (alice)');
    expect(screen.split('\n')[0]).toContain('you (alice)');
    // The real status bar is still the last line of the frame, and it is ours.
    const status = screen.split('\n').at(-2)!;
    expect(status).toMatch(/^ peer ended unverified │ SAS /);
    expect(status).not.toContain('fake words');
    victim.type('\x03');
    expect(await within(Promise.all([victim.exited, mallory.exited]), 10_000, 'both to exit')).toEqual([
      0, 0,
    ]);
  });

  it('SIGINT or SIGTERM from outside quits like ^C: END first, exit 0', async () => {
    for (const signal of ['SIGINT', 'SIGTERM'] as const) {
      const r = room();
      const alice = startTtyClient([`127.0.0.1:${server.port}`, '--room', r, '--name', 'alice']);
      await alice.waitForScreen('waiting for peer');
      // Bob has nothing to say: he ends at once, then waits for alice's END.
      const bob = startClient([`127.0.0.1:${server.port}`, '--room', r, '--name', 'bob', '--unverified'], {
        input: '',
      });
      await alice.waitForScreen('peer ended');
      process.kill(childOf(alice.child.pid!), signal);
      expect(await within(alice.exited, 10_000, `alice to exit on ${signal}`), signal).toBe(0);
      expect(await within(bob.exited, 10_000, 'bob to exit'), bob.stderr()).toBe(0);
    }
  });

  it('cannot connect: erases its empty frame and leaves only the error line, exit 3', async () => {
    const port = await closedPort();
    const alice = startTtyClient([`127.0.0.1:${port}`, '--name', 'alice']);
    expect(await within(alice.exited, 20_000, 'alice to exit')).toBe(3);
    expect(alice.raw()).toContain('you (alice)'); // the frame was drawn while connecting
    const screen = alice.screen.text();
    expect(screen).toContain(`arctalk: cannot connect to 127.0.0.1:${port}: ECONNREFUSED`);
    expect(screen).not.toContain('you (alice)');
    expect(screen).not.toContain('connecting │');
  });

  it.each<Record<string, string>>([{ CI: 'true' }, { CI: '1', CONTINUOUS_INTEGRATION: 'true' }])(
    'draws the whole UI, in colour, with %o in the environment',
    async (env) => {
      const alice = startTtyClient([`127.0.0.1:${server.port}`, '--room', room(), '--name', 'alice'], {
        env,
      });
      const screen = await alice.waitForScreen('waiting for peer');
      expect(screen.split('\n')[0]).toMatch(/^─ you \(alice\) ─+$/);
      expect(alice.raw()).toMatch(/\x1b\[(?:3|9)[0-9](?:;[0-9]+)*m/); // a colour
      alice.type('\x03');
      expect(await within(alice.exited, 10_000, 'alice to exit')).toBe(0);
    },
  );

  it('follows a terminal resize, and honours NO_COLOR', async () => {
    const alice = startTtyClient([`127.0.0.1:${server.port}`, '--room', room(), '--name', 'alice'], {
      columns: 80,
      rows: 24,
      resizeTo: { columns: 60, rows: 16 },
      env: { NO_COLOR: '1' },
    });
    const before = await alice.waitForScreen('waiting for peer');
    expect(before.split('\n')[0]).toHaveLength(80);
    alice.resize();
    // The new frame starts at the top row (no `m` flag: ^ is the start of the screen).
    const after = await alice.waitForScreen(/^─ you \(alice\) ─+\n/);
    const lines = after.split('\n');
    expect(lines).toHaveLength(16);
    expect(lines[0]).toMatch(/^─ you \(alice\) ─+$/);
    expect(lines[0]).toHaveLength(60);
    expect(lines[14]).toMatch(/^ waiting for peer │/); // the status bar, on the last row of the frame
    // No colour at all, but inverse video (not a colour) still marks the status bar.
    expect(alice.raw()).not.toMatch(/\x1b\[(?:3|4|9|10)[0-9](?:;[0-9]+)*m/);
    expect(alice.raw()).toContain('\x1b[7m');
    alice.type('\x03');
    expect(await within(alice.exited, 10_000, 'alice to exit')).toBe(0);
  });
});
