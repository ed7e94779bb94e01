import assert from 'node:assert/strict';
import { test } from 'node:test';

import {
  decodeBatch,
  encodeAck,
  encodeBatch,
  encodePage,
  enroll,
  generateDeviceKey,
  HubClient,
  HubRefused,
  HubUnavailable,
  newBatch,
  privateKeyFromSeed,
  publicKeyText,
  signResponse,
  uuid7,
  verifyRequest,
} from '../src/protocol/index.js';
import { hex, keys, vector } from './vectors.js';

const HUB_TIME = 1_790_000_501_000;
const hubVerifyKeyText = Buffer.from(keys.hub_signing_public, 'hex').toString('base64url');
const [batchVector] = vector('batches.json');
const records = JSON.parse(batchVector.payload).records;

// A hub in a fetch function: checks the device's signature as the hub does and signs its
// answers bound to each request. `mode` makes it misbehave.
async function fakeHub(devicePublic, mode = {}) {
  const hubKey = await privateKeyFromSeed(hex(keys.hub_signing_seed));
  const seen = [];
  const fetch = async (url, init) => {
    if (mode.network) throw new TypeError('fetch failed');
    if (mode.stall) return new Promise((_, reject) => init.signal.addEventListener('abort', () => reject(new DOMException('aborted', 'AbortError'))));
    const { pathname, search } = new URL(url);
    const target = pathname + search;
    const body = init.body ?? new Uint8Array();
    const signed = await verifyRequest({ method: init.method, target, headers: init.headers, body, key: devicePublic, keyId: 'dev-2229' });
    const params = Object.fromEntries(new URL(url).searchParams);
    seen.push({ method: init.method, target, params, created: signed.created, headers: init.headers });
    if (mode.portal) return new Response('<html>Welcome to the hotel wifi</html>', { status: 200, headers: { 'Content-Type': 'text/html' } });
    if (mode.failing) return new Response('oops', { status: 503 });
    let status = 200;
    let answer;
    let type = 'application/vnd.daiban.frame';
    if (mode.revoked) {
      status = 403;
      answer = JSON.stringify({ ok: false, code: 'device_revoked', error: 'device dev-2229 was revoked: lost', status: 403 });
    } else if (mode.stale && seen.length === 1) {
      status = 401;
      answer = JSON.stringify({ ok: false, code: 'stale_signature', error: 'stale', status: 401, hub_time: HUB_TIME });
    } else if (pathname === '/api/v1/sync/push') {
      const batch = await decodeBatch(body);
      answer = await encodeAck({
        v: 1, device: batch.device, batch: batch.batch, seq: batch.seq, digest: batch.digest, received_at: HUB_TIME, skew_ms: 0, hub_time: HUB_TIME,
        results: batch.entries.map((e) => ({ index: e.index, id: e.id, status: e.error ? 'rejected' : 'accepted', reasons: [] })),
      });
    } else if (pathname === '/api/v1/sync/pull') {
      answer = await encodePage({ v: 1, outlet: 'PO-1', cursor: Number(params.cursor), next_cursor: Number(params.cursor), more: false, records: [], hub_time: HUB_TIME });
    } else if (pathname === '/api/v1/blobs/query') {
      type = 'application/json';
      const wanted = JSON.parse(new TextDecoder().decode(body)).sha256;
      answer = JSON.stringify({ ok: true, missing: Object.fromEntries(wanted.map((s) => [s, 0])) });
    } else {
      type = 'application/json';
      if (Number(params.offset) !== 0) {
        status = 409;
        answer = JSON.stringify({ ok: false, code: 'blob.offset_mismatch', error: 'offset', expected: 0 });
      } else answer = JSON.stringify({ ok: true, offset: Number(params.offset) + body.length, complete: true });
    }
    const bytes = typeof answer === 'string' ? new TextEncoder().encode(answer) : answer;
    const request = mode.rebind ? { ...init.headers, Signature: 'daiban=:AAAA:' } : init.headers;
    const headers = await signResponse({
      status, body: bytes, key: hubKey, keyId: 'hub', created: Math.floor(HUB_TIME / 1000), nonce: 'aHViLW5vbmNlLTAwMQ',
      requestMethod: init.method, requestTarget: target, requestHeaders: request,
    });
    return new Response(bytes, { status, headers: { ...headers, 'Content-Type': type, 'Daiban-Push-Order': '1' } });
  };
  return { fetch, seen };
}

async function setup(mode, options = {}) {
  const pair = await generateDeviceKey();
  const hub = await fakeHub(pair.publicKey, mode);
  const client = new HubClient({
    url: 'http://127.0.0.1:9/', deviceId: 'dev-2229', privateKey: pair.privateKey, hubVerifyKeyText,
    fetch: hub.fetch, now: () => HUB_TIME - 120_000, backoffMs: 1, ...options,
  });
  return { client, hub, pair };
}

const batchFrame = () => encodeBatch(newBatch({ device: 'dev-2229', batchId: uuid7(HUB_TIME), seq: 1, sentAt: HUB_TIME, records }));

test('push: signed request, verified ack, clock learnt and declared', async () => {
  const { client, hub } = await setup({}, { heartbeat: () => ({ agent: 'runner-0.1', unsent: 6, quarantined: 0 }) });
  const ack = await client.push(await batchFrame(), { feed: true });
  assert.equal(ack.results.length, 6);
  assert.ok(ack.results.every((r) => r.status === 'accepted'));
  assert.equal(client.clockOffsetMs, 120_000);
  assert.equal(client.ordersPushes, true);
  const [first] = hub.seen;
  assert.deepEqual(first.params, { agent: 'runner-0.1', unsent: '6', quarantined: '0', feed: '1', clock_offset: '0' });
  assert.equal(first.headers['Content-Type'], 'application/vnd.daiban.frame');
  await client.pull(0);
  assert.equal(hub.seen[1].params.clock_offset, '120000');
  assert.equal(hub.seen[1].created, Math.floor(HUB_TIME / 1000));
});

test('pull, scans query and chunk upload', async () => {
  const { client } = await setup({});
  const page = await client.pull(7, { state: 'ab'.repeat(32) });
  assert.equal(page.cursor, 7);
  const sha = 'cd'.repeat(32);
  assert.deepEqual(await client.missingScans([sha]), { [sha]: 0 });
  assert.deepEqual(await client.uploadChunk(sha, 0, new Uint8Array(10)), { offset: 10, complete: true });
  assert.deepEqual(await client.uploadChunk(sha, 5, new Uint8Array(10), 15), { offset: 0, complete: false }, 'a wrong offset gives the one to resume from');
});

test('an unsigned 200 (a captive portal) is HubUnavailable, never success', async () => {
  const { client } = await setup({ portal: true });
  await assert.rejects(client.push(await batchFrame()), (err) => err instanceof HubUnavailable && /captive portal/.test(err.message));
  await assert.rejects(client.pull(0), HubUnavailable);
});

test('an answer signed for another request is HubUnavailable', async () => {
  const { client } = await setup({ rebind: true });
  await assert.rejects(client.pull(0), HubUnavailable);
});

test('a signed refusal is HubRefused with its code; a revoked device is told so', async () => {
  const { client } = await setup({ revoked: true });
  await assert.rejects(client.pull(0), (err) => err instanceof HubRefused && err.status === 403 && err.code === 'device_revoked' && err.body.status === 403);
});

test('stale_signature: the hub time is taken and the request signed again once', async () => {
  const { client, hub } = await setup({ stale: true });
  await client.pull(0);
  assert.equal(hub.seen.length, 2);
  assert.equal(hub.seen[1].params.clock_offset, '120000');
});

test('network failures, 5xx and timeouts are HubUnavailable after bounded retries', async () => {
  const a = await setup({ network: true });
  await assert.rejects(a.client.pull(0), (err) => err instanceof HubUnavailable && /cannot reach/.test(err.message));
  const b = await setup({ failing: true });
  await assert.rejects(b.client.pull(0), /HTTP 503/);
  assert.equal(b.hub.seen.length, 3);
  const c = await setup({ stall: true }, { timeoutMs: 50, attempts: 1 });
  const started = Date.now();
  await assert.rejects(c.client.pull(0), /no answer within 50 ms/);
  assert.ok(Date.now() - started < 2000);
});

test('enroll: unsigned JSON, a refusal as HubRefused, garbage as HubUnavailable', async () => {
  const pair = await generateDeviceKey();
  const key = await publicKeyText(pair.publicKey);
  let sent;
  const ok = async (url, init) => {
    sent = { url, body: JSON.parse(init.body) };
    return Response.json({ ok: true, device_id: 'dev-2229', tag: '2229', hub: { signing_key: hubVerifyKeyText } });
  };
  const answer = await enroll('http://127.0.0.1:9/', 'ABCD-EFGH', key, { label: 'runner phone', agentVersion: '0.1.0', fetch: ok });
  assert.equal(answer.tag, '2229');
  assert.equal(sent.url, 'http://127.0.0.1:9/api/v1/enroll');
  assert.deepEqual(sent.body, { code: 'ABCD-EFGH', public_key: key, label: 'runner phone', agent_version: '0.1.0' });
  const used = async () => Response.json({ ok: false, code: 'enrol_code_used', error: 'used' }, { status: 409 });
  await assert.rejects(enroll('http://h', 'X', key, { fetch: used }), (err) => err instanceof HubRefused && err.code === 'enrol_code_used' && err.status === 409);
  const portal = async () => new Response('<html></html>', { status: 200 });
  await assert.rejects(enroll('http://h', 'X', key, { fetch: portal }), HubUnavailable);
});
