/**
 * The status bar: state, SAS, peer, room, server, bytes sent and received, in
 * that order so that a narrow terminal cuts the least important end.
 */
import { Box, Text } from 'ink';
import { type ChatPhase, PHASE_LABEL } from '../chat-controller.js';
import { formatBytes } from '../messages.js';
import type { Theme } from './theme.js';

/** Props of {@link StatusBar}. All strings already sanitised. */
export interface StatusBarProps {
  readonly server: string;
  readonly room: string;
  readonly peerName: string | undefined;
  readonly phase: ChatPhase;
  readonly sas: string | undefined;
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
  return (
    <Box width={width} height={1}>
      <Text inverse wrap="truncate-end">
        {' '}
        <Text bold color={phaseColor(phase, theme)}>
          {PHASE_LABEL[phase]}
        </Text>
        {sas ? ` │ SAS ${sas}` : ''}
        {` │ peer ${peerName ?? '—'} │ room ${room} │ ${server} │ ↑${formatBytes(sent)} ↓${formatBytes(received)}${live ? ' │ live' : ''} `.padEnd(
          width,
        )}
      </Text>
    </Box>
  );
}
