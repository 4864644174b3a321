import { describe, expect, it } from 'vitest';
import { rc4 } from '../src/index';

const hex = (b: Uint8Array) => Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');
const utf8 = (s: string) => new TextEncoder().encode(s);

describe('rc4', () => {
  it('Key / Plaintext', () => {
    expect(hex(rc4(utf8('Key'), utf8('Plaintext')))).toBe('bbf316e8d940af0ad3');
  });
});
