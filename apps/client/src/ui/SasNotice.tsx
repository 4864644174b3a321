/** The prominent SAS notice, shown once secured until the first message (and on /sas). */
import { Box, Text } from 'ink';
import { SAS_ADVICE } from '../messages.js';
import { wrappedRows } from '../width.js';
import type { Theme } from './theme.js';

/** Props of {@link SasNotice}. */
export interface SasNoticeProps {
  readonly sas: string;
  readonly peerName: string | undefined;
  readonly width: number;
  readonly theme: Theme;
}

/**
 * Rows the notice takes at a given width (border included): the SAS and the
 * advice wrap, the first and last lines are cut to one row.
 *
 * @param width - columns
 * @param sas - the SAS shown
 * @returns rows
 */
export function sasNoticeRows(width: number, sas: string): number {
  const inner = Math.max(1, width - 4);
  return 4 + wrappedRows(` ${sas} `, inner) + wrappedRows(SAS_ADVICE, inner);
}

/**
 * Draws the SAS in a box with one sentence on how to use it.
 *
 * @param props - see {@link SasNoticeProps}
 * @returns the notice element
 */
export function SasNotice({ sas, peerName, width, theme }: SasNoticeProps) {
  return (
    <Box
      flexDirection="column"
      borderStyle="double"
      borderColor={theme.warn}
      width={width}
      height={sasNoticeRows(width, sas)}
      paddingX={1}
      flexShrink={0}
    >
      <Text wrap="truncate-end">
        Secured with {peerName ?? 'your peer'}. Short authentication string (SAS):
      </Text>
      {/* Wrapped, never cut: in a narrow terminal the SAS is what must stay whole. */}
      <Text bold inverse wrap="wrap">{` ${sas} `}</Text>
      <Text wrap="wrap">{SAS_ADVICE}</Text>
      <Text color={theme.dim} wrap="truncate-end">
        Shown until the first message; /sas shows it again.
      </Text>
    </Box>
  );
}
