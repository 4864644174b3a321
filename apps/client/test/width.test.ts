import { readFileSync, realpathSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import {
  graphemes,
  head,
  safeText,
  stringWidth,
  tail,
  textCells,
  wrapCells,
  wrapText,
} from '../src/width.js';

const clientDir = fileURLToPath(new URL('..', import.meta.url));

describe('one width function: the one Ink measures with', () => {
  it('is the very string-width package Ink resolves (same file, same version)', () => {
    const inkDir = realpathSync(join(clientDir, 'node_modules', 'ink'));
    // pnpm puts a package's dependencies beside it: <store>/node_modules/{ink,string-width}.
    const inks = realpathSync(join(inkDir, '..', 'string-width'));
    const ours = realpathSync(join(clientDir, 'node_modules', 'string-width'));
    expect(ours).toBe(inks);
    const inkRange = JSON.parse(readFileSync(join(inkDir, 'package.json'), 'utf8')).dependencies[
      'string-width'
    ];
    const ourRange = JSON.parse(readFileSync(join(clientDir, 'package.json'), 'utf8')).dependencies[
      'string-width'
    ];
    expect(ourRange).toBe(inkRange);
  });

  it('measures the graphemes people type as the renderer does', () => {
    const cases: [string, string, number][] = [
      ['ASCII', 'A', 1],
      ['Latin with a combining mark', 'e\u0301', 1],
      ['emoji with VS16 (heart)', '❤️', 2],
      ['text-style heart', '❤', 1],
      ['keycap', '1️⃣', 2],
      ['flag', '🇫🇷', 2],
      ['skin tone', '👍🏽', 2],
      ['ZWJ family', '👨‍👩‍👧‍👦', 2],
      ['rainbow flag (ZWJ + VS16)', '🏳️‍🌈', 2],
      ['Hangul syllable', '한', 2],
      ['Hangul conjoining jamo', '\u1112\u1161\u11ab', 2],
      ['CJK', '中', 2],
      ['fullwidth A', 'Ａ', 2],
      ['Devanagari conjunct', 'क्ष', 1],
    ];
    for (const [what, text, width] of cases) {
      expect(graphemes(text), what).toHaveLength(1);
      expect(stringWidth(text), what).toBe(width);
      expect(textCells(text), what).toEqual([{ text, width, escaped: false }]);
    }
  });
});

describe('nothing untrusted can join with the characters around it', () => {
  it('escapes zero-width clusters: lone ZWJ, VS16, combining marks, invisibles', () => {
    const cases: [string, string][] = [
      ['\u200d', '<U+200D>'],
      ['\ufe0f', '<U+FE0F>'],
      ['\u0301', '<U+0301>'],
      ['\u200b', '<U+200B>'],
      ['\u2060', '<U+2060>'],
      ['\ufeff', '<U+FEFF>'],
      ['\u{e0001}', '<U+E0001>'],
    ];
    for (const [input, shown] of cases) expect(safeText(input), JSON.stringify(input)).toBe(shown);
    expect(textCells('\u0301').every((cell) => cell.escaped)).toBe(true);
  });

  it('escapes a trailing ZWJ, a leading mark and a trailing Prepend, keeping the rest', () => {
    expect(safeText('hi👍\u200d')).toBe('hi👍<U+200D>');
    expect(safeText('bob\u200d')).toBe('bob<U+200D>');
    expect(safeText('👨‍👩‍👧\u200d')).toBe('👨‍👩‍👧<U+200D>');
    expect(safeText('\u0301abc')).toBe('<U+0301>abc');
    expect(safeText('\ufe0fx')).toBe('<U+FE0F>x');
    expect(safeText('x\u0600')).toBe('x<U+0600>');
    // Inside text they are the writer's own and stay: é, a family, a flag, a keycap.
    expect(safeText('cafe\u0301 👨‍👩‍👧 🇫🇷 1️⃣')).toBe('cafe\u0301 👨‍👩‍👧 🇫🇷 1️⃣');
  });

  it('property: safe text never joins with a character drawn before or after it', () => {
    const pieces = [
      'a',
      ' ',
      '\u200d',
      '\u0301',
      '\ufe0f',
      '👍',
      '🏽',
      '🇫',
      '\u1100',
      '\u1161',
      '\u0600',
      '中',
      '❤',
    ];
    const segmenter = new Intl.Segmenter();
    for (let i = 0; i < 3000; i++) {
      let text = '';
      const n = 1 + (i % 6);
      for (let k = 0; k < n; k++) text += pieces[(i * 7 + k * 13 + Math.floor(i / 5)) % pieces.length];
      const safe = safeText(text);
      const pairs: [string, string][] = [
        ['▸', '─'],
        ['│', '👍'],
        ['x', 'y'],
      ];
      for (const [before, after] of pairs) {
        const clusters = [...segmenter.segment(before + safe + after)].map((s) => s.segment);
        expect(clusters[0], JSON.stringify(text)).toBe(before);
        expect(clusters.at(-1), JSON.stringify(text)).toBe(after);
      }
    }
  });
});

describe('wrapping and cutting, by clusters and columns', () => {
  it('wraps at word boundaries', () => {
    expect(wrapText('read this code aloud', 10)).toEqual(['read this', 'code aloud']);
    expect(stringWidth('I ❤️ arctalk, see you at the station, bye!')).toBe(42);
    expect(wrapText('I ❤️ arctalk, see you at the station, bye!', 42)).toEqual([
      'I ❤️ arctalk, see you at the station, bye!',
    ]);
    expect(wrapText('I ❤️ arctalk, see you at the station, bye!', 41)).toEqual([
      'I ❤️ arctalk, see you at the station,',
      'bye!',
    ]);
    expect(wrapText('I ❤️ arctalk, see you at the station, bye!', 20)).toEqual([
      'I ❤️ arctalk, see',
      'you at the station,',
      'bye!',
    ]);
    // A word longer than a row starts its own row and is broken between clusters.
    expect(wrapText('see https://example.org/a/long/path ok', 12)).toEqual([
      'see',
      'https://exam',
      'ple.org/a/lo',
      'ng/path ok',
    ]);
  });

  it('never splits a cluster nor overfills a row: emoji, flags, families, CJK in a narrow pane', () => {
    const texts = [
      '❤️'.repeat(60),
      '🇫🇷🇩🇪🇯🇵🇺🇦'.repeat(5),
      '👨‍👩‍👧‍👦 👍🏽 1️⃣ 🏳️‍🌈 '.repeat(4),
      '中文字符和日本語の文章、한국어 문장'.repeat(3),
      'cafe\u0301 na\u0308ive '.repeat(6),
    ];
    for (const text of texts) {
      const clusters = graphemes(text);
      for (const width of [3, 5, 7, 11, 20, 41]) {
        const rows = wrapCells(textCells(text), width);
        for (const row of rows) expect(row.reduce((n, c) => n + c.width, 0)).toBeLessThanOrEqual(width);
        // Every cluster is kept whole (blanks at breaks aside).
        const kept = rows.flat().map((c) => c.text);
        expect(kept.filter((c) => c.trim())).toEqual(clusters.filter((c) => c.trim()));
      }
    }
  });

  it('head and tail cut between clusters', () => {
    expect(head('👨‍👩‍👧‍👦👨‍👩‍👧‍👦', 3)).toBe('👨‍👩‍👧‍👦…');
    expect(tail('👍🏽👍🏽👍🏽', 4)).toBe('…👍🏽');
    expect(tail('日本語', 5)).toBe('…本語');
    expect(head('🇫🇷🇩🇪', 3)).toBe('🇫🇷…');
  });
});
