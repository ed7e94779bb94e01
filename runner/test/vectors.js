// The protocol's test vectors (tests/vectors/, made by tests/vectors/generate.py).
import { readFileSync } from 'node:fs';

const DIR = new URL('../../tests/vectors/', import.meta.url);

export const vector = (name) => JSON.parse(readFileSync(new URL(name, DIR), 'utf8'));
export const b64 = (text) => new Uint8Array(Buffer.from(text, 'base64'));
export const hex = (text) => new Uint8Array(Buffer.from(text, 'hex'));
export const text = (bytes) => new TextDecoder().decode(bytes);
export const keys = vector('keys.json');
// tests/factories.py T0: the vectors' clock.
export const T0 = 1_790_000_000_000;

/** Assert that `promise` rejects with a ProtocolError of one of `codes` ('a|b'). */
export async function rejectsWith(assert, promise, codes, label = '') {
  try {
    await promise;
  } catch (err) {
    assert.ok(codes.split('|').includes(err.code), `${label}: got ${err.code} (${err.message}), want ${codes}`);
    return err;
  }
  assert.fail(`${label}: no error, want ${codes}`);
}
