/**
 * The key schedule: transcript hash (SHA-256, FIPS 180-4), HKDF-SHA256 (RFC 5869)
 * for every key, scrypt (RFC 7914) to stretch the optional passphrase, HMAC-SHA256
 * (RFC 2104) for CONFIRM, and the short authentication string rendered with the
 * PGP word list. Every hash call goes through the internal `_hash.ts`. Labels and
 * lengths: PROTOCOL.md §5.
 * @module
 */
import { concatBytes, utf8ToBytes } from '@noble/hashes/utils';
import { _equalBytes, _hkdfExpand, _hkdfExtract, _hmacSha256, _scrypt, _sha256 } from './_hash';
import { PGP_EVEN_WORDS, PGP_ODD_WORDS } from './_pgp-words';
import { _abytes, _describe } from './_util';
import { PROTOCOL_VERSION } from './envelope';
import { LocalProtocolError } from './errors';

/** The protocol label that prefixes every transcript and KDF label. */
export const PROTOCOL_LABEL = 'arctalk/1';

/** Lengths of the derived values, in bytes. */
export const keyLengths = Object.freeze({
  transcriptHash: 32,
  rc4Key: 32,
  macKey: 32,
  confirmKey: 32,
  confirm: 32,
  /** 24 bits, read as three PGP words */
  sas: 3,
  passphraseKey: 32,
});

/** scrypt parameters that stretch the passphrase (RFC 7914): N = 2^15, r = 8, p = 1 (32 MiB). */
export const PASSPHRASE_SCRYPT = Object.freeze({ N: 2 ** 15, r: 8, p: 1 });

/** The KDF labels (HKDF `info`, commitment and confirmation prefixes), as UTF-8 strings. */
export const labels = Object.freeze({
  commit: `${PROTOCOL_LABEL} commit`,
  sas: `${PROTOCOL_LABEL} sas`,
  master: `${PROTOCOL_LABEL} master`,
  passphrase: `${PROTOCOL_LABEL} passphrase`,
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
 * `SHA-256("arctalk/1 commit" || initiator KEX body)`.
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
 * (`u32 length | bytes` each): "arctalk/1", the version byte, room, initiator
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
  /** the 3 SAS bytes (independent of the passphrase) */
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

/**
 * The passphrase key: `scrypt(P = passphrase, S = "arctalk/1 passphrase" ||
 * transcriptHash, N = 2^15, r = 8, p = 1, dkLen = 32)`.
 *
 * @param passphrase - the passphrase (see {@link passphraseBytes})
 * @param th - the transcript hash
 * @returns 32 bytes
 * @example
 * ```ts
 * const pk = passphraseKey('correct horse', th);
 * ```
 */
export function passphraseKey(passphrase: Uint8Array | string, th: Uint8Array): Uint8Array {
  const salt = concatBytes(utf8ToBytes(labels.passphrase), th);
  return _scrypt(passphraseBytes(passphrase), salt, {
    ...PASSPHRASE_SCRYPT,
    dkLen: keyLengths.passphraseKey,
  });
}

/** The intermediate secrets of the key schedule (§5.2), before the per-purpose keys. */
export interface KeyScheduleSecrets {
  /** `PRK = Extract(salt = transcriptHash, IKM = Z)` */
  prk: Uint8Array;
  /** `Expand(PRK, "arctalk/1 sas", 3)` */
  sasBytes: Uint8Array;
  /** `master = Expand(PRK, "arctalk/1 master", 32)` */
  master: Uint8Array;
  /** `psk`: the passphrase key, or 32 zero bytes without a passphrase */
  psk: Uint8Array;
  /** `K = Extract(salt = psk, IKM = master)`, the key every per-purpose key is expanded from */
  k: Uint8Array;
}

/**
 * The first half of the key schedule (§5.2), up to K. {@link deriveKeys} runs it and
 * zeroes the result; the vectors record it.
 *
 * @param sharedSecret - the DH shared secret, |p| bytes big-endian
 * @param th - the transcript hash
 * @param passphrase - the optional pre-shared passphrase
 * @returns PRK, the SAS bytes, master, psk and K (fresh arrays the caller owns)
 * @throws LocalProtocolError INVALID_ARGUMENT for a bad argument
 * @example
 * ```ts
 * const { k } = keyScheduleSecrets(sharedSecret, th);
 * ```
 */
export function keyScheduleSecrets(
  sharedSecret: Uint8Array,
  th: Uint8Array,
  passphrase?: Uint8Array | string,
): KeyScheduleSecrets {
  _abytes('sharedSecret', sharedSecret);
  _abytes('transcriptHash', th);
  const prk = _hkdfExtract(th, sharedSecret);
  const sasBytes = _hkdfExpand(prk, utf8ToBytes(labels.sas), keyLengths.sas);
  const master = _hkdfExpand(prk, utf8ToBytes(labels.master), 32);
  const psk =
    passphrase === undefined ? new Uint8Array(keyLengths.passphraseKey) : passphraseKey(passphrase, th);
  const k = _hkdfExtract(psk, master);
  return { prk, sasBytes, master, psk, k };
}

/**
 * Runs the key schedule (PROTOCOL.md §5.2):
 * ```
 * PRK     = HKDF-Extract(salt = transcriptHash, IKM = sharedSecret)
 * sas     = HKDF-Expand(PRK, "arctalk/1 sas", 3)
 * master  = HKDF-Expand(PRK, "arctalk/1 master", 32)
 * psk     = passphraseKey(passphrase, transcriptHash), or 32 zero bytes without one
 * K       = HKDF-Extract(salt = psk, IKM = master)
 * each key = HKDF-Expand(K, label, 32)
 * CONFIRM  = HMAC-SHA256(confirm key of the sender, "arctalk/1 confirm" || transcriptHash)
 * ```
 *
 * @param sharedSecret - the DH shared secret, |p| bytes big-endian
 * @param th - the transcript hash
 * @param passphrase - the optional pre-shared passphrase
 * @returns every derived key, the SAS and both CONFIRM bodies
 * @throws LocalProtocolError INVALID_ARGUMENT for a bad argument
 * @example
 * ```ts
 * const keys = deriveKeys(sharedSecret, th);
 * keys.sas; // e.g. 'reindeer Norwegian ahead'
 * ```
 */
export function deriveKeys(
  sharedSecret: Uint8Array,
  th: Uint8Array,
  passphrase?: Uint8Array | string,
): KeySchedule {
  const secrets = keyScheduleSecrets(sharedSecret, th, passphrase);
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
  for (const secret of [secrets.prk, secrets.master, secrets.psk, secrets.k]) secret.fill(0);
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
