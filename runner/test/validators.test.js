import assert from 'node:assert/strict';
import { test } from 'node:test';

import { creditCode, inspectResidentId, mobile, residentId, s10CheckDigit, trackingNumber } from '../src/protocol/index.js';
import { vector } from './vectors.js';

const ids = vector('identifiers.json');

test('resident ID numbers of identifiers.json, birth date bounded by today', () => {
  const { today, valid, warning, invalid } = ids.resident_id;
  for (const [input, want] of valid) {
    assert.equal(residentId(input, { today }), want, input);
    assert.deepEqual(inspectResidentId(input, { today }).warnings, [], input);
  }
  for (const [input, want] of warning) {
    const seen = inspectResidentId(input, { today });
    assert.equal(seen.number, want);
    assert.equal(seen.warnings.length, 1);
  }
  for (const [input, reason] of invalid) {
    assert.throws(() => residentId(input, { today }), { code: 'invalid', reason, field: 'id_number' }, input);
  }
  const seen = inspectResidentId('110105491231002', { today: new Date(2026, 10, 23) });
  assert.deepEqual(seen, {
    number: '11010519491231002X',
    birth_date: '1949-12-31',
    sex: 'female',
    division: '110105',
    upgraded_from: '110105491231002',
    warnings: [],
  });
  // The birth date is checked against `today`: a day later than it is the future.
  assert.throws(() => residentId('110105202612310021', { today: '2026-11-23' }), { reason: /birth_date|checksum/ });
  assert.throws(() => residentId(42), { reason: 'type' });
  assert.equal(residentId('１１０１０５１９４９１２３１００２Ｘ', { today }), '11010519491231002X');
});

test('messages read as the Python ones', () => {
  assert.throws(() => residentId('11010519491231002', { today: '2026-11-23' }), {
    message: "an ID number has 18 characters; '11010519491231002' has 17",
  });
  assert.throws(() => mobile('+1 202 555 0143'), { message: "'+1 202 555 0143' is not a mainland China number" });
});

test('credit codes, mobiles and tracking numbers of identifiers.json', () => {
  const check = (fn, name, field) => {
    for (const [input, want] of ids[name].valid) assert.equal(fn(input), want, input);
    for (const [input, reason] of ids[name].invalid) assert.throws(() => fn(input), { code: 'invalid', reason, field }, input);
  };
  check(creditCode, 'credit_code', 'credit_code');
  check(mobile, 'mobile', 'phone');
  check(trackingNumber, 'tracking_number', 'tracking_number');
});

test('mobile numbers in the shapes a runner types them', () => {
  for (const input of ['8613812345678', '013812345678', '+86013812345678', '(+86)13812345678', '17951 13812345678', '１３８１２３４５６７８', '+86-138-1234-5678 ext. 9', '13812345678#12']) {
    assert.equal(mobile(input), '13812345678', input);
  }
  for (const [input, reason] of [['1381234567a', 'format'], ['+999 1234', 'format'], ['abc', 'format'], ['00113812345678', 'country'], ['10086', 'format'], ['12012345678', 'range'], ['+86 10 1234 5678', 'format']]) {
    assert.throws(() => mobile(input), { reason }, input);
  }
});

test('UPU S10 check digits', () => {
  assert.equal(s10CheckDigit('12345678'), '5');
  assert.equal(s10CheckDigit('47312482'), '9');
});
