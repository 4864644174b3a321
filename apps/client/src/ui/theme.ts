/**
 * Colours, or none: NO_COLOR (https://no-color.org) turns every colour off.
 * Inverse and bold are not colours and stay, so escaped bytes remain marked.
 */

/**
 * Whether colour is off: `NO_COLOR` present and not empty.
 *
 * @param env - the environment
 * @returns true when colours must not be used
 * @example
 * noColorRequested({ NO_COLOR: '1' }); // true
 */
export function noColorRequested(env: Readonly<Record<string, string | undefined>>): boolean {
  return env.NO_COLOR !== undefined && env.NO_COLOR !== '';
}

/** The palette the components use; every entry undefined under NO_COLOR. */
export interface Theme {
  readonly accent: string | undefined;
  readonly good: string | undefined;
  readonly warn: string | undefined;
  readonly bad: string | undefined;
  readonly dim: string | undefined;
}

/**
 * The palette.
 *
 * @param noColor - NO_COLOR in effect
 * @returns colour names for Ink's `color` props
 */
export function theme(noColor: boolean): Theme {
  if (noColor) return { accent: undefined, good: undefined, warn: undefined, bad: undefined, dim: undefined };
  return { accent: 'cyan', good: 'green', warn: 'yellow', bad: 'red', dim: 'gray' };
}
