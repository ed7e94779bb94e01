// One sync round, as the laptop's agent/syncer.py: push the outbox, upload photos, pull the
// outlet's feed, and keep the hub's clock correction.
//
// Rules that keep a citizen's data safe on a bad network:
// * A batch is written to `inflight` (its exact frame bytes) before it is sent, and re-sent
//   byte for byte, with the same id, until an acknowledgement whose hub signature verifies
//   comes back (the client verifies every answer: a captive portal's 200 is not one); only
//   then are its outbox entries forgotten, and only those the hub reports settled.
// * A refused record leaves the outbox for the attention list, with the hub's reasons; it
//   never blocks the records behind it, and it is never dropped without a word.
// * So does a whole batch the hub refuses for good (a signed 4xx that sending the same bytes
//   again cannot change: malformed, too large, another batch's id): its frame is let go and
//   its records wait in the attention list, bodies intact, until the runner sends them again
//   (重新发送, in a fresh batch). Refusals that are about the phone or the moment rather than
//   the batch (signatures, a revoked phone, out of turn, busy) keep it in flight.
// * One step failing does not stop the others: photos are uploaded and the feed pulled even
//   when the push failed, and one photo the hub refuses does not hold back the next. The
//   round then reports the first failure. Only a phone that cannot reach the hub at all, or
//   that the hub revoked, stops at once (every further request would fail the same way).
// * Each pulled page is applied in one transaction with the cursor it moves to; feed records
//   that come with an acknowledgement are applied in the acknowledgement's transaction.
// Batches go one at a time, each after the answer to the one before (the laptop keeps two on
// the wire only on quick links; a runner's phone is rarely on one).

import * as protocol from '../protocol/index.js';
import { read, write } from './db.js';
import { applyRecords } from './feed.js';
import { addAttention, addTimeline, clearHubView, openAttention, setSent, updateApplication } from './local.js';
import { APP_VERSION } from './device.js';

export const CHUNK = 256 * 1024; // photo upload chunk: small enough to finish on a weak link
const PULL_PAGE = 2000;
const MAX_PAGES = 10_000;
const TARGET_BATCH_BYTES = 1024 * 1024;
const MAX_RECORDS = 500;
const SETTLED = new Set(['accepted', 'duplicate']);
const REFUSED = 2; // scans.uploaded: 0 waiting, 1 at the hub, 2 refused by the hub for good

/** A feed page whose cursor goes back: refused, said in plain words (sync.reason.feed_back). */
export class FeedWentBack extends Error {
  constructor(cursor, next) {
    super(`the hub's feed page goes back from cursor ${cursor} to ${next}`);
    this.name = 'FeedWentBack';
    this.code = 'feed.went_back';
  }
}

export function newResult() {
  return { pushed: 0, settled: 0, refused: 0, held: 0, pulled: 0, uploaded: 0, photos_refused: 0, resynced: false, notes: [] };
}

/** What every request tells the hub: app version, backlog, refused count. */
async function heartbeat(db) {
  return read(
    db,
    async (s) => ({
      agent: APP_VERSION,
      unsent: await s.outbox.count(),
      quarantined: (await openAttention(s)).length, // as the laptop counts it: everything open
    }),
    ['outbox', 'attention'],
  );
}

const decoder = new TextDecoder();

// --- push -------------------------------------------------------------------------------------

async function applyAck(db, ack, batch, now, result) {
  const byIndex = new Map(ack.results.map((r) => [r.index, r]));
  const settled = [];
  const refused = [];
  batch.records.forEach((recordId, index) => {
    const res = byIndex.get(index);
    if (!res || (res.id !== recordId && res.id !== null && res.id !== undefined)) return; // goes again
    if (SETTLED.has(res.status)) settled.push(recordId);
    else refused.push([recordId, res]);
  });
  await write(db, async (s) => {
    const rows = new Map();
    for (const id of batch.records) {
      const row = await s.outbox.oneByIndex('record_id', id);
      if (row) rows.set(id, row);
    }
    const created = settled.filter((id) => rows.get(id)?.kind === 'application.create');
    let feed = ack.feed || null;
    if (feed && ((await s.meta.get('cursor')) || 0) !== feed.after) feed = null; // pulled later instead
    if (feed && !(Number.isInteger(feed.cursor) && feed.cursor >= feed.after)) feed = null; // never backwards
    for (const id of created) {
      await addTimeline(s, { application: id, at: now, source: 'local', event: 'accepted by hub' });
    }
    for (const [recordId, res] of refused) {
      const row = rows.get(recordId);
      const application = row ? row.application : null;
      const reasons = (res.reasons || []).map((x) => ({ code: x.code, message: x.message, field: x.field ?? null }));
      await addAttention(s, {
        application,
        record_id: recordId,
        kind: res.status,
        reasons,
        body: row ? row.body : null,
        now,
      });
      if (row && row.kind === 'application.create') {
        await updateApplication(s, recordId, { sync_state: res.status, updated_at: now });
      }
      if (application) {
        await addTimeline(s, {
          application,
          at: now,
          source: 'hub',
          event: `${res.status} by hub`,
          reasons, // worded when shown (local.js reasonWords): the hub's messages are English
        });
      }
    }
    for (const id of [...settled, ...refused.map(([id]) => id)]) {
      const row = rows.get(id);
      if (row) await s.outbox.delete(row.seq);
    }
    await s.inflight.delete(batch.batch);
    if (feed) {
      // The feed records this batch made, right after what this phone last pulled: applied
      // as the page they would have come in, with the cursor they move to.
      const updated = await applyRecords(s, feed.records, now);
      await setSent(s, created.filter((id) => !updated.has(id)), now);
      await s.meta.put(feed.cursor, 'cursor');
      result.pulled += feed.records.length;
    } else {
      await setSent(s, created, now);
    }
  });
  result.settled += settled.length;
  result.refused += refused.length;
  result.pushed += batch.records.length;
}

/** What the next requests tell the hub about this phone (read now: the client asks for it
 * synchronously as it signs). */
async function beat(db, client) {
  const values = await heartbeat(db);
  client.heartbeat = () => values;
}

async function send(db, client, batch, now, result) {
  await beat(db, client);
  const ack = await client.push(batch.frame, { feed: true });
  if (ack.batch !== batch.batch) throw new Error('the hub acknowledged another batch'); // signed: a hub bug
  await applyAck(db, ack, batch, now(), result);
}

/** The next batch from the outbox, oldest first, within the bounds; written in flight
 * before it is returned, so a cut from here on re-sends these very bytes. */
async function nextBatch(db, device, now) {
  const rows = await read(db, (s) => s.outbox.all(undefined, MAX_RECORDS), ['outbox']);
  if (!rows.length) return null;
  const group = [];
  let size = 0;
  for (const row of rows) {
    if (group.length && size + row.body.length > TARGET_BATCH_BYTES) break;
    group.push(row);
    size += row.body.length;
  }
  const batchId = protocol.uuid7(now());
  const records = group.map((row) => JSON.parse(decoder.decode(row.body)));
  // The frame is made outside the transaction (deflating is not IndexedDB work, and a
  // transaction waiting on anything else commits by itself); the counter is checked again
  // when the batch is written, so two tabs can never give two batches one seq.
  for (let attempt = 0; attempt < 5; attempt++) {
    const last = (await read(db, (s) => s.meta.get('batch_seq'), ['meta'])) || 0;
    const sentAt = now();
    const frame = await protocol.encodeBatch(
      protocol.newBatch({ device: device.device_id, batchId, seq: last + 1, sentAt, records }),
    );
    const batch = { batch: batchId, seq: last + 1, frame, records: group.map((r) => r.record_id), created_at: sentAt };
    const written = await write(
      db,
      async (s) => {
        if (((await s.meta.get('batch_seq')) || 0) !== last) return false;
        await s.meta.put(last + 1, 'batch_seq');
        await s.inflight.put(batch);
        return true;
      },
      ['meta', 'inflight'],
    );
    if (written) return batch;
  }
  throw new Error('the batch counter keeps changing: is another tab syncing?');
}

const RETRIED_CODES = new Set(['batch.out_of_order', 'device_revoked', 'bad_signature', 'stale_signature', 'replayed_signature']);
const RETRIED_STATUSES = new Set([401, 408, 425, 429]);

/** Whether the hub refused this batch for good: signed, 4xx, and not a refusal that the
 * very same bytes may pass later (agent/syncer.py keeps those in flight too). */
export function refusedForGood(error) {
  return (
    error instanceof protocol.HubRefused &&
    error.status >= 400 &&
    error.status < 500 &&
    !RETRIED_CODES.has(error.code) &&
    !RETRIED_STATUSES.has(error.status)
  );
}

/** Take a batch the hub refused for good out of the way: its frame goes, each of its records
 * moves from the outbox to the attention list with its body (nothing is dropped), and the
 * applications it created say so. */
async function setAside(db, batch, error, now, result) {
  const reason = { code: `batch.${error.code}`, message: String(error.message || ''), field: error.body?.field ?? null, status: error.status };
  let held = 0;
  await write(db, async (s) => {
    for (const recordId of batch.records) {
      const row = await s.outbox.oneByIndex('record_id', recordId);
      if (!row) continue; // settled already by an earlier acknowledgement
      await addAttention(s, {
        application: row.application,
        record_id: recordId,
        kind: 'held',
        reasons: [reason],
        body: row.body,
        record_kind: row.kind,
        queued_at: row.created_at,
        now,
      });
      if (row.kind === 'application.create') await updateApplication(s, recordId, { sync_state: 'held', updated_at: now });
      if (row.application) {
        await addTimeline(s, { application: row.application, at: now, source: 'hub', event: 'held by hub', reasons: [reason] });
      }
      await s.outbox.delete(row.seq);
      held += 1;
    }
    await s.inflight.delete(batch.batch);
  });
  result.refused += held;
  result.held += held;
  result.notes.push(`batch ${batch.batch} refused for good (${error.code}): ${held} record(s) set aside`.slice(0, 500));
}

export async function push(db, client, device, result, { now }) {
  let lastAside = null; // the code of the batch just set aside, if the one before was
  const attempt = async (batch) => {
    try {
      await send(db, client, batch, now, result);
      lastAside = null;
    } catch (error) {
      // Two batches in a row refused for good for the same reason: the trouble is not in
      // one batch (a hub that changed its rules, a bug here). Kept in flight, said, stopped.
      if (!refusedForGood(error) || lastAside === error.code) throw error;
      await setAside(db, batch, error, now(), result);
      lastAside = error.code;
    }
  };
  // Sent in an earlier round, answer not seen: first, in order, byte for byte.
  const stale = await read(db, (s) => s.inflight.all(), ['inflight']);
  stale.sort((a, b) => a.seq - b.seq);
  for (const batch of stale) await attempt(batch);
  const total = await read(db, (s) => s.outbox.count(), ['outbox']);
  for (let turn = 0; turn <= total; turn++) {
    const batch = await nextBatch(db, device, now);
    if (!batch) return;
    await attempt(batch);
  }
}

/** Put records the hub refused as a batch (attention kind 'held') back in the outbox, to go
 * in a fresh batch at the next round; `ns`: their attention entries. The number queued. */
export async function sendAgain(db, ns, now = Date.now()) {
  return write(db, async (s) => {
    let queued = 0;
    for (const n of ns) {
      const item = await s.attention.get(n);
      if (!item || item.kind !== 'held' || item.resolved_at !== null || !item.body) continue;
      if (!(await s.outbox.oneByIndex('record_id', item.record_id))) {
        await s.outbox.add({
          record_id: item.record_id,
          kind: item.record_kind,
          application: item.application,
          body: item.body,
          created_at: item.queued_at || now,
        });
      }
      await s.attention.put({ ...item, resolved_at: now });
      if (item.record_kind === 'application.create') {
        await updateApplication(s, item.record_id, { sync_state: 'queued', updated_at: now });
      }
      if (item.application) await addTimeline(s, { application: item.application, at: now, source: 'local', event: 'sent again' });
      queued += 1;
    }
    return queued;
  });
}

// --- photos ---------------------------------------------------------------------------------

// Two photos on their way at once, as the laptop sends its scans: one photo's chunk is
// answered while the other's travels, and a slow link stays busy.
export const PHOTO_SENDERS = 2;
const QUERY_DIGESTS = 1000; // the hub answers up to 5,000 digests per query

/** An upload offset as the hub states it: a whole number of bytes within the photo, or the
 * answer is not the hub's word (a broken hub) and nothing is taken from it. */
function offsetWithin(offset, size, what) {
  if (!Number.isInteger(offset) || offset < 0 || offset > size) {
    throw new protocol.HubUnavailable(`the hub's ${what} (${String(offset).slice(0, 40)}) is not an offset within the photo's ${size} bytes`, 'unreadable');
  }
  return offset;
}

/** Send one photo from byte `from` (where the hub said its copy stops; the photo's size for
 * one the hub did not list as missing) until the hub says it holds all of it. An offset at
 * the end is not enough: only the hub's `complete` (the bytes checked against the digest)
 * lets the sealed bytes go, so a last chunk the hub wrote but did not finish is finished by
 * an empty one. */
export async function uploadOne(client, scan, from) {
  let offset = offsetWithin(from, scan.size, 'missing offset');
  for (let turn = 0; turn < scan.size / CHUNK + 4; turn++) {
    const answer = await client.uploadChunk(scan.sha256, offset, scan.bytes.subarray(offset, offset + CHUNK), scan.size);
    if (answer.complete) {
      if (answer.offset !== scan.size) {
        throw new protocol.HubUnavailable(`the hub says photo ${scan.sha256.slice(0, 12)} is complete at ${answer.offset} of ${scan.size} bytes`, 'unreadable');
      }
      return;
    }
    offset = offsetWithin(answer.offset, scan.size, 'upload offset');
  }
  throw new protocol.HubUnavailable(`the upload of photo ${scan.sha256.slice(0, 12)} made no progress`, 'unreadable');
}

/** Whether the hub refused a photo for good: sending the same bytes again cannot change
 * the answer. A digest mismatch is for good only if these bytes no longer hash to their
 * name (spoilt here); otherwise they were spoilt on the way and go again. */
async function photoRefusedForGood(scan, error) {
  if (!refusedForGood(error)) return false;
  if (error.code !== 'blob.digest_mismatch') return true;
  return (await protocol.digestHex(scan.bytes)) !== scan.sha256;
}

/** A photo the hub will never take: it leaves the upload queue (sealed bytes kept) for the
 * attention list, with the hub's reason, until the runner tries it again. Nothing happens if
 * the stored photo is no longer waiting (another tab's round got there first). */
async function setPhotoAside(db, scan, error, now, result) {
  const reason = { code: error.code, message: String(error.message || ''), status: error.status };
  const setAside = await write(db, async (s) => {
    const stored = await s.scans.get(scan.sha256);
    if (!stored || stored.uploaded !== 0) return false;
    await s.scans.put({ ...stored, uploaded: REFUSED, refused: reason });
    await addAttention(s, {
      application: stored.application || null,
      record_id: stored.sha256,
      kind: 'photo',
      reasons: [reason],
      now,
    });
    if (stored.application) {
      await addTimeline(s, { application: stored.application, at: now, source: 'hub', event: 'photo refused by hub', reasons: [reason] });
    }
    return true;
  });
  if (!setAside) return;
  result.photos_refused += 1;
  result.notes.push(`photo ${scan.sha256.slice(0, 12)} refused for good (${error.code}): set aside`.slice(0, 500));
}

/** The hub holds all of the photo: its sealed bytes can go. */
async function photoDelivered(db, sha256) {
  await write(
    db,
    async (s) => {
      const stored = await s.scans.get(sha256);
      if (stored && stored.uploaded === 0) await s.scans.put({ ...stored, bytes: null, uploaded: 1 });
    },
    ['scans'],
  );
}

/** Upload the photos the hub lacks, each resumed where the hub's copy stopped; a photo's
 * sealed bytes are let go only once the hub holds all of it. Both senders have finished when
 * this returns, whatever failed: nothing uploads outside the round that started it. */
export async function uploadPhotos(db, client, result, { now = () => Date.now() } = {}) {
  // Their names only: a photo's sealed bytes are read just before it is sent, so a phone with
  // a thousand photos waiting holds two in memory, not all of them.
  const waiting = await read(db, (s) => s.scans.keysByIndex('uploaded', 0), ['scans']);
  if (!waiting.length) return;
  await beat(db, client);
  const missing = {};
  for (let at = 0; at < waiting.length; at += QUERY_DIGESTS) {
    Object.assign(missing, await client.missingScans(waiting.slice(at, at + QUERY_DIGESTS)));
  }
  let failed = null;
  let stopped = null;
  const next = waiting.values();
  const sendOne = async (sha256) => {
    const scan = await read(db, (s) => s.scans.get(sha256), ['scans']);
    if (!scan || scan.uploaded !== 0) return; // sent or set aside meanwhile (another tab)
    try {
      if (Object.hasOwn(missing, scan.sha256)) {
        await uploadOne(client, scan, missing[scan.sha256]);
        result.uploaded += 1;
      } else {
        await uploadOne(client, scan, scan.size); // held already, says the hub: one empty chunk confirms it
      }
    } catch (error) {
      if (stopsRound(error)) {
        stopped = stopped || error; // the other sender finishes its photo, takes no more
        return;
      }
      if (await photoRefusedForGood(scan, error)) {
        await setPhotoAside(db, scan, error, now(), result);
        return;
      }
      // One photo that fails now (or stalls) does not hold back the others: it stays
      // here, sealed, and is tried again next round; the round reports it.
      failed = failed || error;
      result.notes.push(`photo ${scan.sha256.slice(0, 12)}: ${error.name}: ${error.message}`.slice(0, 500));
      return;
    }
    await photoDelivered(db, scan.sha256);
  };
  const sender = async () => {
    for (const sha256 of next) {
      if (stopped) return;
      try {
        await sendOne(sha256);
      } catch (error) {
        // The phone's own storage failed (full, closed): no more photos this round.
        stopped = stopped || error;
      }
    }
  };
  await Promise.all(Array.from({ length: PHOTO_SENDERS }, sender));
  if (stopped) throw stopped;
  if (failed) throw failed;
}

/** Put photos the hub refused (attention kind 'photo') back in the upload queue; `ns`:
 * their attention entries. The number queued. An entry whose photo is no longer refused
 * (sent again from another tab, or gone with its application) is closed with nothing queued. */
export async function uploadAgain(db, ns, now = Date.now()) {
  return write(db, async (s) => {
    let queued = 0;
    for (const n of ns) {
      const item = await s.attention.get(n);
      if (!item || item.kind !== 'photo' || item.resolved_at !== null) continue;
      const scan = await s.scans.get(item.record_id);
      await s.attention.put({ ...item, resolved_at: now });
      if (!scan || scan.uploaded !== REFUSED) continue;
      await s.scans.put({ ...scan, uploaded: 0, refused: null });
      queued += 1;
      if (item.application) await addTimeline(s, { application: item.application, at: now, source: 'local', event: 'photo sent again' });
    }
    return queued;
  });
}

// --- pull -----------------------------------------------------------------------------------

async function stateDigest(db) {
  const pairs = await read(db, (s) => s.versions.all(), ['versions']);
  return protocol.stateDigest(pairs.map((p) => [p.id, p.version]));
}

/** Run `work` with the client trying each request at most `attempts` times. */
async function onlyTries(client, attempts, work) {
  if (!attempts) return work();
  const before = client.attempts;
  client.attempts = attempts;
  try {
    return await work();
  } finally {
    client.attempts = before;
  }
}

export async function pull(db, client, result, { now, attempts, checkState = true }) {
  let cursor = (await read(db, (s) => s.meta.get('cursor'), ['meta'])) || 0;
  let state = checkState ? await stateDigest(db) : null;
  for (let turn = 0; turn < MAX_PAGES; turn++) {
    await beat(db, client);
    const page = await onlyTries(client, attempts, () => client.pull(cursor, { state, limit: PULL_PAGE }));
    state = null; // the hub compares it only on the first page of a round
    if (page.resync && !result.resynced) {
      await write(db, async (s) => {
        await clearHubView(s); // self-healing: forget the hub's view, keep every own record
        await s.meta.put(0, 'cursor');
      });
      result.resynced = true;
      cursor = 0;
      continue;
    }
    if (!Number.isInteger(page.next_cursor) || page.next_cursor < cursor) {
      // Signed, yet it would move this phone back over changes it has applied (a hub put
      // back from an older copy, or a hub bug): nothing of it is applied, the cursor stays.
      throw new FeedWentBack(cursor, page.next_cursor);
    }
    await write(db, async (s) => {
      await applyRecords(s, page.records, now());
      await s.meta.put(page.next_cursor, 'cursor');
      await s.meta.put(now(), 'last_pull_at');
    });
    result.pulled += page.records.length;
    cursor = page.next_cursor;
    if (!page.more) return;
  }
}

// --- the round ------------------------------------------------------------------------------

/** Whether an error ends the round at once: the phone is revoked (every request is refused),
 * or the hub cannot be reached at all (every request would wait for its own timeout). */
export function stopsRound(error) {
  if (error instanceof protocol.HubRefused) return error.code === 'device_revoked';
  if (error instanceof protocol.HubUnavailable) return error.kind === 'network';
  return error instanceof TypeError;
}

/** One full round. Throws HubUnavailable / HubRefused (the first step that failed, with
 * `.result` what the round did all the same); what was done before stays done. */
export async function syncOnce(db, client, device, { now = () => Date.now() } = {}) {
  const result = newResult();
  const pending = await read(db, async (s) => (await s.outbox.count()) + (await s.inflight.count()), ['outbox', 'inflight']);
  if (pending) {
    // Pull first so each acknowledgement's feed records follow on the cursor; only an
    // optimisation, tried once: what stops it must not stop the push.
    try {
      await pull(db, client, result, { now, attempts: 1, checkState: false });
    } catch (error) {
      // Not even no network stops here: the push has retries of its own, and what it sends
      // is written in flight first.
      if (error instanceof protocol.HubRefused && error.code === 'device_revoked') throw Object.assign(error, { result });
      result.notes.push(`catch-up pull failed: ${error.name}: ${error.message}`.slice(0, 500));
    }
  }
  const failures = [];
  const step = async (name, work) => {
    try {
      await work();
    } catch (error) {
      if (stopsRound(error)) throw Object.assign(error, { result });
      failures.push(error);
      result.notes.push(`${name} failed: ${error.name}: ${error.message}`.slice(0, 500));
    }
  };
  await step('push', () => push(db, client, device, result, { now }));
  await step('photos', () => uploadPhotos(db, client, result, { now }));
  await step('pull', () => pull(db, client, result, { now }));
  if (failures.length) throw Object.assign(failures[0], { result });
  return result;
}
