/** The /help panel. */
import { Box, Text } from 'ink';
import { COMMANDS } from '../line-edit.js';
import type { Theme } from './theme.js';

/** Props of {@link HelpPanel}. */
export interface HelpPanelProps {
  readonly live: boolean;
  readonly width: number;
  readonly height: number;
  readonly theme: Theme;
}

const KEYS: readonly (readonly [string, string])[] = [
  ['^C', 'quit (sends END first)'],
  ['^L', 'redraw the screen'],
  ['^Z', 'suspend (fg resumes)'],
  ['Esc', 'close this help; drop a held multi-line paste'],
  ['PgUp/PgDn', 'scroll the focused pane; Home/End: top/bottom'],
  ['Tab', 'switch which pane PgUp/PgDn scroll'],
  ['^U ^W ⌫', 'kill line, erase word, erase character'],
  ['//text', 'send a line that starts with /'],
];

/**
 * Draws the list of commands and keys.
 *
 * @param props - see {@link HelpPanelProps}
 * @returns the help element
 */
export function HelpPanel({ live, width, height, theme }: HelpPanelProps) {
  const lines = [...COMMANDS, ...KEYS];
  return (
    <Box
      flexDirection="column"
      borderStyle="round"
      borderColor={theme.accent}
      width={width}
      height={height}
      paddingX={1}
      overflow="hidden"
      flexShrink={0}
    >
      <Box flexShrink={0}>
        <Text bold wrap="truncate-end">
          arctalk help ({live ? 'live mode: keystrokes go out as typed' : 'line mode: lines go out on return'}
          ) — Esc or /help closes
        </Text>
      </Box>
      {lines.map(([key, text]) => (
        <Box key={key} flexShrink={0}>
          <Text wrap="truncate-end">
            <Text color={theme.accent}>{key.padEnd(10)}</Text> {text}
          </Text>
        </Box>
      ))}
    </Box>
  );
}
