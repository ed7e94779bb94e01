// The runner's PIN, as on the laptop (agent/store/staff.py): kept only as a salted hash,
// wrong PINs counted on this phone, and blocks that grow: five wrong PINs within 15 minutes
// block sign-in for 5 minutes, each block after that twice as long, up to an hour.
//
// The laptop hashes with scrypt; browsers offer PBKDF2 (WebCrypto), so the phone uses
// PBKDF2-SHA-256 at a cost that takes a few hundred milliseconds on a cheap phone. A PIN is
// short, so this only slows down guessing on a stolen phone; what protects the citizens'
// data there is that it is sealed to the hub's key and shown only masked.

import { getMeta, putMeta, write } from './db.js';

// Six digits at least: a PIN of four is guessed by one person in an afternoon despite the
// blocks (10,000 values); six make it a million. The laptop's staff PIN rule is its own.
export const PIN_PATTERN = /^[0-9]{6,12}$/;
export const PIN_MAX = 12;
export const CODE_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;
const ITERATIONS = 210_000;
const MAX_FAILURES = 5;
const WINDOW_MS = 15 * 60 * 1000;
const LOCK_MS = 5 * 60 * 1000;
const MAX_LOCK_MS = 60 * 60 * 1000;
const THROTTLE_KEY = 'signin.throttle';

const b64 = (bytes) => btoa(String.fromCharCode(...bytes));
const unb64 = (text) => Uint8Array.from(atob(text), (c) => c.charCodeAt(0));

async function derive(pin, salt, iterations) {
  const key = await crypto.subtle.importKey('raw', new TextEncoder().encode(pin), 'PBKDF2', false, [
    'deriveBits',
  ]);
  const bits = await crypto.subtle.deriveBits(
    { name: 'PBKDF2', hash: 'SHA-256', salt, iterations },
    key,
    256,
  );
  return new Uint8Array(bits);
}

/** `pbkdf2-sha256$iterations$salt$hash` for a PIN. */
export async function hashPin(pin) {
  const salt = crypto.getRandomValues(new Uint8Array(16));
  const digest = await derive(pin, salt, ITERATIONS);
  return `pbkdf2-sha256$${ITERATIONS}$${b64(salt)}$${b64(digest)}`;
}

export async function pinMatches(pin, stored) {
  const [scheme, iterations, salt, digest] = String(stored).split('$');
  if (scheme !== 'pbkdf2-sha256') return false;
  const got = await derive(pin, unb64(salt), Number(iterations));
  const want = unb64(digest);
  let diff = got.length ^ want.length;
  for (let i = 0; i < Math.min(got.length, want.length); i++) diff |= got[i] ^ want[i];
  return diff === 0;
}

/** Problems with a new runner's details, by field (empty when all is well). */
export function runnerProblems({ name, code, pin, pin2 }) {
  const problems = {};
  if (!name.trim() || name.trim().length > 100) problems.name = ['staff.name', {}];
  if (!CODE_PATTERN.test(code)) problems.code = ['staff.code', { who: code }];
  if (!PIN_PATTERN.test(pin)) problems.pin = ['setup.pin.rule', {}];
  else if (pin !== pin2) problems.pin2 = ['setup.pin.mismatch', {}];
  return problems;
}

export async function saveRunner(db, { name, code, pin }) {
  const runner = { name: name.trim(), code, pin_hash: await hashPin(pin), created_at: Date.now() };
  await putMeta(db, 'runner', runner);
  return runner;
}

function fresh(entry, now) {
  if (!entry || now - (entry.at || 0) > MAX_LOCK_MS) {
    return { failures: 0, blocks: 0, until: 0, since: now, at: now };
  }
  if (now - entry.since > WINDOW_MS && !(entry.until > now)) {
    return { ...entry, failures: 0, since: now };
  }
  return entry;
}

/**
 * Check the PIN: {ok: true, runner} or {ok: false, reason: 'wrong_pin'|'locked', left,
 * until}. The try is counted before the PIN is checked, so that tries made at once (two
 * taps) cannot together exceed the allowance; a right PIN takes it back.
 */
export async function signIn(db, pin, now = Date.now()) {
  const runner = await getMeta(db, 'runner');
  const entry = fresh(await getMeta(db, THROTTLE_KEY), now);
  if (entry.until > now) return { ok: false, reason: 'locked', until: entry.until };
  entry.failures += 1;
  entry.at = now;
  await putMeta(db, THROTTLE_KEY, entry);
  const right = Boolean(runner) && (await pinMatches(pin, runner.pin_hash));
  return write(
    db,
    async (s) => {
      const now2 = fresh((await s.meta.get(THROTTLE_KEY)) || entry, now);
      if (right) {
        now2.failures = Math.max(0, now2.failures - 1);
        await s.meta.put(now2, THROTTLE_KEY);
        return { ok: true, runner };
      }
      if (now2.failures >= MAX_FAILURES) {
        const until = now + Math.min(LOCK_MS * 2 ** Math.min(now2.blocks, 30), MAX_LOCK_MS);
        await s.meta.put({ ...now2, until, blocks: now2.blocks + 1, failures: 0, since: now }, THROTTLE_KEY);
        return { ok: false, reason: 'locked', until };
      }
      await s.meta.put(now2, THROTTLE_KEY);
      return { ok: false, reason: 'wrong_pin', left: MAX_FAILURES - now2.failures };
    },
    ['meta'],
  );
}
