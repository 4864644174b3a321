import { describe, expect, it } from 'vitest';
import {
  commitmentOf,
  deriveKeys,
  equalBytes,
  isTamperingError,
  LocalProtocolError,
  PGP_EVEN_WORDS,
  PGP_ODD_WORDS,
  pakeInput,
  passphraseBytes,
  RemoteProtocolError,
  renderSas,
  transcriptHash,
} from '../src/index';
import { fromHex, hex, text, utf8 } from './helpers';

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

  const isk = new Uint8Array(64).fill(3);

  it('per-direction keys are all distinct; the SAS and every key depend on both Z and the CPace ISK', () => {
    const a = deriveKeys(shared, th, isk);
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
    const otherIsk = deriveKeys(shared, th, new Uint8Array(64).fill(4));
    expect(hex(otherIsk.i2r.rc4Key)).not.toBe(hex(a.i2r.rc4Key));
    expect(hex(otherIsk.initiatorConfirm)).not.toBe(hex(a.initiatorConfirm));
    expect(hex(otherIsk.sasBytes)).not.toBe(hex(a.sasBytes));
    const otherZ = deriveKeys(new Uint8Array(256).fill(8), th, isk);
    expect(hex(otherZ.i2r.rc4Key)).not.toBe(hex(a.i2r.rc4Key));
    // the ISK must be a whole SHA-512 output
    expect(() => deriveKeys(shared, th, new Uint8Array(32))).toThrow(/"isk" expected 64 bytes/);
  });

  it('CPace inputs: PRS is the secret (empty without one), CI binds protocol, room and both names, sid is empty', () => {
    const input = pakeInput(utf8('7-purple-sausage'), 'r', 'alice', 'bob');
    expect(text(input.prs)).toBe('7-purple-sausage');
    expect(hex(input.ci)).toBe(hex(utf8('\x09arctalk/2\x01r\x05alice\x03bob')));
    expect(input.sid).toHaveLength(0);
    expect(pakeInput(undefined, 'r', 'alice', 'bob').prs).toHaveLength(0);
    // names are ordered initiator first: swapping them is another channel
    expect(hex(pakeInput(undefined, 'r', 'bob', 'alice').ci)).not.toBe(hex(input.ci));
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
    expect(() => deriveKeys(shared, 'x' as unknown as Uint8Array, isk)).toThrow(/"transcriptHash"/);
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
