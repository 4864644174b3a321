/**
 * A small VT100/xterm screen model for the pseudo-terminal tests: it applies
 * the output of a program (printable text, CR, LF, and the CSI cursor and erase
 * sequences Ink emits) to a grid of cells, so that tests assert on what a user
 * would see rather than on the byte stream. Colours and modes are ignored; OSC
 * strings are swallowed (and counted, so a test can prove none came through).
 *
 * Text is placed as a grapheme-aware terminal does (kitty, WezTerm, foot,
 * Windows Terminal): one cell per grapheme cluster, as wide as string-width says
 * (which is what Ink assumes). Two habits of real terminals are modelled because
 * they are how a peer's text could eat the UI's characters: a zero-width
 * character is added to the cell before it, and after a ZWJ the next character,
 * wherever the cursor has moved meanwhile, is joined to the ZWJ's cell and not
 * drawn on its own (tmux 3.3 does this).
 */
import { graphemes, stringWidth } from '../src/width.js';

export class Screen {
  columns: number;
  rows: number;
  private grid: string[][];
  private row = 0;
  private column = 0;
  private state: 'text' | 'escape' | 'csi' | 'osc' | 'osc-escape' = 'text';
  private params = '';
  /** OSC sequences seen (e.g. a window-title change) */
  oscCount = 0;
  /** BEL characters seen outside OSC */
  bellCount = 0;
  /** printable text not yet placed (placed by grapheme cluster) */
  private run = '';
  /** where the last cluster went, while the cursor has not moved */
  private lastCell: { row: number; column: number } | undefined;
  /** a ZWJ was printed last: the next character joins it */
  private joinNext = false;

  constructor(columns: number, rows: number) {
    this.columns = columns;
    this.rows = rows;
    this.grid = Array.from({ length: rows }, () => this.blankRow());
  }

  private blankRow(): string[] {
    return Array.from({ length: this.columns }, () => ' ');
  }

  private lineFeed(): void {
    if (this.row === this.rows - 1) {
      this.grid.shift();
      this.grid.push(this.blankRow());
    } else {
      this.row++;
    }
  }

  /**
   * Resizes as xterm does: when the height shrinks, lines scroll off the top so
   * that the cursor's line stays visible; lines are cut to the new width.
   */
  resize(columns: number, rows: number): void {
    const shift = Math.max(0, this.row - (rows - 1));
    const kept = this.grid.slice(shift, shift + rows).map((line) => {
      const cut = line.slice(0, columns);
      while (cut.length < columns) cut.push(' ');
      return cut;
    });
    this.columns = columns;
    this.rows = rows;
    while (kept.length < rows) kept.push(this.blankRow());
    this.grid = kept;
    this.row -= shift;
    this.column = Math.min(this.column, columns - 1);
  }

  /** Applies program output. */
  write(data: string): void {
    for (const char of data) this.char(char);
    this.placeRun();
  }

  private placeRun(): void {
    const run = this.run;
    this.run = '';
    for (const cluster of graphemes(run)) this.place(cluster);
  }

  private place(cluster: string): void {
    const width = stringWidth(cluster);
    if (this.joinNext || width === 0) {
      this.joinNext = cluster.endsWith('\u200d');
      const last =
        this.lastCell ?? (this.column > 0 ? { row: this.row, column: this.column - 1 } : undefined);
      if (last) this.grid[last.row]![last.column] += cluster;
      return;
    }
    if (this.column + width > this.columns) {
      this.column = 0;
      this.lineFeed();
    }
    this.grid[this.row]![this.column] = cluster;
    if (width === 2 && this.column + 1 < this.columns) this.grid[this.row]![this.column + 1] = '';
    this.lastCell = { row: this.row, column: this.column };
    this.column += width;
    this.joinNext = cluster.endsWith('\u200d');
  }

  private char(char: string): void {
    const code = char.codePointAt(0)!;
    if (this.state === 'text' && code >= 0x20 && !(code >= 0x7f && code <= 0x9f)) {
      this.run += char;
      return;
    }
    this.placeRun();
    switch (this.state) {
      case 'escape':
        if (char === '[') {
          this.state = 'csi';
          this.params = '';
        } else if (char === ']') {
          this.state = 'osc';
        } else {
          this.state = 'text'; // ESC 7, ESC 8, ESC = ...: ignored
        }
        return;
      case 'csi':
        if (code >= 0x40 && code <= 0x7e) {
          this.state = 'text';
          this.csi(char, this.params);
        } else {
          this.params += char;
        }
        return;
      case 'osc':
        if (code === 0x07) {
          this.oscCount++;
          this.state = 'text';
        } else if (code === 0x1b) {
          this.state = 'osc-escape';
        }
        return;
      case 'osc-escape':
        this.oscCount++;
        this.state = 'text';
        return;
      default:
        break;
    }
    if (code !== 0x1b) this.lastCell = undefined;
    if (code === 0x1b) {
      this.state = 'escape';
    } else if (code === 0x0d) {
      this.column = 0;
    } else if (code === 0x0a) {
      this.lineFeed();
    } else if (code === 0x08) {
      this.column = Math.max(0, this.column - 1);
    } else if (code === 0x07) {
      this.bellCount++;
    }
  }

  private csi(final: string, raw: string): void {
    if (final !== 'm') this.lastCell = undefined;
    if (raw.startsWith('?') || raw.startsWith('>') || raw.startsWith('=')) return; // private modes
    const params = raw.split(';').map((p) => (p === '' ? undefined : Number(p)));
    const n = params[0] ?? 1;
    const clampRow = (r: number) => Math.min(this.rows - 1, Math.max(0, r));
    const clampColumn = (c: number) => Math.min(this.columns - 1, Math.max(0, c));
    switch (final) {
      case 'A':
        this.row = clampRow(this.row - n);
        break;
      case 'B':
        this.row = clampRow(this.row + n);
        break;
      case 'C':
        this.column = clampColumn(this.column + n);
        break;
      case 'D':
        this.column = clampColumn(this.column - n);
        break;
      case 'E':
        this.row = clampRow(this.row + n);
        this.column = 0;
        break;
      case 'F':
        this.row = clampRow(this.row - n);
        this.column = 0;
        break;
      case 'G':
        this.column = clampColumn(n - 1);
        break;
      case 'H':
      case 'f':
        this.row = clampRow((params[0] ?? 1) - 1);
        this.column = clampColumn((params[1] ?? 1) - 1);
        break;
      case 'K': {
        const mode = params[0] ?? 0;
        const line = this.grid[this.row]!;
        const [from, to] =
          mode === 0 ? [this.column, this.columns] : mode === 1 ? [0, this.column + 1] : [0, this.columns];
        for (let c = from; c < to; c++) line[c] = ' ';
        break;
      }
      case 'J': {
        const mode = params[0] ?? 0;
        if (mode === 2 || mode === 3) {
          this.grid = Array.from({ length: this.rows }, () => this.blankRow());
        } else if (mode === 0) {
          this.csi('K', '0');
          for (let r = this.row + 1; r < this.rows; r++) this.grid[r] = this.blankRow();
        } else {
          this.csi('K', '1');
          for (let r = 0; r < this.row; r++) this.grid[r] = this.blankRow();
        }
        break;
      }
      default:
        break; // m (SGR) and the rest: no effect on the text
    }
  }

  /** The screen as lines of text, trailing blanks removed. */
  lines(): string[] {
    return this.grid.map((line) => line.join('').trimEnd());
  }

  /** The whole screen as one string. */
  text(): string {
    return this.lines().join('\n');
  }
}
