/** The prominent SAS notice, shown once secured until the first message (and on /sas). */
import { Box, Text } from 'ink';
import { SAS_ADVICE } from '../messages.js';
import type { Theme } from './theme.js';

/** Props of {@link SasNotice}. */
export interface SasNoticeProps {
  readonly sas: string;
  readonly peerName: string | undefined;
  readonly width: number;
  readonly theme: Theme;
}

/**
 * Rows the notice takes at a given width (border included): the advice wraps.
 *
 * @param width - columns
 * @returns rows
 */
export function sasNoticeRows(width: number): number {
  const inner = Math.max(1, width - 4);
  return 5 + Math.ceil(SAS_ADVICE.length / inner);
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
      height={sasNoticeRows(width)}
      paddingX={1}
      flexShrink={0}
    >
      <Text wrap="truncate-end">
        Secured with {peerName ?? 'your peer'}. Short authentication string (SAS):
      </Text>
      <Text bold inverse wrap="truncate-end">{` ${sas} `}</Text>
      <Text wrap="wrap">{SAS_ADVICE}</Text>
      <Text color={theme.dim} wrap="truncate-end">
        Shown until the first message; /sas shows it again.
      </Text>
    </Box>
  );
}
