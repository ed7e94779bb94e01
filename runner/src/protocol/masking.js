// Masked display copies of personal data (sync/masking.py).
import rules from './rules.js';

export const MASK = rules.masking.mask;
const chars = (text) => Array.from(text);

/** 张三 -> 张*, 欧阳娜娜 -> 欧***; one character is kept whatever the length. */
export function maskName(name) {
  const c = chars(name.trim());
  if (!c.length) return '';
  return c[0] + MASK.repeat(Math.max(c.length - 1, 1));
}

/** 510105199001011234 -> 5101**********1234 (any length over 8 keeps 4 + 4). */
export function maskIdNumber(number) {
  const c = chars(number.trim());
  if (c.length <= 8) return MASK.repeat(c.length);
  return c.slice(0, 4).join('') + MASK.repeat(c.length - 8) + c.slice(-4).join('');
}

/** 13812345678 -> 138****5678. */
export function maskPhone(phone) {
  const c = chars(phone.trim());
  if (c.length < 8) return MASK.repeat(c.length);
  return c.slice(0, 3).join('') + MASK.repeat(c.length - 7) + c.slice(-4).join('');
}

// Python's \d and \s in a str pattern are Unicode-wide; the pattern uses them only inside a
// character class, where these spellings mean the same in a JavaScript `u` regex.
const ADMIN_PREFIX = new RegExp(
  rules.masking.admin_prefix.replace(/\\d/g, '\\p{Nd}').replace(/\\s/g, '\\s\\x1c-\\x1f'),
  'u',
);

/** 四川省成都市武侯区人民南路四段1号 -> 四川省成都市武侯区****. */
export function maskAddress(address) {
  const text = address.trim();
  if (!text) return '';
  const c = chars(text);
  const kept = ADMIN_PREFIX.exec(text);
  let prefix = kept ? kept[0] : '';
  if (!prefix || chars(prefix).length >= c.length) {
    // No recognisable division: keep at most the first three characters.
    prefix = c.slice(0, Math.min(3, Math.max(c.length - 1, 0))).join('');
  }
  return prefix + MASK.repeat(4);
}

/**
 * The masked copies an application carries in clear (`applicant.masked`), from the
 * applicant's clear `{name, id_number, phone}`.
 */
export function maskApplicant(personal) {
  return {
    name: maskName(personal.name),
    id_number: maskIdNumber(personal.id_number),
    phone: maskPhone(personal.phone),
  };
}
