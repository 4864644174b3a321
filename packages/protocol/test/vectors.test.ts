/**
 * Replays the recorded transcripts in test/vectors/: re-runs each scenario from
 * its fixed inputs and compares every frame, event and derived value with the
 * recording; then re-derives the key schedule with node:crypto (an independent
 * implementation of SHA-256, HKDF, HMAC and scrypt) and opens every DATA and END
 * frame with those keys, without the session code.
 */
import { createHash, createHmac, hkdfSync, scryptSync } from 'node:crypto';
import { createRC4 } from '@arctalk/rc4';
import { describe, expect, it } from 'vitest';
import { commitmentOf, PGP_EVEN_WORDS, PGP_ODD_WORDS } from '../src/index';
import { fromHex, hex } from './helpers';
import { runScenario, type ScenarioInput, type WireFrame } from './vectors/scenario';
import ffdhe3072 from './vectors/session-ffdhe3072.json';
import passphrase from './vectors/session-passphrase.json';
import plain from './vectors/session-plain.json';

interface Vector {
  description: string;
  input: ScenarioInput;
  wire: WireFrame[];
  events: { alice: string[]; bob: string[] };
  derived: Record<string, string>;
}

const vectors: [string, Vector][] = [
  ['session-plain', plain as Vector],
  ['session-passphrase', passphrase as Vector],
  ['session-ffdhe3072', ffdhe3072 as Vector],
];

const u32 = (n: number) => Buffer.from([n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255]);
const u64 = (n: number) => Buffer.concat([u32(Math.floor(n / 2 ** 32)), u32(n >>> 0)]);
const hkdf = (ikm: Uint8Array, salt: Uint8Array, info: string, n: number) =>
  new Uint8Array(hkdfSync('sha256', ikm, salt, info, n));
const hmacHex = (key: string, ...parts: Uint8Array[]) => {
  const h = createHmac('sha256', Buffer.from(key, 'hex'));
  for (const p of parts) h.update(p);
  return h.digest('hex');
};

describe.each(vectors)('%s', (_name, v) => {
  const frames = (dir: string, type?: string) =>
    v.wire.filter((w) => w.dir === dir && (type === undefined || w.type === type)).map((w) => fromHex(w.hex));

  it('replays byte for byte: every frame, every event, every derived value', () => {
    const out = runScenario(v.input);
    expect(out.wire).toEqual(v.wire);
    expect(out.events).toEqual(v.events);
    expect(out.derived).toEqual(v.derived);
  });

  it('ends cleanly with the same SAS on both sides', () => {
    expect(v.events.alice).toContain(`secured ${v.derived.sas}`);
    expect(v.events.bob).toContain(`secured ${v.derived.sas}`);
    expect(v.events.alice.at(-1)).toBe('closed');
  });

  it('the relay forwarded every client-to-client frame unchanged', () => {
    for (const [from, to] of [
      ['alice', 'bob'],
      ['bob', 'alice'],
    ]) {
      const sent = v.wire.filter((w) => w.dir === `${from}>relay` && w.type !== 'HELLO').map((w) => w.hex);
      const got = v.wire
        .filter((w) => w.dir === `relay>${to}` && !['WAITING', 'PAIRED', 'PEER_LEFT'].includes(w.type))
        .map((w) => w.hex);
      expect(got).toEqual(sent);
    }
  });

  it('node:crypto re-derives the transcript hash, key schedule, SAS and CONFIRMs', () => {
    const d = v.derived;
    const lp = (b: Uint8Array) => Buffer.concat([u32(b.length), b]);
    const body = (f: Uint8Array) => f.subarray(5);
    const commit = body(frames('alice>relay', 'COMMIT')[0]!);
    const kexI = body(frames('alice>relay', 'KEX')[0]!);
    const kexR = body(frames('bob>relay', 'KEX')[0]!);
    const th = createHash('sha256')
      .update(
        Buffer.concat(
          [
            Buffer.from('arctalk/1'),
            Buffer.from([1]),
            Buffer.from(v.input.room),
            Buffer.from(v.input.alice.name),
            Buffer.from(v.input.bob.name),
            commit,
            kexR,
            kexI,
          ].map(lp),
        ),
      )
      .digest('hex');
    expect(th).toBe(d.transcriptHash);
    // commitment = SHA-256("arctalk/1 commit" || initiator KEX body)
    expect(hex(commit.subarray(4))).toBe(
      createHash('sha256').update('arctalk/1 commit').update(kexI).digest('hex'),
    );
    expect(commitmentOf(kexI)).toEqual(commit.subarray(4));
    // KEX bodies carry the nonces and public keys derived from the fixed randomness
    expect(hex(kexI.subarray(4, 36))).toBe(d.aliceNonce);
    expect(hex(kexI.subarray(36))).toBe(d.alicePublicKey);
    expect(hex(kexR.subarray(4, 36))).toBe(d.bobNonce);
    expect(hex(kexR.subarray(36))).toBe(d.bobPublicKey);
    const thBytes = fromHex(th);
    const shared = fromHex(d.sharedSecret!);
    expect(hex(hkdf(shared, thBytes, 'arctalk/1 sas', 3))).toBe(d.sasBytes);
    const master = hkdf(shared, thBytes, 'arctalk/1 master', 32);
    let psk = new Uint8Array(32);
    if (v.input.alice.passphrase) {
      psk = new Uint8Array(
        scryptSync(
          Buffer.from(v.input.alice.passphrase.normalize('NFC')),
          Buffer.concat([Buffer.from('arctalk/1 passphrase'), thBytes]),
          32,
          { N: 2 ** 15, r: 8, p: 1, maxmem: 64 * 1024 * 1024 },
        ),
      );
      expect(hex(psk)).toBe(d.passphraseKey);
    }
    const k = (label: string) => hex(hkdf(master, psk, `arctalk/1 ${label}`, 32));
    expect(k('i2r rc4')).toBe(d.i2rRc4Key);
    expect(k('i2r mac')).toBe(d.i2rMacKey);
    expect(k('r2i rc4')).toBe(d.r2iRc4Key);
    expect(k('r2i mac')).toBe(d.r2iMacKey);
    expect(k('initiator confirm')).toBe(d.initiatorConfirmKey);
    expect(k('responder confirm')).toBe(d.responderConfirmKey);
    const confirmInput = Buffer.concat([Buffer.from('arctalk/1 confirm'), thBytes]);
    expect(hmacHex(d.initiatorConfirmKey!, confirmInput)).toBe(d.initiatorConfirm);
    expect(hmacHex(d.responderConfirmKey!, confirmInput)).toBe(d.responderConfirm);
    expect(hex(body(frames('alice>relay', 'CONFIRM')[0]!))).toBe(d.initiatorConfirm);
    expect(hex(body(frames('bob>relay', 'CONFIRM')[0]!))).toBe(d.responderConfirm);
    // SAS: PGP words, even position two-syllable, odd position three-syllable
    const sb = fromHex(d.sasBytes!);
    expect(d.sas).toBe(`${PGP_EVEN_WORDS[sb[0]!]} ${PGP_ODD_WORDS[sb[1]!]} ${PGP_EVEN_WORDS[sb[2]!]}`);
  });

  it('opens every DATA and END frame with the recorded keys, outside the session', () => {
    const d = v.derived;
    for (const [from, rc4Key, macKey] of [
      ['alice', d.i2rRc4Key!, d.i2rMacKey!],
      ['bob', d.r2iRc4Key!, d.r2iMacKey!],
    ] as const) {
      const stream = createRC4(fromHex(rc4Key), { drop: 3072 });
      let offset = 0;
      let plaintext = '';
      for (const f of frames(`${from}>relay`)) {
        const type = f[4]!;
        if (type !== 0x13 && type !== 0x14) continue;
        expect(new DataView(f.buffer, f.byteOffset).getUint32(0)).toBe(f.length - 4);
        expect(hex(f.subarray(5, 13))).toBe(hex(u64(offset)));
        const tag = f.subarray(f.length - 16);
        expect(hmacHex(macKey, f.subarray(4, f.length - 16)).slice(0, 32)).toBe(hex(tag));
        if (type === 0x13) {
          const ct = f.subarray(13, f.length - 16);
          plaintext += Buffer.from(stream.xor(ct)).toString('utf8');
          offset += ct.length;
        } else {
          expect(f.length).toBe(5 + 8 + 16);
        }
      }
      const expected = v.input.script
        .filter((s) => s.from === from && 'send' in s)
        .map((s) => ('send' in s ? s.send : ''))
        .join('');
      expect(plaintext).toBe(expected);
    }
  });
});
