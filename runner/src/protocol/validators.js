// Validators for what staff type (sync/validators.py): each returns the normalised value or
// throws InvalidValue with the field, the same `reason` word and a message a clerk can act on.
// Regexes, alphabets, weights and the numbering plan come from rules.json; the checksums are
// ported.
import { InvalidValue, repr } from './errors.js';
import rules from './rules.js';

const V = rules.validators;
const SPACES = new RegExp(V.spaces_pattern, 'gu');
const RESIDENT_ID = new RegExp(`^(?:${V.resident_id_pattern})$`);
const DIGITS = /^[0-9]+$/;

function compact(text, field) {
  if (typeof text !== 'string') throw new InvalidValue(`${field} must be text`, { field, reason: 'type' });
  // NFKC folds the full-width digits and letters a Chinese input method types into ASCII.
  return text.normalize('NFKC').replace(SPACES, '').toUpperCase();
}

const original = (text) => (typeof text === 'string' ? text : String(text));

// --- resident identity card numbers (GB 11643-1999) -----------------------------------------

// ISO 7064 MOD 11-2, as python-stdnum computes it.
function mod112(body) {
  let check = 0;
  for (const c of body) check = (2 * check + (c === 'X' ? 10 : Number(c))) % 11;
  const digit = (((1 - 2 * check) % 11) + 11) % 11;
  return digit === 10 ? 'X' : String(digit);
}

function isoDay(today) {
  if (today === undefined || today === null) today = new Date();
  if (today instanceof Date) {
    const pad = (n, w = 2) => String(n).padStart(w, '0');
    return `${pad(today.getFullYear(), 4)}-${pad(today.getMonth() + 1)}-${pad(today.getDate())}`;
  }
  if (typeof today === 'string' && /^\d{4}-\d{2}-\d{2}$/.test(today)) return today;
  throw new TypeError('today is a Date or a YYYY-MM-DD string');
}

function realDate(y, m, d) {
  if (y < 1 || m < 1 || m > 12 || d < 1) return false;
  const leap = (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0;
  return d <= [31, leap ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][m - 1];
}

function birthDate(text, orig, today) {
  const [y, m, d] = [text.slice(0, 4), text.slice(4, 6), text.slice(6, 8)].map(Number);
  if (!realDate(y, m, d)) {
    throw new InvalidValue(`ID number ${repr(orig)} holds no real birth date (${text})`, { field: 'id_number', reason: 'birth_date' });
  }
  const born = `${text.slice(0, 4)}-${text.slice(4, 6)}-${text.slice(6, 8)}`;
  if (born > today) {
    throw new InvalidValue(`ID number ${repr(orig)} has a birth date in the future (${born})`, { field: 'id_number', reason: 'birth_date' });
  }
  if (y < 1880) {
    throw new InvalidValue(`ID number ${repr(orig)} has an implausible birth year (${y})`, { field: 'id_number', reason: 'birth_date' });
  }
  return born;
}

let counties = null;
function isCounty(division) {
  if (!counties) {
    counties = new Set();
    for (const [head, tails] of Object.entries(V.counties)) {
      for (let i = 0; i < tails.length; i += 4) counties.add(head + tails.slice(i, i + 4));
    }
  }
  return counties.has(division);
}

/**
 * Check a resident ID number (18 characters, or a legacy 15-digit one) in full:
 * `{number, birth_date (YYYY-MM-DD), sex, division, upgraded_from, warnings}`.
 * `today` (Date or YYYY-MM-DD, default the device's date) bounds the birth date.
 * Place names are not shipped to the device; an unknown division is a warning, as at the hub.
 */
export function inspectResidentId(text, { today } = {}) {
  const orig = original(text);
  let number = compact(text, 'id_number');
  const day = isoDay(today);
  let upgradedFrom = null;
  if (number.length === 15) {
    if (!DIGITS.test(number)) {
      throw new InvalidValue(`a 15-digit ID number has digits only; ${repr(orig)} does not`, { field: 'id_number', reason: 'format' });
    }
    // Legacy numbers were issued 1984-1999 to people born in the 1900s: add "19" and a check.
    upgradedFrom = number;
    const body = `${number.slice(0, 6)}19${number.slice(6)}`;
    number = body + mod112(body);
  }
  const length = [...number].length;
  if (length !== 18) {
    throw new InvalidValue(`an ID number has 18 characters; ${repr(orig)} has ${length}`, { field: 'id_number', reason: 'length' });
  }
  if (!RESIDENT_ID.test(number)) {
    throw new InvalidValue(`an ID number is 17 digits then a digit or X; ${repr(orig)} is not`, { field: 'id_number', reason: 'format' });
  }
  if (number[17] !== mod112(number.slice(0, 17))) {
    throw new InvalidValue(`ID number ${repr(orig)} has a wrong check character (a digit was probably mistyped)`, {
      field: 'id_number',
      reason: 'checksum',
    });
  }
  const born = birthDate(number.slice(6, 14), orig, day);
  const division = number.slice(0, 6);
  const warnings = isCounty(division) ? [] : [`division code ${division} is not a known county`];
  return {
    number,
    birth_date: born,
    sex: Number(number[16]) % 2 ? 'male' : 'female',
    division,
    upgraded_from: upgradedFrom,
    warnings,
  };
}

/** Normalised 18-character resident ID number (legacy 15-digit numbers upgraded). */
export const residentId = (text, { today } = {}) => inspectResidentId(text, { today }).number;

// --- unified social credit codes (GB 32100-2015) --------------------------------------------

const USCC = V.uscc_alphabet;

/** Normalised 18-character unified social credit code (any registration authority). */
export function creditCode(text) {
  const orig = original(text);
  const code = compact(text, 'credit_code');
  const length = [...code].length;
  if (length !== 18) {
    throw new InvalidValue(`a unified social credit code has 18 characters; ${repr(orig)} has ${length}`, {
      field: 'credit_code',
      reason: 'length',
    });
  }
  const bad = [...new Set([...code].filter((c) => !USCC.includes(c)))].sort();
  if (bad.length) {
    throw new InvalidValue(`credit code ${repr(orig)} holds characters never used in one: ${bad.join('')}`, {
      field: 'credit_code',
      reason: 'format',
    });
  }
  if (!DIGITS.test(code.slice(2, 8))) {
    throw new InvalidValue(`characters 3-8 of a credit code are a division code (digits); ${repr(orig)} is not`, {
      field: 'credit_code',
      reason: 'format',
    });
  }
  let total = 0;
  for (let i = 0; i < 17; i++) total += USCC.indexOf(code[i]) * V.uscc_weights[i];
  if (USCC[(31 - (total % 31)) % 31] !== code[17]) {
    throw new InvalidValue(`credit code ${repr(orig)} has a wrong check character`, { field: 'credit_code', reason: 'checksum' });
  }
  return code;
}

// --- mainland mobile numbers ----------------------------------------------------------------
// The number types are libphonenumber's (exported from the phonenumbers package the Python
// side uses); the parsing around them is the part of libphonenumber's parse() that a typed
// mainland number goes through: a + or 00 prefix, a leading 86, a national prefix (0, or a
// 179xx/1[12]xx carrier code), an extension, letters of a vanity number.

const P = V.phone;
const PHONE_RE = {};
const phoneDesc = (name) => P.descs[name];
const fullMatch = (number, desc) => {
  if (!desc) return false;
  PHONE_RE[desc.pattern] ??= new RegExp(`^(?:${desc.pattern})$`);
  return PHONE_RE[desc.pattern].test(number);
};
const matchesDesc = (number, desc) =>
  Boolean(desc) && (!desc.lengths.length || desc.lengths.includes(number.length)) && fullMatch(number, desc);
const GENERAL = phoneDesc('general_desc');

function lengthResult(number) {
  const lengths = GENERAL.lengths;
  const n = number.length;
  if (GENERAL.local_lengths.includes(n)) return 'local';
  if (lengths[0] === n) return 'possible';
  if (lengths[0] > n) return 'short';
  if (lengths[lengths.length - 1] < n) return 'long';
  return lengths.slice(1).includes(n) ? 'possible' : 'invalid';
}

const NATIONAL_PREFIX = new RegExp(`^(?:${P.national_prefix_for_parsing})`);
function stripNationalPrefix(number) {
  const match = NATIONAL_PREFIX.exec(number);
  if (!number || !match) return number;
  const rest = number.slice(match[0].length);
  if (fullMatch(number, GENERAL) && !fullMatch(rest, GENERAL)) return number;
  return rest;
}

const KEYPAD = { A: 2, B: 2, C: 2, D: 3, E: 3, F: 3, G: 4, H: 4, I: 4, J: 5, K: 5, L: 5, M: 6, N: 6, O: 6, P: 7, Q: 7, R: 7, S: 7, T: 8, U: 8, V: 8, W: 9, X: 9, Y: 9, Z: 9 };
const normaliseDigits = (text) =>
  /(?:.*?[A-Z]){3}/.test(text)
    ? [...text].map((c) => (c in KEYPAD ? KEYPAD[c] : /[0-9]/.test(c) ? c : '')).join('')
    : text.replace(/[^0-9]/g, '');

const IDD = new RegExp(`^(?:${P.international_prefix})`);
const EXTENSION = /(?:;EXT=|EXTENSION|EXTN?\.?|[#~X])[0-9]{1,20}#?$/u;
// What libphonenumber takes for a phone number at all: digits, Latin letters, its punctuation.
const NOT_VIABLE = /[^0-9A-Z+.,/~*#;=[\]\u2010-\u2015\u2212\u30fc\u2053\u223c\u3000]/u;

function countryCode(digits) {
  if (!digits || digits[0] === '0') return null;
  for (let i = 1; i <= 3 && i <= digits.length; i++) {
    if (P.country_codes.includes(Number(digits.slice(0, i)))) return [Number(digits.slice(0, i)), digits.slice(i)];
  }
  return null;
}

// [country code, national number], or null where libphonenumber's parse() raises.
function parsePhone(text) {
  const start = text.search(/[+0-9]/);
  if (start < 0) return null;
  let number = text.slice(start).replace(/[^0-9A-Z#]+$/u, '');
  number = number.replace(EXTENSION, '');
  if (NOT_VIABLE.test(number)) return null;
  if ((number.match(/[0-9]/g) ?? []).length < 2) return null;
  let cc;
  let national;
  if (number.startsWith('+')) {
    const found = countryCode(normaliseDigits(number.slice(1)));
    if (!found) return null;
    [cc, national] = found;
  } else {
    const digits = normaliseDigits(number);
    const idd = IDD.exec(digits);
    if (idd && digits[idd[0].length] !== '0') {
      const found = countryCode(digits.slice(idd[0].length));
      if (!found) return null;
      [cc, national] = found;
    } else {
      cc = P.country_code;
      national = digits;
      const home = String(P.country_code);
      if (digits.startsWith(home)) {
        const rest = stripNationalPrefix(digits.slice(home.length));
        if ((!fullMatch(digits, GENERAL) && fullMatch(rest, GENERAL)) || lengthResult(digits) === 'long') national = rest;
      }
    }
  }
  if (cc === P.country_code) {
    const stripped = stripNationalPrefix(national);
    if (!['short', 'local', 'invalid'].includes(lengthResult(stripped))) national = stripped;
  }
  if (national.length < 2 || national.length > 17) return null;
  return [cc, national.replace(/^0+(?=.)/, '')];
}

// libphonenumber's number type, reduced to what mobile() asks: is it a mobile?
function isMobileType(national) {
  if (!matchesDesc(national, GENERAL)) return false;
  for (const name of ['premium_rate', 'toll_free', 'shared_cost', 'voip', 'personal_number', 'pager', 'uan', 'voicemail']) {
    if (matchesDesc(national, phoneDesc(name))) return false;
  }
  if (matchesDesc(national, phoneDesc('fixed_line'))) {
    return P.same_mobile_and_fixed_line_pattern || matchesDesc(national, phoneDesc('mobile'));
  }
  return !P.same_mobile_and_fixed_line_pattern && matchesDesc(national, phoneDesc('mobile'));
}

/** Normalised 11-digit mainland mobile number (a +86 / 0086 prefix is accepted). */
export function mobile(text) {
  const orig = original(text);
  let value = compact(text, 'phone').replace(/[()]/g, '');
  if (value.startsWith('0086')) value = `+86${value.slice(4)}`;
  const parsed = parsePhone(value);
  if (!parsed) throw new InvalidValue(`${repr(orig)} is not a phone number`, { field: 'phone', reason: 'format' });
  const [cc, national] = parsed;
  if (cc !== 86) throw new InvalidValue(`${repr(orig)} is not a mainland China number`, { field: 'phone', reason: 'country' });
  if (national.length !== 11 || national[0] !== '1') {
    throw new InvalidValue(`a mobile number has 11 digits starting with 1; ${repr(orig)} does not`, { field: 'phone', reason: 'format' });
  }
  if (!isMobileType(national)) {
    throw new InvalidValue(`${repr(orig)} is not an assigned mobile number range`, { field: 'phone', reason: 'range' });
  }
  return national;
}

// --- postal tracking numbers (UPU S10) ------------------------------------------------------

const S10 = new RegExp(V.s10_pattern);
const DOMESTIC = new RegExp(V.domestic_pattern);

/** UPU S10 check digit for an 8-digit serial number. */
export function s10CheckDigit(serial) {
  let sum = 0;
  for (let i = 0; i < 8; i++) sum += Number(serial[i]) * V.s10_weights[i];
  const remainder = sum % 11;
  return remainder === 0 ? '5' : remainder === 1 ? '0' : String(11 - remainder);
}

const isAlpha = (text) => /^\p{L}+$/u.test(text);

/** Normalised tracking number: UPU S10 with its check digit, or a 13-character domestic one. */
export function trackingNumber(text) {
  const orig = original(text);
  const value = compact(text, 'tracking_number');
  if (S10.test(value)) {
    if (s10CheckDigit(value.slice(2, 10)) !== value[10]) {
      throw new InvalidValue(`tracking number ${repr(orig)} has a wrong check digit`, { field: 'tracking_number', reason: 'checksum' });
    }
    return value;
  }
  if (DOMESTIC.test(value) && !isAlpha(value.slice(0, 2)) && !isAlpha(value.slice(-2))) {
    return value; // domestic numbers carry no check digit we can verify
  }
  throw new InvalidValue(`${repr(orig)} is not a tracking number (like EA123456785CN, or 13 domestic characters)`, {
    field: 'tracking_number',
    reason: 'format',
  });
}
