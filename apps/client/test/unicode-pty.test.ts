/**
 * Text as people really type it, in a real pseudo-terminal (vt.ts models a
 * grapheme-aware terminal that, like tmux, glues the character after a ZWJ to
 * the ZWJ's cell): widths as Ink measures them, nothing cut, nothing joined with
 * the UI's own characters.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  cleanup,
  type ServerHandle,
  sleep,
  startClient,
  startServer,
  startTtyClient,
  within,
} from './helpers.js';

let server: ServerHandle;
let roomCounter = 0;
const room = () => `upty-${process.pid}-${roomCounter++}`;

beforeAll(async () => {
  server = await startServer();
});
afterAll(cleanup);

/** Polls until `check` holds. */
async function waitFor(check: () => boolean, what: string): Promise<void> {
  const deadline = Date.now() + 15_000;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(50);
  }
}

/** Every ZWJ that reached the terminal is inside an emoji sequence (followed by a pictograph). */
const strayZwj = (raw: string) => /\u200d(?!\p{Extended_Pictographic})/u.test(raw);

describe('widths and graphemes on a real terminal', () => {
  it('41 columns: a line with ❤️ and 60 × ❤️ arrive whole, wrapped at words, nothing cut', async () => {
    const r = room();
    const alice = startTtyClient([`127.0.0.1:${server.port}`, '--room', r, '--name', 'alice'], {
      columns: 41,
      rows: 30,
    });
    await alice.waitForScreen('waiting for peer');
    const lines = [
      'I ❤️ arctalk, see you at the station, bye!',
      '❤️'.repeat(60),
      '1️⃣ 🇫🇷🇯🇵 👍🏽 👨‍👩‍👧‍👦 🏳️‍🌈 café naïve',
      '中文和日本語の文章と한국어 문장이 섞인 긴 줄입니다 끝',
    ];
    const bob = startClient([`127.0.0.1:${server.port}`, '--room', r, '--name', 'bob', '--unverified'], {
      input: `${lines.join('\n')}\n`,
    });
    const screen = await alice.waitForScreen('peer ended');
    const rows = screen.split('\n');
    expect(rows).toContain('I ❤️ arctalk, see you at the station,');
    expect(rows).toContain('bye!');
    expect(screen.match(/❤️/gu)).toHaveLength(61);
    expect(screen).toContain('1️⃣ 🇫🇷🇯🇵 👍🏽 👨‍👩‍👧‍👦 🏳️‍🌈 café naïve');
    expect(screen.replace(/\n/g, '')).toContain('中文和日本語の文章と한국어 문장이 섞인 긴줄입니다 끝');
    // Nothing cut with an ellipsis (the status bar aside: it is cut on purpose, at its end).
    expect(rows.slice(0, -2).join('\n')).not.toContain('…');
    // Every row fits the terminal, the frame is whole: both rules and the status bar.
    expect(rows[0]).toMatch(/^─ you \(alice\) ─+$/);
    expect(rows.some((row) => /^▸ bob ─+$/.test(row))).toBe(true);
    expect(rows.at(-2)).toMatch(/^ peer ended (unverified )?│/);
    alice.type('\x03');
    expect(await within(Promise.all([alice.exited, bob.exited]), 10_000, 'both')).toEqual([0, 0]);
  });

  it('a peer name and text ending in ZWJ or made of joiners cannot eat the pane marker, the SAS box or the status bar', async () => {
    const r = room();
    // 120 columns: the status bar must hold the longest SAS (three 11-letter PGP words)
    // and the escaped peer name without truncation, or the assertion on it is luck.
    const alice = startTtyClient([`127.0.0.1:${server.port}`, '--room', r, '--name', 'alice'], {
      columns: 120,
      rows: 40,
    });
    await alice.waitForScreen('waiting for peer');
    const hostile = [
      'thumbs👍\u200d',
      '\u200d\u200d\u200d',
      '\u0301\u0301 lone marks',
      'variation\ufe0f\ufe0f',
      'family 👨‍👩‍👧 ok',
      'tail\u200d',
    ].join('\n');
    const mallory = startClient(
      [`127.0.0.1:${server.port}`, '--room', r, '--name', 'bob\u200d', '--unverified'],
      {
        input: hostile,
        keepOpen: true,
      },
    );
    await alice.waitForScreen('tail<U+200D>');
    alice.type('/sas\r'); // the SAS box again, between the panes, with text on screen
    // Ink redraws in several writes: wait for a frame that shows the box and every line
    // (a snapshot taken as the box first appears can be half-drawn), then assert on it.
    const wanted = [
      'Short authentication string',
      'thumbs👍<U+200D>',
      '<U+200D><U+200D><U+200D>',
      '<U+0301><U+0301> lone marks',
      'family 👨‍👩‍👧 ok',
      'Secured with bob<U+200D>. Short',
    ];
    await waitFor(
      () => wanted.every((w) => alice.screen.text().includes(w)),
      'the SAS box and every line',
    ).catch(
      () => {}, // the assertions below say what is missing, on the last screen
    );
    const screen = alice.screen.text();
    expect(screen).toContain('Short authentication string');
    expect(screen).toContain('thumbs👍<U+200D>');
    expect(screen).toContain('<U+200D><U+200D><U+200D>');
    expect(screen).toContain('<U+0301><U+0301> lone marks');
    expect(screen).toContain('family 👨‍👩‍👧 ok');
    // The chrome is intact: the box's corners, the peer pane's marker and rule, the status bar.
    expect(screen).toMatch(/^╔═+╗$/m);
    expect(screen).toMatch(/^╚═+╝$/m);
    expect(screen).toMatch(/^▸ bob<U\+200D> ─+$/m);
    expect(screen).toContain('Secured with bob<U+200D>. Short');
    const status = screen.split('\n').at(-2)!;
    expect(status).toMatch(/^ secured (unverified )?│ SAS .+ │ peer bob<U\+200D> │ roo/);
    expect(strayZwj(alice.raw())).toBe(false);
    mallory.end();
    await alice.waitForScreen('peer ended');
    alice.type('\x03');
    expect(await within(alice.exited, 10_000, 'alice')).toBe(0);
  });

  it('pastes: bracketed paste on, one edit, TABs expanded, several lines held until return or Esc; Esc closes /help; off at exit', async () => {
    const r = room();
    const alice = startTtyClient([`127.0.0.1:${server.port}`, '--room', r, '--name', 'alice'], {
      columns: 80,
    });
    await alice.waitForScreen('waiting for peer');
    const bob = startClient([`127.0.0.1:${server.port}`, '--room', r, '--name', 'bob', '--unverified'], {
      keepOpen: true,
    });
    await alice.waitForScreen(/secured.*SAS/);
    expect(alice.raw()).toContain('\x1b[?2004h');
    const received = () => bob.stdout().toString();

    // A one-line bracketed paste with a TAB: one edit, no markers, nothing sent before return.
    alice.type('\x1b[200~one\ttwo\x1b[201~');
    await alice.waitForScreen('> one     two');
    expect(alice.screen.text()).not.toContain('200~');
    expect(received()).toBe('');
    alice.type('\r');
    await waitFor(() => received() === 'one     two\n', 'bob to get the pasted line');

    // Several lines: held, then sent as text (the pasted /quit is not run).
    alice.type('\x1b[200~first\r/quit\rthird\x1b[201~');
    await alice.waitForScreen('Pasted 3 lines');
    await alice.waitForScreen('> first [+2 lines');
    await sleep(300);
    expect(received()).toBe('one     two\n');
    alice.type('\r');
    await waitFor(() => received() === 'one     two\nfirst\n/quit\nthird\n', 'bob to get three lines');

    // Held, then dropped with Esc; an unbracketed multi-line paste (one read) is held too.
    alice.type('\x1b[200~x\ry\x1b[201~');
    await alice.waitForScreen('Pasted 2 lines');
    alice.type('\x1b');
    await alice.waitForScreen('Paste of 2 lines dropped');
    alice.type('p\rq\r');
    await alice.waitForScreen('Pasted 2 lines');
    alice.type('\x15');
    await alice.waitForScreen('Paste of 2 lines dropped');
    await sleep(300);
    expect(received()).toBe('one     two\nfirst\n/quit\nthird\n');

    // Esc closes /help.
    alice.type('/help\r');
    await alice.waitForScreen('arctalk help');
    alice.type('\x1b');
    await waitFor(() => !alice.screen.text().includes('arctalk help'), 'help to close');

    bob.end();
    await alice.waitForScreen('peer ended');
    alice.type('/quit\r');
    expect(await within(alice.exited, 10_000, 'alice')).toBe(0);
    // Bracketed paste is off again, after the last time it was turned on.
    expect(alice.raw().lastIndexOf('\x1b[?2004l')).toBeGreaterThan(alice.raw().lastIndexOf('\x1b[?2004h'));
    // The last screen left in the terminal does not invite keys that no longer work.
    expect(alice.screen.text()).toContain('(conversation ended)');
    expect(alice.screen.text()).not.toContain('/quit or ^C exits');
    expect(await within(bob.exited, 10_000, 'bob')).toBe(0);
  });

  it('^Z without a job-control shell (run by script -c) says so and keeps working', async () => {
    const alice = startTtyClient([`127.0.0.1:${server.port}`, '--room', room(), '--name', 'alice']);
    await alice.waitForScreen('waiting for peer');
    alice.type('\x1a');
    await alice.waitForScreen('no shell job control here');
    // Still in raw mode, bracketed paste on again: keys work.
    expect(alice.raw().lastIndexOf('\x1b[?2004h')).toBeGreaterThan(alice.raw().lastIndexOf('\x1b[?2004l'));
    alice.type('\x03');
    expect(await within(alice.exited, 10_000, 'alice')).toBe(0);
  });
});
