import { describe, expect, it } from 'vitest';
import { codePointWidth, stringWidth } from '../src/width.js';

describe('codePointWidth', () => {
  it('is 1 for Latin, 2 for CJK, fullwidth and emoji, 0 for combining marks and ZWJ', () => {
    expect(codePointWidth(0x41)).toBe(1);
    expect(codePointWidth(0xe9)).toBe(1);
    expect(codePointWidth(0x4e2d)).toBe(2); // 中
    expect(codePointWidth(0xac00)).toBe(2); // 가
    expect(codePointWidth(0xff21)).toBe(2); // fullwidth A
    expect(codePointWidth(0x1f600)).toBe(2); // 😀
    expect(codePointWidth(0x301)).toBe(0); // combining acute
    expect(codePointWidth(0x200d)).toBe(0); // ZWJ
    expect(codePointWidth(0x2603)).toBe(1); // ☃ (text presentation)
  });

  it('sums over a string', () => {
    expect(stringWidth('a中😀e\u0301')).toBe(6);
    expect(stringWidth('')).toBe(0);
  });
});
