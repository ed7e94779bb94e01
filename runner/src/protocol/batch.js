// Batches: what a device pushes (sync/batch.py).
import { digestHex } from './codec.js';
import { canonical, checkVersion, decodeFrameBytes, encodeFrame, parsePayload, PROTOCOL_VERSION } from './codec.js';
import { InvalidValue, MalformedMessage, TooLarge, UnsupportedVersion } from './errors.js';
import { checkUplink } from './records.js';
import rules from './rules.js';
import { conformNode, schemaDef } from './schema.js';

export const MAX_RECORDS = rules.batch.max_records;
export const MAX_RECORD_BYTES = rules.batch.max_record_bytes;
export const TARGET_BATCH_BYTES = rules.batch.target_batch_bytes;

/** SHA-256 (hex) of a record's canonical bytes: same content, same digest. */
export const recordDigest = (record) => digestHex(canonical(record));

/** A batch envelope `{v, device, batch, seq, sent_at, records}`, within the bounds. */
export function newBatch({ device, batchId, seq, sentAt, records }) {
  if (!records?.length) throw new InvalidValue('a batch carries at least one record', { field: 'records' });
  if (records.length > MAX_RECORDS) {
    throw new TooLarge(`${records.length} records exceed the ${MAX_RECORDS} a batch may carry`);
  }
  return { v: PROTOCOL_VERSION, device, batch: batchId, seq, sent_at: sentAt, records: [...records] };
}

/** The batch's frame: canonical, deflated, digested. Promise<Uint8Array>. */
export async function encodeBatch(batch) {
  batch.records.forEach((record, index) => {
    const size = canonical(record).length;
    if (size > MAX_RECORD_BYTES) {
      throw new TooLarge(`record ${index} is ${size} bytes, over ${MAX_RECORD_BYTES}`, { field: `records[${index}]` });
    }
  });
  return encodeFrame(canonical(batch), { version: batch.v });
}

/**
 * Split records, in order, into groups within the count and byte bounds
 * (`{maxRecords = MAX_RECORDS, maxBytes = TARGET_BATCH_BYTES}`).
 */
export function planBatches(records, { maxRecords = MAX_RECORDS, maxBytes = TARGET_BATCH_BYTES } = {}) {
  const groups = [];
  let current = [];
  let size = 0;
  for (const record of records) {
    const recordSize = canonical(record).length + 1;
    if (current.length && (current.length >= maxRecords || size + recordSize > maxBytes)) {
      groups.push(current);
      current = [];
      size = 0;
    }
    current.push(record);
    size += recordSize;
  }
  if (current.length) groups.push(current);
  return groups;
}

const ENVELOPE = { ...schemaDef('Batch'), properties: { ...schemaDef('Batch').properties, records: { type: 'array' } } };

function peek(value) {
  const ok = (x) => (typeof x === 'string' && [...x].length <= 64 ? x : null);
  return value && typeof value === 'object' && !Array.isArray(value) ? [ok(value.id), ok(value.kind)] : [null, null];
}

/**
 * Decode a batch frame as the hub does: a bad envelope throws (MalformedMessage and kin);
 * each record slot is `{index, id, kind, digest, record}` or `{..., error}` (InvalidValue).
 */
export async function decodeBatch(frame) {
  const { version, payload } = await decodeFrameBytes(frame);
  const value = parsePayload(payload, 'batch envelope');
  let envelope;
  try {
    envelope = conformNode(ENVELOPE, value);
  } catch (err) {
    throw new MalformedMessage(`batch envelope: ${err.message} (at ${err.field})`, { field: err.field });
  }
  try {
    checkVersion(envelope.v);
  } catch (err) {
    throw new UnsupportedVersion(err.message, { field: '$.v' });
  }
  if (envelope.v !== version) throw new MalformedMessage("envelope version differs from the frame's", { field: '$.v' });
  if (!envelope.records.length) throw new MalformedMessage('a batch carries at least one record', { field: '$.records' });
  if (envelope.records.length > MAX_RECORDS) {
    throw new TooLarge(`${envelope.records.length} records exceed the ${MAX_RECORDS} a batch may carry`, { field: '$.records' });
  }
  const seen = new Set();
  const entries = [];
  for (const [index, raw] of envelope.records.entries()) {
    const path = `$.records[${index}]`;
    const body = canonical(raw);
    const [id, kind] = peek(raw);
    if (body.length > MAX_RECORD_BYTES) {
      const error = new InvalidValue(`record is ${body.length} bytes, over ${MAX_RECORD_BYTES}`, { field: path, reason: 'too_large' });
      entries.push({ index, id, kind, digest: await digestHex(body), error });
      continue;
    }
    let record;
    try {
      record = checkUplink(raw, path);
    } catch (error) {
      if (!(error instanceof InvalidValue)) throw error;
      entries.push({ index, id, kind, digest: await digestHex(body), error });
      continue;
    }
    const digest = await recordDigest(record);
    if (seen.has(record.id)) {
      const error = new InvalidValue(`record id ${record.id} appears twice in this batch`, { field: `${path}.id`, reason: 'repeat' });
      entries.push({ index, id: record.id, kind: record.kind, digest, error });
      continue;
    }
    seen.add(record.id);
    entries.push({ index, id: record.id, kind: record.kind, digest, record });
  }
  const { v, device, batch, seq, sent_at } = envelope;
  return { version: v, device, batch, seq, sent_at, digest: await digestHex(payload), entries };
}
