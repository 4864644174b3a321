import { describe, expect, it } from 'vitest';
import { KeyDecoder } from '../src/keys.js';
import {
  decodeTyped,
  editLine,
  editLive,
  emptyInput,
  eraseChar,
  eraseWord,
  expandTabs,
  type InputAction,
  type InputEffect,
  type InputState,
} from '../src/line-edit.js';

const text = (bytes: Uint8Array) => new TextDecoder().decode(bytes);
const state = (buffer: string, liveLine = ''): InputState => ({ buffer, liveLine });

describe('KeyDecoder (raw keyboard input)', () => {
  const keys = (...chunks: string[]) => {
    const decoder = new KeyDecoder();
    return chunks.flatMap((chunk) => decoder.push(chunk));
  };

  it('maps control keys, including ^Z (suspend) and Esc', () => {
    expect(keys('\x03')).toEqual([{ type: 'quit' }]);
    expect(keys('\x0c')).toEqual([{ type: 'redraw' }]);
    expect(keys('\x15')).toEqual([{ type: 'kill' }]);
    expect(keys('\x17')).toEqual([{ type: 'word-erase' }]);
    expect(keys('\x08')).toEqual([{ type: 'erase' }]);
    expect(keys('\x7f')).toEqual([{ type: 'erase' }]);
    expect(keys('\x1a')).toEqual([{ type: 'suspend' }]);
    expect(keys('\x1b')).toEqual([{ type: 'escape' }]);
    expect(keys('\r')).toEqual([{ type: 'enter' }]);
    expect(keys('\t')).toEqual([{ type: 'switch-pane' }]);
  });

  it('maps paging keys in their xterm, rxvt and VT forms; ignores arrows, F-keys and Alt+key', () => {
    expect(keys('\x1b[5~', '\x1b[6~')).toEqual([{ type: 'page-up' }, { type: 'page-down' }]);
    for (const home of ['\x1b[H', '\x1b[1~', '\x1b[7~', '\x1bOH'])
      expect(keys(home)).toEqual([{ type: 'scroll-top' }]);
    for (const end of ['\x1b[F', '\x1b[4~', '\x1b[8~', '\x1bOF'])
      expect(keys(end)).toEqual([{ type: 'scroll-bottom' }]);
    expect(keys('\x1b[A', '\x1b[D', '\x1bOP', '\x1b[15~', '\x1bx')).toEqual([]);
  });

  it('a bracketed paste is one action, whatever it holds and however it is split', () => {
    const body = 'line one\r\tindented\r\x1b[31mred\x1b[0m\rlast';
    expect(keys('\x1b[200~', body, '\x1b[201~')).toEqual([{ type: 'paste', text: body }]);
    expect(keys(`\x1b[200~${body}\x1b[201~`)).toEqual([{ type: 'paste', text: body }]);
    // Ink's parser splits escape sequences out of the paste: still one paste.
    expect(keys('\x1b[200~', 'line one\r', '\x1b[31m', 'red', '\x1b[201~', 'x')).toEqual([
      { type: 'paste', text: 'line one\r\x1b[31mred' },
      { type: 'text', text: 'x' },
    ]);
    // Keys inside a paste are text, not commands: ^C and ^Z do not quit or suspend.
    expect(keys('\x1b[200~', 'a\x03b\x1a', '\x1b[201~')).toEqual([{ type: 'paste', text: 'a\x03b\x1a' }]);
    // The markers never leak as text.
    expect(JSON.stringify(keys('\x1b[200~hi\x1b[201~'))).not.toContain('200~');
  });

  it('an unbracketed paste of several lines (one read) is a paste; a single line is typing', () => {
    expect(keys('one\rtwo\r')).toEqual([{ type: 'paste', text: 'one\rtwo\r' }]);
    expect(keys('one\ntwo')).toEqual([{ type: 'paste', text: 'one\ntwo' }]);
    expect(keys('hello\r')).toEqual([{ type: 'text', text: 'hello' }, { type: 'enter' }]);
    expect(keys('a\tb')).toEqual([{ type: 'text', text: 'a\tb' }]);
  });

  it('bounds a paste (memory): the rest is dropped', () => {
    const decoder = new KeyDecoder(10);
    decoder.push('\x1b[200~');
    decoder.push('x'.repeat(100));
    expect(decoder.push('\x1b[201~')).toEqual([{ type: 'paste', text: 'x'.repeat(10) }]);
  });
});

describe('decodeTyped', () => {
  it('splits pasted text into lines and edits, dropping other controls', () => {
    expect(decodeTyped('ab\r\ncd\n')).toEqual([
      { type: 'text', text: 'ab' },
      { type: 'enter' },
      { type: 'text', text: 'cd' },
      { type: 'enter' },
    ]);
    expect(decodeTyped('x\x07\x1b[31my\x7f\x15\x17\x03\x0c')).toEqual([
      { type: 'text', text: 'x' },
      { type: 'text', text: '[31my' },
      { type: 'erase' },
      { type: 'kill' },
      { type: 'word-erase' },
      { type: 'quit' },
      { type: 'redraw' },
    ]);
    expect(decodeTyped('a\tb\u0085c')).toEqual([
      { type: 'text', text: 'a\tb' },
      { type: 'text', text: 'c' },
    ]);
  });
});

describe('eraseChar / eraseWord', () => {
  it('erases a code point, not half a surrogate pair', () => {
    expect(eraseChar('a😀')).toBe('a');
    expect(eraseChar('')).toBe('');
  });
  it('erases trailing blanks and the word before them', () => {
    expect(eraseWord('one two  ')).toBe('one ');
    expect(eraseWord('one')).toBe('');
    expect(eraseWord('   ')).toBe('');
  });
});

describe('editLine (line mode)', () => {
  it('edits locally and sends the line with its newline on enter', () => {
    let s = emptyInput;
    for (const a of [
      { type: 'text', text: 'helo' },
      { type: 'erase' },
      { type: 'text', text: 'lo world' },
    ] as const) {
      const r = editLine(s, a);
      expect(r.effects).toEqual([]);
      s = r.state;
    }
    expect(s.buffer).toBe('hello world');
    expect(editLine(s, { type: 'word-erase' }).state.buffer).toBe('hello ');
    expect(editLine(s, { type: 'kill' }).state.buffer).toBe('');
    const sent = editLine(s, { type: 'enter' });
    expect(sent.state.buffer).toBe('');
    expect(sent.effects).toHaveLength(1);
    expect(text((sent.effects[0] as { bytes: Uint8Array }).bytes)).toBe('hello world\n');
  });

  it('runs commands, sends //text as /text, keeps an unknown command for correction', () => {
    expect(editLine(state('/quit'), { type: 'enter' }).effects).toEqual([
      { type: 'command', command: 'quit' },
    ]);
    expect(editLine(state('/SAS '), { type: 'enter' }).effects).toEqual([
      { type: 'command', command: 'sas' },
    ]);
    expect(editLine(state('/help'), { type: 'enter' }).effects).toEqual([
      { type: 'command', command: 'help' },
    ]);
    expect(editLine(state('/clear'), { type: 'enter' }).effects).toEqual([
      { type: 'command', command: 'clear' },
    ]);
    const slash = editLine(state('//etc/passwd'), { type: 'enter' });
    expect(text((slash.effects[0] as { bytes: Uint8Array }).bytes)).toBe('/etc/passwd\n');
    const unknown = editLine(state('/frobnicate'), { type: 'enter' });
    expect(unknown.effects).toEqual([{ type: 'unknown-command', text: '/frobnicate' }]);
    expect(unknown.state.buffer).toBe('/frobnicate');
  });

  it('sends an empty line as a newline', () => {
    const r = editLine(emptyInput, { type: 'enter' });
    expect(text((r.effects[0] as { bytes: Uint8Array }).bytes)).toBe('\n');
  });
});

describe('editLive (live mode)', () => {
  const sent = (r: ReturnType<typeof editLive>) =>
    r.effects.map((e) => (e.type === 'send' ? [...e.bytes] : e.type));

  it('sends keystrokes and the edit bytes as typed', () => {
    expect(sent(editLive(emptyInput, { type: 'text', text: 'hé' }))).toEqual([[0x68, 0xc3, 0xa9]]);
    expect(sent(editLive(state('', 'ab'), { type: 'erase' }))).toEqual([[0x7f]]);
    expect(sent(editLive(state('', 'ab'), { type: 'kill' }))).toEqual([[0x15]]);
    expect(sent(editLive(state('', 'ab'), { type: 'word-erase' }))).toEqual([[0x17]]);
    expect(sent(editLive(state('', 'ab'), { type: 'enter' }))).toEqual([[0x0a]]);
    expect(editLive(state('', 'ab'), { type: 'enter' }).state.liveLine).toBe('');
  });

  it('holds a line that starts with / and runs it as a command on enter', () => {
    let r = editLive(emptyInput, { type: 'text', text: '/' });
    expect(r.effects).toEqual([]);
    r = editLive(r.state, { type: 'text', text: 'sas' });
    expect(r.state.buffer).toBe('/sas');
    r = editLive(r.state, { type: 'enter' });
    expect(r.effects).toEqual([{ type: 'command', command: 'sas' }]);
    expect(r.state).toEqual(emptyInput);
  });

  it('sends a / typed mid-line at once, and //text as /text', () => {
    expect(sent(editLive(state('', 'a'), { type: 'text', text: '/' }))).toEqual([[0x2f]]);
    let r = editLive(emptyInput, { type: 'text', text: '//x' });
    r = editLive(r.state, { type: 'enter' });
    expect(sent(r)).toEqual([[0x2f, 0x78, 0x0a]]);
  });

  it('goes back to live typing when the held line is erased', () => {
    let r = editLive(emptyInput, { type: 'text', text: '/' });
    r = editLive(r.state, { type: 'erase' });
    expect(r.state).toEqual(emptyInput);
    expect(sent(editLive(r.state, { type: 'text', text: 'x' }))).toEqual([[0x78]]);
  });

  it('keeps an unknown held command for correction', () => {
    const r = editLive(state('/nope'), { type: 'enter' });
    expect(r.effects).toEqual([{ type: 'unknown-command', text: '/nope' }]);
    expect(r.state.buffer).toBe('/nope');
  });
});

describe('grapheme clusters, TABs and pastes', () => {
  const run = (actions: InputAction[], state: InputState = emptyInput, edit = editLine) => {
    const effects: InputEffect[] = [];
    for (const action of actions) {
      const result = edit(state, action);
      state = result.state;
      effects.push(...result.effects);
    }
    return {
      state,
      effects,
      sent: effects.flatMap((e) => (e.type === 'send' ? [new TextDecoder().decode(e.bytes)] : [])),
    };
  };

  it('one erase removes what the user sees as one character', () => {
    for (const cluster of [
      '👍🏽',
      '👨‍👩‍👧‍👦',
      '🇫🇷',
      '1️⃣',
      'e\u0301',
      '\u1112\u1161\u11ab',
      '❤️',
      '🏳️‍🌈',
      'क्ष',
    ]) {
      expect(eraseChar(`ok ${cluster}`), cluster).toBe('ok ');
      expect(run([{ type: 'text', text: `a${cluster}` }, { type: 'erase' }]).state.buffer, cluster).toBe('a');
    }
    // Live mode keeps the same count as the peer's pane: one DEL per cluster.
    const live = run(
      [{ type: 'text', text: 'x👍🏽' }, { type: 'erase' }],
      { buffer: '', liveLine: '' },
      editLive,
    );
    expect(live.state.liveLine).toBe('x');
  });

  it('TABs typed or pasted become spaces up to the next multiple of 8 columns', () => {
    expect(expandTabs('', '\tx')).toBe('        x');
    expect(expandTabs('ab', '\tc')).toBe('      c');
    expect(expandTabs('中', '\t|')).toBe('      |');
    expect(expandTabs('', 'a\tb\tc')).toBe('a       b       c');
    expect(expandTabs('x', 'y\n\tz')).toBe('y\n        z');
    expect(run([{ type: 'text', text: 'a\tb' }]).state.buffer).toBe('a       b');
    expect(run([{ type: 'paste', text: 'col1\tcol2' }]).state.buffer).toBe('col1    col2');
    expect(run([{ type: 'text', text: 'a\tb' }], emptyInput, editLive).sent).toEqual(['a       b']);
  });

  it('a one-line paste is one edit of the line; a trailing newline does not send it', () => {
    expect(
      run([
        { type: 'text', text: '> ' },
        { type: 'paste', text: 'quoted' },
      ]).state.buffer,
    ).toBe('> quoted');
    const { state, effects } = run([{ type: 'paste', text: 'just this line\r\n' }]);
    expect(state.buffer).toBe('just this line');
    expect(effects).toEqual([]);
    // Escape sequences and controls in a paste are dropped, not sent.
    expect(run([{ type: 'paste', text: 'a\x1b[31mred\x1b[0m\x07b' }]).state.buffer).toBe('aredb');
  });

  it('a paste of several lines is held: return sends them all, as text (never as commands)', () => {
    const held = run([
      { type: 'text', text: 'see: ' },
      { type: 'paste', text: 'one\r\n/quit\r\tthree\n' },
    ]);
    expect(held.effects).toEqual([{ type: 'paste-held', lines: 3 }]);
    expect(held.state.pendingPaste).toEqual(['see: one', '/quit', '        three']);
    expect(held.sent).toEqual([]);
    // Typing while held does nothing but remind.
    expect(run([{ type: 'text', text: 'x' }], held.state).effects).toEqual([
      { type: 'paste-held', lines: 3 },
    ]);
    const sent = run([{ type: 'enter' }], held.state);
    expect(sent.sent).toEqual(['see: one\n/quit\n        three\n']);
    expect(sent.effects.some((e) => e.type === 'command')).toBe(false);
    expect(sent.state).toMatchObject({ buffer: '', pendingPaste: undefined });
  });

  it('Esc or ^U drops a held paste and keeps what was typed before it', () => {
    for (const drop of [{ type: 'escape' }, { type: 'kill' }] as const) {
      const held = run([
        { type: 'text', text: 'mine' },
        { type: 'paste', text: 'a\nb' },
      ]);
      const dropped = run([drop], held.state);
      expect(dropped.effects).toEqual([{ type: 'paste-dropped', lines: 2 }]);
      expect(dropped.state).toMatchObject({ buffer: 'mine', pendingPaste: undefined });
      expect(dropped.sent).toEqual([]);
    }
  });

  it('live mode: a paste goes out at once, in one piece, newlines included', () => {
    const { sent, state } = run([{ type: 'paste', text: 'a\r\nb\tc' }], emptyInput, editLive);
    expect(sent).toEqual(['a\nb       c']);
    expect(state.liveLine).toBe('b       c');
  });
});
