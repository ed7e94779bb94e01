// The device's HTTP client for the hub (agent/client.py): signs every request and trusts only
// answers signed by the hub and bound to the request. Errors:
// - HubUnavailable: no network, timeout, a 5xx, or an answer that does not verify as the
//   hub's (a captive portal's 200 page, a proxy). Keep the work; try again later.
// - HubRefused: the hub answered, signed, and refused (`status`, `code`, `message`, `body`).
import { utf8 } from './bytes.js';
import { ProtocolError } from './errors.js';
import { decodeAck, decodePage } from './replies.js';
import { newNonce, publicKeyFromText, signRequest, verifyResponse } from './signing.js';

export const FRAME_TYPE = 'application/vnd.daiban.frame';

export class HubUnavailable extends Error {
  /** `kind`: 'network' (no answer at all: no network, a timeout), 'hub_failed' (a 5xx),
   * 'unsigned' (an answer that is not the hub's: a captive portal, a proxy), 'unreadable'
   * (signed, but not what the protocol says), or 'other'. */
  constructor(message, kind = 'other') {
    super(message);
    this.name = 'HubUnavailable';
    this.kind = kind;
  }
}

export class HubRefused extends Error {
  constructor(status, code, message, body) {
    super(`${message} (${code})`);
    this.name = 'HubRefused';
    Object.assign(this, { status, code, body });
    this.message = message;
  }
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

async function timed(fetchImpl, url, init, timeoutMs) {
  const abort = new AbortController();
  const timer = setTimeout(() => abort.abort(), timeoutMs);
  try {
    const response = await fetchImpl(url, { ...init, signal: abort.signal });
    // The body is read under the same deadline: a stalled download is a timeout too.
    const body = new Uint8Array(await response.arrayBuffer());
    return { response, body };
  } catch (err) {
    const what = abort.signal.aborted ? `no answer within ${timeoutMs} ms` : err?.name || 'network error';
    throw new HubUnavailable(`cannot reach the hub: ${what}`, 'network');
  } finally {
    clearTimeout(timer);
  }
}

function jsonOf(body) {
  try {
    return JSON.parse(new TextDecoder().decode(body));
  } catch {
    return undefined;
  }
}

/**
 * Enrol with a one-time code (unsigned: the code is the credential). Resolves to the hub's
 * answer `{ok, device_id, tag, outlet, hub: {key_id, signing_key, sealing_key}, catalogue,
 * protocol_version, hub_time}`.
 */
export async function enroll(url, code, publicKeyText, { label = '', agentVersion = '', previous, fetch = globalThis.fetch, timeoutMs = 20000 } = {}) {
  const payload = { code, public_key: publicKeyText, label, agent_version: agentVersion };
  if (previous) payload.previous = previous;
  const { response, body } = await timed(
    fetch,
    `${url.replace(/\/+$/, '')}/api/v1/enroll`,
    { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(payload), redirect: 'manual', cache: 'no-store' },
    timeoutMs,
  );
  const answer = jsonOf(body);
  if (answer === undefined || answer === null || typeof answer !== 'object') {
    throw new HubUnavailable(`${url} did not answer as a Daiban hub (HTTP ${response.status})`, response.status >= 500 ? 'hub_failed' : 'unsigned');
  }
  if (response.status !== 200 || !answer.ok) {
    throw new HubRefused(response.status, String(answer.code), String(answer.error), answer);
  }
  return answer;
}

const query = (params) =>
  Object.entries(params)
    .filter(([, value]) => value !== undefined && value !== null)
    .map(([key, value]) => `${encodeURIComponent(key)}=${encodeURIComponent(String(value))}`)
    .join('&');

/** Signed requests to one hub as one device. */
export class HubClient {
  /**
   * @param {object} options
   * @param {string} options.url the hub's base URL
   * @param {string} options.deviceId the enrolment answer's `device_id` (the signature's keyid)
   * @param {CryptoKey} options.privateKey the device's Ed25519 key (non-extractable)
   * @param {string} options.hubVerifyKeyText the enrolment answer's `hub.signing_key`
   * @param {number} [options.clockOffsetMs] hub clock minus device clock, as learnt before
   * @param {Function} [options.fetch] defaults to globalThis.fetch
   * @param {Function} [options.now] the device clock in Unix ms (Date.now)
   * @param {Function} [options.heartbeat] `() => ({agent, unsent, quarantined})` sent with each request
   * @param {number} [options.timeoutMs] per request, 60 s by default
   * @param {number} [options.attempts] tries for network failures and 5xx (3)
   * @param {number} [options.backoffMs] first retry delay, doubled each time (500)
   */
  constructor({ url, deviceId, privateKey, hubVerifyKeyText, clockOffsetMs = 0, fetch = globalThis.fetch, now = Date.now, heartbeat, timeoutMs = 60000, attempts = 3, backoffMs = 500 }) {
    this.url = url.replace(/\/+$/, '');
    this.deviceId = deviceId;
    this.privateKey = privateKey;
    this.hubKey = publicKeyFromText(hubVerifyKeyText);
    // Hub clock minus device clock: signatures are created on the corrected clock and the
    // correction is declared (clock_offset), so the hub measures the device's own clock.
    this.clockOffsetMs = clockOffsetMs;
    this.fetch = fetch;
    this.now = now;
    this.heartbeat = heartbeat ?? (() => ({}));
    this.timeoutMs = timeoutMs;
    this.attempts = attempts;
    this.backoffMs = backoffMs;
    // The hub applies pushes in the order their `after` names (protocol section 7).
    this.ordersPushes = false;
  }

  learnClock(hubTime) {
    if (Number.isInteger(hubTime)) this.clockOffsetMs = hubTime - this.now();
  }

  async send(method, path, { params = {}, body = new Uint8Array(), contentType } = {}) {
    const offset = Math.trunc(this.clockOffsetMs);
    const text = query({ ...this.heartbeat(), ...params, clock_offset: offset });
    const target = text ? `${path}?${text}` : path;
    const headers = await signRequest({
      method,
      target,
      body,
      key: this.privateKey,
      keyId: this.deviceId,
      created: Math.floor((this.now() + offset) / 1000),
      nonce: newNonce(),
    });
    if (contentType) headers['Content-Type'] = contentType;
    const init = { method, headers, redirect: 'manual', cache: 'no-store' };
    if (method !== 'GET' && method !== 'HEAD') init.body = body;
    const { response, body: answer } = await timed(this.fetch, this.url + target, init, this.timeoutMs);
    return { response, answer, target, headers };
  }

  /**
   * Send, retrying network failures and 5xx with capped exponential backoff; verify the
   * answer; re-sign once after a stale_signature with the hub's time. The verified
   * `{response, answer}` for a 2xx; HubRefused for a signed 4xx.
   */
  async request(method, path, options = {}) {
    let last;
    let resigned = false;
    for (let attempt = 0; attempt < this.attempts; attempt++) {
      if (attempt && !resigned) await sleep(Math.min(8000, this.backoffMs * 2 ** (attempt - 1)) * (0.5 + Math.random() / 2));
      let sent;
      try {
        sent = await this.send(method, path, options);
      } catch (err) {
        if (!(err instanceof HubUnavailable)) throw err;
        last = err;
        continue;
      }
      const { response, answer, target, headers } = sent;
      if (response.status >= 500) {
        last = new HubUnavailable(`the hub failed (HTTP ${response.status})`, 'hub_failed');
        continue;
      }
      try {
        await verifyResponse({
          status: response.status,
          headers: response.headers,
          body: answer,
          key: await this.hubKey,
          keyId: 'hub',
          requestMethod: method,
          requestTarget: target,
          requestHeaders: headers,
        });
      } catch (err) {
        if (!(err instanceof ProtocolError)) throw err;
        throw new HubUnavailable(`the answer (HTTP ${response.status}) is not signed by the hub: a captive portal or proxy may be in the way`, 'unsigned');
      }
      if (response.headers.get('Daiban-Push-Order') === '1') this.ordersPushes = true;
      if (response.status < 400 && response.status >= 200) return { response, answer };
      const error = jsonOf(answer);
      const body = error && typeof error === 'object' ? error : { code: 'http_error', error: `HTTP ${response.status}` };
      if (body.code === 'stale_signature' && !resigned) {
        // The device clock is off: take the hub's time (from a signed answer) and sign again.
        this.learnClock(body.hub_time);
        resigned = true;
        attempt--;
        continue;
      }
      throw new HubRefused(response.status, String(body.code), String(body.error), body);
    }
    throw last;
  }

  /**
   * Push a batch frame; resolves to the decoded acknowledgement. `feed`: ask for the feed
   * records the batch makes; `after`: the batch the hub must apply first.
   */
  async push(batchBytes, { feed = false, after } = {}) {
    const params = feed ? { feed: 1 } : {};
    if (after) params.after = after;
    const { answer } = await this.request('POST', '/api/v1/sync/push', { params, body: batchBytes, contentType: FRAME_TYPE });
    let ack;
    try {
      ack = await decodeAck(answer);
    } catch (err) {
      throw new HubUnavailable(`the hub's acknowledgement is unreadable: ${err.message}`, 'unreadable');
    }
    this.learnClock(ack.hub_time);
    return ack;
  }

  /** Pull the outlet's feed after `cursor`; `state`: a stateDigest to check the device's view. */
  async pull(cursor, { state, limit = 500 } = {}) {
    const params = { cursor, limit };
    if (state) params.state = state;
    const { answer } = await this.request('GET', '/api/v1/sync/pull', { params });
    let page;
    try {
      page = await decodePage(answer);
    } catch (err) {
      throw new HubUnavailable(`the hub's feed page is unreadable: ${err.message}`, 'unreadable');
    }
    this.learnClock(page.hub_time);
    return page;
  }

  /** The scans the hub lacks, as `{sha256: offset its partial upload reached}`; an answer
   * that is not such a list of the digests asked about is not taken for one (a hub that
   * forgot `missing` would otherwise read as "holds them all"). */
  async missingScans(digests) {
    const body = utf8(JSON.stringify({ sha256: [...digests] }));
    const { answer } = await this.request('POST', '/api/v1/blobs/query', { body, contentType: 'application/json' });
    const missing = jsonOf(answer)?.missing;
    if (!missing || typeof missing !== 'object' || Array.isArray(missing)) {
      throw new HubUnavailable("the hub's list of missing scans is unreadable", 'unreadable');
    }
    const asked = new Set(digests);
    const out = {};
    for (const [sha, offset] of Object.entries(missing)) {
      if (!asked.has(sha) || !Number.isInteger(offset) || offset < 0) {
        throw new HubUnavailable(`the hub's list of missing scans names ${sha.slice(0, 16)} at ${String(offset).slice(0, 20)}`, 'unreadable');
      }
      out[sha] = offset;
    }
    return out;
  }

  /**
   * Append a chunk of the sealed scan `sha256` at `offset` (an empty chunk at the end asks
   * the hub to complete it, or says it holds it); resolves to `{offset, complete}`: the hub's
   * offset after it (on a mismatch, the offset to resume from) and whether the hub now holds
   * the whole scan, checked against its digest. Only `complete` lets the sealed bytes go.
   * `total`: the scan's size, by default the end of this chunk (a scan sent in one piece).
   */
  async uploadChunk(sha256, offset, bytes, total = offset + bytes.length) {
    let answer;
    try {
      ({ answer } = await this.request('PATCH', `/api/v1/blobs/${sha256}`, {
        params: { offset, total },
        body: bytes,
        contentType: 'application/octet-stream',
      }));
    } catch (err) {
      if (err instanceof HubRefused && err.code === 'blob.offset_mismatch' && Number.isInteger(err.body.expected)) {
        return { offset: err.body.expected, complete: false };
      }
      throw err;
    }
    const got = jsonOf(answer);
    if (!got || !Number.isInteger(got.offset) || typeof got.complete !== 'boolean') {
      throw new HubUnavailable("the hub's answer to a scan upload is unreadable", 'unreadable');
    }
    return { offset: got.offset, complete: got.complete };
  }
}
