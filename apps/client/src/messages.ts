/** User-facing sentences shared by the terminal UI and pipe mode. */

/** The one sentence on how to use the SAS. */
export const SAS_ADVICE =
  'Read this code to each other by voice: if the two codes differ, someone is in the middle.';

/**
 * Formats a byte count for the status bar.
 *
 * @param bytes - a count
 * @returns e.g. `512 B`, `1.5 KiB`, `3.0 MiB`
 * @example
 * formatBytes(1536); // '1.5 KiB'
 */
export function formatBytes(bytes: number): string {
  if (bytes < 1024) return `${bytes} B`;
  if (bytes < 1024 * 1024) return `${(bytes / 1024).toFixed(1)} KiB`;
  if (bytes < 1024 * 1024 * 1024) return `${(bytes / 1024 / 1024).toFixed(1)} MiB`;
  return `${(bytes / 1024 / 1024 / 1024).toFixed(2)} GiB`;
}

/**
 * Why the client gave up on a stalled key exchange (exit code 11).
 *
 * @param timeoutMs - the --handshake-timeout, ms
 * @returns the one-line message
 */
export function handshakeTimeoutMessage(timeoutMs: number): string {
  return `the key exchange made no progress for ${timeoutMs / 1000} s: the server or something on the path is withholding it (try again, or another server; --handshake-timeout sets the limit)`;
}
