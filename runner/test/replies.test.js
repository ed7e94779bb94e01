import assert from 'node:assert/strict';
import { test } from 'node:test';

import { canonical, decodeAck, decodeFrameBytes, decodePage, encodeAck, encodePage, encodeFrame, isSettled, stateDigest } from '../src/protocol/index.js';
import { b64, rejectsWith, text, vector } from './vectors.js';

const [plain, withFeed] = vector('acks.json');

test('the acknowledgement vectors decode, are canonical, and differ only by feed', async () => {
  const a = await decodeAck(b64(plain.frame_base64));
  const b = await decodeAck(b64(withFeed.frame_base64));
  assert.equal(text(canonical(a)), plain.payload);
  assert.equal(text(canonical(b)), withFeed.payload);
  assert.equal('feed' in a, false);
  const { feed, ...rest } = b;
  assert.deepEqual(rest, a);
  assert.equal(feed.after, 41);
  assert.deepEqual(feed.records.map((r) => r.kind), ['record.rejected', 'status.changed']);
  assert.equal(feed.records[1].due_date, null);
  assert.deepEqual(a.results.map((r) => isSettled(r.status)), [true, false]);
  for (const v of [plain, withFeed]) {
    const { payload } = await decodeFrameBytes(await encodeAck(JSON.parse(v.payload)));
    assert.equal(text(payload), v.payload);
  }
});

test('a feed page round-trips; bad replies are refused as malformed', async () => {
  const [, withFeedAck] = [plain, JSON.parse(withFeed.payload)];
  const page = { v: 1, outlet: 'PO-510107-01', cursor: 41, next_cursor: 43, more: false, records: withFeedAck.feed.records, hub_time: 1790000501000 };
  const decoded = await decodePage(await encodePage(page));
  assert.deepEqual(decoded, { ...page, resync: false });
  await rejectsWith(assert, decodePage(await encodeFrame({ ...page, next_cursor: 40 })), 'malformed', 'cursor order');
  await rejectsWith(assert, decodePage(await encodeFrame({ ...page, extra: 1 })), 'malformed', 'unknown field');
  await rejectsWith(assert, decodePage(await encodeFrame({ ...page, records: [{ kind: 'status.changed' }] })), 'malformed', 'bad record');
  await rejectsWith(assert, decodeAck(await encodeFrame({ ...JSON.parse(plain.payload), v: 2 }, { version: 1 })), 'unsupported_version', 'v');
  await rejectsWith(assert, decodeAck(new TextEncoder().encode('<html>portal</html>')), 'malformed', 'html');
});

test('state digest: sorted id:version lines, as sync/replies.py', async () => {
  // .venv/bin/python -c "from sync.replies import state_digest as s; print(s([('b', 2), ('a', 10)]))"
  assert.equal(await stateDigest([['b', 2], ['a', 10]]), 'f63b12ffb3436840723b5dba13a045406b3e8b5e07c47d659f2f1d46d460564d');
  assert.equal(await stateDigest([['a', 10], ['b', 2]]), await stateDigest([['b', 2], ['a', 10]]));
  assert.equal(await stateDigest([]), 'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
});
