/** A problem with the command line or environment: exit code 2. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}
