/** The prominent SAS notice, shown once secured until the first message (and on /sas). */
import { Box, Text } from 'ink';
import { SAS_ADVICE } from '../messages.js';
import { head, wrapText } from '../width.js';
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
  return 4 + wrapText(sas, inner - 2).length + wrapText(SAS_ADVICE, inner).length;
}

/**
 * Draws the SAS in a box with one sentence on how to use it.
 *
 * @param props - see {@link SasNoticeProps}
 * @returns the notice element
 */
export function SasNotice({ sas, peerName, width, theme }: SasNoticeProps) {
  const inner = Math.max(1, width - 4);
  // Wrapped here (never by Ink), by the same widths Ink measures with: the SAS is never cut.
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
      <Text>
        {head(`Secured with ${peerName ?? 'your peer'}. Short authentication string (SAS):`, inner)}
      </Text>
      {wrapText(sas, inner - 2).map((row, index) => (
        // biome-ignore lint/suspicious/noArrayIndexKey: rows are positional
        <Text key={`sas${index}`} bold inverse>{` ${row} `}</Text>
      ))}
      {wrapText(SAS_ADVICE, inner).map((row, index) => (
        // biome-ignore lint/suspicious/noArrayIndexKey: rows are positional
        <Text key={`advice${index}`}>{row}</Text>
      ))}
      <Text color={theme.dim}>{head('Shown until the first message; /sas shows it again.', inner)}</Text>
    </Box>
  );
}
