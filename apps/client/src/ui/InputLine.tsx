/** The input line: what you are typing (line mode) or a hint (live mode). */
import { Box, Text } from 'ink';
import type { ChatPhase } from '../chat-controller.js';
import { stringWidth } from '../width.js';
import type { Theme } from './theme.js';

/** Props of {@link InputLine}. */
export interface InputLineProps {
  readonly input: string;
  readonly live: boolean;
  readonly phase: ChatPhase;
  readonly width: number;
  readonly theme: Theme;
}

/**
 * The end of `text` that fits in `columns`, after `…` when something is cut.
 *
 * @param text - printable text
 * @param columns - room, in columns
 * @returns `text`, or `…` and as much of its end as fits
 */
export function tail(text: string, columns: number): string {
  if (stringWidth(text) <= columns) return text;
  const chars = [...text];
  let used = 1; // the ellipsis
  let start = chars.length;
  while (start > 0) {
    const width = stringWidth(chars[start - 1]!);
    if (used + width > columns) break;
    used += width;
    start--;
  }
  return `…${chars.slice(start).join('')}`;
}

/**
 * Draws the input line. Your own input is sanitised like everything else (the
 * keyboard decoder drops control characters before they reach it).
 *
 * @param props - see {@link InputLineProps}
 * @returns the input line element
 */
export function InputLine({ input, live, phase, width, theme }: InputLineProps) {
  const readOnly = phase === 'peer-left' || phase === 'failed' || phase === 'closing' || phase === 'ended';
  if (readOnly && input === '') {
    return (
      <Box width={width} height={1}>
        <Text color={theme.dim} wrap="truncate-end">
          (read only) PgUp/PgDn scroll · /quit or ^C exits
        </Text>
      </Box>
    );
  }
  if (live && input === '') {
    return (
      <Box width={width} height={1}>
        <Text color={theme.dim} wrap="truncate-end">
          (live) keystrokes go out as you type · /command⏎ · ^C quits
        </Text>
      </Box>
    );
  }
  // Show the end of a long line, the part being typed, in columns (wide characters take two).
  const shown = tail(input, Math.max(1, width - 3));
  return (
    <Box width={width} height={1}>
      <Text wrap="truncate-end">
        <Text color={theme.accent} bold>
          {'> '}
        </Text>
        {shown}
        <Text inverse> </Text>
      </Text>
    </Box>
  );
}
