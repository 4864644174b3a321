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

/** Rows the notice takes (border included). */
export const SAS_NOTICE_ROWS = 6;

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
      height={SAS_NOTICE_ROWS}
      paddingX={1}
    >
      <Text wrap="truncate-end">
        Secured with {peerName ?? 'your peer'}. Short authentication string (SAS):
      </Text>
      <Text bold inverse wrap="truncate-end">{` ${sas} `}</Text>
      <Text wrap="truncate-end">{SAS_ADVICE}</Text>
      <Text color={theme.dim} wrap="truncate-end">
        Shown until the first message; /sas shows it again.
      </Text>
    </Box>
  );
}
