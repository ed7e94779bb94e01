import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { test } from 'node:test';
import zlib from 'node:zlib';

import { inflateZlib } from '../src/protocol/inflate.js';

test('inflates what zlib deflates, at every level and strategy', () => {
  const inputs = [Buffer.alloc(0), Buffer.from('a'), randomBytes(70000), Buffer.from('abcabcabd'.repeat(20000))];
  const skewed = randomBytes(100000).map((b) => 97 + (b % 3));
  inputs.push(Buffer.from(skewed));
  for (const input of inputs) {
    for (const level of [0, 1, 6, 9]) {
      for (const strategy of [zlib.constants.Z_DEFAULT_STRATEGY, zlib.constants.Z_FIXED, zlib.constants.Z_HUFFMAN_ONLY]) {
        const out = inflateZlib(zlib.deflateSync(input, { level, strategy }), 1 << 24);
        assert.equal(Buffer.compare(Buffer.from(out), input), 0);
      }
    }
  }
});

test('refuses a cut, corrupted, over-long or padded stream', () => {
  const z = zlib.deflateSync(Buffer.from('hello '.repeat(1000)));
  for (let cut = 0; cut < z.length; cut += 7) assert.throws(() => inflateZlib(z.subarray(0, cut), 1 << 20), { code: 'malformed' });
  assert.throws(() => inflateZlib(Buffer.concat([z, Buffer.from([0])]), 1 << 20), { code: 'malformed' });
  const bad = Buffer.from(z);
  bad[bad.length - 1] ^= 1;
  assert.throws(() => inflateZlib(bad, 1 << 20), { code: 'malformed' }, 'adler-32');
  assert.throws(() => inflateZlib(z, 5999), { code: 'too_large' });
  assert.equal(inflateZlib(z, 6000).length, 6000);
  assert.throws(() => inflateZlib(Buffer.from([0x78, 0x9c, 0xff]), 100), { code: 'malformed' }, 'block type 3');
  assert.throws(() => inflateZlib(zlib.deflateRawSync(Buffer.from('x')), 100), { code: 'malformed' }, 'raw deflate');
});
