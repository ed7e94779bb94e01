// One photo's upload (runner/src/app/syncer.js uploadOne) against answers a hub could give:
// an upload resumes where the hub's copy stops, and an offset that is not a whole number of
// bytes within the photo is never taken for "the hub holds all of it" (the phone would then
// let go of the only copy of the sealed bytes).

import assert from 'node:assert/strict';
import { test } from 'node:test';

import { CHUNK, uploadOne } from '../src/app/syncer.js';
import { HubUnavailable } from '../src/protocol/index.js';

function scan(size) {
  return { sha256: 'a'.repeat(64), size, bytes: new Uint8Array(size) };
}

/** A hub that appends each chunk and answers with `answer(offset)` (its true offset). */
function hub(answer = (offset) => offset) {
  const sent = [];
  return {
    sent,
    async uploadChunk(_sha, offset, bytes, total) {
      sent.push([offset, bytes.length, total]);
      return answer(offset + bytes.length);
    },
  };
}

test('an upload resumes where the hub said its copy stops', async () => {
  const client = hub();
  await uploadOne(client, scan(CHUNK * 2 + 10), CHUNK);
  assert.deepEqual(client.sent, [
    [CHUNK, CHUNK, CHUNK * 2 + 10],
    [CHUNK * 2, 10, CHUNK * 2 + 10],
  ]);
});

test('a photo the hub holds whole sends nothing', async () => {
  const client = hub();
  await uploadOne(client, scan(100), 100);
  assert.deepEqual(client.sent, []);
});

for (const [what, answer] of [
  ['not a number', () => Number('<html>')],
  ['a fraction', (offset) => offset - 0.5],
  ['beyond the photo', (offset) => offset + 2],
  ['negative', () => -1],
]) {
  test(`an upload offset ${what} is not the hub's word`, async () => {
    await assert.rejects(uploadOne(hub(answer), scan(CHUNK + 1), 0), HubUnavailable);
  });
}

for (const from of [Number.NaN, -1, 101, '0', null]) {
  test(`a missing-offset ${String(from)} is refused before anything is sent`, async () => {
    const client = hub();
    await assert.rejects(uploadOne(client, scan(100), from), HubUnavailable);
    assert.deepEqual(client.sent, []);
  });
}

test('a hub that never moves on stops the upload, it is not taken as done', async () => {
  await assert.rejects(uploadOne(hub(() => 0), scan(CHUNK * 2), 0), /made no progress|not an offset/);
});
