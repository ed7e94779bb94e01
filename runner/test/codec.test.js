import assert from 'node:assert/strict';
import { test } from 'node:test';
import zlib from 'node:zlib';
import { createHash } from 'node:crypto';

import {
  canonical,
  decodeBatch,
  decodeFrame,
  decodeFrameBytes,
  encodeFrame,
  frameDigest,
  MAX_FRAME_BYTES,
  MAX_PAYLOAD_BYTES,
} from '../src/protocol/index.js';
import { b64, rejectsWith, text, vector } from './vectors.js';

const sha = (bytes) => createHash('sha256').update(bytes).digest();
const rawFrame = (payload, { version = 1, codec = 1, body } = {}) =>
  new Uint8Array(Buffer.concat([Buffer.from('DBN'), Buffer.from([version, codec]), sha(payload), body ?? (codec ? zlib.deflateSync(payload) : payload)]));

test('canonical JSON: sorted keys, no whitespace, JSON escapes only, non-ASCII as itself', () => {
  const value = { b: [1, { z: null, a: true }], a: '张三 "q" \\ \n\t\u0001\u007f', c: -7, d: '' };
  assert.equal(text(canonical(value)), '{"a":"张三 \\"q\\" \\\\ \\n\\t\\u0001\u007f","b":[1,{"a":true,"z":null}],"c":-7,"d":""}');
  assert.throws(() => canonical({ x: NaN }), { code: 'invalid' });
  assert.throws(() => canonical('\ud800'), { code: 'invalid' });
});

test('canonical JSON equals the vectors payloads byte for byte', () => {
  for (const v of [...vector('batches.json'), ...vector('acks.json')]) {
    assert.equal(text(canonical(JSON.parse(v.payload))), v.payload, v.name);
  }
});

test('frames round-trip with both codecs, and decode the vectors frames', async () => {
  const value = { v: 1, hello: '世界', n: [1, 2, 3] };
  for (const codec of ['deflate', 'identity', 0, 1]) {
    const frame = await encodeFrame(value, { codec });
    assert.deepEqual(await decodeFrame(frame), value);
    assert.equal(frameDigest(frame), sha(canonical(value)).toString('hex'));
  }
  for (const v of [...vector('batches.json'), ...vector('acks.json')]) {
    const { version, payload } = await decodeFrameBytes(b64(v.frame_base64));
    assert.equal(version, 1);
    assert.equal(text(payload), v.payload);
    assert.deepEqual(await decodeFrame(b64(v.frame_base64)), JSON.parse(v.payload));
  }
});

test('the frames we encode decode in Python terms: zlib stream, digest of the payload', async () => {
  const value = { v: 1, records: ['x'.repeat(5000)] };
  const frame = await encodeFrame(value);
  assert.deepEqual([...frame.subarray(0, 5)], [0x44, 0x42, 0x4e, 1, 1]);
  assert.equal(zlib.inflateSync(frame.subarray(37)).toString(), text(canonical(value)));
});

test('every invalid frame of the vectors is refused with its code', async () => {
  const cases = vector('invalid_frames.json');
  assert.equal(cases.length, 10);
  for (const c of cases) await rejectsWith(assert, decodeBatch(b64(c.frame_base64)), c.code, c.name);
});

test('frame checks beyond the vectors: size bounds, trailing bytes, version inside the JSON', async () => {
  const payload = Buffer.from('{"v":1}');
  await rejectsWith(assert, decodeFrame(new Uint8Array(MAX_FRAME_BYTES + 1)), 'too_large', 'huge frame');
  const bomb = Buffer.alloc(MAX_PAYLOAD_BYTES + 1, 0x20);
  await rejectsWith(assert, decodeFrame(rawFrame(bomb)), 'too_large', 'inflates past 16 MiB');
  await rejectsWith(assert, decodeFrame(rawFrame(bomb, { codec: 0 })), 'too_large', 'identity frame too big');
  const trailing = Buffer.concat([zlib.deflateSync(payload), Buffer.from([0])]);
  await rejectsWith(assert, decodeFrame(rawFrame(payload, { body: trailing })), 'malformed', 'trailing bytes');
  await rejectsWith(assert, decodeFrame(rawFrame(Buffer.from('{"v":"1"}'))), 'malformed', 'v not an integer');
  await rejectsWith(assert, decodeFrame(rawFrame(Buffer.from('{"v":2}'))), 'unsupported_version', 'v not spoken');
  await rejectsWith(assert, decodeFrame(rawFrame(Buffer.from('{"v":1}'), { version: 2 })), 'unsupported_version', 'frame v2');
  await rejectsWith(assert, decodeFrame(rawFrame(Buffer.from([0xef, 0xbb, 0xbf, 0x7b, 0x7d]))), 'malformed', 'BOM');
  await rejectsWith(assert, decodeFrame(rawFrame(payload, { codec: 0, body: Buffer.from('{"v":2}') })), 'digest_mismatch', 'digest');
  const err = await rejectsWith(assert, decodeFrame(rawFrame(Buffer.from('{"v":1.5}'))), 'malformed', 'v float');
  assert.equal(err.field, '$.v');
});
