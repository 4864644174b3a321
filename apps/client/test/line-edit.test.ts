import { describe, expect, it } from 'vitest';
import {
  decodeTyped,
  editLine,
  editLive,
  emptyInput,
  eraseChar,
  eraseWord,
  type InputState,
  keyToActions,
} from '../src/line-edit.js';

const text = (bytes: Uint8Array) => new TextDecoder().decode(bytes);
const state = (buffer: string, liveLine = ''): InputState => ({ buffer, liveLine });

describe('keyToActions', () => {
  it('maps control keys', () => {
    expect(keyToActions('c', { ctrl: true })).toEqual([{ type: 'quit' }]);
    expect(keyToActions('l', { ctrl: true })).toEqual([{ type: 'redraw' }]);
    expect(keyToActions('u', { ctrl: true })).toEqual([{ type: 'kill' }]);
    expect(keyToActions('w', { ctrl: true })).toEqual([{ type: 'word-erase' }]);
    expect(keyToActions('h', { ctrl: true })).toEqual([{ type: 'erase' }]);
    expect(keyToActions('z', { ctrl: true })).toEqual([]);
  });

  it('maps return, backspace/delete, paging and tab', () => {
    expect(keyToActions('', { return: true })).toEqual([{ type: 'enter' }]);
    expect(keyToActions('', { backspace: true })).toEqual([{ type: 'erase' }]);
    expect(keyToActions('', { delete: true })).toEqual([{ type: 'erase' }]);
    expect(keyToActions('', { pageUp: true })).toEqual([{ type: 'page-up' }]);
    expect(keyToActions('', { pageDown: true })).toEqual([{ type: 'page-down' }]);
    expect(keyToActions('', { home: true })).toEqual([{ type: 'scroll-top' }]);
    expect(keyToActions('', { end: true })).toEqual([{ type: 'scroll-bottom' }]);
    expect(keyToActions('', { tab: true })).toEqual([{ type: 'switch-pane' }]);
  });

  it('ignores escape, meta and arrows', () => {
    expect(keyToActions('', { escape: true })).toEqual([]);
    expect(keyToActions('x', { meta: true })).toEqual([]);
    expect(keyToActions('', { upArrow: true })).toEqual([]);
  });

  it('splits pasted text into lines and edits, dropping other controls', () => {
    expect(keyToActions('ab\r\ncd\n', {})).toEqual([
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
