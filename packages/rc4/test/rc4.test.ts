import { describe, expect, it } from 'vitest';
import { createRC4, rc4 } from '../src/index';

const hex = (b: Uint8Array) => Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');
const utf8 = (s: string) => new TextEncoder().encode(s);

describe('rc4 classic vectors', () => {
  it('Key / Plaintext', () => {
    expect(hex(rc4(utf8('Key'), utf8('Plaintext')))).toBe('bbf316e8d940af0ad3');
  });
  it('Wiki / pedia', () => {
    expect(hex(rc4(utf8('Wiki'), utf8('pedia')))).toBe('1021bf0420');
  });
  it('Secret / Attack at dawn', () => {
    expect(hex(rc4(utf8('Secret'), utf8('Attack at dawn')))).toBe('45a01f645fc35b383552544b9bf5');
  });
  it('createRC4 in pieces = one-shot, and position counts', () => {
    const s = createRC4(utf8('Secret'));
    const a = s.xor(utf8('Attack'));
    const b = s.xor(utf8(' at dawn'));
    expect(hex(a) + hex(b)).toBe('45a01f645fc35b383552544b9bf5');
    expect(s.position).toBe(14);
  });
  it('drop = skip', () => {
    const a = createRC4(utf8('Key'), { drop: 3072 }).keystream(32);
    const s = createRC4(utf8('Key'));
    s.skip(3072);
    expect(hex(s.keystream(32))).toBe(hex(a));
  });
});
