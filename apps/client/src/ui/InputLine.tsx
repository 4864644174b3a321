/** The input line: what you are typing (line mode) or a hint (live mode). */
import { Box, Text } from 'ink';
import type { ChatPhase } from '../chat-controller.js';
import { safeText, tail } from '../width.js';

export { tail } from '../width.js';

import type { Theme } from './theme.js';

/** Props of {@link InputLine}. */
export interface InputLineProps {
  readonly input: string;
  /** lines of a held paste (0: none) */
  readonly pendingPaste?: number;
  readonly live: boolean;
  readonly phase: ChatPhase;
  readonly width: number;
  readonly theme: Theme;
}

/**
 * Draws the input line. Your own input is sanitised like everything else (the
 * keyboard decoder drops control characters before they reach it).
 *
 * @param props - see {@link InputLineProps}
 * @returns the input line element
 */
export function InputLine({ input, pendingPaste = 0, live, phase, width, theme }: InputLineProps) {
  const readOnly = phase === 'peer-left' || phase === 'failed' || phase === 'closing' || phase === 'ended';
  if (readOnly && input === '') {
    // The last screen stays in the terminal after exit: it must not invite keys that no longer work.
    const hint =
      phase === 'peer-left'
        ? '(read only) PgUp/PgDn scroll · /quit or ^C exits'
        : phase === 'closing'
          ? '(closing)'
          : phase === 'ended'
            ? '(conversation ended)'
            : '(connection closed)';
    return (
      <Box width={width} height={1}>
        <Text color={theme.dim} wrap="truncate-end">
          {hint}
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
  // Shown like a peer's text: nothing in it can join with the prompt or the cursor.
  const more = pendingPaste > 1 ? ` [+${pendingPaste - 1} lines: ⏎ sends, Esc drops]` : '';
  const shown = tail(safeText(input) + more, Math.max(1, width - 3));
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
