// Request and answer signatures (protocol section 6, sync/signing.py): RFC 9421 with the
// http-message-sig library, Ed25519 on WebCrypto, the `daiban` label and `daiban/1` tag.
import { component, createSignature, verifySignature } from 'http-message-sig';

import { concat, equalBytes, fromBase64, fromBase64Url, randomBytes, sha256, toBase64, toBase64Url, utf8 } from './bytes.js';
import { BadSignature, InvalidValue, StaleSignature } from './errors.js';
import rules from './rules.js';

const G = rules.signing;
export const LABEL = G.label;
export const TAG = G.tag;
export const DEFAULT_WINDOW = G.window;
const NONCE = new RegExp(G.nonce_pattern);
const ORIGIN = 'http://daiban.invalid'; // only path and query are covered: no host, no scheme

// '"@method";req' -> component('@method', {req: true}); the exported list is the one
// definition, so its identifiers are parsed here rather than written again.
function parseComponent(identity) {
  const m = /^"?([^";]+)"?((?:;[a-z]+(?:="[^"]*")?)*)$/.exec(identity);
  if (!m) throw new Error(`bad component ${identity}`);
  if (!m[2]) return m[1];
  const params = {};
  for (const p of m[2].slice(1).split(';')) {
    const [name, value] = p.split('=');
    params[name] = value === undefined ? true : value.slice(1, -1);
  }
  return component(m[1], params);
}
const REQUEST_COMPONENTS = G.request_components.map(parseComponent);
const RESPONSE_COMPONENTS = G.response_components.map(parseComponent);
const REQUIRED_PARAMETERS = ['created', 'keyid', 'nonce', 'tag'];

// --- keys -----------------------------------------------------------------------------------

const ED25519 = { name: 'Ed25519' };
const PKCS8_ED25519 = Uint8Array.from([0x30, 0x2e, 0x02, 0x01, 0x00, 0x30, 0x05, 0x06, 0x03, 0x2b, 0x65, 0x70, 0x04, 0x22, 0x04, 0x20]);

/** A fresh device key pair: Ed25519 on WebCrypto, the private half not extractable. */
export async function generateDeviceKey() {
  return crypto.subtle.generateKey(ED25519, false, ['sign', 'verify']);
}

/** A public key as `POST /api/v1/enroll` takes it: unpadded base64url of its 32 raw bytes. */
export async function publicKeyText(publicKey) {
  return toBase64Url(new Uint8Array(await crypto.subtle.exportKey('raw', publicKey)));
}

/** An Ed25519 public key from its text (as the enrolment answer's `hub.signing_key`). */
export async function publicKeyFromText(text) {
  let raw;
  try {
    raw = fromBase64Url(text);
  } catch {
    throw new InvalidValue('public key is not base64url', { field: 'public_key' });
  }
  if (raw.length !== 32) throw new InvalidValue(`public key must be 32 bytes, got ${raw.length}`, { field: 'public_key' });
  return crypto.subtle.importKey('raw', raw, ED25519, true, ['verify']);
}

/** A non-extractable Ed25519 signing key from a 32-byte seed (as the test vectors give it). */
export async function privateKeyFromSeed(seed) {
  return crypto.subtle.importKey('pkcs8', concat(PKCS8_ED25519, seed), ED25519, false, ['sign']);
}

/** A fresh nonce: 22 base64url characters (128 random bits). */
export const newNonce = () => toBase64Url(randomBytes(16));

/** `Content-Digest` (RFC 9530) of a body: `sha-256=:<base64>:`. */
export async function contentDigest(body) {
  return `sha-256=:${toBase64(await sha256(body ?? new Uint8Array()))}:`;
}

// --- messages -------------------------------------------------------------------------------

function fieldsOf(headers) {
  const pairs = headers instanceof Headers ? [...headers] : Array.isArray(headers) ? headers : Object.entries(headers ?? {});
  const merged = new Map();
  for (const [name, value] of pairs) {
    const key = name.toLowerCase();
    merged.set(key, merged.has(key) ? `${merged.get(key)}, ${value}` : String(value));
  }
  return merged;
}

function requestMessage(method, target, headers) {
  if (!target.startsWith('/')) throw new BadSignature("request target must start with '/'");
  const fields = [...fieldsOf(headers)].map(([name, value]) => ({ name, value }));
  return { kind: 'request', method: method.toUpperCase(), targetUri: ORIGIN + target, fields };
}

const signer = (key) => ({
  algorithm: 'ed25519',
  sign: async (data) => new Uint8Array(await crypto.subtle.sign(ED25519, key, data)),
});

async function sign(message, components, { body, key, keyId, created, nonce }) {
  if (!NONCE.test(nonce)) throw new InvalidValue('nonce must be 16-64 base64url characters', { field: 'nonce' });
  const digest = await contentDigest(body);
  message.fields = [...message.fields.filter((f) => f.name !== 'content-digest'), { name: 'content-digest', value: digest }];
  let out;
  try {
    out = await createSignature(message, {
      label: LABEL,
      components,
      parameters: { created, keyid: keyId, alg: 'ed25519', nonce, tag: TAG },
      signer: signer(key),
    });
  } catch (err) {
    // Signing an answer reads the request's own Signature header, which may be anything.
    throw new BadSignature(`cannot sign: ${err.message}`);
  }
  return { 'Content-Digest': digest, 'Signature-Input': out.signatureInput, 'Signature': out.signature };
}

/**
 * Headers that sign a request: `{Content-Digest, Signature-Input, Signature}`.
 * `target` is the path and query exactly as sent; `created` Unix seconds; `key` a CryptoKey.
 */
export async function signRequest({ method, target, body = new Uint8Array(), key, keyId, created, nonce }) {
  return sign(requestMessage(method, target, {}), REQUEST_COMPONENTS, { body, key, keyId, created, nonce });
}

/** Headers that sign an answer and bind it to the signed request it answers (the hub's side). */
export async function signResponse({ status, body, key, keyId, created, nonce, requestMethod, requestTarget, requestHeaders }) {
  const message = { kind: 'response', status, fields: [], request: requestMessage(requestMethod, requestTarget, requestHeaders) };
  return sign(message, RESPONSE_COMPONENTS, { body, key, keyId, created, nonce });
}

function digestMatches(declared, actual) {
  // A structured dictionary; only the sha-256 member is ours to check.
  const member = /(?:^|,)\s*sha-256=:([A-Za-z0-9+/=]*):\s*(?:,|$)/.exec(declared ?? '');
  if (!member) return false;
  try {
    return equalBytes(fromBase64(member[1]), actual);
  } catch {
    return false;
  }
}

async function verify(message, components, { body, key, keyId }) {
  const fields = new Map(message.fields.map((f) => [f.name, f.value]));
  if (!fields.has('signature') || !fields.has('signature-input')) {
    throw new BadSignature('message is not signed (no Signature / Signature-Input)');
  }
  let verified;
  try {
    verified = await verifySignature(message, {
      label: LABEL,
      policy: {
        algorithms: ['ed25519'],
        requiredComponents: components,
        requiredParameters: REQUIRED_PARAMETERS,
        // Freshness is the caller's to check against its own clock (checkFresh).
        clockSkew: Number.MAX_SAFE_INTEGER,
        validate: (sig) => sig.parameters.tag === TAG,
      },
      resolveVerifier(candidate) {
        const claimed = candidate.parameters.keyid;
        if (claimed !== keyId) throw new BadSignature(`signed by ${JSON.stringify(claimed)}, expected ${JSON.stringify(keyId)}`);
        return { algorithm: 'ed25519', verify: (data, sig) => crypto.subtle.verify(ED25519, key, sig, data) };
      },
    });
  } catch (err) {
    const reason = err.cause instanceof BadSignature ? err.cause.message : err.message;
    throw new BadSignature(`signature does not verify: ${reason}`);
  }
  if (!digestMatches(fields.get('content-digest'), await sha256(body ?? new Uint8Array()))) {
    throw new BadSignature('the body does not match its Content-Digest');
  }
  const { created, nonce, keyid } = verified.parameters;
  if (!Number.isInteger(created) || typeof nonce !== 'string' || typeof keyid !== 'string') {
    throw new BadSignature('signature lacks created, nonce or keyid');
  }
  return { keyId: keyid, created, nonce };
}

/** Refuse a signature created more than `window` seconds from `now` (seconds) either way. */
export function checkFresh(created, { now, window = DEFAULT_WINDOW }) {
  if (Math.abs(created - now) > window) {
    throw new StaleSignature(`signature created at ${created}, ${created - now} s from the clock (window ±${window} s)`);
  }
}

/**
 * Verify a signed request with the signer's public key; `{keyId, created, nonce}`.
 * BadSignature if it does not verify; StaleSignature if `now` is given and it is stale.
 */
export async function verifyRequest({ method, target, headers, body, key, keyId, now, window = DEFAULT_WINDOW }) {
  const message = requestMessage(method, target, headers);
  const claimed = keyId ?? /keyid="([^"]*)"/.exec(fieldsOf(headers).get('signature-input') ?? '')?.[1];
  const signed = await verify(message, REQUEST_COMPONENTS, { body, key, keyId: claimed });
  if (now !== undefined) checkFresh(signed.created, { now, window });
  return signed;
}

/** Verify that an answer comes from the hub (`keyId` `hub`) and answers this very request. */
export async function verifyResponse({ status, headers, body, key, keyId = 'hub', requestMethod, requestTarget, requestHeaders }) {
  const fields = [...fieldsOf(headers)].map(([name, value]) => ({ name, value }));
  const message = { kind: 'response', status, fields, request: requestMessage(requestMethod, requestTarget, requestHeaders) };
  return verify(message, RESPONSE_COMPONENTS, { body, key, keyId });
}

/** What an old device key signs to name its successor (protocol section 4.3). */
export const successionMessage = (newPublicKeyText) => utf8(G.succession_context + newPublicKeyText);

/** The old device key's proof that `newPublicKeyText` succeeds it: its Ed25519 signature over
 * successionMessage, as unpadded base64url (sync/signing.py `sign_succession`), for the
 * enrolment request's `previous.signature`. The old key may be non-extractable: it signs. */
export async function signSuccession(oldPrivateKey, newPublicKeyText) {
  const signature = await crypto.subtle.sign(ED25519, oldPrivateKey, successionMessage(newPublicKeyText));
  return toBase64Url(new Uint8Array(signature));
}

/** Whether `signature` is the old public key's proof for `newPublicKeyText` (the hub's check). */
export async function verifySuccession(oldPublicKey, newPublicKeyText, signature) {
  try {
    return await crypto.subtle.verify(ED25519, oldPublicKey, fromBase64Url(signature), successionMessage(newPublicKeyText));
  } catch {
    return false;
  }
}
