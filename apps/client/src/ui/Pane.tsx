/** One half of the split screen: a title rule and the pane's rows. */
import { Box, Text } from 'ink';
import type { Row } from '../pane.js';
import { head, stringWidth } from '../width.js';
import type { Theme } from './theme.js';

/** Props of {@link Pane}. */
export interface PaneProps {
  /** e.g. `you (alice)` */
  readonly title: string;
  readonly rows: readonly Row[];
  /** rows of text (the title line is extra) */
  readonly height: number;
  readonly width: number;
  /** PgUp/PgDn scroll this pane */
  readonly focused: boolean;
  /** rows scrolled back from the bottom */
  readonly scroll: number;
  readonly theme: Theme;
}

/**
 * Draws a pane. Escaped bytes (controls, invalid UTF-8) are drawn in inverse video.
 *
 * @param props - see {@link PaneProps}
 * @returns the pane element
 */
export function Pane({ title, rows, height, width, focused, scroll, theme }: PaneProps) {
  const marker = scroll > 0 ? ` [scrolled back ${scroll} rows, End returns]` : '';
  const label = head(`${focused ? '▸' : '─'} ${title}${marker} `, width);
  const rule = label + '─'.repeat(Math.max(0, width - stringWidth(label)));
  const padded: (Row | undefined)[] = [
    ...Array.from({ length: Math.max(0, height - rows.length) }, () => undefined),
    ...rows,
  ];
  return (
    <Box flexDirection="column" width={width} height={height + 1}>
      <Text bold={focused} color={focused ? theme.accent : theme.dim} wrap="truncate-end">
        {rule}
      </Text>
      {padded.map((row, index) => (
        // biome-ignore lint/suspicious/noArrayIndexKey: rows are positional
        <Text key={index} wrap="truncate-end">
          {row && row.length > 0
            ? row.map((segment, i) => (
                // biome-ignore lint/suspicious/noArrayIndexKey: segments are positional
                <Text key={i} inverse={segment.escaped}>
                  {segment.text}
                </Text>
              ))
            : ' '}
        </Text>
      ))}
    </Box>
  );
}
