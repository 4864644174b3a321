import fc from 'fast-check';
import { Box, Text } from 'ink';
import { render } from 'ink-testing-library';
import { describe, expect, it } from 'vitest';
import { ChatController, type ChatLink } from '../src/chat-controller.js';
import { PaneBuffer } from '../src/pane.js';
import { App } from '../src/ui/App.js';
import { ChatScreen } from '../src/ui/ChatScreen.js';
import { InputLine, tail } from '../src/ui/InputLine.js';
import { Pane } from '../src/ui/Pane.js';
import { StatusBar } from '../src/ui/StatusBar.js';
import { noColorRequested, theme } from '../src/ui/theme.js';
import { stringWidth, wrapText } from '../src/width.js';

const plain = theme(true);
const utf8 = (text: string) => new TextEncoder().encode(text);
const tick = () => new Promise((resolve) => setTimeout(resolve, 20));

/** A link that records what the controller sends (the network is covered by the e2e tests). */
class RecordingLink implements ChatLink {
  readonly out: Uint8Array[] = [];
  ended = false;
  finished = false;
  closed = false;
  send(bytes: Uint8Array): void {
    this.out.push(bytes);
  }
  async end(): Promise<void> {
    this.ended = true;
  }
  async finish(): Promise<void> {
    this.finished = true;
  }
  close(): void {
    this.closed = true;
  }
  get sent(): number {
    return this.out.reduce((n, b) => n + b.length, 0);
  }
  received = 0;
  text(): string {
    return this.out.map((b) => new TextDecoder().decode(b)).join('');
  }
}

function securedController(
  live = false,
  sas = 'tiger-apple-ocean-violet',
  secret = true,
): { chat: ChatController; link: RecordingLink } {
  // A passphrase by default: layout tests see no "unverified" (its own tests below).
  const chat = new ChatController({ server: '127.0.0.1:5518', room: 'lobby', name: 'alice', live, secret });
  const link = new RecordingLink();
  chat.attach(link);
  chat.handleEvent({ type: 'waiting' });
  chat.handleEvent({ type: 'paired', role: 'initiator', peerName: 'bob' });
  chat.handleEvent({ type: 'secured', sas, sasWords: sas.split(/[- ]/) });
  return { chat, link };
}

const screen = (chat: ChatController, columns = 80, rows = 24) =>
  render(<ChatScreen view={chat.getSnapshot()} columns={columns} rows={rows} theme={plain} />);

describe('ChatScreen', () => {
  it('shows both panes, the input line and a status bar with server, room, peer, state and counters', () => {
    const { chat, link } = securedController();
    chat.handleEvent({ type: 'text', data: utf8('hello alice\n') });
    link.received = 12;
    chat.handleActions([{ type: 'text', text: 'hi bob' }, { type: 'enter' }]);
    const frame = screen(chat, 100).lastFrame()!;
    const lines = frame.split('\n');
    expect(lines).toHaveLength(23);
    expect(frame).toContain('you (alice)');
    expect(frame).toContain('hi bob');
    expect(frame).toContain('hello alice');
    const status = lines.at(-1)!;
    expect(status).toContain('127.0.0.1:5518');
    expect(status).toContain('room lobby');
    expect(status).toContain('peer bob');
    expect(status).toContain('secured');
    expect(status).toContain('SAS tiger-apple-ocean-violet');
    expect(status).toContain('↑7 B ↓12 B');
    // Your pane is above the peer's, as in talk.
    expect(frame.indexOf('hi bob')).toBeLessThan(frame.indexOf('hello alice'));
  });

  it('shows each phase in the status bar', () => {
    const chat = new ChatController({ server: 'h:1', room: 'r', name: 'a', live: false });
    expect(screen(chat).lastFrame()!.split('\n').at(-1)).toContain('connecting');
    chat.handleEvent({ type: 'waiting' });
    expect(screen(chat).lastFrame()!.split('\n').at(-1)).toContain('waiting for peer');
    chat.handleEvent({ type: 'paired', role: 'responder', peerName: 'bob' });
    expect(screen(chat).lastFrame()!.split('\n').at(-1)).toContain('securing');
  });

  it('shows the SAS prominently with how to use it until the first message; /sas brings it back', async () => {
    const { chat } = securedController();
    let frame = screen(chat).lastFrame()!;
    expect(frame).toContain('Secured with bob');
    expect(frame).toContain(' tiger-apple-ocean-violet ');
    expect(frame).toContain('Read this code to each other by voice');
    expect(frame.replace(/[║\s]+/g, ' ')).toContain('if the two codes differ, someone is in the middle');
    chat.handleEvent({ type: 'text', data: utf8('first\n') });
    frame = screen(chat).lastFrame()!;
    expect(frame).not.toContain('Secured with bob');
    chat.handleActions([{ type: 'text', text: '/sas' }, { type: 'enter' }]);
    expect(screen(chat).lastFrame()!).toContain('Secured with bob');
  });

  it('falls back to a one-line SAS notice in a short terminal', () => {
    const { chat } = securedController();
    const frame = screen(chat, 100, 10).lastFrame()!;
    expect(frame).toContain(
      'SAS tiger-apple-ocean-violet: compare it by voice; if it differs, someone is in the middle',
    );
  });

  it('never cuts the SAS in a narrow terminal: it wraps, in the box and on the notice line', () => {
    const sas = 'performance millionaire paperweight'; // three of the longest PGP words
    const { chat } = securedController(false, sas);
    for (const [columns, rows] of [
      [26, 30], // the box, wrapped
      [26, 12], // no room for the box: the notice line grows to two rows
      [20, 8], // the smallest terminal drawn
    ] as const) {
      const frame = screen(chat, columns, rows).lastFrame()!;
      const lines = frame.split('\n');
      expect(lines.length, `${columns}x${rows}`).toBeLessThanOrEqual(rows - 1);
      const text = frame.replace(/[║\s]+/g, ' ');
      expect(text, `${columns}x${rows}:\n${frame}`).toContain(sas);
      expect(lines.at(-1)).toMatch(/^ secured │/);
    }
  });

  it('says when the peer has left and becomes read-only', () => {
    const { chat, link } = securedController();
    chat.handleEvent({ type: 'text', data: utf8('bye\n') });
    chat.handleEvent({ type: 'peer-left', ended: false });
    const frame = screen(chat).lastFrame()!;
    expect(frame).toContain('bob left without ending the conversation');
    expect(frame).toContain('(read only)');
    expect(frame.split('\n').at(-1)).toContain('peer left');
    chat.handleActions([{ type: 'text', text: 'anyone?' }, { type: 'enter' }]);
    expect(link.out).toHaveLength(0);
    expect(screen(chat).lastFrame()!).toContain('bob has left: nothing more can be sent.');
  });

  it('says when the peer left after ending cleanly', () => {
    const { chat } = securedController();
    chat.handleEvent({ type: 'peer-ended' });
    chat.handleEvent({ type: 'peer-left', ended: true });
    expect(screen(chat).lastFrame()!).toContain('bob has left. You can read the conversation');
  });

  it('draws hostile peer text escaped: no cursor moves, no title change, no fake status bar', () => {
    const { chat } = securedController();
    const hostile =
      '\x1b[2J\x1b[H\x1b]0;owned\x07\x1b[24;1H\x1b[7m peer bob │ secured │ SAS 0000 \x1b[0m\x9b6n\u202egnp.exe\n';
    chat.handleEvent({ type: 'text', data: utf8(hostile) });
    const frame = screen(chat, 120, 24).lastFrame()!;
    expect(frame).not.toMatch(/[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u202e]/);
    expect(frame).toContain(
      '^[[2J^[[H^[]0;owned^G^[[24;1H^[[7m peer bob │ secured │ SAS 0000 ^[[0m<U+009B>6n<U+202E>gnp.exe',
    );
    // The status bar is still the last line and still ours.
    const status = frame.split('\n').at(-1)!;
    expect(status).toContain('SAS tiger-apple-ocean-violet');
    expect(status).not.toContain('0000');
  });

  it('sanitises a hostile peer name everywhere it is shown', () => {
    const chat = new ChatController({ server: 'h:1', room: 'r', name: 'a', live: false });
    chat.handleEvent({ type: 'paired', role: 'responder', peerName: 'mallory\x1b]2;x\x07' });
    const frame = screen(chat).lastFrame()!;
    expect(frame).toContain('mallory^[]2;x^G');
    expect(frame).not.toContain('\x1b');
  });

  it('asks for a bigger terminal when too small, keeping the status bar', () => {
    const { chat } = securedController();
    const frame = screen(chat, 15, 5).lastFrame()!;
    expect(frame.replace(/\s+/g, ' ')).toContain('terminal too small');
  });
});

describe('Pane and StatusBar', () => {
  it('pads a pane to its height and marks scrollback', () => {
    const pane = new PaneBuffer();
    pane.write(utf8('one\ntwo\nthree\n'));
    const { rows, scroll } = pane.view(30, 2, 1);
    const frame = render(
      <Pane title="bob" rows={rows} height={4} width={30} focused scroll={scroll} theme={plain} />,
    ).lastFrame()!;
    const lines = frame.split('\n');
    expect(lines).toHaveLength(5);
    expect(lines[0]).toContain('▸ bob [scrolled back 1 rows');
    expect(lines.slice(3).map((l) => l.trim())).toEqual(['one', 'two']);
  });

  it('truncates the status bar to the width', () => {
    const frame = render(
      <StatusBar
        server="a-very-long-host-name.example.org:5518"
        room="r"
        peerName="p"
        phase="secured"
        sas="x"
        sent={0}
        received={0}
        live={false}
        width={30}
        theme={plain}
      />,
    ).lastFrame()!;
    expect(frame.split('\n')).toHaveLength(1);
    expect(frame.length).toBeLessThanOrEqual(30);
  });

  it('fills the status bar to the width when it fits: no ellipsis, wide names counted as two columns', () => {
    for (const peerName of ['bob', '山田']) {
      const frame = render(
        <StatusBar
          server="127.0.0.1:5518"
          room="lobby"
          peerName={peerName}
          phase="secured"
          sas="atlas zulu necklace"
          sent={10}
          received={26}
          live
          width={100}
          theme={plain}
        />,
      ).lastFrame()!;
      expect(frame).toContain(`peer ${peerName} │`);
      expect(frame).toMatch(/│ live *$/);
      expect(frame).not.toContain('…');
      expect(stringWidth(frame)).toBeLessThanOrEqual(100);
    }
  });

  it('draws a pane title rule exactly as wide as the pane, wide characters included', () => {
    const frame = render(
      <Pane title="山田太郎" rows={[]} height={1} width={30} focused={false} scroll={0} theme={plain} />,
    ).lastFrame()!;
    const rule = frame.split('\n')[0]!;
    expect(rule).toMatch(/^─ 山田太郎 ─+$/);
    expect(stringWidth(rule)).toBe(30);
  });
});

describe('InputLine', () => {
  it('shows the end of a long line in one row, wide characters counted as two columns', () => {
    for (const input of ['x'.repeat(100), '日本語のテキスト：幅の広い文字がどう折り返されるかを確認します']) {
      const frame = render(
        <InputLine input={input} live={false} phase="secured" width={40} theme={plain} />,
      ).lastFrame()!;
      expect(frame.split('\n'), frame).toHaveLength(1);
      expect(frame.startsWith('> …')).toBe(true);
      // The last character typed is shown (the cursor after it is a blank in inverse video).
      expect([...frame.trimEnd()].at(-1)).toBe([...input].at(-1));
      expect(stringWidth(frame)).toBeLessThanOrEqual(40);
    }
    expect(tail('日本語', 6)).toBe('日本語');
    expect(tail('日本語', 5)).toBe('…本語');
    expect(tail('日本語', 4)).toBe('…語');
    expect(tail('abc日', 4)).toBe('…c日');
  });
});

describe('wrapText', () => {
  it('gives rows Ink draws as they are: never cut, never wrapped again (emoji, flags, CJK, marks)', () => {
    const unit = fc.constantFrom('a', 'b', '中', '❤️', '🇫🇷', '👍🏽', '👨‍👩‍👧', 'e\u0301', '1️⃣', '한');
    const word = fc.string({ unit, minLength: 1, maxLength: 14 });
    fc.assert(
      fc.property(
        fc.array(word, { minLength: 1, maxLength: 12 }),
        fc.integer({ min: 2, max: 40 }),
        (words, width) => {
          const text = words.join(' ');
          const rows = wrapText(text, width);
          const frame = render(
            <Box width={width} flexDirection="column">
              {rows.map((row, index) => (
                // biome-ignore lint/suspicious/noArrayIndexKey: rows are positional
                <Text key={index} wrap="truncate-end">
                  {row}
                </Text>
              ))}
            </Box>,
          ).lastFrame()!;
          expect(frame.split('\n'), `${JSON.stringify(text)} at ${width}`).toEqual(rows);
        },
      ),
      { numRuns: 300 },
    );
  });
});

describe('theme', () => {
  it('honours NO_COLOR (present and non-empty)', () => {
    expect(noColorRequested({ NO_COLOR: '1' })).toBe(true);
    expect(noColorRequested({ NO_COLOR: '' })).toBe(false);
    expect(noColorRequested({})).toBe(false);
    expect(Object.values(theme(true)).every((c) => c === undefined)).toBe(true);
    expect(Object.values(theme(false)).every((c) => typeof c === 'string')).toBe(true);
  });
});

describe('App (keyboard)', () => {
  it('line mode: typing edits the input line, return sends the line and shows it in your pane', async () => {
    const { chat, link } = securedController();
    const app = render(<App controller={chat} theme={plain} columns={80} rows={24} />);
    await tick();
    app.stdin.write('helo');
    await tick();
    app.stdin.write('\x7f');
    await tick();
    app.stdin.write('lo there');
    await tick();
    expect(app.lastFrame()).toContain('> hello there');
    app.stdin.write('\x17');
    await tick();
    expect(chat.getSnapshot().input).toBe('hello ');
    app.stdin.write('world\r');
    await tick();
    expect(link.text()).toBe('hello world\n');
    const frame = app.lastFrame()!;
    expect(frame).toContain('hello world');
    expect(frame).not.toContain('Secured with bob'); // the SAS notice gives way to the first message
    app.unmount();
  });

  it('live mode: each keystroke goes out, erase/kill/word-erase as 0x7f/0x15/0x17', async () => {
    const { chat, link } = securedController(true);
    const app = render(<App controller={chat} theme={plain} columns={80} rows={24} />);
    await tick();
    for (const key of ['h', 'i', 'x', '\x7f', ' ', 'y', 'o', '\x17', 'z', '\x15', 'o', 'k', '\r']) {
      app.stdin.write(key);
      await tick();
    }
    expect(link.out.map((b) => [...b])).toEqual([
      [0x68],
      [0x69],
      [0x78],
      [0x7f],
      [0x20],
      [0x79],
      [0x6f],
      [0x17],
      [0x7a],
      [0x15],
      [0x6f],
      [0x6b],
      [0x0a],
    ]);
    expect(chat.getSnapshot().mine.lines()).toEqual(['ok', '']);
    app.unmount();
  });

  it('live mode: a /command is held locally and run, not sent', async () => {
    const { chat, link } = securedController(true);
    const app = render(<App controller={chat} theme={plain} columns={80} rows={24} />);
    await tick();
    app.stdin.write('/help');
    await tick();
    expect(app.lastFrame()).toContain('> /help');
    app.stdin.write('\r');
    await tick();
    expect(link.out).toHaveLength(0);
    expect(app.lastFrame()).toContain('arctalk help (live mode');
    app.unmount();
  });

  it('^C quits like /quit: sends END, waits for the peer END (both ENDs cross), closes, exits 0', async () => {
    const { chat, link } = securedController();
    const app = render(<App controller={chat} theme={plain} columns={80} rows={24} />);
    await tick();
    app.stdin.write('\x03');
    await tick();
    expect(link.ended).toBe(true);
    expect(link.finished).toBe(false);
    expect(app.lastFrame()).toContain('Waiting for bob to finish');
    chat.handleEvent({ type: 'text', data: utf8('last words') });
    chat.handleEvent({ type: 'peer-ended' });
    chat.handleEvent({ type: 'closed' });
    expect(await chat.outcome).toEqual({ code: 0, message: undefined });
    expect(link.finished).toBe(true);
    app.unmount();
  });

  it('^C twice leaves at once (the user chose to: exit 0; the peer will see PEER_LEFT)', async () => {
    const { chat, link } = securedController();
    const app = render(<App controller={chat} theme={plain} columns={80} rows={24} />);
    await tick();
    app.stdin.write('\x03');
    await tick();
    app.stdin.write('\x03');
    expect(await chat.outcome).toEqual({ code: 0, message: undefined });
    expect(link.ended && link.finished).toBe(true);
    app.unmount();
  });

  it('the peer ENDs and leaves before our END: exit 12, as in pipe mode (one reducer)', async () => {
    const { chat } = securedController();
    chat.handleEvent({ type: 'peer-ended' });
    chat.handleEvent({ type: 'peer-left', ended: true });
    chat.handleActions([{ type: 'text', text: '/quit' }, { type: 'enter' }]);
    expect(await chat.outcome).toEqual({
      code: 12,
      message:
        'sent but not confirmed received: bob left before confirming everything you sent (bob confirmed 0 bytes)',
    });
  });

  it('after the peer ENDed, /quit sends our END, waits for its ACK, then exits 0 (closed)', async () => {
    const { chat, link } = securedController();
    chat.handleEvent({ type: 'peer-ended' });
    chat.handleActions([{ type: 'text', text: '/quit' }, { type: 'enter' }]);
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(link.ended).toBe(true);
    expect(link.finished).toBe(false); // both ENDs crossed, ours not acknowledged yet
    expect(chat.getSnapshot().notice?.text).toMatch(/Waiting for bob to confirm it received everything/);
    chat.handleEvent({ type: 'acknowledged', offset: 0, ended: true });
    chat.handleEvent({ type: 'closed' });
    expect(await chat.outcome).toEqual({ code: 0, message: undefined });
    expect(link.finished).toBe(true);
  });

  it('after /quit, no ACK of our END within --ack-timeout: exit 12', async () => {
    const { chat, link } = securedController();
    chat.handleEvent({ type: 'peer-ended' });
    chat.handleActions([{ type: 'text', text: '/quit' }, { type: 'enter' }]);
    await new Promise((resolve) => setTimeout(resolve, 20));
    chat.ackTimedOut(30_000);
    const outcome = await chat.outcome;
    expect(outcome.code).toBe(12);
    expect(outcome.message).toMatch(
      /^sent but not confirmed received: no acknowledgement from bob within 30 s/,
    );
    expect(link.finished).toBe(true);
  });

  it('/quit after the peer vanished without END exits with the peer-left code', async () => {
    const { chat } = securedController();
    chat.handleEvent({ type: 'peer-left', ended: false });
    chat.handleActions([{ type: 'text', text: '/quit' }, { type: 'enter' }]);
    expect(await chat.outcome).toEqual({ code: 6, message: 'bob left before ending the conversation' });
  });

  it('refuses to send before the channel is secured, keeping the line', async () => {
    const chat = new ChatController({ server: 'h:1', room: 'r', name: 'a', live: false });
    const link = new RecordingLink();
    chat.attach(link);
    chat.handleEvent({ type: 'waiting' });
    chat.handleActions([{ type: 'text', text: 'too early' }, { type: 'enter' }]);
    expect(link.out).toHaveLength(0);
    expect(chat.getSnapshot().input).toBe('too early');
    expect(chat.getSnapshot().notice?.text).toMatch(/Not secured yet/);
  });

  it('live mode before the channel is secured: typing is held, and goes out on return once secured', () => {
    const chat = new ChatController({ server: 'h:1', room: 'r', name: 'a', live: true });
    const link = new RecordingLink();
    chat.attach(link);
    chat.handleEvent({ type: 'paired', role: 'initiator', peerName: 'bob' });
    chat.handleActions([{ type: 'text', text: 'early bird' }, { type: 'enter' }]);
    expect(link.out).toHaveLength(0);
    expect(chat.getSnapshot().input).toBe('early bird');
    chat.handleActions([{ type: 'text', text: '/help' }]);
    chat.handleActions([{ type: 'kill' }, { type: 'text', text: '/help' }, { type: 'enter' }]);
    expect(chat.getSnapshot().showHelp).toBe(true); // commands work before securing
    chat.handleActions([{ type: 'text', text: 'early bird' }]);
    chat.handleEvent({ type: 'secured', sas: 's', sasWords: ['s'] });
    chat.handleActions([{ type: 'enter' }]);
    expect(link.text()).toBe('early bird\n');
    chat.handleActions([{ type: 'text', text: 'x' }]);
    expect(link.text()).toBe('early bird\nx'); // then live
  });

  it('PgUp/PgDn scroll the focused pane; Tab switches; /clear empties both', async () => {
    const { chat } = securedController();
    for (let i = 0; i < 40; i++) chat.handleEvent({ type: 'text', data: utf8(`line ${i}\n`) });
    const app = render(<App controller={chat} theme={plain} columns={80} rows={24} />);
    await tick();
    expect(app.lastFrame()).toContain('line 39');
    app.stdin.write('\x1b[5~'); // PgUp
    await tick();
    expect(app.lastFrame()).not.toContain('line 39');
    expect(app.lastFrame()).toContain('scrolled back');
    app.stdin.write('\x1b[6~'); // PgDn
    await tick();
    expect(app.lastFrame()).toContain('line 39');
    app.stdin.write('\t');
    await tick();
    expect(chat.getSnapshot().focus).toBe('mine');
    chat.handleActions([{ type: 'text', text: '/clear' }, { type: 'enter' }]);
    await tick();
    expect(app.lastFrame()).not.toContain('line 39');
    app.unmount();
  });

  it('a tampering error ends with the authentication code and says so', async () => {
    const { chat, link } = securedController();
    chat.handleEvent({
      type: 'error',
      error: Object.assign(new Error('authentication failed'), { code: 'AUTH_FAILED' }) as never,
    });
    const outcome = await chat.outcome;
    expect(outcome.code).toBe(5);
    expect(outcome.message).toMatch(/tampering detected/);
    expect(link.closed).toBe(true);
    expect(chat.getSnapshot().phase).toBe('failed');
  });

  it('losing the connection ends with the connection-lost code', async () => {
    const { chat } = securedController();
    chat.handleClose(false, Object.assign(new Error('reset'), { code: 'ECONNRESET' }));
    expect(await chat.outcome).toEqual({ code: 4, message: 'connection to 127.0.0.1:5518 lost: ECONNRESET' });
  });
});

describe('authentication state in terminal mode', () => {
  const statusOf = (chat: ChatController, columns = 100) =>
    screen(chat, columns).lastFrame()!.split('\n').at(-1)!;

  it('says "unverified" in the status bar once secured, until /verify', () => {
    const { chat } = securedController(false, undefined, false);
    expect(chat.getSnapshot().verified).toBe(false);
    expect(statusOf(chat)).toMatch(/secured unverified/);
    expect(screen(chat).lastFrame()!).toContain('Unverified: compare the SAS by voice, then type /verify.');
    chat.handleActions([{ type: 'text', text: '/verify' }, { type: 'enter' }]);
    expect(chat.getSnapshot().verified).toBe(true);
    expect(statusOf(chat)).not.toContain('unverified');
    expect(statusOf(chat)).toContain('secured');
    expect(screen(chat).lastFrame()!).toContain('bob verified: you compared the SAS.');
  });

  it('keeps "unverified" in a narrow status bar (it comes before the SAS and the peer)', () => {
    const { chat } = securedController(false, undefined, false);
    expect(statusOf(chat, 40)).toContain('unverified');
  });

  it('/verify before the channel is secured verifies nothing', () => {
    const chat = new ChatController({ server: 's', room: 'lobby', name: 'alice', live: false });
    chat.attach(new RecordingLink());
    chat.handleEvent({ type: 'waiting' });
    chat.handleActions([{ type: 'text', text: '/verify' }, { type: 'enter' }]);
    expect(chat.getSnapshot().verified).toBe(false);
    expect(chat.getSnapshot().notice?.text).toMatch(/Nothing to verify yet/);
  });

  it('a passphrase (or code) verifies the peer with CONFIRM: no "unverified"', () => {
    const chat = new ChatController({ server: 's', room: 'lobby', name: 'alice', live: false, secret: true });
    chat.attach(new RecordingLink());
    chat.handleEvent({ type: 'paired', role: 'initiator', peerName: 'bob' });
    chat.handleEvent({ type: 'secured', sas: 'a b c', sasWords: ['a', 'b', 'c'] });
    expect(chat.getSnapshot().verified).toBe(true);
    expect(statusOf(chat)).not.toContain('unverified');
  });

  it('--expect-sas: the expected words verify; others end the session with exit 5', async () => {
    const words = ['aardvark', 'adroitness', 'Zulu'];
    const good = new ChatController({ server: 's', room: 'r', name: 'a', live: false, expectSas: words });
    good.attach(new RecordingLink());
    good.handleEvent({ type: 'secured', sas: 'aardvark adroitness Zulu', sasWords: words });
    expect(good.getSnapshot().verified).toBe(true);

    const bad = new ChatController({ server: 's', room: 'r', name: 'a', live: false, expectSas: words });
    const link = new RecordingLink();
    bad.attach(link);
    bad.handleEvent({
      type: 'secured',
      sas: 'aardvark adroitness Yucatan',
      sasWords: ['aardvark', 'adroitness', 'Yucatan'],
    });
    expect(bad.getSnapshot().phase).toBe('failed');
    expect(link.closed).toBe(true);
    const outcome = await bad.outcome;
    expect(outcome.code).toBe(5);
    expect(outcome.message).toMatch(/not the expected "aardvark adroitness Zulu"/);
  });
});

describe('smaller items of issue 12', () => {
  it('Esc closes /help; the ^L notice goes with the next key (or when expired)', () => {
    const { chat } = securedController();
    chat.handleActions([{ type: 'text', text: '/help' }, { type: 'enter' }]);
    expect(chat.getSnapshot().showHelp).toBe(true);
    expect(screen(chat).lastFrame()).toContain('Esc or /help closes');
    chat.handleActions([{ type: 'escape' }]);
    expect(chat.getSnapshot().showHelp).toBe(false);
    chat.handleActions([{ type: 'redraw' }]);
    expect(chat.getSnapshot().notice?.text).toMatch(/^Screen redrawn/);
    chat.handleActions([{ type: 'text', text: 'x' }]);
    expect(chat.getSnapshot().notice).toBeUndefined();
    chat.handleActions([{ type: 'redraw' }]);
    chat.expireNotice();
    expect(chat.getSnapshot().notice).toBeUndefined();
    // Another notice is not taken away by expiry.
    chat.handleActions([{ type: 'kill' }, { type: 'text', text: '/nope' }, { type: 'enter' }]);
    chat.expireNotice();
    expect(chat.getSnapshot().notice?.text).toMatch(/Unknown command/);
  });

  it('the input line after the end invites nothing that no longer works', () => {
    for (const [phase, hint] of [
      ['ended', '(conversation ended)'],
      ['failed', '(connection closed)'],
      ['closing', '(closing)'],
      ['peer-left', '/quit or ^C exits'],
    ] as const) {
      const frame = render(
        <InputLine input="" live={false} phase={phase} width={60} theme={plain} />,
      ).lastFrame()!;
      expect(frame, phase).toContain(hint);
      if (phase !== 'peer-left') expect(frame, phase).not.toContain('/quit');
    }
  });

  it('a held paste shows its first line and how many follow; own text cannot join the cursor', () => {
    const { chat, link } = securedController();
    chat.handleActions([{ type: 'paste', text: 'one\ntwo\nthree' }]);
    const frame = screen(chat).lastFrame()!;
    expect(frame).toContain('> one [+2 lines: ⏎ sends, Esc drops]');
    expect(frame).toContain('Pasted 3 lines: return sends them as 3 messages, Esc drops them.');
    chat.handleActions([{ type: 'enter' }]);
    expect(link.text()).toBe('one\ntwo\nthree\n');
    chat.handleActions([{ type: 'text', text: 'hug👍\u200d' }]);
    expect(screen(chat).lastFrame()).toContain('> hug👍<U+200D>');
  });
});
