// Identifiers made on the device without asking the hub (sync/ids.py).
import { randomBytes, toHex } from './bytes.js';
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
 * not given).
 */
export function uuid7(nowMs, rand = randomBytes(10)) {
  if (!Number.isInteger(nowMs) || nowMs < 0 || nowMs >= 2 ** 48) {
    throw new InvalidValue('timestamp out of range for a UUIDv7', { field: 'unix_ms' });
  }
  if (rand.length !== 10) throw new InvalidValue('a UUIDv7 needs exactly 10 random bytes', { field: 'rand' });
  const b = new Uint8Array(16);
  let t = nowMs;
  for (let i = 5; i >= 0; i--) {
    b[i] = t % 256;
    t = Math.floor(t / 256);
  }
  b.set(rand, 6);
  b[6] = 0x70 | (b[6] & 0x0f);
  b[8] = 0x80 | (b[8] & 0x3f);
  const h = toHex(b);
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
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
