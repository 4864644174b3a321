/**
 * Pure helpers of the page (no DOM): how received text lands in a pane, and the
 * link to a room. Tested in Node (test/view.test.ts).
 *
 * @module
 */

/** DEL: the terminal client's live mode sends it for an erase (apps/client line-edit.ts). */
const ERASE = '\x7f';

/**
 * Characters shown as U+FFFD instead of being obeyed: C0 and C1 controls (except
 * tab and newline), and the invisible direction marks and overrides (Unicode's
 * Bidi_Control) that could make text read otherwise than it was sent.
 */
const HIDDEN = /[\x00-\x08\x0b-\x1f\x80-\x9f\u061c\u200e\u200f\u202a-\u202e\u2066-\u2069]/g;

/**
 * Appends received (or typed) text to a pane's text: an erase (0x7f) removes the
 * last character of the current line (never a newline), `\r\n` is a newline, a lone
 * `\r` is dropped, other controls show as U+FFFD.
 *
 * @param pane - the pane's text so far
 * @param text - the new text
 * @returns the pane's new text
 * @example
 * appendToPane('hello', 'p\x7f!'); // 'hello!'
 */
export function appendToPane(pane: string, text: string): string {
  let out = pane;
  const clean = text.replace(/\r\n/g, '\n').replace(/\r/g, '');
  let start = 0;
  for (let i = clean.indexOf(ERASE); i >= 0; i = clean.indexOf(ERASE, start)) {
    out += clean.slice(start, i).replace(HIDDEN, '\ufffd');
    if (out !== '' && !out.endsWith('\n')) {
      const chars = [...out.slice(-2)];
      out = out.slice(0, out.length - (chars[chars.length - 1]?.length ?? 1));
    }
    start = i + 1;
  }
  return out + clean.slice(start).replace(HIDDEN, '\ufffd');
}

/** What a link to a room carries, all in its #fragment. */
export interface RoomLink {
  relay?: string | undefined;
  room?: string | undefined;
  name?: string | undefined;
  passphrase?: string | undefined;
  mode?: string | undefined;
}

/**
 * A link to a room: `base#relay=…&room=…` (and `passphrase=…` when given). Everything
 * is in the fragment, which a browser never sends to a server: neither the static host
 * of the page nor anyone on its path learns the room or the passphrase from the link.
 *
 * @param base - the page's address without a fragment
 * @param link - what to put in the fragment; empty values are left out
 * @returns the link
 * @example
 * linkFor('https://example.org/arctalk/', { relay: 'wss://relay.example/', room: 'r' });
 * // 'https://example.org/arctalk/#relay=wss%3A%2F%2Frelay.example%2F&room=r'
 */
export function linkFor(base: string, link: RoomLink): string {
  const params = new URLSearchParams();
  for (const key of ['relay', 'room', 'name', 'passphrase', 'mode'] as const) {
    const value = link[key];
    if (value !== undefined && value !== '') params.set(key, value);
  }
  const fragment = params.toString();
  return fragment === '' ? base : `${base}#${fragment}`;
}

/**
 * Reads a link's fragment (as {@link linkFor} writes it).
 *
 * @param hash - `location.hash`, with or without its `#`
 * @returns the values present
 */
export function readFragment(hash: string): RoomLink {
  const params = new URLSearchParams(hash.startsWith('#') ? hash.slice(1) : hash);
  const get = (key: string) => params.get(key) ?? undefined;
  return {
    relay: get('relay'),
    room: get('room'),
    name: get('name'),
    passphrase: get('passphrase'),
    mode: get('mode'),
  };
}
