import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { caret, type DisplayToken, sanitizeLine, TerminalSanitizer } from '../src/sanitize.js';

const bytes = (...values: number[]) => Uint8Array.from(values);
const utf8 = (text: string) => new TextEncoder().encode(text);

/** Runs the whole input through a fresh sanitiser, flush included. */
function tokens(
  input: Uint8Array,
  options?: ConstructorParameters<typeof TerminalSanitizer>[0],
): DisplayToken[] {
  const s = new TerminalSanitizer(options);
  return [...s.push(input), ...s.flush()];
}

/** What would reach the terminal for those tokens (layout tokens as \n, \t). */
function render(list: readonly DisplayToken[]): string {
  return list
    .map((t) => {
      if (t.type === 'text' || t.type === 'escaped') return t.text;
      if (t.type === 'newline') return '\n';
      if (t.type === 'tab') return '\t';
      return `{${t.type}}`;
    })
    .join('');
}

/** True if the string holds anything a terminal would act on. */
function hasTerminalControl(text: string): boolean {
  return /[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u061c\u200e\u200f\u2028-\u202e\u2066-\u2069]/u.test(text);
}

describe('TerminalSanitizer', () => {
  it('passes printable ASCII and UTF-8 through as one run of text', () => {
    const list = tokens(utf8('Ab é中😀'));
    expect(render(list)).toBe('Ab é中😀');
    expect(list).toEqual([{ type: 'text', text: 'Ab é中😀' }]);
  });

  it('shows CSI sequences as text: ESC becomes ^[', () => {
    const out = render(tokens(utf8('\x1b[2J\x1b[H\x1b[31mred')));
    expect(out).toBe('^[[2J^[[H^[[31mred');
    expect(out).not.toContain('\x1b');
  });

  it('defuses a window-title OSC and a fake status bar (cursor moves, save/restore)', () => {
    expect(render(tokens(utf8('\x1b]0;pwned\x07')))).toBe('^[]0;pwned^G');
    expect(render(tokens(utf8('\x1b7\x1b[999;1H\x1b[7m secured \x1b8')))).toBe(
      '^[7^[[999;1H^[[7m secured ^[8',
    );
  });

  it('shows the 8-bit CSI both as a C1 character and as a raw byte', () => {
    expect(render(tokens(bytes(0xc2, 0x9b, 0x32, 0x4a)))).toBe('<U+009B>2J');
    expect(render(tokens(bytes(0x9b, 0x32, 0x4a)))).toBe('\\x9B2J');
  });

  it('escapes every C0 control in caret notation except tab, newline, CR LF and the edit bytes', () => {
    const layoutOrEdit = new Set([0x08, 0x09, 0x0a, 0x0d, 0x15, 0x17]);
    for (let byte = 0; byte < 0x20; byte++) {
      if (layoutOrEdit.has(byte)) continue;
      const list = tokens(bytes(byte));
      expect(list).toEqual([{ type: 'escaped', text: caret(byte) }]);
    }
    expect(caret(0x00)).toBe('^@');
    expect(caret(0x1b)).toBe('^[');
    expect(caret(0x1f)).toBe('^_');
    expect(caret(0x7f)).toBe('^?');
  });

  it('escapes every C1 control as <U+XXXX>', () => {
    for (let cp = 0x80; cp <= 0x9f; cp++) {
      expect(render(tokens(utf8(String.fromCodePoint(cp))))).toBe(`<U+00${cp.toString(16).toUpperCase()}>`);
    }
  });

  it('escapes bidi overrides, isolates, marks and line/paragraph separators', () => {
    for (const cp of [
      0x061c, 0x200e, 0x200f, 0x2028, 0x2029, 0x202a, 0x202b, 0x202c, 0x202d, 0x202e, 0x2066, 0x2067, 0x2068,
      0x2069,
    ]) {
      const list = tokens(utf8(`a${String.fromCodePoint(cp)}b`));
      expect(list[1]).toEqual({
        type: 'escaped',
        text: `<U+${cp.toString(16).toUpperCase().padStart(4, '0')}>`,
      });
    }
  });

  it('turns the live-mode edit bytes into edit tokens, or escapes them when told not to interpret', () => {
    expect(tokens(bytes(0x7f, 0x08, 0x15, 0x17)).map((t) => t.type)).toEqual([
      'erase',
      'erase',
      'kill',
      'word-erase',
    ]);
    expect(render(tokens(bytes(0x7f, 0x08, 0x15, 0x17), { interpretEdits: false }))).toBe('^?^H^U^W');
  });

  it('keeps newline, tab and CR LF; shows a lone CR as ^M', () => {
    expect(tokens(utf8('a\tb\nc')).map((t) => t.type)).toEqual(['text', 'tab', 'text', 'newline', 'text']);
    expect(render(tokens(utf8('a\r\nb')))).toBe('a\nb');
    expect(render(tokens(utf8('a\rb')))).toBe('a^Mb');
    expect(render(tokens(utf8('a\r\r\n')))).toBe('a^M\n');
  });

  it('joins CR LF and multi-byte characters split across pushes; flush shows what is held', () => {
    const s = new TerminalSanitizer();
    expect(render(s.push(utf8('x\r')))).toBe('x');
    expect(render(s.push(utf8('\ny')))).toBe('\ny');
    expect(render(s.push(bytes(0xe4, 0xb8)))).toBe('');
    expect(render(s.push(bytes(0xad)))).toBe('中');
    expect(render(s.push(bytes(0xf0, 0x9f)))).toBe('');
    expect(render(s.flush())).toBe('\\xF0\\x9F');
    s.push(utf8('\r'));
    expect(render(s.flush())).toBe('^M');
  });

  it('shows each byte of ill-formed UTF-8 as \\xNN and resynchronises on the next byte', () => {
    const cases: [number[], string][] = [
      [[0x80], '\\x80'], // lone continuation
      [[0xc0, 0x80], '\\xC0\\x80'], // overlong NUL
      [[0xc1, 0xbf], '\\xC1\\xBF'], // overlong
      [[0xe0, 0x80, 0x80], '\\xE0\\x80\\x80'], // overlong 3-byte
      [[0xed, 0xa0, 0x80], '\\xED\\xA0\\x80'], // UTF-16 surrogate D800
      [[0xf0, 0x80, 0x80, 0x80], '\\xF0\\x80\\x80\\x80'], // overlong 4-byte
      [[0xf4, 0x90, 0x80, 0x80], '\\xF4\\x90\\x80\\x80'], // above U+10FFFF
      [[0xf5, 0x41], '\\xF5A'],
      [[0xff, 0xfe], '\\xFF\\xFE'],
      [[0xe2, 0x82, 0x41], '\\xE2\\x82A'], // truncated, then ASCII
      [[0xe2, 0x82, 0xe2, 0x82, 0xac], '\\xE2\\x82€'], // truncated, then a whole euro sign
      [[0xc3, 0x1b], '\\xC3^['], // truncated, then ESC: still escaped
    ];
    for (const [input, expected] of cases) expect(render(tokens(Uint8Array.from(input)))).toBe(expected);
  });

  it('accepts the boundaries of well-formed UTF-8', () => {
    const edges = [0x7e, 0xa0, 0x7ff, 0x800, 0xd7ff, 0xe000, 0xfffd, 0x10000, 0x10ffff];
    for (const cp of edges) {
      const list = tokens(utf8(String.fromCodePoint(cp)));
      expect(list).toHaveLength(1);
      expect(list[0]).toMatchObject({ type: 'text', text: String.fromCodePoint(cp) });
    }
  });

  it('never lets a terminal control through, whatever the bytes (property)', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 300 }), (input) => {
        const out = tokens(input)
          .filter((t) => t.type === 'text' || t.type === 'escaped')
          .map((t) => (t as { text: string }).text)
          .join('');
        return !hasTerminalControl(out) && !/\p{Cs}/u.test(out);
      }),
      { numRuns: 500 },
    );
  });

  /** Adjacent text tokens as one (a push boundary may split a run of text). */
  const joinText = (list: DisplayToken[]): DisplayToken[] =>
    list.reduce<DisplayToken[]>((out, token) => {
      const last = out[out.length - 1];
      if (token.type === 'text' && last?.type === 'text')
        out[out.length - 1] = { type: 'text', text: last.text + token.text };
      else out.push(token);
      return out;
    }, []);

  it('gives the same tokens for any split of the input, runs of text aside (property)', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ maxLength: 200 }),
        fc.array(fc.nat(200), { maxLength: 8 }),
        (input, cuts) => {
          const whole = tokens(input);
          const s = new TerminalSanitizer();
          const points = [...new Set(cuts.map((c) => c % (input.length + 1)))].sort((a, b) => a - b);
          const pieces: DisplayToken[] = [];
          let start = 0;
          for (const point of [...points, input.length]) {
            pieces.push(...s.push(input.subarray(start, point)));
            start = point;
          }
          pieces.push(...s.flush());
          expect(joinText(pieces)).toEqual(whole);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('round-trips any well-formed text without controls unchanged (property)', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme', maxLength: 50 }), (text) => {
        fc.pre(!hasTerminalControl(text) && !/[\t\n\r]/.test(text));
        expect(render(tokens(utf8(text)))).toBe(text);
      }),
      { numRuns: 300 },
    );
  });

  it('rejects a non-Uint8Array', () => {
    expect(() => new TerminalSanitizer().push('text' as unknown as Uint8Array)).toThrow(
      new TypeError('"bytes" expected Uint8Array, got string'),
    );
  });
});

describe('sanitizeLine', () => {
  it('escapes newline, tab and controls, for names and server messages', () => {
    expect(sanitizeLine('bob\x1b]0;pwned\x07')).toBe('bob^[]0;pwned^G');
    expect(sanitizeLine('two\nlines\tand\x7f')).toBe('two^Jlines^Iand^?');
    expect(sanitizeLine(bytes(0x61, 0xff, 0x62))).toBe('a\\xFFb');
  });

  it('shows lone surrogates of a JS string as an invalid byte', () => {
    expect(sanitizeLine('a\ud800b')).toBe('a\\xFFb');
    expect(sanitizeLine('😀')).toBe('😀');
  });

  it('truncates to maxLength with an ellipsis', () => {
    expect(sanitizeLine('abcdefgh', 5)).toBe('abcd…');
    expect(sanitizeLine('abc', 5)).toBe('abc');
  });

  it('rejects other types', () => {
    expect(() => sanitizeLine(42 as unknown as string)).toThrow(TypeError);
  });
});

describe('SafeTextStream (pipe mode to a terminal): graphemes', () => {
  it('holds the last cluster until the next bytes, so a split sequence joins; a trailing ZWJ shows escaped', async () => {
    const { SafeTextStream } = await import('../src/sanitize.js');
    const stream = new SafeTextStream();
    let out = stream.push(utf8('hi 👨\u200d'));
    out += stream.push(utf8('👩'));
    out += stream.push(utf8(' cafe'));
    out += stream.push(utf8('\u0301 end👍\u200d'));
    out += stream.flush();
    expect(out).toBe('hi 👨\u200d👩 cafe\u0301 end👍<U+200D>');
    const lone = new SafeTextStream();
    expect(lone.push(utf8('\u200d\n')) + lone.flush()).toBe('<U+200D>\n');
  });
});
