/**
 * Display width of a code point in a monospace terminal, in columns: 0 for
 * combining marks and zero-width format characters, 2 for East Asian Wide and
 * Fullwidth characters (Unicode UAX #11) and emoji shown as pictures, 1 otherwise.
 *
 * An approximation of `wcwidth(3)`: terminals disagree with each other on the
 * edges anyway. The panes render each row as a truncated <Text>, so a wrong
 * guess costs at most a clipped character, never a broken layout.
 */

/** Ranges (inclusive) of East Asian Wide (W) and Fullwidth (F) code points, UAX #11. */
const WIDE_RANGES: readonly (readonly [number, number])[] = [
  [0x1100, 0x115f],
  [0x2329, 0x232a],
  [0x2e80, 0x303e],
  [0x3041, 0x33ff],
  [0x3400, 0x4dbf],
  [0x4e00, 0x9fff],
  [0xa000, 0xa4cf],
  [0xa960, 0xa97f],
  [0xac00, 0xd7a3],
  [0xf900, 0xfaff],
  [0xfe10, 0xfe19],
  [0xfe30, 0xfe6f],
  [0xff00, 0xff60],
  [0xffe0, 0xffe6],
  [0x16fe0, 0x16fe4],
  [0x17000, 0x18cff],
  [0x1b000, 0x1b2ff],
  [0x20000, 0x2fffd],
  [0x30000, 0x3fffd],
];

const ZERO_WIDTH = /^[\p{Mn}\p{Me}\p{Cf}]$/u;
const EMOJI_PRESENTATION = /^\p{Emoji_Presentation}$/u;

/**
 * Columns a code point occupies.
 *
 * @param codePoint - a Unicode scalar value (not a control character: those are escaped before)
 * @returns 0, 1 or 2
 * @example
 * codePointWidth(0x41);   // 1  'A'
 * codePointWidth(0x4e2d); // 2  '中'
 * codePointWidth(0x301);  // 0  combining acute accent
 */
export function codePointWidth(codePoint: number): 0 | 1 | 2 {
  if (codePoint < 0x300) return 1;
  const char = String.fromCodePoint(codePoint);
  if (ZERO_WIDTH.test(char)) return 0;
  for (const [low, high] of WIDE_RANGES) {
    if (codePoint < low) break;
    if (codePoint <= high) return 2;
  }
  if (EMOJI_PRESENTATION.test(char)) return 2;
  return 1;
}

/**
 * Columns a string occupies (sum of its code points' widths).
 *
 * @param text - printable text (already sanitised)
 * @returns the width in columns
 * @example
 * stringWidth('a中'); // 3
 */
export function stringWidth(text: string): number {
  let width = 0;
  for (const char of text) width += codePointWidth(char.codePointAt(0)!);
  return width;
}

/**
 * Rows a text takes when Ink word-wraps it (`<Text wrap="wrap">`, which is
 * wrap-ansi with `hard: true, trim: false`) to `width` columns. The same greedy
 * rules: words split at single spaces; the space before a word stays, even at
 * the start of a row when the row before was exactly full; a word wider than a
 * row is broken by characters (a wide one never straddles two rows), starting on
 * a fresh row when that takes fewer breaks. A box this high holds the text.
 *
 * @param text - one paragraph of printable text (no newlines, no escapes)
 * @param width - columns per row (≥ 1)
 * @returns the number of rows, at least 1
 * @example
 * wrappedRows('read this code aloud', 10); // 3
 */
export function wrappedRows(text: string, width: number): number {
  const columns = Math.max(1, Math.floor(width));
  let rows = 1;
  let used = 0;
  text.split(' ').forEach((word, index) => {
    const wordWidth = stringWidth(word);
    if (index > 0) {
      if (used >= columns) {
        rows++;
        used = 0;
      }
      used++;
    }
    if (wordWidth > columns) {
      const breaksHere = 1 + Math.floor((wordWidth - (columns - used) - 1) / columns);
      const breaksNext = Math.floor((wordWidth - 1) / columns);
      if (breaksNext < breaksHere) {
        rows++;
        used = 0;
      }
      const chars = [...word];
      chars.forEach((char, at) => {
        const charWidth = codePointWidth(char.codePointAt(0)!);
        if (used + charWidth > columns) {
          rows++;
          used = 0;
        }
        used += charWidth;
        if (used === columns && at < chars.length - 1) {
          rows++;
          used = 0;
        }
      });
      return;
    }
    if (used + wordWidth > columns && used > 0 && wordWidth > 0) {
      rows++;
      used = 0;
    }
    used += wordWidth;
  });
  return rows;
}
