import { describe, expect, it } from 'vitest';
import { Screen } from './vt.js';

describe('Screen (the pty tests’ terminal model)', () => {
  it('writes text, CR and LF, and scrolls at the bottom', () => {
    const s = new Screen(10, 3);
    s.write('one\r\ntwo\r\nthree\r\nfour');
    expect(s.lines()).toEqual(['two', 'three', 'four']);
  });

  it('moves the cursor and erases as CSI A/B/C/D/E/F/G/H/K/J say', () => {
    const s = new Screen(10, 4);
    s.write('aaaa\r\nbbbb\r\ncccc\r\ndddd');
    s.write('\x1b[2A\x1b[2GX'); // up 2, column 2
    expect(s.lines()[1]).toBe('bXbb');
    s.write('\x1b[E\x1b[K'); // next line, erase to end
    expect(s.lines()[2]).toBe('');
    s.write('\x1b[1;3H\x1b[1K'); // row 1 col 3, erase to start
    expect(s.lines()[0]).toBe('   a');
    s.write('\x1b[F'); // previous line (stays at the top)
    s.write('\x1b[4;1H\x1b[2K');
    expect(s.lines()[3]).toBe('');
    s.write('\x1b[2;1H\x1b[J');
    expect(s.lines()).toEqual(['   a', '', '', '']);
    s.write('\x1b[2J');
    expect(s.text()).toBe('\n\n\n');
  });

  it('ignores SGR and private modes, swallows OSC and counts it, counts BEL', () => {
    const s = new Screen(20, 2);
    s.write('\x1b[1m\x1b[?25lhi\x1b[0m\x1b]0;title\x07\x07!');
    expect(s.lines()[0]).toBe('hi!');
    expect(s.oscCount).toBe(1);
    expect(s.bellCount).toBe(1);
  });

  it('gives wide characters two cells and wraps at the right margin', () => {
    const s = new Screen(4, 2);
    s.write('中ab中');
    expect(s.lines()).toEqual(['中ab', '中']);
  });

  it('resizes like xterm: the cursor line stays visible, lines are cut', () => {
    const s = new Screen(6, 4);
    s.write('aaaaaa\r\nbbbbbb\r\ncccccc\r\ndd');
    s.resize(3, 2);
    expect(s.lines()).toEqual(['ccc', 'dd']);
    s.write('x');
    expect(s.lines()).toEqual(['ccc', 'ddx']);
  });
});
