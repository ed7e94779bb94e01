// What the hub sends back: acknowledgements and feed pages (sync/replies.py).
import { utf8 } from './bytes.js';
import { canonical, checkVersion, decodeFrameBytes, digestHex, encodeFrame, parsePayload } from './codec.js';
import { InvalidValue, MalformedMessage } from './errors.js';
import rules from './rules.js';
import { conform } from './schema.js';

export const RECORD_STATUSES = Object.freeze([...rules.codes.record_statuses]);
/** What lets a device forget an outbox entry: the hub holds that exact record. */
export const SETTLED = Object.freeze([...rules.codes.settled]);
export const isSettled = (status) => SETTLED.includes(status);

async function decode(frame, name, what) {
  const { payload } = await decodeFrameBytes(frame);
  const value = parsePayload(payload, what);
  let reply;
  try {
    reply = conform(name, value);
  } catch (err) {
    if (!(err instanceof InvalidValue)) throw err;
    throw new MalformedMessage(`${what}: ${err.message} (at ${err.field})`, { field: err.field });
  }
  checkVersion(reply.v);
  return reply;
}

/** Check and read an acknowledgement frame: `{v, device, batch, seq, digest, received_at, skew_ms, results, hub_time, feed?}`. */
export const decodeAck = (frame) => decode(frame, 'Ack', 'acknowledgement');

/** Check and read a feed page frame: `{v, outlet, cursor, next_cursor, more, records, hub_time, resync}`. */
export const decodePage = (frame) => decode(frame, 'FeedPage', 'feed page');

/** Frame an acknowledgement (the hub's side; for tests and fakes). */
export const encodeAck = (ack) => encodeFrame(canonical(conform('Ack', ack)), { version: ack.v });

/** Frame a feed page (the hub's side; for tests and fakes). */
export const encodePage = (page) => encodeFrame(canonical(conform('FeedPage', page)), { version: page.v });

/**
 * Digest of the (application id, version) pairs a device holds, order-free: SHA-256 hex of
 * the sorted lines `<id>:<version>` joined by `\n`. Pairs are `[id, version]` arrays.
 */
export async function stateDigest(versions) {
  const lines = [...versions].map(([id, version]) => `${id}:${version}`).sort();
  return digestHex(utf8(lines.join('\n')));
}
