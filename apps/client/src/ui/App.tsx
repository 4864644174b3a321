/** The interactive app: keyboard and terminal size wired to a ChatController. */
import { useInput, useStdout } from 'ink';
import { useCallback, useEffect, useState, useSyncExternalStore } from 'react';
import type { ChatController } from '../chat-controller.js';
import { keyToActions } from '../line-edit.js';
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
 * The chat, interactive.
 *
 * @param props - see {@link AppProps}
 * @returns the app element
 */
export function App({ controller, theme, columns, rows }: AppProps) {
  const view = useSyncExternalStore(controller.subscribe, controller.getSnapshot);
  const size = useTerminalSize({ columns, rows });
  useInput((input, key) => controller.handleActions(keyToActions(input, key)));
  const onLayout = useCallback(
    (layout: { mineRows: number; theirsRows: number; mineScroll: number; theirsScroll: number }) => {
      controller.pageRows = { mine: layout.mineRows, theirs: layout.theirsRows };
      controller.clampScroll(layout.mineScroll, layout.theirsScroll);
    },
    [controller],
  );
  return <ChatScreen view={view} columns={size.columns} rows={size.rows} theme={theme} onLayout={onLayout} />;
}
