import { describe, expect, it } from 'vitest';
import {
  commitmentOf,
  deriveKeys,
  equalBytes,
  isTamperingError,
  LocalProtocolError,
  PGP_EVEN_WORDS,
  PGP_ODD_WORDS,
  passphraseBytes,
  RemoteProtocolError,
  renderSas,
  transcriptHash,
} from '../src/index';
import { fromHex, hex, utf8 } from './helpers';

describe('PGP word list', () => {
  it('has 2 × 256 distinct words', () => {
    expect(PGP_EVEN_WORDS).toHaveLength(256);
    expect(PGP_ODD_WORDS).toHaveLength(256);
    expect(new Set([...PGP_EVEN_WORDS, ...PGP_ODD_WORDS].map((w) => w.toLowerCase())).size).toBe(512);
    expect([PGP_EVEN_WORDS[0], PGP_EVEN_WORDS[255], PGP_ODD_WORDS[0], PGP_ODD_WORDS[255]]).toEqual([
      'aardvark',
      'Zulu',
      'adroitness',
      'Yucatan',
    ]);
  });

  it('renders the example of Encode::Wordlist::PGP (its POD SYNOPSIS)', () => {
    const fingerprint = fromHex('41559711308F2A21B9D5072D621958AFCB50B5F9'.toLowerCase());
    expect(renderSas(fingerprint).sas).toBe(
      'cranky equipment preshrunk Babylon chairlift midsummer brickyard Camelot sentence specialist ' +
        'ahead clergyman flagpole bottomless endorse pharmacy spheroid embezzle scorecard Waterloo',
    );
  });
});

describe('key schedule', () => {
  const th = new Uint8Array(32).fill(7);
  const shared = new Uint8Array(256).fill(9);

  it('per-direction keys are all distinct; the SAS does not depend on the passphrase; the keys do', () => {
    const a = deriveKeys(shared, th);
    const all = [
      a.i2r.rc4Key,
      a.i2r.macKey,
      a.r2i.rc4Key,
      a.r2i.macKey,
      a.initiatorConfirmKey,
      a.responderConfirmKey,
    ];
    expect(new Set(all.map(hex)).size).toBe(6);
    expect(a.sasWords).toHaveLength(3);
    const b = deriveKeys(shared, th, 'pw');
    expect(b.sas).toBe(a.sas);
    expect(hex(b.i2r.rc4Key)).not.toBe(hex(a.i2r.rc4Key));
    expect(hex(b.initiatorConfirm)).not.toBe(hex(a.initiatorConfirm));
    // string passphrases are NFC-normalised: the same text typed two ways gives the same keys
    expect(hex(deriveKeys(shared, th, 'caf\u00e9').i2r.rc4Key)).toBe(
      hex(deriveKeys(shared, th, 'cafe\u0301').i2r.rc4Key),
    );
    expect(hex(deriveKeys(shared, th, utf8('pw')).i2r.rc4Key)).toBe(hex(b.i2r.rc4Key));
  });

  it('the transcript hash length-prefixes its fields (no ambiguity between name boundaries)', () => {
    const base = {
      room: 'r',
      initiatorName: 'ab',
      responderName: 'c',
      commitBody: new Uint8Array(36),
      responderKexBody: new Uint8Array(40),
      initiatorKexBody: new Uint8Array(40),
    };
    const shifted = { ...base, initiatorName: 'a', responderName: 'bc' };
    expect(hex(transcriptHash(base))).not.toBe(hex(transcriptHash(shifted)));
    expect(transcriptHash(base)).toHaveLength(32);
  });

  it('helpers check their arguments', () => {
    expect(() => passphraseBytes('')).toThrow(LocalProtocolError);
    expect(() => commitmentOf('x' as unknown as Uint8Array)).toThrow(/"initiatorKexBody"/);
    expect(() => deriveKeys(shared, 'x' as unknown as Uint8Array)).toThrow(/"transcriptHash"/);
    expect(equalBytes(new Uint8Array([1, 2]), new Uint8Array([1, 2]))).toBe(true);
    expect(equalBytes(new Uint8Array([1, 2]), new Uint8Array([1, 3]))).toBe(false);
    expect(equalBytes(new Uint8Array([1]), new Uint8Array([1, 2]))).toBe(false);
  });

  it('isTamperingError separates tampering from relay refusals', () => {
    expect(isTamperingError(new RemoteProtocolError('AUTH_FAILED', 'x'))).toBe(true);
    expect(isTamperingError(new RemoteProtocolError('BAD_OFFSET', 'x'))).toBe(true);
    expect(isTamperingError(new RemoteProtocolError('RELAY_ERROR', 'x', 6))).toBe(false);
    expect(isTamperingError(new LocalProtocolError('AUTH_FAILED', 'x'))).toBe(false);
    expect(isTamperingError(new Error('x'))).toBe(false);
  });
});
