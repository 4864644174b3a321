/**
 * Terminal mode (stdin and stdout are TTYs): the split-screen Ink UI.
 * This file only wires: the socket to the session (connection.ts), session
 * events and keys to the ChatController, the controller to Ink.
 */
import { render } from 'ink';
import { ChatController, type ChatLink } from './chat-controller.js';
import type { ClientConfig } from './config.js';
import { CannotConnectError, Connection, connectTcp, createSession } from './connection.js';
import { ExitCode, type ExitCodeValue } from './exit-codes.js';
import { BRACKETED_PASTE_OFF, BRACKETED_PASTE_ON } from './keys.js';
import { App } from './ui/App.js';
import type { Theme } from './ui/theme.js';

/** Options of {@link runTty}. */
export interface TtyOptions {
  theme: Theme;
  /** PING interval once secured, ms (0: none) */
  keepaliveMs?: number;
  stdin?: NodeJS.ReadStream;
  stdout?: NodeJS.WriteStream;
  stderr?: NodeJS.WriteStream;
}

/**
 * Runs one conversation in the terminal UI.
 *
 * @param config - the resolved configuration
 * @param options - theme, keepalive, streams
 * @returns the exit code; its message has been written to stderr after the UI closed
 */
export async function runTty(config: ClientConfig, options: TtyOptions): Promise<ExitCodeValue> {
  const stdin = options.stdin ?? process.stdin;
  const stdout = options.stdout ?? process.stdout;
  const stderr = options.stderr ?? process.stderr;
  const session = createSession(config);
  const controller = new ChatController({
    server: config.address,
    room: config.room,
    name: config.name,
    live: config.live,
    secret: config.passphrase !== undefined,
    expectSas: config.expectSas,
  });
  const instance = render(<App controller={controller} theme={options.theme} />, {
    stdin,
    stdout,
    stderr,
    exitOnCtrlC: false,
    patchConsole: false,
    // Not incrementalRendering: in ink 6.8 it moves the cursor up one line too
    // few after a frame that ends in a newline, so every update scrolls the
    // screen by a line (seen in the pty tests). Full redraws are wrapped in
    // synchronized-output sequences, so they do not flicker on modern terminals.
  });
  // Bracketed paste (xterm mode 2004): a paste arrives between markers, as one edit.
  // It is turned off again however we leave: normal exit, a crash (process 'exit'
  // runs on both), a signal (which quits through the same path), and before ^Z.
  stdout.write(BRACKETED_PASTE_ON);
  const pasteOff = () => {
    if (!stdout.destroyed) stdout.write(BRACKETED_PASTE_OFF);
  };
  process.on('exit', pasteOff);
  let noticeTimer: NodeJS.Timeout | undefined;
  controller.onRedraw = () => {
    // ^L: wipe the terminal and home the cursor; Ink's next frame (which erases
    // its previous lines upwards from there, a no-op at the top) redraws it all.
    stdout.write('\x1b[2J\x1b[3J\x1b[H');
    // The "Screen redrawn" notice goes after a few seconds (or with the next key).
    clearTimeout(noticeTimer);
    noticeTimer = setTimeout(() => controller.expireNotice(), 3000);
    noticeTimer.unref();
  };
  controller.onSuspend = () => {
    // ^Z: what a shell's job control expects. Raw mode turned ISIG off, so the
    // terminal sent 0x1A instead of SIGTSTP: give the terminal back as we found it
    // (cooked mode, no bracketed paste, cursor shown, below our frame), then stop.
    // On SIGCONT (fg), take it again and redraw everything.
    if (process.platform === 'win32') {
      controller.notify('^Z: suspending is not supported on this platform.');
      return;
    }
    let resumed = false;
    const resume = (suspended: boolean) => {
      if (resumed) return;
      resumed = true;
      process.off('SIGCONT', onContinue);
      stdin.setRawMode?.(true);
      stdout.write(`${BRACKETED_PASTE_ON}\x1b[?25l`);
      controller.handleActions([{ type: 'redraw' }]);
      if (!suspended) {
        // The kernel drops SIGTSTP for a process group no shell controls (an orphaned
        // group, e.g. run by `script -c` or a terminal's direct command): say so.
        controller.notify('^Z: no shell job control here to resume arctalk, so it did not suspend.');
      }
    };
    const onContinue = () => resume(true);
    process.on('SIGCONT', onContinue);
    pasteOff();
    stdout.write('\x1b[?25h\n');
    stdin.setRawMode?.(false);
    const before = Date.now();
    process.kill(process.pid, 'SIGTSTP');
    // Stopped: this runs after fg (SIGCONT), much later. Not stopped: it runs at once.
    setTimeout(() => resume(Date.now() - before > 1000), 200).unref();
  };
  // ^C typed is a key (raw mode); SIGINT from outside quits the same way (END, then
  // wait for the peer's; twice leaves at once). SIGTERM and SIGHUP leave at once, END first.
  const signals = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;
  const onSignal = (signal: NodeJS.Signals) => void controller.quit(signal !== 'SIGINT');
  for (const signal of signals) process.on(signal, onSignal);

  const close = async (code: ExitCodeValue, message: string | undefined): Promise<ExitCodeValue> => {
    for (const signal of signals) process.off(signal, onSignal);
    clearTimeout(noticeTimer);
    pasteOff();
    process.off('exit', pasteOff);
    instance.unmount();
    await instance.waitUntilExit().catch(() => undefined);
    if (message) stderr.write(`arctalk: ${message}\n`);
    return code;
  };

  let connection: Connection;
  try {
    const started = Date.now();
    const socket = await connectTcp(config.host, config.port, config.connectTimeoutMs);
    connection = new Connection(
      socket,
      session,
      {
        onEvent: (event) => controller.handleEvent(event),
        onClose: (expected, error) => controller.handleClose(expected, error),
        onHandshakeTimeout: () =>
          controller.handshakeTimedOut(config.handshakeTimeoutMs, session.stallError()),
        onAckTimeout: () => controller.ackTimedOut(config.ackTimeoutMs),
      },
      options.keepaliveMs ?? 0,
      undefined,
      // --connect-timeout covers everything up to the relay's first frame.
      {
        address: config.address,
        timeoutMs: Math.max(1, config.connectTimeoutMs - (Date.now() - started)),
        limitMs: config.connectTimeoutMs,
      },
      config.handshakeTimeoutMs,
      config.ackTimeoutMs,
    );
  } catch (error) {
    if (error instanceof CannotConnectError) {
      // No conversation to leave in the scrollback: erase the empty frame, keep the error line.
      instance.clear();
      return close(ExitCode.CANNOT_CONNECT, `cannot connect to ${config.address}: ${error.message}`);
    }
    await close(ExitCode.INTERNAL, undefined);
    throw error;
  }
  const link: ChatLink = {
    send: (bytes) => {
      connection.send(bytes);
    },
    end: () => connection.end(),
    finish: () => connection.finish(),
    close: () => connection.close(),
    get sent() {
      return session.sent;
    },
    get received() {
      return session.received;
    },
  };
  controller.attach(link);
  const outcome = await controller.outcome;
  connection.close();
  return close(outcome.code, outcome.message);
}
