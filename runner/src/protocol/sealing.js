// Sealing personal data to the hub's X25519 key (protocol section 8, sync/sealing.py):
// HPKE base mode, DHKEM(X25519, HKDF-SHA256) / HKDF-SHA256 / AES-256-GCM, no AAD, and an
// info string that binds the ciphertext to one record and purpose.
import { Aes256Gcm, CipherSuite, DhkemX25519HkdfSha256, HkdfSha256 } from '@hpke/core';

import { concat, fromBase64Url, fromHex, toBase64Url, utf8 } from './bytes.js';
import { canonical } from './codec.js';
import { InvalidValue, SealError } from './errors.js';
import { maskAddress, maskApplicant, maskIdNumber, maskName } from './masking.js';
import rules from './rules.js';

const S = rules.sealing;
export const SEAL_PREFIX = S.prefix;
export const MAX_SEALED_CHARS = S.max_chars;
const MIN_BLOB = S.enc_len + S.tag_len;

let suite = null;
const hpke = () =>
  (suite ??= new CipherSuite({ kem: new DhkemX25519HkdfSha256(), kdf: new HkdfSha256(), aead: new Aes256Gcm() }));

/** The HPKE info: protocol label, record id and purpose, NUL-separated. */
export const sealContext = (recordId, purpose) => concat(utf8(`${S.info_label}\0`), utf8(recordId), utf8('\0'), utf8(purpose));

function rawKey(text, what) {
  let raw;
  try {
    raw = fromBase64Url(text);
  } catch {
    throw new InvalidValue(`${what} is not base64url`, { field: what });
  }
  if (raw.length !== 32) throw new InvalidValue(`${what} must be 32 bytes, got ${raw.length}`, { field: what });
  return raw;
}

const publicKeys = new Map();
async function recipient(hubSealKeyText) {
  let key = publicKeys.get(hubSealKeyText);
  if (!key) {
    key = await hpke().kem.deserializePublicKey(rawKey(hubSealKeyText, 'sealing_key'));
    publicKeys.set(hubSealKeyText, key);
  }
  return key;
}

function bound(recordId, purpose) {
  if (typeof recordId !== 'string' || !recordId) {
    throw new InvalidValue('a seal is bound to a record id: pass it', { field: 'record_id' });
  }
  return sealContext(recordId, purpose);
}

/** Seal binary data (a scanned page: purpose `scan`, bound to the application id) as raw `enc || ciphertext || tag`. */
export async function sealBytes(hubSealKeyText, bytes, recordId, purpose = 'scan') {
  const info = bound(recordId, purpose);
  const { ct, enc } = await hpke().seal({ recipientPublicKey: await recipient(hubSealKeyText), info }, bytes);
  return concat(new Uint8Array(enc), new Uint8Array(ct));
}

/** Seal bytes for one record and purpose, in wire form `s1.<base64url>`. */
export async function seal(hubSealKeyText, plaintext, recordId, purpose) {
  return SEAL_PREFIX + toBase64Url(await sealBytes(hubSealKeyText, plaintext, recordId, purpose));
}

function text(value, field) {
  if (typeof value !== 'string') throw new InvalidValue(`${field} must be text`, { field, reason: 'type' });
  return value;
}

/**
 * Seal an applicant `{name, id_type?, id_number, phone}` for the record `recordId` and
 * return the record's `applicant`: `{id_type, sealed, masked}`.
 */
export async function sealApplicant(hubSealKeyText, personal, recordId) {
  const person = {
    name: text(personal.name, 'name'),
    id_type: text(personal.id_type ?? 'resident_id', 'id_type'),
    id_number: text(personal.id_number, 'id_number'),
    phone: text(personal.phone, 'phone'),
  };
  return {
    id_type: person.id_type,
    sealed: await seal(hubSealKeyText, canonical(person), recordId, 'applicant'),
    masked: maskApplicant(person),
  };
}

/**
 * Seal a mail address `{recipient, phone, address, postcode?}` for the record `recordId` and
 * return the record's `delivery`: `{method: 'mail', sealed, masked}`.
 */
export async function sealAddress(hubSealKeyText, where, recordId) {
  const value = {
    recipient: text(where.recipient, 'recipient'),
    phone: text(where.phone, 'phone'),
    address: text(where.address, 'address'),
    postcode: text(where.postcode ?? '', 'postcode'),
  };
  return {
    method: 'mail',
    sealed: await seal(hubSealKeyText, canonical(value), recordId, 'address'),
    masked: maskAddress(value.address),
  };
}

/**
 * Seal a proxy collector `{name, id_number}` for the pickup record `recordId`:
 * `{collector_sealed, collector_masked}` as pickup.confirm carries them.
 */
export async function sealCollector(hubSealKeyText, proxy, recordId) {
  const name = text(proxy.name, 'name');
  const number = text(proxy.id_number, 'id_number');
  return {
    collector_sealed: await seal(hubSealKeyText, canonical({ name, id_number: number }), recordId, 'collector'),
    collector_masked: `${maskName(name)} ${maskIdNumber(number)}`,
  };
}

function decodeToken(token) {
  if (typeof token !== 'string' || !token.startsWith(SEAL_PREFIX)) {
    throw new SealError("sealed value does not start with 's1.'", { field: 'sealed' });
  }
  if (token.length > MAX_SEALED_CHARS) throw new SealError('sealed value is too long', { field: 'sealed' });
  let blob;
  try {
    blob = fromBase64Url(token.slice(SEAL_PREFIX.length));
  } catch {
    throw new SealError('sealed value is not base64url', { field: 'sealed' });
  }
  if (blob.length < MIN_BLOB) throw new SealError('sealed value is too short', { field: 'sealed' });
  return blob;
}

/** Check the shape of a sealed value without opening it (all a device can do). */
export function checkSealed(token) {
  decodeToken(token);
  return token;
}

// --- opening: the hub's side, here for tests and tools (a device never holds the key) -----

async function privateKey(key) {
  if (typeof key === 'object' && key?.type === 'private') return key;
  const raw = typeof key === 'string' ? fromHex(key) : key;
  return hpke().kem.importKey('raw', raw, false);
}

/** Open raw sealed bytes with the hub's private key (hex, 32 raw bytes or CryptoKey); SealError on any failure. */
export async function openSealedBytes(hubPrivateKey, blob, recordId, purpose) {
  if (blob.length < MIN_BLOB) throw new SealError('sealed data is too short', { field: 'sealed' });
  try {
    const recipientKey = await privateKey(hubPrivateKey);
    const info = sealContext(recordId, purpose);
    const plain = await hpke().open({ recipientKey, enc: blob.slice(0, S.enc_len), info }, blob.slice(S.enc_len));
    return new Uint8Array(plain);
  } catch {
    throw new SealError('sealed value does not open with this key for this record', { field: 'sealed' });
  }
}

/** Open a sealed value `s1.…`; any failure (key, record, purpose, tampering) is SealError. */
export async function openSealed(hubPrivateKey, token, recordId, purpose) {
  return openSealedBytes(hubPrivateKey, decodeToken(token), recordId, purpose);
}
