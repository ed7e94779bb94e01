// A department's refusal on the phone: its reason read back from the note the hub sent
// (runner/src/app/words.js parseRefusalNote) as the laptop and the hub read it
// (sync/refusals.py, tests/vectors/refusals.json), and worded in the runner's language with
// the words of rules.json, the laptop's words.
import assert from 'node:assert/strict';
import test from 'node:test';

import rules from '../src/protocol/rules.js';
import { setLang } from '../src/app/i18n.js';
import { parseRefusalNote, refusalText } from '../src/app/words.js';
import { vector } from './vectors.js';

const { composed, read } = vector('refusals.json');

for (const { told, reason, note } of read) {
  test(`a refusal's note is read back: ${JSON.stringify(told)}`, () => {
    assert.deepEqual(parseRefusalNote(told), { code: reason, note });
  });
}

test('every reason the hub gives has words in both languages, without the separator', () => {
  const { reasons, separator, actions } = rules.refusals;
  assert.ok(reasons.length >= 5);
  assert.deepEqual(actions, ['refuse', 'reject']);
  for (const reason of reasons) {
    assert.ok(reason.zh && reason.en, reason.code);
    assert.ok(!reason.zh.includes(separator), reason.code);
    assert.ok(reason.actions.length, reason.code);
  }
  assert.ok(reasons.some((r) => r.code === rules.refusals.other));
});

test('the runner reads out the reason in Chinese as the hub wrote it, and in English', () => {
  const told = composed.find((c) => c.reason === 'not_in_remit').told;
  setLang('zh');
  assert.equal(refusalText(told), told);
  assert.equal(refusalText('申请人不符合申请条件'), '申请人不符合申请条件');
  assert.equal(refusalText(''), '部门没有说明原因，请联系中心询问');
  assert.equal(refusalText('一句旧的说明'), '一句旧的说明');
  setLang('en');
  assert.equal(refusalText(told), "Not within this department's remit: 请到区医保局办理");
  assert.equal(refusalText('申请人不符合申请条件'), 'The applicant does not meet the conditions for this service');
  assert.equal(refusalText(''), 'The department gave no reason: ask the hub');
  setLang('zh');
});
