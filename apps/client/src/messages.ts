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
