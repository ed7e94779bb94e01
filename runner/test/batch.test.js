import assert from 'node:assert/strict';
import { test } from 'node:test';

import {
  applicationAmend,
  applicationCreate,
  canonical,
  decodeBatch,
  decodeFrameBytes,
  encodeBatch,
  MAX_RECORDS,
  material,
  newBatch,
  pickupConfirm,
  pickupDelivery,
  planBatches,
  ratingCreate,
  recordDigest,
  scan,
} from '../src/protocol/index.js';
import { b64, text, vector } from './vectors.js';

const [good] = vector('batches.json');
const payload = JSON.parse(good.payload);

// Each vector record built again through the builders, from its fields in camelCase.
function rebuild(r) {
  const materials = r.materials?.map((m) => material(m.code, m.scans.map((s) => scan({ sha256: s.sha256, size: s.size, mediaType: s.media_type }))));
  switch (r.kind) {
    case 'application.create':
      return applicationCreate({
        id: r.id, receipt: r.receipt, outlet: r.outlet, staff: r.staff, item: r.item, region: r.region,
        capturedAt: r.captured_at, applicant: r.applicant, materials, delivery: r.delivery.method === 'pickup' ? pickupDelivery() : r.delivery,
      });
    case 'application.amend':
      return applicationAmend({ id: r.id, application: r.application, baseVersion: r.base_version, reason: r.reason, staff: r.staff, capturedAt: r.captured_at, materials, note: r.note });
    case 'pickup.confirm':
      return pickupConfirm({ id: r.id, application: r.application, staff: r.staff, at: r.at, collector: r.collector, idChecked: r.id_checked });
    default:
      return ratingCreate({ id: r.id, application: r.application, staff: r.staff, at: r.at, level: r.level, comment: r.comment });
  }
}

test('the batch vector decodes: canonical payload, digests, one record of each kind', async () => {
  const decoded = await decodeBatch(b64(good.frame_base64));
  assert.equal(decoded.digest, good.digest);
  assert.deepEqual(decoded.entries.map((e) => e.digest), good.record_digests);
  assert.deepEqual(decoded.entries.map((e) => e.error), [undefined, undefined, undefined, undefined, undefined, undefined]);
  assert.deepEqual(decoded.entries.map((e) => e.kind), ['application.create', 'application.create', 'application.create', 'application.amend', 'pickup.confirm', 'rating.create']);
  const again = { v: decoded.version, device: decoded.device, batch: decoded.batch, seq: decoded.seq, sent_at: decoded.sent_at, records: decoded.entries.map((e) => e.record) };
  assert.equal(text(canonical(again)), good.payload);
});

test('builders give the vector records byte for byte, defaults and nulls included', async () => {
  for (const [i, record] of payload.records.entries()) {
    const built = rebuild(record);
    assert.equal(text(canonical(built)), text(canonical(record)), record.kind);
    assert.equal(await recordDigest(built), good.record_digests[i]);
  }
  const batch = newBatch({ device: payload.device, batchId: payload.batch, seq: payload.seq, sentAt: payload.sent_at, records: payload.records.map(rebuild) });
  const frame = await encodeBatch(batch);
  const { payload: bytes } = await decodeFrameBytes(frame);
  assert.equal(text(bytes), good.payload);
  assert.equal((await decodeBatch(frame)).digest, good.digest);
});

test('builders refuse what the hub would refuse, naming the field', () => {
  const [create, , , amend, pickup] = payload.records;
  const base = { ...rebuild(create) };
  const args = { id: base.id, receipt: base.receipt, outlet: base.outlet, staff: base.staff, item: base.item, region: base.region, capturedAt: base.captured_at, applicant: base.applicant, delivery: base.delivery };
  const refuses = (fn, field) => assert.throws(fn, (err) => err.code === 'invalid' && err.field === field, field);
  refuses(() => applicationCreate({ ...args, receipt: '2229-000001-X' }), '$.receipt');
  refuses(() => applicationCreate({ ...args, region: '5101' }), '$.region');
  refuses(() => applicationCreate({ ...args, capturedAt: 12 }), '$.captured_at');
  refuses(() => applicationCreate({ ...args, applicant: { ...args.applicant, masked: { ...args.applicant.masked, phone: '19112341935' } } }), '$.applicant.masked.phone');
  refuses(() => applicationCreate({ ...args, materials: [material('A'), material('A')] }), '$.materials');
  refuses(() => applicationCreate({ ...args, materials: [material('A')], promised: ['A'] }), '$.promised');
  refuses(() => applicationCreate({ ...args, note: 'x'.repeat(2001) }), '$.note');
  refuses(() => applicationCreate({ ...args, delivery: undefined }), '$');
  refuses(() => applicationCreate({ ...args, delivery: { method: 'drone' } }), '$.delivery.method');
  assert.equal(applicationCreate({ ...args, note: '办'.repeat(2000) }).note.length, 2000);
  refuses(() => applicationAmend({ id: amend.id, application: amend.application, baseVersion: 2, reason: 'supplement', staff: 'c', capturedAt: amend.captured_at }), '$.materials');
  refuses(() => applicationAmend({ id: amend.id, application: amend.application, baseVersion: 0, reason: 'correction', staff: 'c', capturedAt: amend.captured_at, note: 'x' }), '$.base_version');
  refuses(() => pickupConfirm({ id: pickup.id, application: pickup.application, staff: 's', at: pickup.at, collector: 'proxy', idChecked: true }), '$.collector_sealed');
  refuses(() => pickupConfirm({ id: pickup.id, application: pickup.application, staff: 's', at: pickup.at, collector: 'applicant', idChecked: false }), '$.id_checked');
  refuses(() => ratingCreate({ id: pickup.id, application: pickup.application, staff: 's', at: pickup.at, level: 'great' }), '$.level');
  refuses(() => scan({ sha256: 'ab'.repeat(32), size: 0, mediaType: 'image/jpeg' }), '$.size');
});

test('a batch with a bad record slot reports it and keeps the others', async () => {
  const records = [...payload.records];
  records[1] = { ...records[1], region: 'x' };
  records[2] = { ...records[0] };
  const frame = await encodeBatch({ ...payload, records });
  const decoded = await decodeBatch(frame);
  assert.equal(decoded.entries[0].error, undefined);
  assert.equal(decoded.entries[1].error.field, '$.records[1].region');
  assert.equal(decoded.entries[1].id, records[1].id);
  assert.equal(decoded.entries[2].error.reason, 'repeat');
  assert.equal(decoded.entries[3].record.kind, 'application.amend');
});

test('batch bounds and planning, as sync/batch.py', async () => {
  const records = payload.records.map(rebuild);
  assert.throws(() => newBatch({ device: 'dev-0007', batchId: payload.batch, seq: 1, sentAt: payload.sent_at, records: [] }), { code: 'invalid' });
  assert.throws(() => newBatch({ device: 'dev-0007', batchId: payload.batch, seq: 1, sentAt: payload.sent_at, records: Array(MAX_RECORDS + 1).fill(records[0]) }), { code: 'too_large' });
  const huge = { ...records[5], comment: 'x'.repeat(70 * 1024) };
  await assert.rejects(encodeBatch({ ...payload, records: [huge] }), { code: 'too_large', field: 'records[0]' });
  assert.deepEqual(planBatches(records).map((g) => g.length), [6]);
  assert.deepEqual(planBatches(records, { maxRecords: 4 }).map((g) => g.length), [4, 2]);
  const sizes = records.map((r) => canonical(r).length + 1);
  const byBytes = planBatches(records, { maxBytes: sizes[0] + sizes[1] });
  assert.deepEqual(byBytes[0], records.slice(0, 2));
  assert.deepEqual(byBytes.flat(), records);
  assert.deepEqual(planBatches(records, { maxBytes: 1 }).map((g) => g.length), [1, 1, 1, 1, 1, 1]);
  assert.deepEqual(planBatches([]), []);
});
