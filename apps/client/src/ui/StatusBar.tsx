/**
 * The status bar: state, SAS, peer, room, server, bytes sent and received, in
 * that order so that a narrow terminal cuts the least important end.
 */
import { Box, Text } from 'ink';
import { type ChatPhase, PHASE_LABEL } from '../chat-controller.js';
import { formatBytes } from '../messages.js';
import { head, stringWidth } from '../width.js';
import type { Theme } from './theme.js';

/** Props of {@link StatusBar}. All strings already sanitised. */
export interface StatusBarProps {
  readonly server: string;
  readonly room: string;
  readonly peerName: string | undefined;
  readonly phase: ChatPhase;
  readonly sas: string | undefined;
  /** false: "unverified" stands next to the state, in the alarm colour, until /verify */
  readonly verified?: boolean;
  readonly sent: number;
  readonly received: number;
  readonly live: boolean;
  readonly width: number;
  readonly theme: Theme;
}

const phaseColor = (phase: ChatPhase, theme: Theme): string | undefined => {
  if (phase === 'secured') return theme.good;
  if (phase === 'failed' || phase === 'peer-left') return theme.bad;
  return theme.warn;
};

/**
 * Draws the one-line status bar, in inverse video so that nothing a peer types
 * can pass for it (pane text never contains inverse runs other than escapes).
 *
 * @param props - see {@link StatusBarProps}
 * @returns the status bar element
 */
export function StatusBar(props: StatusBarProps) {
  const { server, room, peerName, phase, sas, sent, received, live, width, theme } = props;
  const label = PHASE_LABEL[phase];
  // Once there is a SAS, an unverified peer is said next to the state, bold, in the alarm colour.
  const warning = sas && props.verified === false ? ' unverified' : '';
  const rest = `${sas ? ` │ SAS ${sas}` : ''} │ peer ${peerName ?? '—'} │ room ${room} │ ${server} │ ↑${formatBytes(sent)} ↓${formatBytes(received)}${live ? ' │ live' : ''} `;
  // Filled to the width in columns (names may hold wide characters): an inverse bar
  // that fits ends in blanks, and only one that does not fit is cut with an ellipsis.
  // A bar that does not fit is cut here, between grapheme clusters, never by Ink.
  const roomLeft = Math.max(1, width - 1 - stringWidth(label) - stringWidth(warning));
  const shown = head(rest, roomLeft);
  const fill = ' '.repeat(
    Math.max(0, width - 1 - stringWidth(label) - stringWidth(warning) - stringWidth(shown)),
  );
  return (
    <Box width={width} height={1}>
      <Text inverse wrap="truncate-end">
        {' '}
        <Text bold color={phaseColor(phase, theme)}>
          {label}
        </Text>
        {warning ? (
          <Text bold color={theme.bad}>
            {warning}
          </Text>
        ) : null}
        {shown + fill}
      </Text>
    </Box>
  );
}
