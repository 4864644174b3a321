/**
 * The terminal sanitiser: the only road from the peer's bytes to the screen.
 *
 * The peer's text is data, never terminal commands. Every byte is decoded as
 * strict UTF-8 (RFC 3629; Unicode 15, table 3-7: no overlongs, no surrogates,
 * nothing above U+10FFFF) and turned into display tokens:
 *
 * - printable characters pass through as runs of text, turned into grapheme
 *   cells by width.ts (which also keeps them from joining with the UI's own
 *   characters);
 * - C0 controls and DEL are shown in caret notation (`^[`, `^G`, `^?`), so an
 *   escape sequence arrives as the harmless text `^[[2J`;
 * - C1 controls (U+0080..U+009F, among them the one-byte CSI U+009B) and the
 *   characters that reorder or break lines (bidi overrides and isolates,
 *   U+2028/U+2029) are shown as `<U+009B>`;
 * - each byte of invalid UTF-8 is shown as `\xFF`;
 * - newline, tab and CR LF keep their meaning; a lone CR is shown as `^M`;
 * - with `interpretEdits`, the live-mode editing bytes (DEL or BS = erase,
 *   ^U = kill line, ^W = erase word, as in talk(1)) become edit tokens that the
 *   receiving pane applies to its current line only.
 *
 * Escaped tokens are flagged so that the UI can draw them in inverse video: a
 * peer typing the literal text `^[` does not look like an escaped ESC.
 * Decoding is streaming: a character split across frames is joined again.
 */
import { codePointNotation, graphemes, head, safeText } from './width.js';

/** One unit of sanitised output. */
export type DisplayToken =
  | { readonly type: 'text'; readonly text: string }
  | { readonly type: 'escaped'; readonly text: string }
  | { readonly type: 'newline' }
  | { readonly type: 'tab' }
  | { readonly type: 'erase' }
  | { readonly type: 'kill' }
  | { readonly type: 'word-erase' };

/** Options of {@link TerminalSanitizer}. */
export interface SanitizerOptions {
  /** Turn DEL/BS, ^U and ^W into edit tokens instead of escaping them (default true). */
  interpretEdits?: boolean;
  /** Keep newline and tab as layout tokens (default true); false escapes them as `^J` / `^I`. */
  multiline?: boolean;
}

/** The live-mode editing bytes, as talk(1) sends them. */
export const EditByte = Object.freeze({
  /** erase one character (what the Backspace key sends on most terminals) */
  ERASE: 0x7f,
  /** erase one character (^H) */
  BACKSPACE: 0x08,
  /** kill the current line (^U) */
  KILL: 0x15,
  /** erase the previous word (^W) */
  WORD_ERASE: 0x17,
});

/**
 * True for code points that must never reach the terminal as themselves: C1
 * controls, bidi embeddings/overrides/isolates and marks, line and paragraph
 * separators. (C0 and DEL are handled separately, in caret notation.)
 */
function isDangerousFormat(codePoint: number): boolean {
  return (
    (codePoint >= 0x80 && codePoint <= 0x9f) ||
    codePoint === 0x061c ||
    codePoint === 0x200e ||
    codePoint === 0x200f ||
    (codePoint >= 0x2028 && codePoint <= 0x202e) ||
    (codePoint >= 0x2066 && codePoint <= 0x2069)
  );
}

const hex = (value: number, digits: number): string => value.toString(16).toUpperCase().padStart(digits, '0');

/**
 * Caret notation of a C0 control or DEL: 0x1b → `^[`, 0x7f → `^?`.
 *
 * @param byte - 0x00..0x1f or 0x7f
 * @returns the two-character notation
 * @example
 * caret(0x1b); // '^['
 */
export function caret(byte: number): string {
  return byte === 0x7f ? '^?' : `^${String.fromCharCode(byte + 0x40)}`;
}

/**
 * Streaming sanitiser: push bytes in any split, get display tokens out.
 *
 * @example
 * const s = new TerminalSanitizer();
 * s.push(new TextEncoder().encode('hi\x1b[2J')); // char h, char i, escaped ^[, char [, char 2, char J
 */
export class TerminalSanitizer {
  private readonly interpretEdits: boolean;
  private readonly multiline: boolean;
  private pending: number[] = [];
  private needed = 0;
  private codePoint = 0;
  private lower = 0x80;
  private upper = 0xbf;
  private pendingCR = false;
  private out: DisplayToken[] = [];

  /**
   * @param options - see {@link SanitizerOptions}
   */
  constructor(options: SanitizerOptions = {}) {
    this.interpretEdits = options.interpretEdits ?? true;
    this.multiline = options.multiline ?? true;
  }

  /**
   * Decodes more bytes.
   *
   * @param bytes - the next bytes of the stream
   * @returns the tokens completed by these bytes (an incomplete UTF-8 sequence or
   *   a CR at the end is held until the next push or {@link flush})
   * @throws TypeError if `bytes` is not a Uint8Array
   */
  push(bytes: Uint8Array): DisplayToken[] {
    if (!(bytes instanceof Uint8Array)) {
      throw new TypeError(`"bytes" expected Uint8Array, got ${typeof bytes}`);
    }
    for (const byte of bytes) this.byte(byte);
    return this.take();
  }

  /**
   * Ends the stream: a held incomplete sequence is shown as escaped bytes, a held CR as `^M`.
   *
   * @returns the remaining tokens
   */
  flush(): DisplayToken[] {
    this.invalidPending();
    if (this.pendingCR) {
      this.pendingCR = false;
      this.escaped('^M');
    }
    return this.take();
  }

  private take(): DisplayToken[] {
    const out = this.out;
    this.out = [];
    return out;
  }

  private escaped(text: string): void {
    this.out.push({ type: 'escaped', text });
  }

  private invalidPending(): void {
    for (const byte of this.pending) this.escaped(`\\x${hex(byte, 2)}`);
    this.pending = [];
    this.needed = 0;
  }

  private byte(byte: number): void {
    if (this.needed > 0) {
      if (byte < this.lower || byte > this.upper) {
        // An ill-formed sequence: show what we held, then read this byte afresh.
        this.invalidPending();
        this.byte(byte);
        return;
      }
      this.lower = 0x80;
      this.upper = 0xbf;
      this.codePoint = (this.codePoint << 6) | (byte & 0x3f);
      this.pending.push(byte);
      if (--this.needed === 0) {
        this.pending = [];
        this.scalar(this.codePoint);
      }
      return;
    }
    if (byte < 0x80) {
      this.scalar(byte);
    } else if (byte >= 0xc2 && byte <= 0xdf) {
      this.start(byte, 1, byte & 0x1f, 0x80, 0xbf);
    } else if (byte >= 0xe0 && byte <= 0xef) {
      this.start(byte, 2, byte & 0x0f, byte === 0xe0 ? 0xa0 : 0x80, byte === 0xed ? 0x9f : 0xbf);
    } else if (byte >= 0xf0 && byte <= 0xf4) {
      this.start(byte, 3, byte & 0x07, byte === 0xf0 ? 0x90 : 0x80, byte === 0xf4 ? 0x8f : 0xbf);
    } else {
      this.escaped(`\\x${hex(byte, 2)}`);
    }
  }

  private start(byte: number, needed: number, bits: number, lower: number, upper: number): void {
    this.pending = [byte];
    this.needed = needed;
    this.codePoint = bits;
    this.lower = lower;
    this.upper = upper;
  }

  private scalar(codePoint: number): void {
    if (this.pendingCR) {
      this.pendingCR = false;
      if (codePoint === 0x0a && this.multiline) {
        this.out.push({ type: 'newline' });
        return;
      }
      this.escaped('^M');
    }
    if (codePoint < 0x20 || codePoint === 0x7f) {
      this.control(codePoint);
    } else if (isDangerousFormat(codePoint)) {
      this.escaped(codePointNotation(codePoint));
    } else {
      const last = this.out[this.out.length - 1];
      const char = String.fromCodePoint(codePoint);
      if (last?.type === 'text') this.out[this.out.length - 1] = { type: 'text', text: last.text + char };
      else this.out.push({ type: 'text', text: char });
    }
  }

  private control(byte: number): void {
    if (this.multiline) {
      if (byte === 0x0a) return void this.out.push({ type: 'newline' });
      if (byte === 0x09) return void this.out.push({ type: 'tab' });
      if (byte === 0x0d) {
        this.pendingCR = true;
        return;
      }
    }
    if (this.interpretEdits) {
      if (byte === EditByte.ERASE || byte === EditByte.BACKSPACE)
        return void this.out.push({ type: 'erase' });
      if (byte === EditByte.KILL) return void this.out.push({ type: 'kill' });
      if (byte === EditByte.WORD_ERASE) return void this.out.push({ type: 'word-erase' });
    }
    this.escaped(caret(byte));
  }
}

/**
 * Streaming safe text for a terminal that the caller does not draw itself (pipe
 * mode with standard output a terminal): newlines and tabs keep their meaning,
 * every other control (live-mode edit bytes included), escape sequence and
 * invalid byte is shown escaped, as in the panes.
 *
 * @example
 * const text = new SafeTextStream();
 * text.push(new TextEncoder().encode('hi\x1b]0;x\x07\n')); // 'hi^[]0;x^G\n'
 */
export class SafeTextStream {
  private readonly sanitizer = new TerminalSanitizer({ interpretEdits: false });
  /** the last grapheme cluster of the text so far: the next bytes may extend it */
  private held = '';

  /**
   * @param bytes - the next bytes of the stream, in any split
   * @returns printable text (a split UTF-8 character or grapheme cluster, or a trailing CR, is held back)
   */
  push(bytes: Uint8Array): string {
    return this.render(this.sanitizer.push(bytes), false);
  }

  /** @returns what was held back, escaped: the stream has ended */
  flush(): string {
    return this.render(this.sanitizer.flush(), true);
  }

  private render(tokens: readonly DisplayToken[], end: boolean): string {
    let out = '';
    const release = () => {
      out += safeText(this.held);
      this.held = '';
    };
    for (const token of tokens) {
      if (token.type === 'text') {
        const clusters = graphemes(this.held + token.text);
        this.held = clusters.pop() ?? '';
        out += safeText(clusters.join(''));
        continue;
      }
      release();
      if (token.type === 'escaped') out += token.text;
      else if (token.type === 'newline') out += '\n';
      else if (token.type === 'tab') out += '\t';
    }
    if (end) release();
    return out;
  }
}

/**
 * Renders untrusted bytes or text as one safe line: every control, newline and
 * tab escaped, invalid UTF-8 shown as `\xNN`, and nothing that could join with
 * the characters drawn around it (a trailing ZWJ, a lone combining mark... shown
 * as `<U+200D>`). For names, server messages and anything else a peer or relay
 * chose that goes into the status bar or stderr.
 *
 * @param input - bytes (decoded as UTF-8) or a string (re-encoded first, so lone surrogates show as `\xNN`)
 * @param maxLength - optional cap on the result, in terminal columns; longer output is
 *   cut between grapheme clusters and ends in `…`
 * @returns printable text with no control characters
 * @throws TypeError if `input` is neither a string nor a Uint8Array
 * @example
 * sanitizeLine('bob\x1b]0;pwned\x07'); // 'bob^[]0;pwned^G'
 */
export function sanitizeLine(input: Uint8Array | string, maxLength = Number.POSITIVE_INFINITY): string {
  let bytes: Uint8Array;
  if (typeof input === 'string') bytes = encodeLoose(input);
  else if (input instanceof Uint8Array) bytes = input;
  else throw new TypeError(`"input" expected Uint8Array or string, got ${typeof input}`);
  const sanitizer = new TerminalSanitizer({ interpretEdits: false, multiline: false });
  const tokens = [...sanitizer.push(bytes), ...sanitizer.flush()];
  let line = '';
  for (const token of tokens) {
    if (token.type === 'text') line += safeText(token.text);
    else if (token.type === 'escaped') line += token.text;
  }
  return Number.isFinite(maxLength) ? head(line, Math.max(1, maxLength)) : line;
}

/** UTF-8 encodes a string, turning each lone surrogate into the invalid byte 0xFF so that it shows escaped. */
function encodeLoose(text: string): Uint8Array {
  if (!/[\ud800-\udfff]/.test(text)) return new TextEncoder().encode(text);
  const parts: number[] = [];
  const encoder = new TextEncoder();
  for (const char of text) {
    const codePoint = char.codePointAt(0)!;
    if (codePoint >= 0xd800 && codePoint <= 0xdfff) parts.push(0xff);
    else parts.push(...encoder.encode(char));
  }
  return Uint8Array.from(parts);
}
