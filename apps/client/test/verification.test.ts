import { describe, expect, it } from 'vitest';
import { resolveConfig, UsageError } from '../src/config.js';
import { isYes, parseExpectedSas, pipeVerification, sasMatches } from '../src/verification.js';

const none = { hasSecret: false, expectSas: undefined, unverified: false };
const deps = { readFile: () => new Uint8Array(0), username: () => 'alice' };

describe('pipe mode: how the peer is authenticated', () => {
  it('a code or passphrase first, then --expect-sas, then --unverified, then the terminal', () => {
    expect(pipeVerification({ ...none, hasSecret: true, unverified: true }, true).kind).toBe('secret');
    expect(pipeVerification({ ...none, expectSas: ['a', 'b', 'c'] }, true)).toEqual({
      kind: 'expect-sas',
      words: ['a', 'b', 'c'],
    });
    expect(pipeVerification({ ...none, unverified: true }, true).kind).toBe('unverified');
    expect(pipeVerification(none, true).kind).toBe('ask-terminal');
  });

  it('with none of them and no terminal: a usage error naming every option', () => {
    expect(() => pipeVerification(none, false)).toThrow(UsageError);
    try {
      pipeVerification(none, false);
    } catch (error) {
      for (const option of ['--passphrase-file', 'ARCTALK_PASSPHRASE', '--expect-sas', '--unverified']) {
        expect((error as Error).message).toContain(option);
      }
      expect((error as Error).message).toMatch(/relay read everything/);
    }
  });
});

describe('--expect-sas', () => {
  it('takes the three words as shown, in any case and spacing, in the list’s own spelling', () => {
    expect(parseExpectedSas('aardvark adroitness Zulu')).toEqual(['aardvark', 'adroitness', 'Zulu']);
    expect(parseExpectedSas('  AARDVARK\tadroitness   zulu ')).toEqual(['aardvark', 'adroitness', 'Zulu']);
  });

  it.each([
    ['two words', 'aardvark adroitness'],
    ['four words', 'aardvark adroitness Zulu aardvark'],
    ['an empty string', ''],
    ['a word from the wrong list (odd word first)', 'adroitness adroitness Zulu'],
    ['a word from the wrong list (even word second)', 'aardvark aardvark Zulu'],
    ['a word in no list', 'aardvark adroitness zebra'],
    ['digits', '1 2 3'],
  ])('refuses %s', (_, text) => {
    expect(() => parseExpectedSas(text)).toThrow(UsageError);
  });

  it('matches the SAS case-insensitively, word for word', () => {
    expect(sasMatches(['aardvark', 'adroitness', 'Zulu'], ['aardvark', 'adroitness', 'Zulu'])).toBe(true);
    expect(sasMatches(['Aardvark', 'ADROITNESS', 'zulu'], ['aardvark', 'adroitness', 'Zulu'])).toBe(true);
    expect(sasMatches(['aardvark', 'adroitness', 'Zulu'], ['aardvark', 'adroitness', 'Yucatan'])).toBe(false);
    expect(sasMatches(['aardvark', 'adroitness'], ['aardvark', 'adroitness', 'Zulu'])).toBe(false);
  });

  it('is resolved with the configuration, and contradicts --unverified', () => {
    expect(resolveConfig(undefined, { expectSas: 'aardvark adroitness Zulu' }, {}, deps).expectSas).toEqual([
      'aardvark',
      'adroitness',
      'Zulu',
    ]);
    expect(resolveConfig(undefined, {}, {}, deps)).toMatchObject({ expectSas: undefined, unverified: false });
    expect(() =>
      resolveConfig(undefined, { expectSas: 'aardvark adroitness Zulu', unverified: true }, {}, deps),
    ).toThrow(/contradict/);
  });
});

describe('the terminal answer', () => {
  it.each(['y', 'Y', 'yes', ' YES ', 'Yes'])('%j is yes', (answer) => expect(isYes(answer)).toBe(true));
  it.each(['', 'n', 'no', 'yess', 'sure', 'y y', 'ye'])('%j is not', (answer) =>
    expect(isYes(answer)).toBe(false),
  );
});
