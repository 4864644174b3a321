/**
 * Keyboard input as pure functions: keys → actions, actions → what to send.
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
 */
import { EditByte } from './sanitize.js';

/** What a key press means. */
export type InputAction =
  | { readonly type: 'text'; readonly text: string }
  | { readonly type: 'enter' }
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

/** The subset of Ink's `Key` that {@link keyToActions} reads. */
export interface KeyFlags {
  return?: boolean;
  backspace?: boolean;
  delete?: boolean;
  ctrl?: boolean;
  meta?: boolean;
  escape?: boolean;
  tab?: boolean;
  pageUp?: boolean;
  pageDown?: boolean;
  home?: boolean;
  end?: boolean;
  upArrow?: boolean;
  downArrow?: boolean;
  leftArrow?: boolean;
  rightArrow?: boolean;
}

const CTRL_ACTIONS: Readonly<Record<string, InputAction>> = {
  c: { type: 'quit' },
  l: { type: 'redraw' },
  u: { type: 'kill' },
  w: { type: 'word-erase' },
  h: { type: 'erase' },
};

/**
 * Translates one of Ink's input events into actions. A pasted chunk may hold
 * several lines and control characters; it is split accordingly.
 *
 * @param input - Ink's `input` string
 * @param key - Ink's `Key` flags
 * @returns the actions, in order (possibly none)
 * @example
 * keyToActions('u', { ctrl: true }); // [{ type: 'kill' }]
 * keyToActions('a\rb', {});          // text a, enter, text b
 */
export function keyToActions(input: string, key: KeyFlags): InputAction[] {
  if (key.return) return [{ type: 'enter' }];
  if (key.backspace || key.delete) return [{ type: 'erase' }];
  if (key.pageUp) return [{ type: 'page-up' }];
  if (key.pageDown) return [{ type: 'page-down' }];
  if (key.home) return [{ type: 'scroll-top' }];
  if (key.end) return [{ type: 'scroll-bottom' }];
  if (key.tab) return [{ type: 'switch-pane' }];
  if (key.ctrl) {
    const action = CTRL_ACTIONS[input.toLowerCase()];
    return action ? [action] : [];
  }
  if (key.escape || key.meta || key.upArrow || key.downArrow || key.leftArrow || key.rightArrow) return [];
  return decodeTyped(input);
}

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

/** Removes the last code point. */
export function eraseChar(text: string): string {
  const chars = [...text];
  chars.pop();
  return chars.join('');
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
}

/** The initial {@link InputState}. */
export const emptyInput: InputState = Object.freeze({ buffer: '', liveLine: '' });

/** What an editing action asks the app to do. */
export type InputEffect =
  | { readonly type: 'send'; readonly bytes: Uint8Array }
  | { readonly type: 'command'; readonly command: Command }
  | { readonly type: 'unknown-command'; readonly text: string };

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
  switch (action.type) {
    case 'text':
      return { state: { ...state, buffer: state.buffer + action.text }, effects: [] };
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
    case 'text': {
      if (state.liveLine === '' && action.text.startsWith('/')) {
        return { state: { ...state, buffer: action.text }, effects: [] };
      }
      return {
        state: { ...state, liveLine: state.liveLine + action.text },
        effects: send(encoder.encode(action.text)),
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
