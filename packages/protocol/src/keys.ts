/**
 * The key schedule: transcript hash (SHA-256, FIPS 180-4), HKDF-SHA256 (RFC 5869)
 * over the DH shared secret and the CPace ISK (draft-irtf-cfrg-cpace-21, which turns
 * the code or passphrase into one online guess per session), HMAC-SHA256 (RFC 2104)
 * for CONFIRM, and the short authentication string rendered with the PGP word list.
 * Every hash call goes through the internal `_hash.ts`. Labels and lengths:
 * PROTOCOL.md §5.
 * @module
 */
import { concatBytes, utf8ToBytes } from '@noble/hashes/utils';
import { _equalBytes, _hkdfExpand, _hkdfExtract, _hmacSha256, _sha256 } from './_hash';
import { PGP_EVEN_WORDS, PGP_ODD_WORDS } from './_pgp-words';
import { _abytes, _describe } from './_util';
import { type CPaceInput, cpaceLengths, lvCat } from './cpace';
import { PROTOCOL_VERSION } from './envelope';
import { LocalProtocolError } from './errors';

/** The protocol label that prefixes every transcript and KDF label. */
export const PROTOCOL_LABEL = 'arctalk/2';

/** Lengths of the derived values, in bytes. */
export const keyLengths = Object.freeze({
  transcriptHash: 32,
  rc4Key: 32,
  macKey: 32,
  confirmKey: 32,
  confirm: 32,
  /** 24 bits, read as three PGP words */
  sas: 3,
  /** the CPace intermediate session key (one SHA-512 output) */
  isk: cpaceLengths.isk,
});

/** The KDF labels (HKDF `info`, commitment and confirmation prefixes), as UTF-8 strings. */
export const labels = Object.freeze({
  commit: `${PROTOCOL_LABEL} commit`,
  sas: `${PROTOCOL_LABEL} sas`,
  master: `${PROTOCOL_LABEL} master`,
  pake: PROTOCOL_LABEL,
  i2rRc4: `${PROTOCOL_LABEL} i2r rc4`,
  i2rMac: `${PROTOCOL_LABEL} i2r mac`,
  r2iRc4: `${PROTOCOL_LABEL} r2i rc4`,
  r2iMac: `${PROTOCOL_LABEL} r2i mac`,
  initiatorConfirm: `${PROTOCOL_LABEL} initiator confirm`,
  responderConfirm: `${PROTOCOL_LABEL} responder confirm`,
  confirm: `${PROTOCOL_LABEL} confirm`,
});

/**
 * The commitment the initiator sends in COMMIT:
 * `SHA-256("arctalk/2 commit" || initiator KEX body)`.
 *
 * @param initiatorKexBody - the exact KEX body the initiator will reveal
 * @returns 32 bytes
 * @example
 * ```ts
 * const commitment = commitmentOf(kexBody);
 * ```
 */
export function commitmentOf(initiatorKexBody: Uint8Array): Uint8Array {
  _abytes('initiatorKexBody', initiatorKexBody);
  return _sha256(utf8ToBytes(labels.commit), initiatorKexBody);
}

/** What the transcript hash covers (PROTOCOL.md §5.1). */
export interface TranscriptInput {
  room: string;
  initiatorName: string;
  responderName: string;
  commitBody: Uint8Array;
  responderKexBody: Uint8Array;
  initiatorKexBody: Uint8Array;
}

/**
 * The transcript hash: SHA-256 over eight length-prefixed fields
 * (`u32 length | bytes` each): "arctalk/2", the version byte, room, initiator
 * name, responder name, COMMIT body, responder KEX body, initiator KEX body.
 *
 * @param input - the agreed values (strings are hashed as UTF-8)
 * @returns 32 bytes
 * @example
 * ```ts
 * const th = transcriptHash({ room, initiatorName, responderName, commitBody, responderKexBody, initiatorKexBody });
 * ```
 */
export function transcriptHash(input: TranscriptInput): Uint8Array {
  const parts: Uint8Array[] = [];
  const put = (bytes: Uint8Array) => {
    const len = new Uint8Array(4);
    new DataView(len.buffer).setUint32(0, bytes.length);
    parts.push(len, bytes);
  };
  put(utf8ToBytes(PROTOCOL_LABEL));
  put(new Uint8Array([PROTOCOL_VERSION]));
  put(utf8ToBytes(input.room));
  put(utf8ToBytes(input.initiatorName));
  put(utf8ToBytes(input.responderName));
  put(input.commitBody);
  put(input.responderKexBody);
  put(input.initiatorKexBody);
  return _sha256(...parts);
}

/**
 * Normalises a passphrase to bytes: a string is NFC-normalised then UTF-8 encoded;
 * bytes are used as given.
 *
 * @param passphrase - the pre-shared passphrase
 * @returns its bytes (never empty)
 * @throws LocalProtocolError INVALID_ARGUMENT for an empty or mistyped passphrase
 * @example
 * ```ts
 * passphraseBytes('correct horse'); // Uint8Array(13)
 * ```
 */
export function passphraseBytes(passphrase: Uint8Array | string): Uint8Array {
  let bytes: Uint8Array;
  if (typeof passphrase === 'string') bytes = utf8ToBytes(passphrase.normalize('NFC'));
  else if (passphrase instanceof Uint8Array) bytes = passphrase.slice();
  else {
    throw new LocalProtocolError(
      'INVALID_ARGUMENT',
      `"passphrase" expected string or Uint8Array, got ${_describe(passphrase)}`,
    );
  }
  if (bytes.length === 0) throw new LocalProtocolError('INVALID_ARGUMENT', '"passphrase" must not be empty');
  return bytes;
}

/**
 * The CPace inputs of a session (PROTOCOL.md §5.4; draft-irtf-cfrg-cpace-21 §7.1,
 * §10.1): PRS is the code or passphrase (its bytes, NFC UTF-8 for text), or empty
 * when there is none (CPace then authenticates nothing and the SAS must be
 * compared); CI binds the protocol, the room and both names,
 * `lv_cat("arctalk/2", room, initiator name, responder name)`; sid is empty (both
 * shares are fresh and enter the ISK through the transcript).
 *
 * @param secret - the code or passphrase bytes, or undefined
 * @param room - the room (NFC)
 * @param initiatorName - the initiator's display name (NFC)
 * @param responderName - the responder's display name (NFC)
 * @returns PRS, CI and sid
 * @example
 * ```ts
 * const input = pakeInput(passphraseBytes('7-purple-sausage'), '7', 'alice', 'bob');
 * ```
 */
export function pakeInput(
  secret: Uint8Array | undefined,
  room: string,
  initiatorName: string,
  responderName: string,
): CPaceInput {
  return {
    prs: secret ?? new Uint8Array(0),
    ci: lvCat(
      utf8ToBytes(labels.pake),
      utf8ToBytes(room),
      utf8ToBytes(initiatorName),
      utf8ToBytes(responderName),
    ),
    sid: new Uint8Array(0),
  };
}

/** The keys of one direction. */
export interface DirectionKeys {
  /** RC4-drop[3072] key, 32 bytes */
  rc4Key: Uint8Array;
  /** HMAC-SHA256 key for DATA and END tags, 32 bytes */
  macKey: Uint8Array;
}

/** Everything the key schedule derives. */
export interface KeySchedule {
  transcriptHash: Uint8Array;
  /** the 3 SAS bytes (from the DH secret and the ISK) */
  sasBytes: Uint8Array;
  /** the SAS as three PGP words joined by spaces */
  sas: string;
  sasWords: readonly string[];
  /** initiator → responder */
  i2r: DirectionKeys;
  /** responder → initiator */
  r2i: DirectionKeys;
  initiatorConfirmKey: Uint8Array;
  responderConfirmKey: Uint8Array;
  /** the CONFIRM body the initiator sends */
  initiatorConfirm: Uint8Array;
  /** the CONFIRM body the responder sends */
  responderConfirm: Uint8Array;
}

/**
 * Renders SAS bytes with the PGP word list: even positions from the two-syllable
 * list, odd positions from the three-syllable list.
 *
 * @param sasBytes - the SAS bytes
 * @returns the words and the string both users compare (words joined by one space)
 * @example
 * ```ts
 * renderSas(new Uint8Array([0, 0, 255])).sas; // 'aardvark adroitness Zulu'
 * ```
 */
export function renderSas(sasBytes: Uint8Array): { sas: string; sasWords: readonly string[] } {
  _abytes('sasBytes', sasBytes);
  const sasWords = Object.freeze(
    Array.from(sasBytes, (b, i) => (i % 2 === 0 ? PGP_EVEN_WORDS[b]! : PGP_ODD_WORDS[b]!)),
  );
  return { sas: sasWords.join(' '), sasWords };
}

/** The intermediate secrets of the key schedule (§5.2), before the per-purpose keys. */
export interface KeyScheduleSecrets {
  /** `PRK = Extract(salt = transcriptHash, IKM = Z || ISK)` */
  prk: Uint8Array;
  /** `Expand(PRK, "arctalk/2 sas", 3)` */
  sasBytes: Uint8Array;
  /** `K = Expand(PRK, "arctalk/2 master", 32)`, the key every per-purpose key is expanded from */
  k: Uint8Array;
}

/**
 * The first half of the key schedule (§5.2), up to K. {@link deriveKeys} runs it and
 * zeroes the result; the vectors record it.
 *
 * @param sharedSecret - the DH shared secret Z, |p| bytes big-endian
 * @param th - the transcript hash
 * @param isk - the CPace intermediate session key, 64 bytes
 * @returns PRK, the SAS bytes and K (fresh arrays the caller owns)
 * @throws LocalProtocolError INVALID_ARGUMENT for a bad argument
 * @example
 * ```ts
 * const { k } = keyScheduleSecrets(sharedSecret, th, isk);
 * ```
 */
export function keyScheduleSecrets(
  sharedSecret: Uint8Array,
  th: Uint8Array,
  isk: Uint8Array,
): KeyScheduleSecrets {
  _abytes('sharedSecret', sharedSecret);
  _abytes('transcriptHash', th);
  _abytes('isk', isk);
  if (isk.length !== keyLengths.isk) {
    throw new LocalProtocolError(
      'INVALID_ARGUMENT',
      `"isk" expected ${keyLengths.isk} bytes, got ${isk.length}`,
    );
  }
  const ikm = concatBytes(sharedSecret, isk);
  const prk = _hkdfExtract(th, ikm);
  ikm.fill(0);
  const sasBytes = _hkdfExpand(prk, utf8ToBytes(labels.sas), keyLengths.sas);
  const k = _hkdfExpand(prk, utf8ToBytes(labels.master), 32);
  return { prk, sasBytes, k };
}

/**
 * Runs the key schedule (PROTOCOL.md §5.2):
 * ```
 * PRK     = HKDF-Extract(salt = transcriptHash, IKM = Z || ISK)
 * sas     = HKDF-Expand(PRK, "arctalk/2 sas", 3)
 * K       = HKDF-Expand(PRK, "arctalk/2 master", 32)
 * each key = HKDF-Expand(K, label, 32)
 * CONFIRM  = HMAC-SHA256(confirm key of the sender, "arctalk/2 confirm" || transcriptHash)
 * ```
 * Z is the finite-field DH shared secret (the seed of the RC4 keys), ISK the CPace
 * output: without the code or passphrase the peer's ISK differs, so do all keys,
 * and CONFIRM fails.
 *
 * @param sharedSecret - the DH shared secret, |p| bytes big-endian
 * @param th - the transcript hash
 * @param isk - the CPace ISK, 64 bytes
 * @returns every derived key, the SAS and both CONFIRM bodies
 * @throws LocalProtocolError INVALID_ARGUMENT for a bad argument
 * @example
 * ```ts
 * const keys = deriveKeys(sharedSecret, th, isk);
 * keys.sas; // e.g. 'reindeer Norwegian ahead'
 * ```
 */
export function deriveKeys(sharedSecret: Uint8Array, th: Uint8Array, isk: Uint8Array): KeySchedule {
  const secrets = keyScheduleSecrets(sharedSecret, th, isk);
  const k = (label: string) => _hkdfExpand(secrets.k, utf8ToBytes(label), 32);
  const initiatorConfirmKey = k(labels.initiatorConfirm);
  const responderConfirmKey = k(labels.responderConfirm);
  const confirmInput = concatBytes(utf8ToBytes(labels.confirm), th);
  const { sas, sasWords } = renderSas(secrets.sasBytes);
  const schedule: KeySchedule = {
    transcriptHash: th,
    sasBytes: secrets.sasBytes,
    sas,
    sasWords,
    i2r: { rc4Key: k(labels.i2rRc4), macKey: k(labels.i2rMac) },
    r2i: { rc4Key: k(labels.r2iRc4), macKey: k(labels.r2iMac) },
    initiatorConfirmKey,
    responderConfirmKey,
    initiatorConfirm: _hmacSha256(initiatorConfirmKey, confirmInput),
    responderConfirm: _hmacSha256(responderConfirmKey, confirmInput),
  };
  for (const secret of [secrets.prk, secrets.k]) secret.fill(0);
  return schedule;
}

/**
 * Constant-time equality of two byte strings of the same length (the length
 * itself is not secret).
 *
 * @param a - first
 * @param b - second
 * @returns true when equal
 * @example
 * ```ts
 * if (!equalBytes(tag, expected)) throw new RemoteProtocolError('AUTH_FAILED', 'authentication failed');
 * ```
 */
export function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  return _equalBytes(a, b);
}
