/**
 * CPace (draft-irtf-cfrg-cpace-21) against the draft's own known answers,
 * Appendix B.3 (CPACE-RISTR255-SHA512), stored verbatim in
 * vectors/cpace-ristretto255-sha512.json, plus the abort rules of §7.2 and §8.3.1.
 */
import { ristretto255 } from '@noble/curves/ed25519';
import { sha512 } from '@noble/hashes/sha2';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  CPACE_RISTRETTO255_SHA512,
  cpaceFinish,
  cpaceGenerator,
  cpaceIsk,
  cpaceLengths,
  cpaceSampleScalar,
  cpaceScalarMult,
  cpaceScalarMultVfy,
  cpaceSidOutput,
  cpaceStart,
  generatorString,
  LocalProtocolError,
  leb128,
  lvCat,
  oCat,
  prependLen,
  RemoteProtocolError,
  transcriptIr,
  transcriptOc,
} from '../src/index';
import { fromHex, hex } from './helpers';
import vectors from './vectors/cpace-ristretto255-sha512.json';

const b1 = vectors['B.3.1'];
const a = vectors['B.3.2'];
const b = vectors['B.3.3'];
const PRS = fromHex(b1.PRS);
const CI = fromHex(b1.CI);
const SID = fromHex(b1.sid);
const DSI = fromHex(b1.DSI);
const ADa = fromHex(a.ADa);
const ADb = fromHex(b.ADb);
const Ya = fromHex(a.Ya);
const Yb = fromHex(b.Yb);
const ZERO32 = new Uint8Array(32);

describe('CPace string operations (draft-irtf-cfrg-cpace-21 §6.3)', () => {
  it('LEB128 encodes 7 bits a byte, least significant first', () => {
    expect(hex(leb128(0))).toBe('00');
    expect(hex(leb128(127))).toBe('7f');
    expect(hex(leb128(128))).toBe('8001');
    expect(hex(leb128(300))).toBe('ac02');
    expect(hex(leb128(16384))).toBe('808001');
    expect(() => leb128(-1)).toThrow(LocalProtocolError);
    expect(() => leb128(1.5)).toThrow(LocalProtocolError);
  });

  it('prepend_len and lv_cat prefix each field with its LEB128 length', () => {
    expect(hex(prependLen(new Uint8Array(0)))).toBe('00');
    expect(hex(prependLen(new Uint8Array(200)).subarray(0, 2))).toBe('c801');
    expect(prependLen(new Uint8Array(200))).toHaveLength(202);
    expect(hex(lvCat(fromHex('41'), new Uint8Array(0), fromHex('4243')))).toBe('0141' + '00' + '024243');
  });

  it('o_cat puts the larger string first, after "oc"; a proper prefix is smaller', () => {
    expect(hex(oCat(fromHex('01'), fromHex('02')))).toBe('6f63' + '02' + '01');
    expect(hex(oCat(fromHex('02'), fromHex('01')))).toBe('6f63' + '02' + '01');
    expect(hex(oCat(fromHex('01'), fromHex('0100')))).toBe('6f63' + '0100' + '01');
  });
});

describe('CPACE-RISTR255-SHA512: draft-irtf-cfrg-cpace-21 Appendix B.3', () => {
  it('B.3.1 DSI is "CPaceRistretto255"', () => {
    expect(hex(new TextEncoder().encode(CPACE_RISTRETTO255_SHA512.dsi))).toBe(b1.DSI);
    expect(CPACE_RISTRETTO255_SHA512.groupOrder).toBe(2n ** 252n + 27742317777372353535851937790883648493n);
  });

  it('B.3.1 generator string, its 100-byte zero padding and its SHA-512', () => {
    const gs = generatorString(DSI, PRS, CI, SID, CPACE_RISTRETTO255_SHA512.sInBytes);
    expect(hex(gs)).toBe(b1.generator_string);
    // the ZPAD field: LEB128(100) = 0x64 then 100 zero bytes, right after DSI and PRS
    const zpadAt = 1 + DSI.length + 1 + PRS.length;
    expect(gs[zpadAt]).toBe(b1.ZPAD_length);
    expect(gs.subarray(zpadAt + 1, zpadAt + 1 + b1.ZPAD_length).every((x) => x === 0)).toBe(true);
    expect(hex(sha512(gs))).toBe(b1.hash_generator_string);
  });

  it('B.3.1 generator g: element_derivation is RFC 9496 one-way map of the 64-byte hash', () => {
    expect(hex(cpaceGenerator(PRS, CI, SID))).toBe(b1.g);
    // noble's Point.hashToCurve(64 bytes) is that map; RFC 9380 hash_to_curve (with a DST) is not
    expect(hex(ristretto255.Point.hashToCurve(fromHex(b1.hash_generator_string)).toBytes())).toBe(b1.g);
  });

  it('B.3.2 / B.3.3 Ya = ya·g and Yb = yb·g', () => {
    const g = fromHex(b1.g);
    expect(hex(cpaceScalarMult(fromHex(a.ya), g))).toBe(a.Ya);
    expect(hex(cpaceScalarMult(fromHex(b.yb), g))).toBe(b.Yb);
  });

  it('B.3.4 K = scalar_mult_vfy(ya, Yb) = scalar_mult_vfy(yb, Ya)', () => {
    const K = vectors['B.3.4'].K;
    expect(hex(cpaceScalarMultVfy(fromHex(a.ya), Yb))).toBe(K);
    expect(hex(cpaceScalarMultVfy(fromHex(b.yb), Ya))).toBe(K);
  });

  it('B.3.5 transcript_ir and ISK_IR, from both sides', () => {
    const v = vectors['B.3.5'];
    expect(hex(transcriptIr(Ya, ADa, Yb, ADb))).toBe(v.transcript_ir);
    expect(hex(new TextEncoder().encode(`${CPACE_RISTRETTO255_SHA512.dsi}_ISK`))).toBe(v.DSI_ISK);
    expect(hex(cpaceIsk(SID, fromHex(vectors['B.3.4'].K), fromHex(v.transcript_ir)))).toBe(v.ISK_IR);
    expect(hex(sha512(fromHex(v.isk_input)))).toBe(v.ISK_IR);
    const ini = { share: Ya, ad: ADa };
    const res = { share: Yb, ad: ADb };
    expect(hex(cpaceFinish(SID, fromHex(a.ya), ini, res, true))).toBe(v.ISK_IR);
    expect(hex(cpaceFinish(SID, fromHex(b.yb), ini, res, false))).toBe(v.ISK_IR);
  });

  it('B.3.6 transcript_oc and ISK_SY (symmetric setting), independent of order', () => {
    const v = vectors['B.3.6'];
    expect(hex(transcriptOc(Ya, ADa, Yb, ADb))).toBe(v.transcript_oc);
    expect(hex(transcriptOc(Yb, ADb, Ya, ADa))).toBe(v.transcript_oc);
    expect(hex(cpaceIsk(SID, fromHex(vectors['B.3.4'].K), fromHex(v.transcript_oc)))).toBe(v.ISK_SY);
  });

  it('B.3.7 sid outputs (§10.6)', () => {
    const v = vectors['B.3.7'];
    expect(hex(cpaceSidOutput(transcriptIr(Ya, ADa, Yb, ADb)))).toBe(v.sid_output_ir);
    expect(hex(cpaceSidOutput(transcriptOc(Ya, ADa, Yb, ADb)))).toBe(v.sid_output_oc);
  });

  it('B.3.10 valid inputs for scalar_mult_vfy', () => {
    const v = vectors['B.3.10'];
    expect(hex(cpaceScalarMultVfy(fromHex(v.s), fromHex(v.X)))).toBe(v['G.scalar_mult_vfy(s,X)']);
    expect(hex(cpaceScalarMult(fromHex(v.s), fromHex(v.X)))).toBe(v['G.scalar_mult_vfy(s,X)']);
  });

  it('B.3.11 invalid inputs: an encoding that does not decode and the neutral element give G.I, and abort', () => {
    const v = vectors['B.3.11'];
    expect(hex(cpaceScalarMultVfy(fromHex(v.s), fromHex(v.Y_i1)))).toBe(v['G.scalar_mult_vfy(s,Y_i1)']);
    expect(hex(cpaceScalarMultVfy(fromHex(v.s), fromHex(v.Y_i2)))).toBe(v['G.scalar_mult_vfy(s,Y_i2)']);
    for (const bad of [v.Y_i1, v.Y_i2]) {
      for (const asInitiator of [true, false]) {
        const mine = { share: Ya, ad: ADa };
        const theirs = { share: fromHex(bad), ad: ADb };
        const call = () =>
          asInitiator
            ? cpaceFinish(SID, fromHex(v.s), mine, theirs, true)
            : cpaceFinish(SID, fromHex(v.s), theirs, mine, false);
        expect(call).toThrow(RemoteProtocolError);
        try {
          call();
        } catch (e) {
          expect((e as RemoteProtocolError).code).toBe('INVALID_PUBLIC_KEY');
        }
      }
    }
  });
});

describe('CPace aborts on other invalid shares (§8.3.1)', () => {
  const y = fromHex(a.ya);
  const cases: [string, Uint8Array][] = [
    [
      'a non-canonical field element (p + 1)',
      fromHex('eeffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff7f'),
    ],
    ['a negative s (odd)', fromHex('0100000000000000000000000000000000000000000000000000000000000000')],
    ['the high bit set', Uint8Array.from(ZERO32.map((_, i) => (i === 31 ? 0x80 : 0)))],
    ['all ones', new Uint8Array(32).fill(0xff)],
    [
      'an Ed25519 torsion point encoding',
      fromHex('26e8958fc2b227b045c3f489f2ef98f0d5dfac05d3c63339b13802886d53fc05'),
    ],
    ['the neutral element', ZERO32],
  ];
  for (const [what, share] of cases) {
    it(`refuses ${what}`, () => {
      expect(hex(cpaceScalarMultVfy(y, share))).toBe(hex(ZERO32));
      expect(() => cpaceFinish(SID, y, { share: Ya, ad: ADa }, { share, ad: ADb }, true)).toThrow(
        RemoteProtocolError,
      );
    });
  }

  it('refuses a share of the wrong length as a remote error', () => {
    for (const len of [0, 31, 33, 64]) {
      expect(() =>
        cpaceFinish(SID, y, { share: Ya, ad: ADa }, { share: new Uint8Array(len).fill(1), ad: ADb }, true),
      ).toThrow(RemoteProtocolError);
    }
  });

  it('refuses its own bad arguments as local errors', () => {
    expect(() => cpaceScalarMult(ZERO32, fromHex(b1.g))).toThrow(LocalProtocolError);
    expect(() => cpaceScalarMult(new Uint8Array(31), fromHex(b1.g))).toThrow(LocalProtocolError);
    expect(() => cpaceScalarMult(y, fromHex(vectors['B.3.11'].Y_i1))).toThrow(LocalProtocolError);
    expect(() => cpaceGenerator('Password' as unknown as Uint8Array, CI, SID)).toThrow(LocalProtocolError);
    expect(() => cpaceSampleScalar(() => new Uint8Array(16))).toThrow(LocalProtocolError);
  });
});

describe('CPace properties', () => {
  it('sample_scalar clears the bits above 252 and never returns 0', () => {
    const s = cpaceSampleScalar(() => new Uint8Array(32).fill(0xff));
    expect(s[31]).toBe(0x0f);
    let calls = 0;
    const zeroFirst = (n: number) => (calls++ === 0 ? new Uint8Array(n) : new Uint8Array(n).fill(1));
    expect(hex(cpaceSampleScalar(zeroFirst))).toBe('01'.repeat(32));
    expect(calls).toBe(2);
  });

  it('the same PRS gives both parties the same ISK; a different PRS does not', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 1, maxLength: 64 }),
        fc.uint8Array({ minLength: 1, maxLength: 64 }),
        fc.uint8Array({ maxLength: 40 }),
        (prsA, prsB, ci) => {
          const sid = new Uint8Array(16);
          const ea = cpaceStart({ prs: prsA, ci, sid });
          const eb = cpaceStart({ prs: prsB, ci, sid });
          expect(ea.share).toHaveLength(cpaceLengths.element);
          const ini = { share: ea.share, ad: new Uint8Array(0) };
          const res = { share: eb.share, ad: new Uint8Array(0) };
          const iskA = cpaceFinish(sid, ea.secret, ini, res, true);
          const iskB = cpaceFinish(sid, eb.secret, ini, res, false);
          expect(iskA).toHaveLength(cpaceLengths.isk);
          expect(hex(iskA) === hex(iskB)).toBe(hex(prsA) === hex(prsB));
        },
      ),
      { numRuns: 12 },
    );
  });

  it('the generator depends on every input: PRS, CI and sid', () => {
    const base = hex(cpaceGenerator(PRS, CI, SID));
    expect(hex(cpaceGenerator(fromHex('50617373776f7265'), CI, SID))).not.toBe(base);
    expect(hex(cpaceGenerator(PRS, CI.subarray(1), SID))).not.toBe(base);
    expect(hex(cpaceGenerator(PRS, CI, new Uint8Array(0)))).not.toBe(base);
  });
});

it('a randomness source that only gives zeros is refused, not looped on', () => {
  expect(() => cpaceSampleScalar((n) => new Uint8Array(n))).toThrow(/zero scalars twice/);
});
