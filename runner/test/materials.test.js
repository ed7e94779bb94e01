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
