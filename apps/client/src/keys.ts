/**
 * The keyboard as the terminal sends it: raw input (as Ink's input parser splits
 * it into escape sequences and runs of text) in, {@link InputAction}s out. Pure
 * and stateful only for bracketed paste (xterm's mode 2004): everything between
 * `ESC [ 200 ~` and `ESC [ 201 ~` is one paste, however many reads it takes and
 * whatever it holds (newlines, tabs, escape sequences), and arrives as ONE
 * `paste` action. A terminal without bracketed paste delivers a paste as one
 * read: a run of text holding a newline followed by more text is a paste too (no
 * one types a return and more text within one read).
 */
import { decodeTyped, type InputAction } from './line-edit.js';

/** Turns bracketed paste on (sent when the UI starts). */
export const BRACKETED_PASTE_ON = '\x1b[?2004h';
/** Turns bracketed paste off (sent at exit, on a crash or a signal, and before suspending). */
export const BRACKETED_PASTE_OFF = '\x1b[?2004l';

const PASTE_START = '\x1b[200~';
const PASTE_END = '\x1b[201~';

/** Escape sequences we act on; any other is ignored (arrows, function keys, mouse...). */
const SEQUENCES: Readonly<Record<string, InputAction>> = {
  '\x1b[5~': { type: 'page-up' },
  '\x1b[6~': { type: 'page-down' },
  '\x1b[H': { type: 'scroll-top' },
  '\x1b[1~': { type: 'scroll-top' },
  '\x1b[7~': { type: 'scroll-top' },
  '\x1bOH': { type: 'scroll-top' },
  '\x1b[F': { type: 'scroll-bottom' },
  '\x1b[4~': { type: 'scroll-bottom' },
  '\x1b[8~': { type: 'scroll-bottom' },
  '\x1bOF': { type: 'scroll-bottom' },
  '\x1b[3~': { type: 'erase' }, // Delete: there is no cursor to delete forwards from
};

/** Single control bytes that are keys rather than text. */
const CONTROL_KEYS: Readonly<Record<string, InputAction>> = {
  '\x1b': { type: 'escape' },
  '\t': { type: 'switch-pane' },
  '\x1a': { type: 'suspend' },
};

/**
 * Decodes raw keyboard input, one chunk at a time, remembering an open paste.
 *
 * @example
 * const keys = new KeyDecoder();
 * keys.push('\x1b[200~'); keys.push('two\rlines'); keys.push('\x1b[201~'); // [{ type: 'paste', text: 'two\rlines' }]
 */
export class KeyDecoder {
  private paste: string | undefined;
  /** the most a paste may hold, in UTF-16 units; the rest is dropped (bounded memory) */
  readonly maxPaste: number;

  /**
   * @param maxPaste - cap on one paste (default 1 MiB of text)
   */
  constructor(maxPaste = 1 << 20) {
    this.maxPaste = maxPaste;
  }

  /** True while inside a bracketed paste. */
  get pasting(): boolean {
    return this.paste !== undefined;
  }

  /**
   * Decodes one chunk of input.
   *
   * @param raw - an escape sequence or a run of text, as Ink's input parser emits them
   * @returns the actions, in order
   */
  push(raw: string): InputAction[] {
    const actions: InputAction[] = [];
    let rest = raw;
    while (rest !== '') {
      if (this.paste !== undefined) {
        const end = rest.indexOf(PASTE_END);
        const body = end === -1 ? rest : rest.slice(0, end);
        this.paste += body.slice(0, Math.max(0, this.maxPaste - this.paste.length));
        if (end === -1) return actions;
        actions.push({ type: 'paste', text: this.paste });
        this.paste = undefined;
        rest = rest.slice(end + PASTE_END.length);
        continue;
      }
      const start = rest.indexOf(PASTE_START);
      const before = start === -1 ? rest : rest.slice(0, start);
      actions.push(...this.keys(before));
      if (start === -1) break;
      this.paste = '';
      rest = rest.slice(start + PASTE_START.length);
    }
    return actions;
  }

  private keys(raw: string): InputAction[] {
    if (raw === '') return [];
    const sequence = SEQUENCES[raw];
    if (sequence) return [sequence];
    const control = CONTROL_KEYS[raw];
    if (control) return [control];
    if (raw.startsWith('\x1b')) return []; // an escape sequence we do not use (or Alt+key)
    // Text typed, or pasted by a terminal without bracketed paste: a newline with
    // text after it in one read is a paste.
    if (/[\r\n]./su.test(raw)) return [{ type: 'paste', text: raw }];
    return decodeTyped(raw);
  }
}
