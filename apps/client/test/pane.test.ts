import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { editLive, emptyInput, type InputAction, type InputState } from '../src/line-edit.js';
import { PaneBuffer, type Row, wrapRows } from '../src/pane.js';

const utf8 = (text: string) => new TextEncoder().encode(text);
const rowText = (row: Row) => row.map((s) => s.text).join('');
const write = (pane: PaneBuffer, text: string) => pane.write(utf8(text));

describe('PaneBuffer', () => {
  it('keeps lines, the last one open', () => {
    const pane = new PaneBuffer();
    write(pane, 'hello\nwor');
    write(pane, 'ld');
    expect(pane.lines()).toEqual(['hello', 'world']);
  });

  it('erase, kill and word-erase act on the open line only (talk semantics)', () => {
    const pane = new PaneBuffer();
    write(pane, 'ab\ncd\x7f\x7f\x7f\x7f\x7f');
    expect(pane.lines()).toEqual(['ab', '']);
    write(pane, 'one two  \x17');
    expect(pane.lines()).toEqual(['ab', 'one ']);
    write(pane, 'three\x15x');
    expect(pane.lines()).toEqual(['ab', 'x']);
    write(pane, '\x08');
    expect(pane.lines()).toEqual(['ab', '']);
  });

  it('erases an escaped control or a wide character as one unit', () => {
    const pane = new PaneBuffer();
    write(pane, 'a\x1b中');
    expect(pane.lines()).toEqual(['a^[中']);
    write(pane, '\x7f');
    expect(pane.lines()).toEqual(['a^[']);
    write(pane, '\x7f');
    expect(pane.lines()).toEqual(['a']);
  });

  it('shows edit bytes escaped when not interpreting them', () => {
    const pane = new PaneBuffer({ interpretEdits: false });
    write(pane, 'a\x7f\x15');
    expect(pane.lines()).toEqual(['a^?^U']);
  });

  it('expands tabs to the next stop and erases a tab as one unit', () => {
    const pane = new PaneBuffer();
    write(pane, 'ab\tc');
    expect(pane.lines()).toEqual(['ab      c']);
    write(pane, '\x7f\x7f');
    expect(pane.lines()).toEqual(['ab']);
    write(pane, '\t');
    expect(pane.lines()).toEqual(['ab      ']);
  });

  it('flags escaped runs in the rendered rows', () => {
    const pane = new PaneBuffer();
    write(pane, 'x\x1b[2Jy');
    const { rows } = pane.view(80, 1);
    expect(rows[0]).toEqual([
      { text: 'x', escaped: false },
      { text: '^[', escaped: true },
      { text: '[2Jy', escaped: false },
    ]);
  });

  it('wraps to the width, wide characters included', () => {
    const pane = new PaneBuffer();
    write(pane, 'abcdefghij');
    expect(pane.view(4, 10).rows.map(rowText)).toEqual(['abcd', 'efgh', 'ij']);
    expect(wrapRows([], 5)).toEqual([[]]);
    const wide = new PaneBuffer();
    write(wide, '中中a');
    expect(wide.view(3, 5).rows.map(rowText)).toEqual(['中', '中a']);
  });

  it('splits an escape wider than the pane', () => {
    const pane = new PaneBuffer();
    write(pane, '\u202e');
    expect(pane.view(3, 5).rows.map(rowText)).toEqual(['<U+', '202', 'E>']);
  });

  it('shows the bottom rows, scrolls back, and clamps the offset', () => {
    const pane = new PaneBuffer();
    for (let i = 0; i < 10; i++) write(pane, `line ${i}\n`);
    expect(pane.view(20, 3).rows.map(rowText)).toEqual(['line 7', 'line 8', 'line 9']);
    const back = pane.view(20, 3, 2);
    expect(back.rows.map(rowText)).toEqual(['line 5', 'line 6', 'line 7']);
    expect(back.scroll).toBe(2);
    const top = pane.view(20, 3, 1000);
    expect(top.rows.map(rowText)).toEqual(['line 0', 'line 1', 'line 2']);
    expect(top.scroll).toBe(7);
    expect(top.atTop).toBe(true);
  });

  it('keeps at most maxLines and breaks lines longer than maxLineCells', () => {
    const pane = new PaneBuffer({ maxLines: 3, maxLineCells: 4 });
    write(pane, 'a\nb\nc\nd\ne');
    expect(pane.lines()).toEqual(['c', 'd', 'e']);
    const long = new PaneBuffer({ maxLineCells: 4 });
    write(long, 'abcdefghij');
    expect(long.lines()).toEqual(['abcd', 'efgh', 'ij']);
  });

  it('keeps at most maxCells in all, dropping the oldest lines, whatever the line lengths', () => {
    const pane = new PaneBuffer({ maxCells: 10, maxLineCells: 4 });
    write(pane, 'abc\nde\nfgh\nij\nk');
    // 3+2+3+2 = 10 finished cells: all kept; one more line over the budget drops the oldest.
    expect(pane.lines()).toEqual(['abc', 'de', 'fgh', 'ij', 'k']);
    write(pane, '\nlm');
    expect(pane.lines()).toEqual(['de', 'fgh', 'ij', 'k', 'lm']);
    // Edits give cells back: the count follows erase, kill and word-erase (11 cells
    // then, so only 'de' goes; without the edits counted, 'fgh' would go too).
    write(pane, '\x7f\x15xy z\x17\nn');
    expect(pane.lines()).toEqual(['fgh', 'ij', 'k', 'xy ', 'n']);
    // A flood without newlines (broken at maxLineCells) stays within the budget too.
    const flood = new PaneBuffer({ maxCells: 1000, maxLineCells: 64 });
    for (let i = 0; i < 100; i++) write(flood, 'x'.repeat(500));
    const kept = flood.lines().reduce((sum, line) => sum + line.length, 0);
    expect(kept).toBeLessThanOrEqual(1000 + 64);
    expect(kept).toBeGreaterThan(1000 - 64);
  });

  it('clears, and bumps its version on every change', () => {
    const pane = new PaneBuffer();
    const v0 = pane.version;
    write(pane, 'x\ny');
    expect(pane.version).toBeGreaterThan(v0);
    pane.clear();
    expect(pane.lines()).toEqual(['']);
    expect(pane.lineCount).toBe(1);
  });

  it('shows a split multi-byte character once it is complete, and a held one escaped on flush', () => {
    const pane = new PaneBuffer();
    pane.write(Uint8Array.of(0xe4, 0xb8));
    expect(pane.lines()).toEqual(['']);
    pane.write(Uint8Array.of(0xad, 0xe4));
    expect(pane.lines()).toEqual(['中']);
    pane.flush();
    expect(pane.lines()).toEqual(['中\\xE4']);
  });

  it('the peer pane ends up with the same line as the live typist (property)', () => {
    const action = fc.oneof(
      fc.record({ type: fc.constant('text' as const), text: fc.stringMatching(/^[a-z ]{1,4}$/) }),
      fc.constantFrom<InputAction>(
        { type: 'erase' },
        { type: 'kill' },
        { type: 'word-erase' },
        { type: 'enter' },
      ),
    );
    fc.assert(
      fc.property(fc.array(action, { maxLength: 40 }), (actions) => {
        let state: InputState = emptyInput;
        const theirs = new PaneBuffer();
        const typed: string[] = [''];
        for (const a of actions) {
          const result = editLive(state, a);
          state = result.state;
          for (const effect of result.effects) if (effect.type === 'send') theirs.write(effect.bytes);
          if (a.type === 'enter') typed.push('');
          typed[typed.length - 1] = state.liveLine;
        }
        expect(theirs.lines()).toEqual(typed);
      }),
      { numRuns: 300 },
    );
  });
});

describe('PaneBuffer: grapheme clusters', () => {
  it('erase takes what the user sees as one character: skin tone, ZWJ family, flag, keycap, é, Hangul', () => {
    for (const cluster of ['👍🏽', '👨‍👩‍👧‍👦', '🇫🇷', '1️⃣', 'e\u0301', '\u1112\u1161\u11ab', '❤️', 'क्ष']) {
      const pane = new PaneBuffer();
      write(pane, `a${cluster}\x7f`);
      expect(pane.lines(), cluster).toEqual(['a']);
    }
  });

  it('a cluster split across writes (frames or keystrokes) joins again', () => {
    const cases: [string[], string][] = [
      [['cafe', '\u0301'], 'cafe\u0301'],
      [['👍', '🏽'], '👍🏽'],
      [['👨\u200d', '👩\u200d', '👧'], '👨‍👩‍👧'],
      [['🇫', '🇷'], '🇫🇷'],
      [['1', '\ufe0f', '\u20e3'], '1️⃣'],
      [['\u1112', '\u1161', '\u11ab'], '\u1112\u1161\u11ab'],
    ];
    for (const [parts, whole] of cases) {
      const pane = new PaneBuffer();
      for (const part of parts) write(pane, part);
      expect(pane.lines(), whole).toEqual([whole]);
      write(pane, '\x7f');
      expect(pane.lines()[0], whole).toBe(whole.startsWith('caf') ? 'caf' : '');
    }
  });

  it('while open, a trailing ZWJ shows escaped; the rest of the sequence then joins it', () => {
    const pane = new PaneBuffer();
    write(pane, '👨\u200d');
    expect(pane.lines()).toEqual(['👨<U+200D>']);
    write(pane, '👩');
    expect(pane.lines()).toEqual(['👨‍👩']);
  });

  it('joiners after a newline, a tab or an escape stand alone, escaped', () => {
    const pane = new PaneBuffer();
    write(pane, 'a\n\u0301b\t\u200dc\x01\ufe0f');
    expect(pane.lines()).toEqual(['a', '<U+0301>b       <U+200D>c^A<U+FE0F>']);
  });
});
