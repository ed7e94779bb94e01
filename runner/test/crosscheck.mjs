// Runs the JavaScript validators, masking and identifiers on the cases read from stdin
// (JSON [[function, input], ...]) and prints their results, for test_js_units.py to compare
// with sync/ on the same cases. `node --test` runs every file under test/: without
// DAIBAN_CROSSCHECK=1 this one does nothing.
import process from 'node:process';

import * as p from '../src/protocol/index.js';

const TODAY = '2026-11-23';
const FUNCTIONS = {
  resident_id: (x) => p.residentId(x, { today: TODAY }),
  resident_id_warnings: (x) => p.inspectResidentId(x, { today: TODAY }).warnings.length,
  credit_code: p.creditCode,
  mobile: p.mobile,
  tracking_number: p.trackingNumber,
  check_receipt: p.checkReceipt,
  receipt_number: ([tag, seq]) => p.receiptNumber(tag, seq),
  device_tag: p.deviceTag,
  mask_name: p.maskName,
  mask_id_number: p.maskIdNumber,
  mask_phone: p.maskPhone,
  mask_address: p.maskAddress,
};

if (process.env.DAIBAN_CROSSCHECK !== '1') process.exit(0);
let input = '';
for await (const chunk of process.stdin) input += chunk;
const out = JSON.parse(input).map(([name, value]) => {
  try {
    return { ok: FUNCTIONS[name](value) };
  } catch (err) {
    if (!(err instanceof p.InvalidValue)) return { crash: String(err) };
    return { reason: err.reason, field: err.field, message: err.message };
  }
});
process.stdout.write(JSON.stringify(out));
