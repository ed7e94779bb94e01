import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { test } from 'node:test';

import { canonical, checkSealed, maskAddress, maskApplicant, openSealed, openSealedBytes, sealAddress, sealApplicant, sealBytes, sealCollector, sealContext } from '../src/protocol/index.js';
import { b64, keys, rejectsWith, text, vector } from './vectors.js';

const hubSealText = Buffer.from(keys.hub_sealing_public, 'hex').toString('base64url');
const hubPrivate = keys.hub_sealing_private;
const otherPrivate = 'ff'.repeat(32);

test('the sealed vectors open with the hub key, and only for their record and purpose', async () => {
  for (const v of vector('sealed.json')) {
    assert.equal(text(await openSealed(hubPrivate, v.token, v.record_id, v.purpose)), v.plaintext);
    await rejectsWith(assert, openSealed(otherPrivate, v.token, v.record_id, v.purpose), 'unseal_failed', 'other key');
    await rejectsWith(assert, openSealed(hubPrivate, v.token, v.record_id.replace(/.$/, '4'), v.purpose), 'unseal_failed', 'other record');
    await rejectsWith(assert, openSealed(hubPrivate, v.token, v.record_id, 'scan'), 'unseal_failed', 'other purpose');
    const flipped = v.token.slice(0, 40) + (v.token[40] === 'A' ? 'B' : 'A') + v.token.slice(41);
    await rejectsWith(assert, openSealed(hubPrivate, flipped, v.record_id, v.purpose), 'unseal_failed', 'flipped');
    assert.equal(checkSealed(v.token), v.token);
  }
  assert.throws(() => checkSealed('s2.abc'), { code: 'unseal_failed' });
  assert.throws(() => checkSealed('s1.AAAA'), { code: 'unseal_failed' });
  assert.deepEqual([...sealContext('r', 'p')], [...Buffer.from('daiban/seal/v1\0r\0p')]);
});

test('seal then open: applicant, address, collector and a scanned page', async () => {
  const rid = '01a0c450-6c00-7a0b-8c0d-0e0f10111213';
  const person = { name: '张三', id_number: '11010519491231002X', phone: '13812345678' };
  const applicant = await sealApplicant(hubSealText, person, rid);
  assert.equal(applicant.id_type, 'resident_id');
  assert.deepEqual(applicant.masked, { name: '张*', id_number: '1101**********002X', phone: '138****5678' });
  assert.equal(text(await openSealed(hubPrivate, applicant.sealed, rid, 'applicant')), vector('sealed.json')[0].plaintext);
  const other = await sealApplicant(hubSealText, person, rid);
  assert.notEqual(other.sealed, applicant.sealed, 'a fresh ephemeral key per seal');

  const where = { recipient: '张三', phone: '13812345678', address: '四川省成都市武侯区人民南路四段1号' };
  const mail = await sealAddress(hubSealText, where, rid);
  assert.equal(mail.method, 'mail');
  assert.equal(mail.masked, '四川省成都市武侯区****');
  assert.equal(text(await openSealed(hubPrivate, mail.sealed, rid, 'address')), vector('sealed.json')[1].plaintext);

  const proxy = await sealCollector(hubSealText, { name: '李四', id_number: '11010519491231002X' }, rid);
  assert.equal(proxy.collector_masked, '李* 1101**********002X');
  assert.deepEqual(JSON.parse(text(await openSealed(hubPrivate, proxy.collector_sealed, rid, 'collector'))), { name: '李四', id_number: '11010519491231002X' });

  const page = new Uint8Array(200_000).map((_, i) => i % 251);
  const blob = await sealBytes(hubSealText, page, rid);
  assert.equal(blob.length, page.length + 48);
  assert.deepEqual(await openSealedBytes(hubPrivate, blob, rid, 'scan'), page);
  await rejectsWith(assert, openSealedBytes(hubPrivate, blob, rid, 'applicant'), 'unseal_failed', 'purpose');
  await assert.rejects(sealApplicant(hubSealText, person), { field: 'record_id' });
  await assert.rejects(sealApplicant('not a key', person, rid), { field: 'sealing_key' });
});

test("the batch vector's sealed parts open, and their masked copies are the clear values masked", async () => {
  const payload = JSON.parse(vector('batches.json')[0].payload);
  let opened = 0;
  for (const record of payload.records) {
    if (record.kind !== 'application.create') continue;
    const person = JSON.parse(text(await openSealed(hubPrivate, record.applicant.sealed, record.id, 'applicant')));
    assert.equal(text(canonical(person)), text(canonical({ ...person })));
    assert.deepEqual(maskApplicant(person), record.applicant.masked);
    if (record.delivery.method === 'mail') {
      const where = JSON.parse(text(await openSealed(hubPrivate, record.delivery.sealed, record.id, 'address')));
      assert.equal(maskAddress(where.address), record.delivery.masked);
    }
    opened++;
  }
  assert.equal(opened, 3);
  assert.equal(createHash('sha256').update(b64('')).digest('hex').length, 64);
});
