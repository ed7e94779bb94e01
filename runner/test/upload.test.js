// One photo's upload (runner/src/app/syncer.js uploadOne) against answers a hub could give:
// an upload resumes where the hub's copy stops, and only the hub's word that it holds the
// whole photo (`complete`, checked against the digest) ends it. An offset at the end, or one
// that is not a whole number of bytes within the photo, is never taken for "held": the phone
// would then let go of the only copy of the sealed bytes.

import assert from 'node:assert/strict';
import { test } from 'node:test';

import { CHUNK, uploadOne } from '../src/app/syncer.js';
import { HubUnavailable } from '../src/protocol/index.js';

function scan(size) {
  return { sha256: 'a'.repeat(64), size, bytes: new Uint8Array(size) };
}

/** A hub that appends each chunk at the offset it holds and completes a photo once all of it
 * is there, unless told otherwise: `answer(offset, complete)` shapes what it says. */
function hub({ have = 0, finishes = true, answer = (offset, complete) => ({ offset, complete }) } = {}) {
  const sent = [];
  let held = have;
  let done = false;
  return {
    sent,
    async uploadChunk(_sha, offset, bytes, total) {
      sent.push([offset, bytes.length]);
      if (offset !== held) return { offset: held, complete: false }; // the hub's expected offset
      held += bytes.length;
      if (held === total && finishes) done = true;
      finishes = true; // a hub that failed to finish once does so when asked again
      return answer(held, done);
    },
  };
}

test('an upload resumes where the hub said its copy stops', async () => {
  const client = hub({ have: CHUNK });
  await uploadOne(client, scan(CHUNK * 2 + 10), CHUNK);
  assert.deepEqual(client.sent, [
    [CHUNK, CHUNK],
    [CHUNK * 2, 10],
  ]);
});

test('a photo the hub holds all of but never finished is finished with an empty chunk', async () => {
  const client = hub({ have: 100 }); // all written before, the finishing step failed
  await uploadOne(client, scan(100), 100);
  assert.deepEqual(client.sent, [[100, 0]]);
});

test('a last chunk the hub wrote without finishing is not taken as delivered', async () => {
  const client = hub({ finishes: false });
  await uploadOne(client, scan(50), 0);
  assert.deepEqual(client.sent, [
    [0, 50],
    [50, 0],
  ]);
});

test('a photo the hub did not list is confirmed, and sent from where the hub stands if it lacks it', async () => {
  const client = hub({ have: 0 });
  await uploadOne(client, scan(30), 30); // unlisted: the phone asks at the end; the hub is at 0
  assert.deepEqual(client.sent, [
    [30, 0],
    [0, 30],
  ]);
});

for (const [what, answer] of [
  ['not a number', () => ({ offset: Number('<html>'), complete: false })],
  ['a fraction', (offset) => ({ offset: offset - 0.5, complete: false })],
  ['beyond the photo', (offset) => ({ offset: offset + 2, complete: false })],
  ['negative', () => ({ offset: -1, complete: false })],
]) {
  test(`an upload offset ${what} is not the hub's word`, async () => {
    await assert.rejects(uploadOne(hub({ answer }), scan(CHUNK + 1), 0), (err) => err instanceof HubUnavailable && err.kind === 'unreadable');
  });
}

for (const from of [Number.NaN, -1, 101, '0', null]) {
  test(`a missing-offset ${String(from)} is refused before anything is sent`, async () => {
    const client = hub();
    await assert.rejects(uploadOne(client, scan(100), from), HubUnavailable);
    assert.deepEqual(client.sent, []);
  });
}

test('a hub that never completes stops the upload, it is not taken as done', async () => {
  const stuck = hub({ answer: (offset) => ({ offset, complete: false }) });
  await assert.rejects(uploadOne(stuck, scan(CHUNK * 2), 0), /made no progress/);
});
