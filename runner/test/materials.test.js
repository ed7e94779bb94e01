// The phone's materials rule (runner/src/app/capture.js materialProblems) against the
// vectors the laptop's and the hub's rule (sync/catalogue.py material_problems) wrote:
// every problem at once, in the same order.

import assert from 'node:assert/strict';
import { test } from 'node:test';

import { materialProblems } from '../src/app/capture.js';
import { vector } from './vectors.js';

const { item, cases } = vector('materials.json');

for (const { provided, promised, problems } of cases) {
  test(`materials provided [${provided}] promised [${promised}]`, () => {
    const got = materialProblems(item, new Set(provided), new Set(promised));
    assert.deepEqual(
      got.map((p) => [p.code, p.field, p.material]),
      problems,
    );
  });
}

test('only a material that may be promised gets the words suggesting a promise (容缺)', async () => {
  const { materialRefusal } = await import('../src/app/capture.js');
  const { t } = await import('../src/app/i18n.js');
  const [card, photo] = materialProblems(item, new Set(), new Set()).filter((p) => p.code === 'material.missing');
  assert.equal(materialRefusal(item, card).code, 'material.missing');
  assert.equal(materialRefusal(item, photo).code, 'material.missing.promisable');
  assert.ok(!materialRefusal(item, card).words().includes('容缺'));
  assert.ok(materialRefusal(item, photo).words().includes('容缺'));
  assert.ok(t('material.missing', { material_name: 'x' }));
});
