/**
 * PROTOCOL.md §1: room, name and passphrase are in Unicode Normalization Form C.
 * The same word typed precomposed (NFC) on one machine and decomposed (NFD, as macOS
 * often produces) on the other must be one room, one name and one passphrase.
 */
import { describe, expect, it } from 'vitest';
import {
  decodeError,
  decodeHello,
  decodePaired,
  ErrorCode,
  encodeFrame,
  encodeHello,
  FrameDecoder,
  FrameType,
  passphraseBytes,
  Relay,
  type RelayAction,
  validateName,
  validateRoom,
} from '../src/index';
import { hex, securedPair, utf8 } from './helpers';

/** Words whose NFC and NFD spellings differ: Latin, Vietnamese (two marks), Hangul, Greek, a ligature kept. */
const WORDS = ['café', 'Tiếng Việt', '한국어', 'Ἀθῆναι', 'Åström', 'ﬁle naïve'];

const nfd = (text: string) => text.normalize('NFD');

describe('NFC for identifying text', () => {
  it('the examples really differ between NFC and NFD', () => {
    for (const word of WORDS) expect(hex(utf8(nfd(word))), word).not.toBe(hex(utf8(word.normalize('NFC'))));
    expect(hex(utf8('café'))).toBe('636166c3a9');
    expect(hex(utf8(nfd('café')))).toBe('63616665cc81');
  });

  it('validateName / validateRoom return the bytes of the NFC form, whatever form they are given', () => {
    for (const word of WORDS) {
      const expected = hex(utf8(word.normalize('NFC')));
      expect(hex(validateRoom(nfd(word))), word).toBe(expected);
      expect(hex(validateRoom(word)), word).toBe(expected);
      const name = word.slice(0, 8);
      expect(hex(validateName(nfd(name))), name).toBe(hex(utf8(name.normalize('NFC'))));
    }
  });

  it('lengths count the NFC bytes: a decomposed name over 32 bytes that fits once composed is accepted', () => {
    const composed = 'é'.repeat(16); // 32 bytes in NFC, 48 in NFD
    expect(utf8(nfd(composed)).length).toBe(48);
    expect(validateName(nfd(composed)).length).toBe(32);
    expect(() => validateName(nfd(`${composed}e`))).toThrow(/1\.\.32 bytes/);
  });

  it('HELLO carries the NFC bytes; a HELLO or PAIRED whose text is not in NFC is MALFORMED_FRAME', () => {
    const body = encodeHello({ room: nfd('café'), name: nfd('José') });
    expect(decodeHello(body)).toEqual({ version: 2, room: 'café', name: 'José' });
    const room = utf8(nfd('café'));
    const raw = Uint8Array.of(2, room.length, ...room, 1, 0x61);
    expect(() => decodeHello(raw)).toThrow(expect.objectContaining({ code: 'MALFORMED_FRAME' }));
    const name = utf8(nfd('Zoë'));
    expect(() => decodePaired(Uint8Array.of(1, name.length, ...name))).toThrow(
      expect.objectContaining({ code: 'MALFORMED_FRAME' }),
    );
  });

  it('the relay refuses a HELLO whose room or name is not in NFC with BAD_HELLO', () => {
    for (const [room, name] of [
      [nfd('café'), 'a'],
      ['lobby', nfd('Zoë')],
      [nfd('한국어'), 'a'],
    ] as const) {
      const relay = new Relay();
      relay.open('a');
      const r = utf8(room);
      const n = utf8(name);
      const actions: RelayAction[] = relay.receive(
        'a',
        encodeFrame({ type: FrameType.HELLO, body: Uint8Array.of(2, r.length, ...r, n.length, ...n) }),
      );
      const sent = actions.find((a) => a.type === 'send');
      const frames = sent?.type === 'send' ? new FrameDecoder().push(sent.bytes) : [];
      expect(frames[0]?.type, room + name).toBe(FrameType.ERROR);
      expect(decodeError(frames[0]!.body).code, room + name).toBe(ErrorCode.BAD_HELLO);
      expect(actions.some((a) => a.type === 'close')).toBe(true);
    }
  });

  it('a string passphrase is put in NFC: NFC and NFD spellings derive the same keys', () => {
    for (const word of WORDS) expect(hex(passphraseBytes(nfd(word)))).toBe(hex(passphraseBytes(word)));
  });

  it('two sessions, one typing NFC and the other NFD for room, names and passphrase, meet and secure', () => {
    // Two words with a passphrase (CPace), the rest without.
    WORDS.forEach((word, index) => {
      const name = word.slice(0, 8);
      const secret = index < 2 ? { alice: word, bob: nfd(word) } : undefined;
      const { net, alice, bob } = securedPair({
        room: word, // alice's room, NFC
        alice: { name, ...(secret ? { passphrase: secret.alice } : {}) },
        bob: { room: nfd(word), name: nfd(`${name}2`), ...(secret ? { passphrase: secret.bob } : {}) },
      });
      expect(alice.sas, word).toBeDefined();
      expect(bob.sas, word).toBe(alice.sas);
      expect(net.ev('alice').find((e) => e.type === 'paired')).toMatchObject({
        peerName: `${name}2`.normalize('NFC'),
      });
      alice.send(utf8('ok'));
      net.pump();
      expect(net.texts('bob')).toBe('ok');
    });
  }, 60_000);
});
