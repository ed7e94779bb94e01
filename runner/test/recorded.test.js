// Whether a supplement, hand-over or rating is recorded on the phone already
// (runner/src/app/capture.js alreadyRecorded): the screens show "recorded" instead of the form
// and queue() refuses a second record. One the hub refused does not block a corrected one.

import assert from 'node:assert/strict';
import { test } from 'node:test';

import { alreadyRecorded } from '../src/app/capture.js';

const SENT = 'amended (supplement)';
const asked = (at) => ({ source: 'hub', event: 'supplement requested', at });
const sent = (at, more = {}) => ({ source: 'local', event: SENT, at, record_id: `r${at}`, ...more });

test('a supplement counts for the hub version it answered', () => {
  const lines = [asked(1), sent(2, { for_version: 3 })];
  assert.equal(alreadyRecorded(lines, SENT, { hub_version: 3 }), true);
  assert.equal(alreadyRecorded(lines, SENT, { hub_version: 5 }), false, 'a later request asks again');
});

test('a supplement the hub refused does not stand in the way of another', () => {
  const lines = [asked(1), sent(2, { for_version: 3 })];
  assert.equal(alreadyRecorded(lines, SENT, { hub_version: 3 }, new Set(['r2'])), false);
});

test('a supplement recorded before lines carried a version counts after the latest request only', () => {
  assert.equal(alreadyRecorded([asked(1), sent(2)], SENT, { hub_version: 3 }), true);
  assert.equal(alreadyRecorded([asked(1), sent(2), asked(4)], SENT, { hub_version: 5 }), false);
});

test('a hand-over or rating counts once, whatever the version', () => {
  const lines = [{ source: 'local', event: 'picked up', at: 1, record_id: 'p' }];
  assert.equal(alreadyRecorded(lines, 'picked up', { hub_version: 9 }), true);
  assert.equal(alreadyRecorded(lines, 'picked up', { hub_version: 9 }, new Set(['p'])), false);
  assert.equal(alreadyRecorded(lines, 'rated', { hub_version: 9 }), false);
});
