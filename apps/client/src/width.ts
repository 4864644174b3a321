/**
 * Text as the terminal UI draws it: grapheme clusters (what a user sees as one
 * character, UAX #29 via `Intl.Segmenter`), each measured by `string-width`,
 * the very function (and major version) Ink measures and lays out text with, so
 * a row we build never measures differently in Ink: no cut, no `…`, no shift.
 *
 * Untrusted text (a peer's words, names, the relay's messages) is turned into
 * {@link Cell}s here, and that is where it is kept from joining with the UI's
 * own characters: a cluster that measures zero columns (a lone ZWJ, variation
 * selector, combining mark or other invisible), leading code points that would
 * join with whatever is drawn before it, and trailing ones that would join with
 * whatever is drawn after it (a ZWJ, which tmux and emoji-aware terminals glue to
 * the next character; a Prepend character) are shown as `<U+200D>`, never as
 * themselves.
 */
import stringWidth from 'string-width';

export { stringWidth };

const segmenter = new Intl.Segmenter(undefined, { granularity: 'grapheme' });

/**
 * Splits text into grapheme clusters (UAX #29, extended).
 *
 * @param text - any string
 * @returns its clusters, in order
 * @example
 * graphemes('e\u0301👍🏽'); // ['é', '👍🏽']
 */
export function graphemes(text: string): string[] {
  if (/^[\x20-\x7e]*$/.test(text)) return text.split('');
  const out: string[] = [];
  for (const { segment } of segmenter.segment(text)) out.push(segment);
  return out;
}

/** One displayed unit: a grapheme cluster, an escaped code point or byte, or a tab's spaces. */
export interface Cell {
  /** what is drawn */
  readonly text: string;
  /** columns, by string-width (escaped notation: its length) */
  readonly width: number;
  /** drawn in inverse video: this stands for something that was not shown as itself */
  readonly escaped: boolean;
}

const hex = (value: number) => value.toString(16).toUpperCase().padStart(4, '0');

/**
 * The notation of a code point shown escaped: `<U+200D>`.
 *
 * @param codePoint - a Unicode scalar value
 * @returns the notation
 */
export function codePointNotation(codePoint: number): string {
  return `<U+${hex(codePoint)}>`;
}

function escapedCells(text: string): Cell[] {
  return [...text].map((char) => {
    const notation = codePointNotation(char.codePointAt(0)!);
    return { text: notation, width: notation.length, escaped: true };
  });
}

const ZWJ = '\u200d';
const PROBE_BEFORE = 'a';
const PROBE_AFTER = ['a', '\u{1f600}'];

/** True when `cluster` would join with a character drawn before it (it starts with an extender). */
function joinsBefore(cluster: string): boolean {
  const [first] = segmenter.segment(PROBE_BEFORE + cluster);
  return first !== undefined && first.segment.length > PROBE_BEFORE.length;
}

/** True when `cluster` would join with a character drawn after it (a trailing ZWJ or Prepend). */
function joinsAfter(cluster: string): boolean {
  if (cluster.endsWith(ZWJ)) return true;
  return PROBE_AFTER.some((probe) => {
    const [first] = segmenter.segment(cluster + probe);
    return first !== undefined && first.segment.length > cluster.length;
  });
}

/**
 * The cells of one grapheme cluster of untrusted, already control-free text.
 * A cluster that is safe to draw is one cell of its string-width; otherwise the
 * code points that could join with the surroundings, or the whole cluster when it
 * has no width, are escaped.
 *
 * @param cluster - one grapheme cluster (no C0/C1 controls)
 * @returns one or more cells
 * @example
 * clusterCells('👍\u200d'); // 👍 (2 columns), then <U+200D> escaped
 */
export function clusterCells(cluster: string): Cell[] {
  if (cluster.length === 1 && cluster >= ' ' && cluster <= '~')
    return [{ text: cluster, width: 1, escaped: false }];
  if (cluster === '') return [];
  const width = stringWidth(cluster);
  if (width === 0) return escapedCells(cluster);
  if (joinsBefore(cluster)) {
    const first = String.fromCodePoint(cluster.codePointAt(0)!);
    return [...escapedCells(first), ...textCells(cluster.slice(first.length))];
  }
  if (joinsAfter(cluster)) {
    const chars = [...cluster];
    const last = chars.pop()!;
    return [...textCells(chars.join('')), ...escapedCells(last)];
  }
  return [{ text: cluster, width, escaped: false }];
}

/**
 * The cells of untrusted, already control-free text (see {@link clusterCells}).
 *
 * @param text - printable text
 * @returns the cells, in order
 * @example
 * textCells('I ❤️ it').map((c) => c.width); // [1, 1, 2, 1, 1, 1]
 */
export function textCells(text: string): Cell[] {
  const cells: Cell[] = [];
  for (const cluster of graphemes(text)) cells.push(...clusterCells(cluster));
  return cells;
}

/**
 * Text safe to draw next to the UI's own characters: {@link textCells} joined,
 * escaped code points in their `<U+XXXX>` notation.
 *
 * @param text - printable text
 * @returns the safe text
 * @example
 * safeText('bob\u200d'); // 'bob<U+200D>'
 */
export function safeText(text: string): string {
  return textCells(text)
    .map((cell) => cell.text)
    .join('');
}

const isBlank = (cell: Cell): boolean => !cell.escaped && /^\s+$/u.test(cell.text);

/**
 * Wraps a line of cells into rows of at most `width` columns, at word
 * boundaries: a row breaks after a blank, or between two wide (East Asian)
 * characters; blanks at a break are not carried to the next row; a word wider
 * than a row starts on a row of its own and is broken between clusters. A
 * cluster is never split, and no row is wider than `width` (a cluster wider
 * than the whole row, only possible for `width` 1, gets a row to itself).
 *
 * @param cells - the line
 * @param width - columns per row (≥ 1)
 * @returns the rows (at least one, possibly empty), each a list of cells
 * @example
 * wrapCells(textCells('read this code aloud'), 10).length; // 2: 'read this ', 'code aloud'
 */
export function wrapCells<C extends Cell>(input: readonly C[], width: number): C[][] {
  const columns = Math.max(1, Math.floor(width));
  // An escaped notation wider than the row is split into its characters (escaped still).
  const fitted: C[] = [];
  for (const cell of input) {
    if (cell.escaped && cell.width > columns) {
      for (const char of cell.text) fitted.push({ ...cell, text: char, width: 1 });
    } else fitted.push(cell);
  }
  const cells = fitted;
  const rows: C[][] = [];
  let row: C[] = [];
  let used = 0;
  const breakRow = () => {
    rows.push(row);
    row = [];
    used = 0;
  };
  // Words: runs of non-blank cells, each followed by its blanks; wide clusters are words of their own.
  let index = 0;
  while (index < cells.length) {
    const start = index;
    if (cells[index]!.width === 2 && !cells[index]!.escaped) index++;
    else {
      while (
        index < cells.length &&
        !isBlank(cells[index]!) &&
        !(cells[index]!.width === 2 && !cells[index]!.escaped)
      )
        index++;
    }
    const wordEnd = index;
    while (index < cells.length && isBlank(cells[index]!)) index++;
    const word = cells.slice(start, wordEnd);
    const blanks = cells.slice(wordEnd, index);
    const wordWidth = word.reduce((sum, cell) => sum + cell.width, 0);
    if (used > 0 && used + wordWidth > columns) breakRow();
    if (wordWidth > columns) {
      for (const cell of word) {
        if (used > 0 && used + cell.width > columns) breakRow();
        row.push(cell);
        used += cell.width;
      }
    } else {
      row.push(...word);
      used += wordWidth;
    }
    for (const blank of blanks) {
      if (used + blank.width > columns) {
        // Blanks at a break are dropped: the next word starts the next row.
        if (used >= columns) continue;
        breakRow();
        continue;
      }
      row.push(blank);
      used += blank.width;
    }
  }
  rows.push(row);
  return rows;
}

/**
 * Wraps untrusted or UI text to rows of at most `width` columns (see
 * {@link wrapCells}); the rows are drawn as they are, so Ink never wraps or cuts them.
 *
 * @param text - one paragraph of printable text
 * @param width - columns per row (≥ 1)
 * @returns the rows' text, at least one
 * @example
 * wrapText('read this code aloud', 10); // ['read this', 'code aloud']
 */
export function wrapText(text: string, width: number): string[] {
  return wrapCells(textCells(text), width).map((row) =>
    row
      .map((cell) => cell.text)
      .join('')
      .trimEnd(),
  );
}

/**
 * The end of `text` that fits in `columns`, after `…` when something is cut;
 * never splits a grapheme cluster.
 *
 * @param text - printable text
 * @param columns - room, in columns
 * @returns `text`, or `…` and as much of its end as fits
 */
export function tail(text: string, columns: number): string {
  if (stringWidth(text) <= columns) return text;
  const clusters = graphemes(text);
  let used = 1; // the ellipsis
  let start = clusters.length;
  while (start > 0) {
    const width = stringWidth(clusters[start - 1]!);
    if (used + width > columns) break;
    used += width;
    start--;
  }
  return `…${clusters.slice(start).join('')}`;
}

/**
 * The start of `text` that fits in `columns`, then `…` when something is cut;
 * never splits a grapheme cluster.
 *
 * @param text - printable text
 * @param columns - room, in columns (≥ 1)
 * @returns `text`, or as much of its start as fits and `…`
 */
export function head(text: string, columns: number): string {
  if (stringWidth(text) <= columns) return text;
  let used = 1;
  let out = '';
  for (const cluster of graphemes(text)) {
    const width = stringWidth(cluster);
    if (used + width > columns) break;
    used += width;
    out += cluster;
  }
  return `${out}…`;
}
