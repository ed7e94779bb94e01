import assert from 'node:assert/strict';
import { test } from 'node:test';

import {
  generateDeviceKey,
  privateKeyFromSeed,
  publicKeyFromText,
  publicKeyText,
  signRequest,
  signResponse,
  signSuccession,
  verifyRequest,
  verifyResponse,
  verifySuccession,
} from '../src/protocol/index.js';
import { b64, hex, keys, rejectsWith, vector } from './vectors.js';

const textOf = (hexKey) => Buffer.from(hexKey, 'hex').toString('base64url');
const device = () => privateKeyFromSeed(hex(keys.device_signing_seed));
const hub = () => privateKeyFromSeed(hex(keys.hub_signing_seed));

test('signing the vectors inputs gives their headers byte for byte', async () => {
  for (const v of vector('signatures.json')) {
    const r = v.request;
    const request = await signRequest({ method: r.method, target: r.target, body: b64(r.body_base64), key: await device(), keyId: r.key_id, created: r.created, nonce: r.nonce });
    assert.deepEqual(request, r.headers);
    const s = v.response;
    const response = await signResponse({
      status: s.status,
      body: b64(s.body_base64),
      key: await hub(),
      keyId: s.key_id,
      created: s.created,
      nonce: s.nonce,
      requestMethod: r.method,
      requestTarget: r.target,
      requestHeaders: r.headers,
    });
    assert.deepEqual(response, s.headers);
  }
});

test('the vectors signatures verify, and only for what they sign', async () => {
  const deviceKey = await publicKeyFromText(textOf(keys.device_signing_public));
  const hubKey = await publicKeyFromText(textOf(keys.hub_signing_public));
  const [push, pull] = vector('signatures.json');
  for (const v of [push, pull]) {
    const r = v.request;
    const signed = await verifyRequest({ method: r.method, target: r.target, headers: r.headers, body: b64(r.body_base64), key: deviceKey, now: r.created + 10 });
    assert.deepEqual(signed, { keyId: r.key_id, created: r.created, nonce: r.nonce });
    const s = v.response;
    const answer = { status: s.status, headers: s.headers, body: b64(s.body_base64), key: hubKey, requestMethod: r.method, requestTarget: r.target, requestHeaders: r.headers };
    assert.equal((await verifyResponse(answer)).keyId, 'hub');
    // Bound to its request: the other request's answer, another status or body do not verify.
    await rejectsWith(assert, verifyResponse({ ...answer, status: 201 }), 'bad_signature', 'status');
    await rejectsWith(assert, verifyResponse({ ...answer, body: new Uint8Array([1]) }), 'bad_signature', 'body');
    await rejectsWith(assert, verifyResponse({ ...answer, key: deviceKey }), 'bad_signature', 'key');
    await rejectsWith(assert, verifyResponse({ ...answer, keyId: 'dev-0007' }), 'bad_signature', 'keyid');
    await rejectsWith(assert, verifyResponse({ ...answer, headers: {} }), 'bad_signature', 'unsigned');
    await rejectsWith(assert, verifyResponse({ ...answer, headers: { ...s.headers, Signature: 'daiban=:AAAA:' } }), 'bad_signature', 'garbage');
  }
  const a = push.request;
  const b = pull.request;
  const crossed = { status: 200, headers: push.response.headers, body: b64(push.response.body_base64), key: hubKey, requestMethod: b.method, requestTarget: b.target, requestHeaders: b.headers };
  await rejectsWith(assert, verifyResponse(crossed), 'bad_signature', 'answer of another request');
  const req = { method: a.method, target: a.target, headers: a.headers, body: b64(a.body_base64), key: deviceKey };
  await rejectsWith(assert, verifyRequest({ ...req, target: '/api/v1/sync/push?x=1' }), 'bad_signature', 'query');
  await rejectsWith(assert, verifyRequest({ ...req, body: new Uint8Array() }), 'bad_signature', 'body');
  await rejectsWith(assert, verifyRequest({ ...req, now: a.created + 301 }), 'stale_signature', 'stale');
});

test('a device key is Ed25519, non-extractable, with its public half as enrolment takes it', async () => {
  const pair = await generateDeviceKey();
  assert.equal(pair.privateKey.extractable, false);
  assert.equal(pair.privateKey.algorithm.name, 'Ed25519');
  const textKey = await publicKeyText(pair.publicKey);
  assert.match(textKey, /^[A-Za-z0-9_-]{43}$/);
  assert.equal(await publicKeyText(await publicKeyFromText(textOf(keys.device_signing_public))), textOf(keys.device_signing_public));
  const headers = await signRequest({ method: 'GET', target: '/api/v1/sync/pull?cursor=0', key: pair.privateKey, keyId: 'dev-2229', created: 1_790_000_000, nonce: 'abcdefghijklmnop' });
  const signed = await verifyRequest({ method: 'GET', target: '/api/v1/sync/pull?cursor=0', headers, body: new Uint8Array(), key: await publicKeyFromText(textKey) });
  assert.equal(signed.keyId, 'dev-2229');
  await assert.rejects(signRequest({ method: 'GET', target: '/', key: pair.privateKey, keyId: 'd', created: 1, nonce: 'short' }), { field: 'nonce' });
});

test('the succession proof is sync/signing.py sign_succession byte for byte, and verifies', async () => {
  // sign_succession(device key of keys.json, hub signing public text), made by Python: Ed25519
  // is deterministic, so the old key's proof is the same bytes in both.
  const newKey = textOf(keys.hub_signing_public);
  const want = '6olD3XecZ-tYsyiYhxrruzA1J58eMwtVIE0u3Xm2T-2V9M3-GQzdYKRh6ZZYiZV_CdyjK0MLR2OteSko3aUyBQ';
  const proof = await signSuccession(await device(), newKey);
  assert.equal(proof, want);
  const old = await publicKeyFromText(textOf(keys.device_signing_public));
  assert.equal(await verifySuccession(old, newKey, proof), true);
  assert.equal(await verifySuccession(old, `${newKey.slice(0, -1)}A`, proof), false);
  assert.equal(await verifySuccession(old, newKey, 'not base64!'), false);
  // a fresh non-extractable key signs too (the phone's old key is one)
  const fresh = await generateDeviceKey();
  const signed = await signSuccession(fresh.privateKey, newKey);
  assert.equal(await verifySuccession(fresh.publicKey, newKey, signed), true);
});
