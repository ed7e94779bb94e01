// The app's words: both languages say the same things with the same blanks, and no outcome
// of a sync round ever shows a blank it did not fill.
import assert from 'node:assert/strict';
import test from 'node:test';

import { HubRefused, HubUnavailable } from '../src/protocol/index.js';
import { describe, outcomeWords } from '../src/app/autosync.js';
import { LANGUAGES, TABLES, setLang } from '../src/app/i18n.js';
import { FeedWentBack, newResult } from '../src/app/syncer.js';

const blanks = (text) => new Set([...text.matchAll(/\{(\w+)\}/g)].map((m) => m[1]));

// The validators' refusals: in English, their own message is the words (as on the laptop).
const VALIDATOR = /^(id_number|proxy_id_number|phone|tracking_number)\./;

test('Chinese and English have the same messages with the same blanks', () => {
  const zh = Object.keys(TABLES.zh).sort();
  const en = Object.keys(TABLES.en).sort();
  assert.deepEqual(zh.filter((k) => !(k in TABLES.en) && !VALIDATOR.test(k)), [], 'only in Chinese');
  assert.deepEqual(en.filter((k) => !(k in TABLES.zh)), [], 'only in English');
  for (const key of en) assert.deepEqual(blanks(TABLES.zh[key]), blanks(TABLES.en[key]), key);
});

function outcomes() {
  const done = newResult();
  const attention = { ...newResult(), refused: 1 };
  const photo = { ...newResult(), photos_refused: 1 };
  const refusals = ['bad_signature', 'stale_signature', 'replayed_signature', 'wrong_device', 'too_large', 'malformed', 'unsupported_version', 'batch_conflict', 'invalid', 'blob.digest_mismatch', 'something_new'];
  const errors = [
    ...refusals.map((code) => new HubRefused(400, code, `refused: ${code}`, { code })),
    new HubRefused(403, 'device_revoked', 'device dev-1 was revoked: 手机丢失', {}),
    new HubRefused(403, 'device_revoked', 'device dev-1 was revoked', {}),
    ...['network', 'hub_failed', 'unsigned', 'unreadable', 'other'].map((kind) => new HubUnavailable('cannot reach the hub', kind)),
    new TypeError('Failed to fetch'),
    new FeedWentBack(10, 5),
    Object.assign(new Error('the disk is full'), { name: 'QuotaExceededError' }),
    new Error('a bug'),
  ];
  return [describe(done, null), describe(attention, null), describe(photo, null), ...errors.map((e) => describe(newResult(), e))];
}

test('every outcome of a round is said with no blank left', () => {
  for (const lang of LANGUAGES) {
    setLang(lang);
    for (const described of outcomes()) {
      const words = outcomeWords(described);
      assert.ok(words && !/[{}]/.test(words), `${lang} ${described.key}: ${words}`);
    }
  }
  setLang('zh');
  assert.match(outcomeWords(describe({ ...newResult(), photos_refused: 1 }, null)), /需要处理/);
});
