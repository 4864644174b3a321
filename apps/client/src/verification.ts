/**
 * How the peer gets authenticated before anything of ours is sent (pure policy;
 * pipe-mode.ts and the terminal UI act on it). A relay in the middle of the key
 * exchange sees everything sent under an unverified key, so pipe mode sends no byte
 * of standard input until one of these has happened:
 *
 * | how                      | when it counts                                     |
 * | ------------------------ | -------------------------------------------------- |
 * | a code or passphrase     | key confirmation (CONFIRM) passed: the peer knows it |
 * | `--expect-sas "w w w"`   | the SAS equals the expected words                  |
 * | the controlling terminal | the user answered yes after comparing the SAS      |
 * | `--unverified`           | at once: the user accepted that the relay can read |
 *
 * With none of them and no terminal to ask on, pipe mode refuses to start.
 */
import { keyLengths, PGP_EVEN_WORDS, PGP_ODD_WORDS } from '@arctalk/protocol';
import { UsageError } from './usage-error.js';

/** How pipe mode authenticates the peer. */
export type PipeVerification =
  | { readonly kind: 'secret' }
  | { readonly kind: 'expect-sas'; readonly words: readonly string[] }
  | { readonly kind: 'ask-terminal' }
  | { readonly kind: 'unverified' };

/** The options that authenticate the peer, as named in messages and --help. */
export const VERIFY_OPTIONS_HINT =
  '--passphrase-file (or ARCTALK_PASSPHRASE), --expect-sas "WORD WORD WORD", or --unverified (lets the relay read everything)';

/** What the policy reads from the configuration. */
export interface VerificationConfig {
  /** a passphrase or a code: CONFIRM then proves the peer knows it */
  readonly hasSecret: boolean;
  readonly expectSas: readonly string[] | undefined;
  readonly unverified: boolean;
}

/**
 * Picks how pipe mode authenticates the peer.
 *
 * @param config - the secret, --expect-sas and --unverified settings
 * @param hasTerminal - whether a controlling terminal (/dev/tty) can ask the user
 * @returns the verification to use
 * @throws UsageError when nothing can authenticate the peer (names the options)
 * @example
 * pipeVerification({ hasSecret: false, expectSas: undefined, unverified: true }, false); // { kind: 'unverified' }
 */
export function pipeVerification(config: VerificationConfig, hasTerminal: boolean): PipeVerification {
  if (config.hasSecret) return { kind: 'secret' };
  if (config.expectSas) return { kind: 'expect-sas', words: config.expectSas };
  if (config.unverified) return { kind: 'unverified' };
  if (hasTerminal) return { kind: 'ask-terminal' };
  throw new UsageError(
    `pipe mode sends nothing until the peer is authenticated, and there is no terminal to compare the SAS on: use ${VERIFY_OPTIONS_HINT}`,
  );
}

/**
 * Parses `--expect-sas`: three PGP words separated by spaces (any case), the first
 * and last from the two-syllable list, the middle one from the three-syllable list,
 * exactly as both screens show them.
 *
 * @param text - the option's value
 * @returns the words, in the list's own spelling
 * @throws UsageError for another word count or a word not in its list
 * @example
 * parseExpectedSas('Aardvark adroitness zulu'); // ['aardvark', 'adroitness', 'Zulu']
 */
export function parseExpectedSas(text: string): readonly string[] {
  const words = text.trim().split(/\s+/).filter(Boolean);
  if (words.length !== keyLengths.sas) {
    throw new UsageError(
      `--expect-sas expects ${keyLengths.sas} words as shown (e.g. "aardvark adroitness Zulu"), got ${words.length}`,
    );
  }
  return Object.freeze(
    words.map((word, i) => {
      const list = i % 2 === 0 ? PGP_EVEN_WORDS : PGP_ODD_WORDS;
      const found = list.find((w) => w.toLowerCase() === word.toLowerCase());
      if (!found) {
        throw new UsageError(
          `--expect-sas: "${word}" is not a word the SAS can have at position ${i + 1} (PGP word list)`,
        );
      }
      return found;
    }),
  );
}

/**
 * Whether the SAS both screens show equals the expected words (case-insensitive).
 *
 * @param expected - from {@link parseExpectedSas}
 * @param sasWords - the session's SAS words
 * @returns true when equal
 * @example
 * sasMatches(['aardvark', 'adroitness', 'Zulu'], ['aardvark', 'adroitness', 'Zulu']); // true
 */
export function sasMatches(expected: readonly string[], sasWords: readonly string[]): boolean {
  return (
    expected.length === sasWords.length &&
    expected.every((word, i) => word.toLowerCase() === sasWords[i]!.toLowerCase())
  );
}

/**
 * Reads the user's answer to "does your peer see the same words?".
 *
 * @param answer - the line typed (without the newline)
 * @returns true only for y or yes (any case)
 * @example
 * isYes(' Yes '); // true
 */
export function isYes(answer: string): boolean {
  return /^\s*y(es)?\s*$/i.test(answer);
}
