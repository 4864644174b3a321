/**
 * A pane's text, as talk(1) keeps it: lines of display cells, the last line
 * open for typing. Bytes go through the {@link TerminalSanitizer}; the live-mode
 * edit tokens (erase, kill, word-erase) act on the open line only, never on
 * lines already finished, so a peer can rewrite what it is typing but nothing
 * else on your screen.
 *
 * Rendering wraps lines to the pane width from the bottom up, so the cost of a
 * frame is proportional to what is visible plus the scrollback offset, not to
 * the whole history.
 */
import { type DisplayToken, TerminalSanitizer } from './sanitize.js';
import { type Cell, clusterCells, graphemes, wrapCells } from './width.js';

export type { Cell } from './width.js';

/** A cell in the store: which grapheme cluster it came from, for erasing and joining. */
interface StoredCell extends Cell {
  /** cells of one cluster (a cluster and its escaped joiner) share a group */
  readonly group: number;
  /** the cluster as received, when it was text: the next bytes may extend it */
  readonly raw: string | undefined;
}

/** A run of cells with the same style, ready for one <Text>. */
export interface Segment {
  readonly text: string;
  readonly escaped: boolean;
}

/** One screen row of a pane. */
export type Row = readonly Segment[];

/** Options of {@link PaneBuffer}. */
export interface PaneOptions {
  /** lines of scrollback kept (default 2000) */
  maxLines?: number;
  /**
   * cells of scrollback kept, all lines together (default 262144): the oldest lines
   * go first. Bounds memory (and the cost of drawing the top of the scrollback)
   * whatever the peer sends: 2000 lines of 4096 cells would be half a gigabyte.
   */
  maxCells?: number;
  /** cells after which a line is broken even without a newline (default 4096) */
  maxLineCells?: number;
  /** tab stop interval (default 8) */
  tabWidth?: number;
  /** apply erase/kill/word-erase (default true) */
  interpretEdits?: boolean;
}

const isBlank = (cell: Cell): boolean => !cell.escaped && /^\s+$/u.test(cell.text);

/**
 * The text of one pane.
 *
 * @example
 * const pane = new PaneBuffer();
 * pane.write(new TextEncoder().encode('helo\x7flo\n'));
 * pane.lines(); // ['hello', '']
 */
export class PaneBuffer {
  private readonly maxLines: number;
  private readonly maxCells: number;
  private readonly maxLineCells: number;
  private readonly tabWidth: number;
  private readonly sanitizer: TerminalSanitizer;
  private readonly store: StoredCell[][] = [[]];
  private group = 0;
  private lineWidth = 0;
  /** cells in the store, all lines together */
  private cells = 0;
  /** bumps on every change, for React */
  version = 0;

  /**
   * @param options - see {@link PaneOptions}
   */
  constructor(options: PaneOptions = {}) {
    this.maxLines = options.maxLines ?? 2000;
    this.maxCells = options.maxCells ?? 262_144;
    this.maxLineCells = options.maxLineCells ?? 4096;
    this.tabWidth = options.tabWidth ?? 8;
    this.sanitizer = new TerminalSanitizer({ interpretEdits: options.interpretEdits ?? true });
  }

  /**
   * Appends untrusted bytes (sanitised here).
   *
   * @param bytes - text as received or typed
   */
  write(bytes: Uint8Array): void {
    this.apply(this.sanitizer.push(bytes));
  }

  /** Ends the stream: shows a held incomplete UTF-8 sequence or CR as escaped. */
  flush(): void {
    this.apply(this.sanitizer.flush());
  }

  /** Forgets all text (the `/clear` command). */
  clear(): void {
    this.store.length = 0;
    this.store.push([]);
    this.lineWidth = 0;
    this.cells = 0;
    this.version++;
  }

  /**
   * The text as plain strings, one per line (escaped cells as their notation).
   *
   * @returns every kept line, the open line last
   */
  lines(): string[] {
    return this.store.map((line) => line.map((cell) => cell.text).join(''));
  }

  /** Number of lines kept, the open line included. */
  get lineCount(): number {
    return this.store.length;
  }

  private current(): StoredCell[] {
    return this.store[this.store.length - 1]!;
  }

  private apply(tokens: readonly DisplayToken[]): void {
    if (tokens.length === 0) return;
    for (const token of tokens) {
      switch (token.type) {
        case 'text':
          this.text(token.text);
          break;
        case 'escaped':
          this.push({ text: token.text, width: token.text.length, escaped: true }, ++this.group, undefined);
          break;
        case 'tab': {
          const spaces = this.tabWidth - (this.lineWidth % this.tabWidth);
          this.push({ text: ' '.repeat(spaces), width: spaces, escaped: false }, ++this.group, undefined);
          break;
        }
        case 'newline':
          this.newline();
          break;
        case 'erase':
          // One character as the user sees it: the whole last grapheme cluster.
          this.popGroup();
          break;
        case 'kill':
          this.cells -= this.current().length;
          this.current().length = 0;
          this.lineWidth = 0;
          break;
        case 'word-erase': {
          const line = this.current();
          while (line.length > 0 && isBlank(line[line.length - 1]!)) this.popGroup();
          while (line.length > 0 && !isBlank(line[line.length - 1]!)) this.popGroup();
          break;
        }
      }
    }
    this.version++;
  }

  /** Removes the cells of the last grapheme cluster of the open line; returns its raw text if it was text. */
  private popGroup(): string | undefined {
    const line = this.current();
    const last = line[line.length - 1];
    if (!last) return undefined;
    while (line.length > 0 && line[line.length - 1]!.group === last.group) {
      this.lineWidth -= line.pop()!.width;
      this.cells--;
    }
    return last.raw;
  }

  /**
   * Appends text as grapheme clusters. The last cluster of the open line is taken
   * back and segmented again with the new text: a combining mark, a skin tone or
   * the rest of a ZWJ sequence that arrives in a later frame (or keystroke) joins
   * the character it belongs to instead of standing alone.
   */
  private text(text: string): void {
    const line = this.current();
    const last = line[line.length - 1];
    let joined = text;
    if (last?.raw !== undefined) joined = this.popGroup()! + text;
    for (const cluster of graphemes(joined)) {
      const group = ++this.group;
      for (const cell of clusterCells(cluster)) this.push(cell, group, cluster);
    }
  }

  private push(cell: Cell, group: number, raw: string | undefined): void {
    if (this.current().length >= this.maxLineCells) this.newline();
    this.current().push({ ...cell, group, raw });
    this.lineWidth += cell.width;
    this.cells++;
  }

  private newline(): void {
    this.store.push([]);
    this.lineWidth = 0;
    let drop = Math.max(0, this.store.length - this.maxLines);
    let cells = this.cells;
    for (let i = 0; i < drop; i++) cells -= this.store[i]!.length;
    // Then the oldest lines while over the cell budget (never the open line).
    while (cells > this.maxCells && drop < this.store.length - 1) cells -= this.store[drop++]!.length;
    if (drop > 0) this.store.splice(0, drop);
    this.cells = cells;
  }

  /**
   * The rows to draw: lines wrapped to `width`, the last `height` rows ending
   * `scroll` rows above the bottom.
   *
   * @param width - pane width in columns (≥ 1)
   * @param height - pane height in rows (≥ 0)
   * @param scroll - rows scrolled back from the bottom (clamped)
   * @returns the rows, top first, and the clamped scroll offset; `atTop` when nothing older exists
   */
  view(width: number, height: number, scroll = 0): { rows: Row[]; scroll: number; atTop: boolean } {
    const columns = Math.max(1, Math.floor(width));
    const wanted = Math.max(0, Math.floor(height)) + Math.max(0, Math.floor(scroll));
    const collected: Row[] = [];
    let index = this.store.length - 1;
    // Skip the open line while it is empty and something precedes it: it would be a blank row.
    if (index > 0 && this.store[index]!.length === 0) index--;
    for (; index >= 0 && collected.length < wanted; index--) {
      const wrapped = wrapRows(this.store[index]!, columns);
      for (let r = wrapped.length - 1; r >= 0 && collected.length < wanted; r--) collected.push(wrapped[r]!);
    }
    const atTop = index < 0;
    const maxScroll = Math.max(0, collected.length - Math.max(0, Math.floor(height)));
    const clamped = Math.min(Math.max(0, Math.floor(scroll)), maxScroll);
    const rows = collected.slice(clamped, clamped + Math.max(0, Math.floor(height))).reverse();
    return { rows, scroll: clamped, atTop: atTop && clamped >= maxScroll };
  }
}

/**
 * Wraps one line of cells into rows of at most `width` columns, at word
 * boundaries (width.ts {@link wrapCells}), merging adjacent cells of the same
 * style into segments. An empty line is one empty row.
 *
 * @param cells - the line
 * @param width - columns per row (≥ 1)
 * @returns the rows, in order
 */
export function wrapRows(cells: readonly Cell[], width: number): Row[] {
  return wrapCells(cells, width).map((cellsOfRow) => {
    const row: Segment[] = [];
    for (const cell of cellsOfRow) {
      const last = row[row.length - 1];
      if (last && last.escaped === cell.escaped)
        row[row.length - 1] = { text: last.text + cell.text, escaped: cell.escaped };
      else row.push({ text: cell.text, escaped: cell.escaped });
    }
    return row;
  });
}
