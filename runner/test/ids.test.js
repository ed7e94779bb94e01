import assert from 'node:assert/strict';
import { test } from 'node:test';

import { checkReceipt, deviceTag, isUuid7, receiptNumber, receiptTag, uuid7, uuid7TimeMs } from '../src/protocol/index.js';
import { T0, vector } from './vectors.js';

const range = (a, b) => Uint8Array.from({ length: b - a }, (_, i) => a + i);

test('uuid7 reproduces the ids the vectors were made with', () => {
  assert.equal(uuid7(T0 + 500_000, range(0, 10)), '01a0c458-0d20-7001-8203-040506070809');
  assert.equal(uuid7(T0, range(10, 20)), vector('sealed.json')[0].record_id);
  assert.equal(uuid7(T0 + 400_000, range(1, 11)), '01a0c456-8680-7102-8304-05060708090a');
  assert.equal(uuid7TimeMs('01a0c458-0d20-7001-8203-040506070809'), T0 + 500_000);
  const fresh = uuid7(Date.now());
  assert.ok(isUuid7(fresh));
  assert.notEqual(fresh, uuid7(Date.now()));
  assert.throws(() => uuid7(-1), { code: 'invalid' });
  assert.throws(() => uuid7(2 ** 48), { code: 'invalid' });
  assert.throws(() => uuid7TimeMs('01A0C458-0d20-7001-8203-040506070809'), { reason: 'uuid7' });
});

test('uuid7 (the uuid package laid out as ours) is sync/ids.py uuid7 for any time and bytes', () => {
  // sync/ids.py's layout, written out: time, then the random bytes with the version and
  // variant bits set over theirs.
  const reference = (ms, r) => {
    const b = new Uint8Array(16);
    let t = ms;
    for (let i = 5; i >= 0; i--) {
      b[i] = t % 256;
      t = Math.floor(t / 256);
    }
    b.set(r, 6);
    b[6] = 0x70 | (b[6] & 0x0f);
    b[8] = 0x80 | (b[8] & 0x3f);
    const h = Buffer.from(b).toString('hex');
    return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
  };
  for (let n = 0; n < 2000; n++) {
    const ms = n < 3 ? [0, 2 ** 48 - 1, T0][n] : Math.floor(Math.random() * 2 ** 48);
    const r = crypto.getRandomValues(new Uint8Array(10));
    if (n === 3) r.fill(0xff);
    assert.equal(uuid7(ms, r), reference(ms, r));
  }
  assert.equal(uuid7(T0, [...range(10, 20)]), vector('sealed.json')[0].record_id); // a plain array too
  assert.throws(() => uuid7(T0, range(0, 9)), { code: 'invalid' });
});

test('device tags and receipt numbers as sync/ids.py makes them', () => {
  assert.equal(deviceTag(0), '2222');
  assert.equal(deviceTag(7), '2229');
  assert.equal(deviceTag(32 ** 4 - 1), 'ZZZZ');
  assert.throws(() => deviceTag(32 ** 4), { code: 'invalid' });
  assert.equal(receiptNumber('2229', 42), '2229-000042-Z');
  assert.equal(receiptNumber(deviceTag(1000), 1), '22ZA-000001-9');
  assert.equal(receiptNumber('2229', 1), '2229-000001-I');
  assert.equal(receiptNumber('2229', 2), '2229-000002-G');
  assert.equal(receiptNumber('2229', 123_456_789).length, 16);
  assert.throws(() => receiptNumber('2220', 1), { field: 'tag' });
  assert.throws(() => receiptNumber('2229', 0), { field: 'seq' });
  assert.equal(receiptTag('2229-000042-Z'), '2229');
});

test('receipt numbers of identifiers.json', () => {
  const { valid, invalid } = vector('identifiers.json').receipt;
  for (const [input, want] of valid) assert.equal(checkReceipt(input), want);
  for (const [input, reason] of invalid) assert.throws(() => checkReceipt(input), { code: 'invalid', reason, field: 'receipt' }, input);
});

test('any single mistyped character of a receipt is caught', () => {
  const good = receiptNumber('2A7K', 4242);
  const alphabet = '0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ';
  for (let i = 0; i < good.length; i++) {
    if (good[i] === '-') continue;
    for (const c of alphabet) {
      if (c === good[i]) continue;
      const typo = good.slice(0, i) + c + good.slice(i + 1);
      assert.throws(() => checkReceipt(typo), { code: 'invalid' }, typo);
    }
  }
});
