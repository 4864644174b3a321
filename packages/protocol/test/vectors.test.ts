/**
 * Replays the recorded transcripts in test/vectors/: re-runs each scenario from
 * its fixed inputs and compares every frame, event and derived value with the
 * recording; then re-derives the key schedule with node:crypto (an independent
 * implementation of SHA-256, SHA-512, HKDF and HMAC; the CPace group operations are
 * @noble/curves', itself checked against the draft's Appendix B.3 in cpace.test.ts)
 * and opens every DATA and END frame with those keys, without the session code.
 */
import { createHash, createHmac, hkdfSync } from 'node:crypto';
import { createRC4 } from '@arctalk/rc4';
import { ristretto255 } from '@noble/curves/ed25519';
import { describe, expect, it } from 'vitest';
import {
  commitmentOf,
  cpaceScalarMult,
  cpaceScalarMultVfy,
  PGP_EVEN_WORDS,
  PGP_ODD_WORDS,
} from '../src/index';
import { fromHex, hex } from './helpers';
import { runScenario, type ScenarioInput, type WireFrame } from './vectors/scenario';
import code from './vectors/session-code.json';
import ffdhe3072 from './vectors/session-ffdhe3072.json';
import modp2048 from './vectors/session-modp2048.json';
import passphrase from './vectors/session-passphrase.json';
import plain from './vectors/session-plain.json';
import unicode from './vectors/session-unicode.json';

interface Vector {
  description: string;
  input: ScenarioInput;
  wire: WireFrame[];
  events: { alice: string[]; bob: string[] };
  derived: Record<string, string>;
}

const vectors: [string, Vector][] = [
  ['session-plain', plain as Vector],
  ['session-code', code as Vector],
  ['session-passphrase', passphrase as Vector],
  ['session-ffdhe3072', ffdhe3072 as Vector],
  ['session-unicode', unicode as Vector],
  ['session-modp2048', modp2048 as Vector],
];

/** The NFC form's UTF-8 bytes: what a session sends and hashes for a room or name (§1). */
const nfc = (text: string) => Buffer.from(text.normalize('NFC'));

const u32 = (n: number) => Buffer.from([n >>> 24, (n >>> 16) & 255, (n >>> 8) & 255, n & 255]);
const u64 = (n: number) => Buffer.concat([u32(Math.floor(n / 2 ** 32)), u32(n >>> 0)]);
const hkdf = (ikm: Uint8Array, salt: Uint8Array, info: string, n: number) =>
  new Uint8Array(hkdfSync('sha256', ikm, salt, info, n));
/** HKDF-Expand for L ≤ 32 (RFC 5869 §2.3): T(1) = HMAC(PRK, info || 0x01). */
const expand = (prk: Uint8Array, info: string, n: number) =>
  new Uint8Array(
    createHmac('sha256', prk)
      .update(Buffer.concat([Buffer.from(info), Buffer.from([1])]))
      .digest()
      .subarray(0, n),
  );
/** LEB128 length prefix, for lengths < 128 (draft-irtf-cfrg-cpace-21 §6.3.1). */
const lv = (b: Uint8Array) => Buffer.concat([Buffer.from([b.length]), b]);
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
            Buffer.from('arctalk/2'),
            Buffer.from([2]),
            nfc(v.input.room),
            nfc(v.input.alice.name),
            nfc(v.input.bob.name),
            commit,
            kexR,
            kexI,
          ].map(lp),
        ),
      )
      .digest('hex');
    expect(th).toBe(d.transcriptHash);
    // commitment = SHA-256("arctalk/2 commit" || initiator KEX body)
    expect(hex(commit.subarray(4))).toBe(
      createHash('sha256').update('arctalk/2 commit').update(kexI).digest('hex'),
    );
    expect(commitmentOf(kexI)).toEqual(commit.subarray(4));
    // KEX bodies: nonce, CPace share, frame cap, public key, derived from the fixed randomness
    expect(hex(kexI.subarray(4, 36))).toBe(d.aliceNonce);
    expect(hex(kexI.subarray(36, 68))).toBe(d.aliceCpaceShare);
    // each side's frame cap (§4.2): the default 65536
    expect(hex(kexI.subarray(68, 72))).toBe('00010000');
    expect(hex(kexI.subarray(72))).toBe(d.alicePublicKey);
    expect(hex(kexR.subarray(4, 36))).toBe(d.bobNonce);
    expect(hex(kexR.subarray(36, 68))).toBe(d.bobCpaceShare);
    expect(hex(kexR.subarray(68, 72))).toBe('00010000');
    expect(hex(kexR.subarray(72))).toBe(d.bobPublicKey);
    // CPace (§5.3): PRS the code or passphrase, CI = lv_cat("arctalk/2", room, names), sid empty
    const prs = nfc(v.input.alice.passphrase ?? '');
    expect(hex(prs)).toBe(d.cpacePrs);
    const ci = Buffer.concat(
      [Buffer.from('arctalk/2'), nfc(v.input.room), nfc(v.input.alice.name), nfc(v.input.bob.name)].map(lv),
    );
    expect(hex(ci)).toBe(d.cpaceCi);
    // generator string (§8.1): lv_cat(DSI, PRS, zero pad, CI, sid), padded to SHA-512's 128-byte block
    const dsi = Buffer.from('CPaceRistretto255');
    const zpad = Math.max(0, 128 - (prs.length + 1) - (dsi.length + 1) - 1);
    const genStr = Buffer.concat([lv(dsi), lv(prs), lv(new Uint8Array(zpad)), lv(ci), lv(new Uint8Array(0))]);
    expect(genStr.length).toBeGreaterThanOrEqual(128);
    // g = RFC 9496 one-way map of SHA-512(generator string) (node:crypto's SHA-512)
    const genHash = createHash('sha512').update(genStr).digest();
    expect(hex(ristretto255.Point.hashToCurve(new Uint8Array(genHash)).toBytes())).toBe(d.cpaceGenerator);
    // shares = scalar · generator; K the same from both sides
    const g = fromHex(d.cpaceGenerator!);
    expect(hex(cpaceScalarMult(fromHex(d.aliceCpaceScalar!), g))).toBe(d.aliceCpaceShare);
    expect(hex(cpaceScalarMult(fromHex(d.bobCpaceScalar!), g))).toBe(d.bobCpaceShare);
    expect(hex(cpaceScalarMultVfy(fromHex(d.aliceCpaceScalar!), fromHex(d.bobCpaceShare!)))).toBe(d.cpaceK);
    expect(hex(cpaceScalarMultVfy(fromHex(d.bobCpaceScalar!), fromHex(d.aliceCpaceShare!)))).toBe(d.cpaceK);
    // ISK = SHA-512(lv_cat("CPaceRistretto255_ISK", sid, K) || lv_cat(Ya, ADa) || lv_cat(Yb, ADb))
    const empty = new Uint8Array(0);
    const isk = createHash('sha512')
      .update(
        Buffer.concat([
          lv(Buffer.from('CPaceRistretto255_ISK')),
          lv(empty),
          lv(fromHex(d.cpaceK!)),
          lv(fromHex(d.aliceCpaceShare!)),
          lv(empty),
          lv(fromHex(d.bobCpaceShare!)),
          lv(empty),
        ]),
      )
      .digest('hex');
    expect(isk).toBe(d.isk);
    // key schedule (§5.2): PRK = Extract(th, Z || ISK), SAS and K from PRK, keys from K
    const thBytes = fromHex(th);
    const ikm = Buffer.concat([fromHex(d.sharedSecret!), fromHex(isk)]);
    const prk = new Uint8Array(createHmac('sha256', thBytes).update(ikm).digest());
    expect(hex(prk)).toBe(d.prk);
    expect(hex(hkdf(ikm, thBytes, 'arctalk/2 sas', 3))).toBe(d.sasBytes);
    const master = hkdf(ikm, thBytes, 'arctalk/2 master', 32);
    expect(hex(master)).toBe(d.k);
    const k = (label: string) => hex(expand(master, `arctalk/2 ${label}`, 32));
    expect(k('i2r rc4')).toBe(d.i2rRc4Key);
    expect(k('i2r mac')).toBe(d.i2rMacKey);
    expect(k('r2i rc4')).toBe(d.r2iRc4Key);
    expect(k('r2i mac')).toBe(d.r2iMacKey);
    expect(k('initiator confirm')).toBe(d.initiatorConfirmKey);
    expect(k('responder confirm')).toBe(d.responderConfirmKey);
    const confirmInput = Buffer.concat([Buffer.from('arctalk/2 confirm'), thBytes]);
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
      const plaintext: Buffer[] = [];
      for (const f of frames(`${from}>relay`)) {
        const type = f[4]!;
        if (type !== 0x13 && type !== 0x14) continue;
        expect(new DataView(f.buffer, f.byteOffset).getUint32(0)).toBe(f.length - 4);
        expect(hex(f.subarray(5, 13))).toBe(hex(u64(offset)));
        const tag = f.subarray(f.length - 16);
        expect(hmacHex(macKey, f.subarray(4, f.length - 16)).slice(0, 32)).toBe(hex(tag));
        if (type === 0x13) {
          const ct = f.subarray(13, f.length - 16);
          plaintext.push(Buffer.from(stream.xor(ct)));
          offset += ct.length;
        } else {
          expect(f.length).toBe(5 + 8 + 16);
        }
      }
      const expected = v.input.script
        .filter((s) => s.from === from && 'send' in s)
        .map((s) => ('send' in s ? s.send : ''))
        .join('');
      // one byte stream per direction (§6): frame boundaries may fall anywhere in the text
      expect(Buffer.concat(plaintext).toString('utf8')).toBe(expected);
    }
  });
});

describe('what the newer transcripts add', () => {
  const u = unicode as Vector;
  const hello = (v: Vector, who: string) =>
    fromHex(v.wire.find((w) => w.dir === `${who}>relay` && w.type === 'HELLO')!.hex);

  it('session-unicode: NFD room, names and passphrase go on the wire, into CPace and the transcript in NFC', () => {
    for (const text of [u.input.room, u.input.alice.name, u.input.bob.name, u.input.alice.passphrase!]) {
      expect(text).not.toMatch(/^[\x00-\x7f]*$/);
      expect(text.normalize('NFC')).not.toBe(text); // given decomposed
    }
    // HELLO = version | roomLen | room | nameLen | name, in NFC bytes
    const a = hello(u, 'alice').subarray(5);
    const room = nfc(u.input.room);
    expect(a[0]).toBe(2);
    expect(Buffer.from(a.subarray(2, 2 + a[1]!))).toEqual(room);
    expect(Buffer.from(a.subarray(3 + a[1]!))).toEqual(nfc(u.input.alice.name));
    expect(room.toString('hex')).toBe('436166c3a9204dc3bc6c6c6572'); // "Café Müller", precomposed
    expect(u.derived.cpacePrs).toBe(Buffer.from('crème brûlée'.normalize('NFC')).toString('hex'));
    expect(u.derived.cpacePrs).toBe('6372c3a86d65206272c3bb6cc3a965');
    // the peer's name as the relay announced it, and what each side displayed
    expect(u.events.alice).toContain(`paired initiator ${u.input.bob.name.normalize('NFC')}`);
    expect(u.events.bob).toContain(`paired responder ${u.input.alice.name.normalize('NFC')}`);
  });

  it('session-unicode: the SAS shows a capitalised word as the word list spells it', () => {
    expect(u.derived.sas).toMatch(/[A-Z]/);
    const words = u.derived.sas!.split(' ');
    const sb = fromHex(u.derived.sasBytes!);
    expect(words).toEqual([PGP_EVEN_WORDS[sb[0]!], PGP_ODD_WORDS[sb[1]!], PGP_EVEN_WORDS[sb[2]!]]);
    expect(u.events.alice).toContain(`secured ${u.derived.sas}`);
  });

  it('session-modp2048: an RFC 3526 group, and one text split over three DATA frames of at most 2023 bytes', () => {
    const m = modp2048 as Vector;
    const commit = fromHex(m.wire.find((w) => w.type === 'COMMIT')!.hex);
    expect(new DataView(commit.buffer, commit.byteOffset).getUint16(7)).toBe(0x000e); // group 14
    // the relay announced its cap of 2048 in WAITING (§3.2): alice sizes her DATA to it
    expect(m.wire.find((w) => w.type === 'WAITING')!.hex).toBe('000000050200000800');
    const data = m.wire
      .filter((w) => w.dir === 'alice>relay' && w.type === 'DATA')
      .map((w) => fromHex(w.hex));
    expect(data.map((f) => f.length - 5 - 8 - 16)).toEqual([2023, 2023, 954]);
    expect(data.every((f) => f.length - 4 <= 2048)).toBe(true);
    const send = m.input.script[0]!;
    expect('send' in send && Buffer.byteLength(send.send)).toBe(5000);
  });
});
