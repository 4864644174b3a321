/**
 * Asking the user a question on the controlling terminal (/dev/tty) while standard
 * input and output are pipes, as ssh asks about a host key and gpg for a passphrase.
 * Pipe mode uses it to have the SAS confirmed before any byte of stdin is sent.
 */
import { closeSync, openSync, writeSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { ReadStream } from 'node:tty';

/** A question-and-answer channel to the user. */
export interface TerminalPrompt {
  /** writes `question`, resolves with the line typed (rejects if the terminal closes) */
  ask(question: string): Promise<string>;
  /** releases the terminal; pending questions reject */
  close(): void;
}

/**
 * Opens the controlling terminal.
 *
 * @param path - the terminal device (tests may pass another)
 * @returns a prompt, or undefined when the process has no controlling terminal
 *   (ENXIO: e.g. under cron, in CI, or started with `setsid`)
 */
export function openTerminalPrompt(path = '/dev/tty'): TerminalPrompt | undefined {
  let fd: number;
  try {
    fd = openSync(path, 'r+');
  } catch {
    return undefined;
  }
  let input: ReadStream | undefined;
  let closed = false;
  const rejecters = new Set<(error: Error) => void>();
  return {
    ask(question) {
      if (closed) return Promise.reject(new Error('the terminal prompt is closed'));
      writeSync(fd, question);
      input ??= new ReadStream(fd);
      const lines = createInterface({ input, terminal: false });
      return new Promise<string>((resolve, reject) => {
        rejecters.add(reject);
        // Settle first: closing the interface emits 'close' synchronously, and that
        // handler must not turn an answered question into "the terminal closed".
        let settled = false;
        lines.once('line', (line) => {
          settled = true;
          rejecters.delete(reject);
          resolve(line);
          lines.close();
          input?.pause();
        });
        lines.once('close', () => {
          rejecters.delete(reject);
          if (!settled) reject(new Error('the terminal closed'));
        });
      });
    },
    close() {
      if (closed) return;
      closed = true;
      for (const reject of rejecters) reject(new Error('the terminal prompt is closed'));
      if (input) input.destroy();
      else closeSync(fd);
    },
  };
}
