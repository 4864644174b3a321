/**
 * Keyboard input as pure functions: typed text → actions (keys.ts decodes the
 * raw input), actions → what to send.
 *
 * Line mode (default): you edit a line locally (erase, ^U kill, ^W word-erase)
 * and it goes out, with its newline, when you press return.
 *
 * Live mode (`--live`, like talk(1)): every keystroke goes out as typed; erase,
 * kill and word-erase travel as the bytes DEL (0x7f), NAK (0x15) and ETB (0x17)
 * inside the encrypted text, and each side's pane applies them to the open line
 * (see pane.ts). A line that starts with `/` is held locally so that commands
 * work in live mode too.
 *
 * In both modes a line starting with `//` sends the text after the first `/`,
 * and an unknown `/command` is not sent: it stays in the buffer to be corrected.
 *
 * Editing works on grapheme clusters (what the user sees as one character:
 * `👍🏽`, `🇫🇷`, `é` typed as e + U+0301 are each erased by one Backspace). A TAB
 * typed or pasted into the line is expanded to spaces (to the next multiple of 8
 * columns), so the line shows what will be sent. A paste is one edit; in line
 * mode a paste of several lines is held until the user confirms it with return
 * (or drops it with Esc or ^U), as irssi and weechat do, and its lines then go out
 * as text, never as commands.
 */
import { EditByte } from './sanitize.js';
import { graphemes, stringWidth } from './width.js';

/** What a key press means. */
export type InputAction =
  | { readonly type: 'text'; readonly text: string }
  /** a paste, as one edit: bracketed, or a read holding several lines */
  | { readonly type: 'paste'; readonly text: string }
  | { readonly type: 'enter' }
  /** Esc: close /help, drop a held paste */
  | { readonly type: 'escape' }
  /** ^Z: suspend like other terminal programs */
  | { readonly type: 'suspend' }
  | { readonly type: 'erase' }
  | { readonly type: 'kill' }
  | { readonly type: 'word-erase' }
  | { readonly type: 'quit' }
  | { readonly type: 'redraw' }
  | { readonly type: 'page-up' }
  | { readonly type: 'page-down' }
  | { readonly type: 'scroll-top' }
  | { readonly type: 'scroll-bottom' }
  | { readonly type: 'switch-pane' };

/**
 * Splits typed or pasted text into text and editing actions; other control
 * characters are dropped (you cannot type an escape sequence to your peer by accident).
 *
 * @param input - raw characters
 * @returns the actions
 */
export function decodeTyped(input: string): InputAction[] {
  const actions: InputAction[] = [];
  let text = '';
  const flush = () => {
    if (text) actions.push({ type: 'text', text });
    text = '';
  };
  for (let i = 0; i < input.length; i++) {
    const char = input[i]!;
    const code = char.charCodeAt(0);
    if ((code >= 0x20 && code !== 0x7f && !(code >= 0x80 && code <= 0x9f)) || char === '\t') {
      text += char;
      continue;
    }
    flush();
    if (char === '\r' || char === '\n') {
      actions.push({ type: 'enter' });
      if (char === '\r' && input[i + 1] === '\n') i++;
    } else if (code === EditByte.ERASE || code === EditByte.BACKSPACE) actions.push({ type: 'erase' });
    else if (code === EditByte.KILL) actions.push({ type: 'kill' });
    else if (code === EditByte.WORD_ERASE) actions.push({ type: 'word-erase' });
    else if (code === 0x03) actions.push({ type: 'quit' });
    else if (code === 0x0c) actions.push({ type: 'redraw' });
    else if (code === 0x1a) actions.push({ type: 'suspend' });
  }
  flush();
  return actions;
}

/** The slash commands. */
export type Command = 'quit' | 'sas' | 'verify' | 'help' | 'clear';

/** The commands and their one-line help, in display order. */
export const COMMANDS: readonly (readonly [`/${Command}`, string])[] = [
  ['/quit', 'end the conversation (also ^C)'],
  ['/sas', 'show the short authentication string again'],
  ['/verify', 'mark the peer verified once you compared the SAS by voice'],
  ['/clear', 'clear both panes'],
  ['/help', 'show this help'],
];

/**
 * Removes the last grapheme cluster (what the user sees as one character).
 *
 * @param text - the line
 * @returns the line without its last cluster
 * @example
 * eraseChar('ok 👍🏽'); // 'ok '
 */
export function eraseChar(text: string): string {
  const clusters = graphemes(text);
  clusters.pop();
  return clusters.join('');
}

/** Tab stops every 8 columns, as terminals have them. */
export const TAB_WIDTH = 8;

/**
 * Expands TABs to spaces, to the next multiple of {@link TAB_WIDTH} columns,
 * counting from the start of the line `before` (which is already on screen).
 *
 * @param before - the text already on the line
 * @param text - the text being added
 * @returns `text` with every TAB replaced by spaces
 * @example
 * expandTabs('ab', '\tc'); // '      c' (6 spaces: column 2 to column 8)
 */
export function expandTabs(before: string, text: string): string {
  if (!text.includes('\t')) return text;
  let column = stringWidth(before.slice(before.lastIndexOf('\n') + 1));
  let out = '';
  for (const part of text.split(/(\t|\n)/u)) {
    if (part === '\t') {
      const spaces = TAB_WIDTH - (column % TAB_WIDTH);
      out += ' '.repeat(spaces);
      column += spaces;
    } else if (part === '\n') {
      out += part;
      column = 0;
    } else {
      out += part;
      column += stringWidth(part);
    }
  }
  return out;
}

/**
 * A paste as text to edit or send: CR LF and CR become LF, TABs are expanded,
 * other control characters and escape sequences are dropped (a paste cannot
 * drive the peer's terminal or ours).
 *
 * @param before - the text already on the line
 * @param text - the pasted text
 * @returns the clean text (lines separated by LF)
 */
export function cleanPaste(before: string, text: string): string {
  const plain = text
    .replace(/\r\n?/gu, '\n')
    .replace(/\x1b\[[0-9;?]*[ -/]*[@-~]|\x1b[@-_]?/gu, '')
    .replace(/[\u0000-\u0008\u000b-\u001f\u007f-\u009f]/gu, '');
  return expandTabs(before, plain);
}

/** Removes trailing blanks, then the word before them (as ^W does). */
export function eraseWord(text: string): string {
  return text.replace(/\S*\s*$/u, '');
}

/** The input side's state. */
export interface InputState {
  /** line mode: the line being edited; live mode: a held `/` line (else '') */
  readonly buffer: string;
  /** live mode: what has been sent on the current line, to know when a line starts */
  readonly liveLine: string;
  /** line mode: a paste of several lines waiting for return (send) or Esc (drop) */
  readonly pendingPaste?: readonly string[];
}

/** The initial {@link InputState}. */
export const emptyInput: InputState = Object.freeze({ buffer: '', liveLine: '' });

/** What an editing action asks the app to do. */
export type InputEffect =
  | { readonly type: 'send'; readonly bytes: Uint8Array }
  | { readonly type: 'command'; readonly command: Command }
  | { readonly type: 'unknown-command'; readonly text: string }
  /** a paste of several lines is held: ask the user */
  | { readonly type: 'paste-held'; readonly lines: number }
  /** the held paste was dropped */
  | { readonly type: 'paste-dropped'; readonly lines: number };

const encoder = new TextEncoder();

function submit(line: string): InputEffect[] {
  if (line.startsWith('//')) return [{ type: 'send', bytes: encoder.encode(`${line.slice(1)}\n`) }];
  if (line.startsWith('/')) {
    const name = line.slice(1).trim().toLowerCase();
    if (name === 'quit' || name === 'sas' || name === 'verify' || name === 'help' || name === 'clear') {
      return [{ type: 'command', command: name }];
    }
    return [{ type: 'unknown-command', text: line }];
  }
  return [{ type: 'send', bytes: encoder.encode(`${line}\n`) }];
}

/**
 * Applies an editing action (text, enter, erase, kill, word-erase) in line mode.
 *
 * @param state - the current input
 * @param action - the action (others are ignored)
 * @returns the new state and the effects to carry out
 * @example
 * editLine({ buffer: 'hi', liveLine: '' }, { type: 'enter' }).effects; // send 'hi\n'
 */
export function editLine(
  state: InputState,
  action: InputAction,
): { state: InputState; effects: InputEffect[] } {
  const pending = state.pendingPaste;
  if (pending !== undefined) {
    // A held paste: return sends its lines (as text, never as commands), Esc or ^U drops it.
    if (action.type === 'enter') {
      return {
        state: { ...state, buffer: '', pendingPaste: undefined },
        effects: [{ type: 'send', bytes: encoder.encode(`${pending.join('\n')}\n`) }],
      };
    }
    if (action.type === 'escape' || action.type === 'kill') {
      return {
        state: { ...state, pendingPaste: undefined },
        effects: [{ type: 'paste-dropped', lines: pending.length }],
      };
    }
    return { state, effects: [{ type: 'paste-held', lines: pending.length }] };
  }
  switch (action.type) {
    case 'text':
      return {
        state: { ...state, buffer: state.buffer + expandTabs(state.buffer, action.text) },
        effects: [],
      };
    case 'paste': {
      const text = cleanPaste(state.buffer, action.text).replace(/\n$/u, '');
      if (!text.includes('\n')) return { state: { ...state, buffer: state.buffer + text }, effects: [] };
      const lines = `${state.buffer}${text}`.split('\n');
      return {
        state: { ...state, pendingPaste: lines },
        effects: [{ type: 'paste-held', lines: lines.length }],
      };
    }
    case 'erase':
      return { state: { ...state, buffer: eraseChar(state.buffer) }, effects: [] };
    case 'kill':
      return { state: { ...state, buffer: '' }, effects: [] };
    case 'word-erase':
      return { state: { ...state, buffer: eraseWord(state.buffer) }, effects: [] };
    case 'enter': {
      const effects = submit(state.buffer);
      // An unknown command stays in the buffer to be corrected.
      if (effects[0]?.type === 'unknown-command') return { state, effects };
      return { state: { ...state, buffer: '' }, effects };
    }
    default:
      return { state, effects: [] };
  }
}

/**
 * Applies an editing action in live mode: keystrokes become bytes to send at
 * once, except inside a held `/` line.
 *
 * @param state - the current input
 * @param action - the action (others are ignored)
 * @returns the new state and the effects to carry out
 * @example
 * editLive(emptyInput, { type: 'erase' }).effects; // send [0x7f]
 */
export function editLive(
  state: InputState,
  action: InputAction,
): { state: InputState; effects: InputEffect[] } {
  const send = (bytes: Uint8Array): InputEffect[] => [{ type: 'send', bytes }];
  if (state.buffer !== '') {
    // A held `/` line: edited locally until return.
    if (action.type === 'enter') {
      const effects = submit(state.buffer);
      // An unknown command stays in the buffer to be corrected; anything else starts a new line.
      if (effects[0]?.type === 'unknown-command') return { state, effects };
      return { state: emptyInput, effects };
    }
    const edited = editLine(state, action);
    return { state: edited.state, effects: [] };
  }
  switch (action.type) {
    case 'paste': {
      // Live mode: a paste goes out as typed, in one piece.
      const text = cleanPaste(state.liveLine, action.text);
      if (text === '') return { state, effects: [] };
      const liveLine = (state.liveLine + text).slice((state.liveLine + text).lastIndexOf('\n') + 1);
      return { state: { ...state, liveLine }, effects: send(encoder.encode(text)) };
    }
    case 'text': {
      if (state.liveLine === '' && action.text.startsWith('/')) {
        return { state: { ...state, buffer: action.text }, effects: [] };
      }
      const text = expandTabs(state.liveLine, action.text);
      return {
        state: { ...state, liveLine: state.liveLine + text },
        effects: send(encoder.encode(text)),
      };
    }
    case 'erase':
      return {
        state: { ...state, liveLine: eraseChar(state.liveLine) },
        effects: send(Uint8Array.of(EditByte.ERASE)),
      };
    case 'kill':
      return { state: { ...state, liveLine: '' }, effects: send(Uint8Array.of(EditByte.KILL)) };
    case 'word-erase':
      return {
        state: { ...state, liveLine: eraseWord(state.liveLine) },
        effects: send(Uint8Array.of(EditByte.WORD_ERASE)),
      };
    case 'enter':
      return { state: { ...state, liveLine: '' }, effects: send(encoder.encode('\n')) };
    default:
      return { state, effects: [] };
  }
}
