// Canonical JSON (protocol section 2) and the frame every body travels in (section 3).
import canonicalize from 'canonicalize';

import { concat, equalBytes, fromUtf8, sha256, toHex, utf8 } from './bytes.js';
import { DigestMismatch, InvalidValue, MalformedMessage, TooLarge, UnsupportedVersion } from './errors.js';
import { inflateZlib } from './inflate.js';
import rules from './rules.js';

const F = rules.frame;
export const MAGIC = utf8(F.magic);
export const CODEC_IDENTITY = F.codec_identity;
export const CODEC_DEFLATE = F.codec_deflate;
export const HEADER_LEN = F.header_len;
export const MAX_FRAME_BYTES = F.max_frame_bytes;
export const MAX_PAYLOAD_BYTES = F.max_payload_bytes;
export const PROTOCOL_VERSION = rules.protocol.version;
export const SUPPORTED_VERSIONS = Object.freeze([...rules.protocol.supported_versions]);

/** RFC 8785 canonical JSON bytes of a value. Integers only: the protocol has no floats. */
export function canonical(value) {
  try {
    return utf8(canonicalize(value));
  } catch (err) {
    throw new InvalidValue(`not canonical JSON: ${err.message}`, { reason: 'type' });
  }
}

/** Lowercase hex SHA-256 of bytes. */
export const digestHex = async (bytes) => toHex(await sha256(bytes));

/** Return `version` if this side speaks it, else throw UnsupportedVersion (field `v`). */
export function checkVersion(version, field = 'v') {
  if (!Number.isInteger(version) || !SUPPORTED_VERSIONS.includes(version)) {
    throw new UnsupportedVersion(
      `protocol version ${JSON.stringify(version)} is not supported (this side speaks ${SUPPORTED_VERSIONS.join(', ')})`,
      { field },
    );
  }
  return version;
}

async function deflate(bytes) {
  const stream = new Blob([bytes]).stream().pipeThrough(new CompressionStream('deflate'));
  return new Uint8Array(await new Response(stream).arrayBuffer());
}

function codecNumber(codec) {
  if (codec === undefined || codec === 'deflate' || codec === CODEC_DEFLATE) return CODEC_DEFLATE;
  if (codec === 'identity' || codec === CODEC_IDENTITY) return CODEC_IDENTITY;
  throw new InvalidValue(`unknown frame codec ${JSON.stringify(codec)}`, { field: 'codec' });
}

/**
 * Frame a payload: a value (made canonical here) or canonical bytes already.
 * Deflate output differs between encoders; the payload and its digest are what must match.
 */
export async function encodeFrame(payloadValue, { codec = 'deflate', version } = {}) {
  const payload = payloadValue instanceof Uint8Array ? payloadValue : canonical(payloadValue);
  const v = version ?? payloadValue?.v ?? PROTOCOL_VERSION;
  if (payload.length > MAX_PAYLOAD_BYTES) {
    throw new TooLarge(`payload of ${payload.length} bytes exceeds ${MAX_PAYLOAD_BYTES}`);
  }
  const which = codecNumber(codec);
  const body = which === CODEC_DEFLATE ? await deflate(payload) : payload;
  const frame = concat(MAGIC, Uint8Array.of(v, which), await sha256(payload), body);
  if (frame.length > MAX_FRAME_BYTES) {
    throw new TooLarge(`frame of ${frame.length} bytes exceeds ${MAX_FRAME_BYTES}`);
  }
  return frame;
}

/**
 * Check a frame in the order section 3 gives and return `{version, payload}` (the canonical
 * payload bytes, not parsed).
 */
export async function decodeFrameBytes(frame, { maxPayload = MAX_PAYLOAD_BYTES } = {}) {
  if (frame instanceof ArrayBuffer) frame = new Uint8Array(frame);
  if (!(frame instanceof Uint8Array)) throw new MalformedMessage('a frame is bytes');
  if (frame.length > MAX_FRAME_BYTES) {
    throw new TooLarge(`frame of ${frame.length} bytes exceeds ${MAX_FRAME_BYTES}`);
  }
  if (frame.length < HEADER_LEN || !equalBytes(frame.subarray(0, 3), MAGIC)) {
    throw new MalformedMessage('not a Daiban frame (bad magic or too short)');
  }
  const version = checkVersion(frame[3]);
  const codec = frame[4];
  const expected = frame.subarray(5, HEADER_LEN);
  const body = frame.subarray(HEADER_LEN);
  let payload;
  if (codec === CODEC_DEFLATE) {
    payload = inflateZlib(body, maxPayload);
  } else if (codec === CODEC_IDENTITY) {
    if (body.length > maxPayload) throw new TooLarge(`frame payload exceeds ${maxPayload} bytes`);
    payload = body.slice();
  } else {
    throw new MalformedMessage(`unknown frame codec ${codec}`);
  }
  if (!equalBytes(await sha256(payload), expected)) {
    throw new DigestMismatch('frame digest does not match its payload');
  }
  return { version, payload };
}

/** Parse canonical payload bytes as JSON; MalformedMessage when they are not JSON. */
export function parsePayload(payload, what = 'frame payload') {
  try {
    return JSON.parse(fromUtf8(payload));
  } catch (err) {
    throw new MalformedMessage(`${what} is not JSON (${err.message})`);
  }
}

/**
 * Check a frame, parse its JSON and check the version inside it (`v`: an integer, spoken
 * here, equal to the frame's; field `$.v`). Returns the parsed payload.
 */
export async function decodeFrame(frame, options = {}) {
  const { version, payload } = await decodeFrameBytes(frame, options);
  const value = parsePayload(payload);
  if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
    checkPayloadVersion(value, version);
  }
  return value;
}

/** The version checks on a payload object (section 3), each with field `$.v`. */
export function checkPayloadVersion(value, frameVersion) {
  const v = value.v;
  if (!Number.isInteger(v)) {
    throw new MalformedMessage(`payload version must be an integer, not ${JSON.stringify(v)}`, { field: '$.v' });
  }
  checkVersion(v, '$.v');
  if (v !== frameVersion) {
    throw new MalformedMessage("envelope version differs from the frame's", { field: '$.v' });
  }
}

/** The payload digest a frame declares, as hex (trust it only after decodeFrame passed). */
export const frameDigest = (frame) => toHex(frame.subarray(5, HEADER_LEN));
