/**
 * The whole screen for a {@link ChatView}: your pane on top, the peer's below
 * (as in talk(1)), then a notice line, the input line and the status bar.
 * Pure: the terminal size comes in as props.
 */
import { Box, Text } from 'ink';
import { useEffect } from 'react';
import type { ChatView } from '../chat-controller.js';
import { head, wrapText } from '../width.js';
import { HelpPanel } from './HelpPanel.js';
import { InputLine } from './InputLine.js';
import { Pane } from './Pane.js';
import { SasNotice, sasNoticeRows } from './SasNotice.js';
import { StatusBar } from './StatusBar.js';
import type { Theme } from './theme.js';

/** Smallest usable terminal. */
export const MIN_COLUMNS = 20;
/** Smallest usable terminal. */
export const MIN_ROWS = 8;

/** Props of {@link ChatScreen}. */
export interface ChatScreenProps {
  readonly view: ChatView;
  readonly columns: number;
  readonly rows: number;
  readonly theme: Theme;
  /** told the pane heights and clamped scroll offsets after each render */
  readonly onLayout?: (layout: {
    mineRows: number;
    theirsRows: number;
    mineScroll: number;
    theirsScroll: number;
  }) => void;
}

/**
 * Draws the screen. It uses `rows - 1` lines, so that Ink never has to clear
 * the whole terminal to redraw.
 *
 * @param props - see {@link ChatScreenProps}
 * @returns the screen element
 */
export function ChatScreen({ view, columns, rows, theme, onLayout }: ChatScreenProps) {
  const width = Math.max(1, columns);
  const total = Math.max(1, rows - 1);
  const fixed = 5; // two titles, notice, input, status
  const available = total - fixed;
  const showSas = view.showSas && view.sas !== undefined;
  const sasBox = showSas && available - sasNoticeRows(width, view.sas!) >= 2;
  // Without room for the box, the SAS goes on the notice line, given the rows it
  // needs in a narrow terminal (taken from the panes): it is never cut.
  const sasLine = showSas && !sasBox;
  const noticeRows = sasLine
    ? Math.min(wrapText(`SAS ${view.sas}:`, width).length, 1 + Math.max(0, available))
    : 1;
  const paneRows = available - (sasBox ? sasNoticeRows(width, view.sas!) : 0) - (noticeRows - 1);
  const mineRows = Math.max(0, Math.floor(paneRows / 2));
  const theirsRows = Math.max(0, paneRows - mineRows);
  const tooSmall = columns < MIN_COLUMNS || rows < MIN_ROWS;

  const mine = view.mine.view(width, mineRows, view.scroll.mine);
  const theirs = view.theirs.view(width, theirsRows, view.scroll.theirs);

  useEffect(() => {
    onLayout?.({ mineRows, theirsRows, mineScroll: mine.scroll, theirsScroll: theirs.scroll });
  });

  const status = (
    <StatusBar
      server={view.server}
      room={view.room}
      peerName={view.peerName}
      phase={view.phase}
      sas={view.sas}
      verified={view.verified}
      sent={view.sent}
      received={view.received}
      live={view.live}
      width={width}
      theme={theme}
    />
  );

  if (tooSmall) {
    return (
      <Box flexDirection="column" width={width} height={total}>
        <Box flexGrow={1} flexDirection="column" overflow="hidden">
          {wrapText(`terminal too small (need ${MIN_COLUMNS}x${MIN_ROWS})`, width).map((row, index) => (
            // biome-ignore lint/suspicious/noArrayIndexKey: rows are positional
            <Text key={index}>{row}</Text>
          ))}
        </Box>
        {status}
      </Box>
    );
  }

  let notice = view.notice;
  if (sasLine) {
    notice = {
      text: `SAS ${view.sas}: compare it by voice; if it differs, someone is in the middle`,
      tone: 'warn',
    };
  }
  const noticeColor =
    notice?.tone === 'error' ? theme.bad : notice?.tone === 'warn' ? theme.warn : theme.accent;

  return (
    <Box flexDirection="column" width={width} height={total}>
      {view.showHelp ? (
        // Help takes the place of both panes (and of the SAS box) while it is open.
        <HelpPanel live={view.live} width={width} height={available + 2} theme={theme} />
      ) : (
        <>
          <Pane
            title={`you (${view.name})`}
            rows={mine.rows}
            height={mineRows}
            width={width}
            focused={view.focus === 'mine'}
            scroll={mine.scroll}
            theme={theme}
          />
          {sasBox ? <SasNotice sas={view.sas!} peerName={view.peerName} width={width} theme={theme} /> : null}
          <Pane
            title={view.peerName ?? 'peer'}
            rows={theirs.rows}
            height={theirsRows}
            width={width}
            focused={view.focus === 'theirs'}
            scroll={theirs.scroll}
            theme={theme}
          />
        </>
      )}
      <Box width={width} height={noticeRows} overflow="hidden" flexShrink={0} flexDirection="column">
        {(sasLine
          ? wrapText(notice!.text, width).slice(0, noticeRows)
          : [head(notice?.text ?? ' ', width)]
        ).map((row, index) => (
          // biome-ignore lint/suspicious/noArrayIndexKey: rows are positional
          <Text key={index} color={noticeColor} bold={notice?.tone === 'error'}>
            {row || ' '}
          </Text>
        ))}
      </Box>
      <InputLine
        input={view.input}
        pendingPaste={view.pendingPaste}
        live={view.live}
        phase={view.phase}
        width={width}
        theme={theme}
      />
      {status}
    </Box>
  );
}
