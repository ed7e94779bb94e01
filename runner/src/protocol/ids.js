// Identifiers made on the device without asking the hub (sync/ids.py).
import { v7 } from 'uuid';

import { randomBytes } from './bytes.js';
import { InvalidValue, repr } from './errors.js';
import rules from './rules.js';

const R = rules.ids;
const UUID7 = new RegExp(R.uuid7_pattern);
const RECEIPT = new RegExp(R.receipt_pattern);
export const TAG_ALPHABET = R.tag_alphabet;
export const TAG_LENGTH = R.tag_length;
const ALNUM = R.check_alphabet;

/**
 * A lowercase UUIDv7 from a millisecond Unix time and 10 random bytes (drawn here when
 * not given), made by the `uuid` package's v7.
 *
 * Ours (sync/ids.py) puts the 10 bytes as they are after the 48-bit time, keeping their low
 * bits where the version (7) and the variant (10) go: bytes 6..15 of the UUID are
 * `7|r0 low nibble, r1, 10|r2 low 6 bits, r3, r4 .. r9`. The package lays out bytes 6..10
 * from a 32-bit counter `seq` and the low 2 bits of byte 10 and bytes 11..15 from its
 * 16 `random` bytes; so `seq` is our r0..r4 bits in that order, and `random` carries r4..r9
 * at 10..15: the same UUID, byte for byte (runner/test/ids.test.js checks the vectors).
 */
export function uuid7(nowMs, rand = randomBytes(10)) {
  if (!Number.isInteger(nowMs) || nowMs < 0 || nowMs >= 2 ** 48) {
    throw new InvalidValue('timestamp out of range for a UUIDv7', { field: 'unix_ms' });
  }
  if (rand.length !== 10) throw new InvalidValue('a UUIDv7 needs exactly 10 random bytes', { field: 'rand' });
  const seq = (((rand[0] & 0x0f) << 28) | (rand[1] << 20) | ((rand[2] & 0x3f) << 14) | (rand[3] << 6) | (rand[4] >>> 2)) >>> 0;
  const random = new Uint8Array(16);
  random.set(Uint8Array.from(rand).subarray(4), 10);
  return v7({ msecs: nowMs, seq, random });
}

/** True if `text` is a lowercase canonical UUIDv7. */
export const isUuid7 = (text) => typeof text === 'string' && UUID7.test(text);

/** The millisecond timestamp a UUIDv7 was made at (by its maker's clock). */
export function uuid7TimeMs(recordId) {
  if (!isUuid7(recordId)) {
    throw new InvalidValue(`${repr(recordId)} is not a UUIDv7`, { field: 'id', reason: 'uuid7' });
  }
  return parseInt(recordId.replace(/-/g, '').slice(0, 12), 16);
}

/** The receipt tag of the `number`-th enrolled device (0-based), e.g. `'2222'`. */
export function deviceTag(number) {
  const base = TAG_ALPHABET.length;
  if (!Number.isInteger(number) || number < 0 || number >= base ** TAG_LENGTH) {
    throw new InvalidValue('device number out of range for a receipt tag', { field: 'number' });
  }
  let out = '';
  for (let i = 0; i < TAG_LENGTH; i++) {
    out = TAG_ALPHABET[number % base] + out;
    number = Math.floor(number / base);
  }
  return out;
}

// ISO 7064 MOD 37-36 over the alphabet 0-9A-Z.
function checkCharacter(body) {
  let check = 18;
  for (const char of body) check = ((((check || 36) * 2) % 37) + ALNUM.indexOf(char)) % 36;
  return ALNUM[(((1 - (((check || 36) * 2) % 37)) % 36) + 36) % 36];
}

/** The receipt number of the `seq`-th application captured on the device `tag`. */
export function receiptNumber(tag, seq) {
  if (typeof tag !== 'string' || tag.length !== TAG_LENGTH || [...tag].some((c) => !TAG_ALPHABET.includes(c))) {
    throw new InvalidValue(`${repr(tag)} is not a device tag`, { field: 'tag' });
  }
  if (!Number.isInteger(seq) || seq < 1 || seq > 999_999_999) {
    throw new InvalidValue('receipt counter out of range', { field: 'seq' });
  }
  const counter = String(seq).padStart(6, '0');
  return `${tag}-${counter}-${checkCharacter(tag + counter)}`;
}

/** The tag of the device that made a (well-formed) receipt number. */
export const receiptTag = (receipt) => receipt.slice(0, TAG_LENGTH);

/** Normalise a typed receipt number and verify its check character. */
export function checkReceipt(text) {
  const value = String(text).trim().toUpperCase().replace(/ /g, '');
  if (!RECEIPT.test(value)) {
    throw new InvalidValue(`${repr(text)} is not a receipt number (like 2A7K-000042-M)`, {
      field: 'receipt',
      reason: 'format',
    });
  }
  const body = value.slice(0, -2).replace(/-/g, '');
  if (checkCharacter(body) !== value.at(-1)) {
    throw new InvalidValue(`receipt number ${repr(text)} has a wrong check character`, {
      field: 'receipt',
      reason: 'checksum',
    });
  }
  return value;
}
