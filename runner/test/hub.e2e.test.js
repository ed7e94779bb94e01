// Against a real hub, started elsewhere: skipped unless DAIBAN_TEST_HUB_URL and
// DAIBAN_TEST_ENROLL_CODE (a fresh one-time code of an outlet) are set. Enrols a device key,
// seals an application with one scanned page, uploads the page and pushes the batch.
import assert from 'node:assert/strict';
import process from 'node:process';
import { test } from 'node:test';

import {
  applicationCreate,
  encodeBatch,
  enroll,
  generateDeviceKey,
  HubClient,
  material,
  newBatch,
  pickupDelivery,
  publicKeyText,
  receiptNumber,
  scan,
  sealApplicant,
  sealBytes,
  digestHex,
  uuid7,
} from '../src/protocol/index.js';

const url = process.env.DAIBAN_TEST_HUB_URL;
const code = process.env.DAIBAN_TEST_ENROLL_CODE;

test('enrol, upload a sealed scan, push a sealed application, read the ack', { skip: !(url && code) && 'DAIBAN_TEST_HUB_URL / DAIBAN_TEST_ENROLL_CODE not set' }, async () => {
  const pair = await generateDeviceKey();
  const answer = await enroll(url, code, await publicKeyText(pair.publicKey), { label: 'runner e2e', agentVersion: '0.1.0' });
  const client = new HubClient({ url, deviceId: answer.device_id, privateKey: pair.privateKey, hubVerifyKeyText: answer.hub.signing_key, clockOffsetMs: answer.hub_time - Date.now() });
  const item = answer.catalogue.items.find((i) => i.outlet_kinds.includes(answer.outlet.kind));
  assert.ok(item, 'an item this outlet may accept');

  const now = Date.now();
  const id = uuid7(now);
  const page = await sealBytes(answer.hub.sealing_key, new TextEncoder().encode('a scanned page'), id);
  const sha = await digestHex(page);
  const [first, ...rest] = item.materials.filter((m) => m.required).map((m) => m.code);
  const materials = first ? [material(first, [scan({ sha256: sha, size: page.length, mediaType: 'image/jpeg' })]), ...rest.map((c) => material(c))] : [];
  const record = applicationCreate({
    id,
    receipt: receiptNumber(answer.tag, 1),
    outlet: answer.outlet.code,
    staff: 'runner-e2e',
    item: item.code,
    region: answer.outlet.region,
    capturedAt: now,
    applicant: await sealApplicant(answer.hub.sealing_key, { name: '张三', id_number: '11010519491231002X', phone: '13812345678' }, id),
    materials,
    delivery: pickupDelivery(),
  });

  if (first) {
    assert.deepEqual(await client.missingScans([sha]), { [sha]: 0 });
    assert.deepEqual(await client.uploadChunk(sha, 0, page), { offset: page.length, complete: true });
    assert.deepEqual(await client.missingScans([sha]), {});
  }
  const frame = await encodeBatch(newBatch({ device: answer.device_id, batchId: uuid7(now), seq: 1, sentAt: now, records: [record] }));
  const ack = await client.push(frame, { feed: true });
  assert.deepEqual(ack.results.map((r) => [r.status, r.reasons]), [['accepted', []]]);
  assert.equal(ack.feed.records.some((r) => r.kind === 'status.changed' && r.application === id), true);
  const again = await client.push(frame, { feed: true });
  assert.deepEqual(again, { ...ack, hub_time: again.hub_time }, 'a re-sent batch gets its first acknowledgement');
  const feed = await client.pull(0);
  assert.ok(feed.records.some((r) => r.application === id));
});
