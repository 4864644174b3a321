/**
 * The page's pure helpers (src/view.ts, src/conversation.ts relayUrl) in Node; the
 * page itself runs in headless Chromium in tests/browser/test/web-page.test.ts.
 */
import { describe, expect, it } from 'vitest';
import { relayUrl } from '../src/conversation';
import { appendToPane, linkFor, readFragment } from '../src/view';

describe('appendToPane', () => {
  it.each([
    ['', 'hello', 'hello'],
    ['hello', 'p\x7f!', 'hello!'], // live mode: an erase removes the last character
    ['ab\n', '\x7f', 'ab\n'], // never a newline
    ['', '\x7f\x7f', ''],
    ['a☕', '\x7f', 'a'],
    ['a😀', '\x7f', 'a'], // a surrogate pair is one character
    ['', 'line\r\nnext\r', 'line\nnext'],
    ['', 'bell\x07 esc\x1b[2J c1\x9b', 'bell\ufffd esc\ufffd[2J c1\ufffd'], // controls are shown, not obeyed
    ['', 'abc\u202edcba', 'abc\ufffddcba'], // a direction override too
    ['', 'tab\there', 'tab\there'],
  ])('%j + %j = %j', (pane, text, expected) => {
    expect(appendToPane(pane, text)).toBe(expected);
  });
});

describe('links to a room', () => {
  it('put everything in the #fragment, and read back the same', () => {
    const link = linkFor('file:///home/me/arctalk/index.html', {
      relay: 'wss://relay.example/',
      room: 'café & co',
      passphrase: 'p@ss #1',
    });
    const [base, fragment] = link.split('#');
    expect(base).toBe('file:///home/me/arctalk/index.html');
    expect(fragment).not.toContain('p@ss'); // encoded
    expect(readFragment(`#${fragment}`)).toEqual({
      relay: 'wss://relay.example/',
      room: 'café & co',
      name: undefined,
      passphrase: 'p@ss #1',
      mode: undefined,
    });
  });

  it('leave empty values out', () => {
    expect(linkFor('https://x.example/', { relay: 'ws://r/', room: '', passphrase: '' })).toBe(
      'https://x.example/#relay=ws%3A%2F%2Fr%2F',
    );
    expect(linkFor('https://x.example/', {})).toBe('https://x.example/');
  });
});

describe('relayUrl', () => {
  it.each([
    ['ws://127.0.0.1:5519/', 'ws://127.0.0.1:5519/'],
    ['127.0.0.1:5519', 'ws://127.0.0.1:5519/'],
    ['  wss://relay.example  ', 'wss://relay.example/'],
    ['[::1]:5519', 'ws://[::1]:5519/'],
  ])('%j is %j', (text, url) => {
    expect(relayUrl(text)).toBe(url);
  });

  it.each(['http://relay.example/', 'https://relay.example/', 'ws://', 'ws://relay/#x', ''])(
    '%j is a TypeError naming the relay',
    (text) => {
      expect(() => relayUrl(text)).toThrow(TypeError);
      expect(() => relayUrl(text)).toThrow(/"relay"/);
    },
  );
});
