/** The interactive app: keyboard and terminal size wired to a ChatController. */
import { useStdin, useStdout } from 'ink';
import { useCallback, useEffect, useState, useSyncExternalStore } from 'react';
import type { ChatController } from '../chat-controller.js';
import { KeyDecoder } from '../keys.js';
import { ChatScreen } from './ChatScreen.js';
import type { Theme } from './theme.js';

/** Props of {@link App}. */
export interface AppProps {
  readonly controller: ChatController;
  readonly theme: Theme;
  /** fixed size (tests); by default the terminal's, following resizes */
  readonly columns?: number;
  readonly rows?: number;
}

/** Tracks the terminal size, re-rendering on resize. */
function useTerminalSize(fixed: { columns?: number; rows?: number }): { columns: number; rows: number } {
  const { stdout } = useStdout();
  const read = useCallback(
    () => ({ columns: fixed.columns ?? stdout.columns ?? 80, rows: fixed.rows ?? stdout.rows ?? 24 }),
    [stdout, fixed.columns, fixed.rows],
  );
  const [size, setSize] = useState(read);
  useEffect(() => {
    const onResize = () => setSize(read());
    stdout.on('resize', onResize);
    return () => {
      stdout.off('resize', onResize);
    };
  }, [stdout, read]);
  return size;
}

/**
 * Feeds the keyboard to the controller. Ink's `useInput` hands over keys already
 * interpreted, one read at a time, which loses a bracketed paste's markers and
 * splits a paste at every escape sequence it holds; the raw input (as Ink's parser
 * splits it) goes through our {@link KeyDecoder} instead, so a paste is one edit.
 */
function useKeys(controller: ChatController): void {
  const { setRawMode, isRawModeSupported, internal_eventEmitter: events } = useStdin();
  useEffect(() => {
    if (!isRawModeSupported) return;
    setRawMode(true);
    return () => setRawMode(false);
  }, [isRawModeSupported, setRawMode]);
  useEffect(() => {
    const keys = new KeyDecoder();
    const onInput = (raw: string) => controller.handleActions(keys.push(raw));
    events.on('input', onInput);
    return () => {
      events.off('input', onInput);
    };
  }, [events, controller]);
}

/**
 * The chat, interactive.
 *
 * @param props - see {@link AppProps}
 * @returns the app element
 */
export function App({ controller, theme, columns, rows }: AppProps) {
  const view = useSyncExternalStore(controller.subscribe, controller.getSnapshot);
  const size = useTerminalSize({ columns, rows });
  useKeys(controller);
  const onLayout = useCallback(
    (layout: { mineRows: number; theirsRows: number; mineScroll: number; theirsScroll: number }) => {
      controller.pageRows = { mine: layout.mineRows, theirs: layout.theirsRows };
      controller.clampScroll(layout.mineScroll, layout.theirsScroll);
    },
    [controller],
  );
  return <ChatScreen view={view} columns={size.columns} rows={size.rows} theme={theme} onLayout={onLayout} />;
}
