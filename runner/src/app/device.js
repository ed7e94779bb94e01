// The phone as an enrolled device: its key, its enrolment, and the client that signs its
// requests. The private key is made by WebCrypto as non-extractable and kept in IndexedDB as
// a CryptoKey object: script on the page can ask it to sign, never read it.

import * as protocol from '../protocol/index.js';
import { getMeta, putMeta, write } from './db.js';

export const APP_VERSION = 'runner-0.1.0';

/** The address the API is reached at: always the hub that served this app (same origin, so
 * the signed API needs no CORS). */
export function hubOrigin() {
  return location.origin;
}

/** Enrol with a one-time code; the device as stored. Raises the protocol's HubUnavailable or
 * HubRefused (the code's refusal: unknown, used, expired). */
export async function enrolPhone(db, { code, label }) {
  const keys = await protocol.generateDeviceKey();
  const publicText = await protocol.publicKeyText(keys.publicKey);
  const answer = await protocol.enroll(hubOrigin(), code.trim(), publicText, {
    label: label || 'runner phone',
    agentVersion: APP_VERSION,
  });
  const device = {
    device_id: answer.device_id,
    tag: answer.tag,
    outlet: answer.outlet,
    hub_url: hubOrigin(),
    hub: answer.hub,
    keys, // {privateKey, publicKey}: CryptoKey objects, stored as such
    public_key: publicText,
    protocol_version: answer.protocol_version,
    enrolled_at: Date.now(),
  };
  const catalogue = answer.catalogue;
  await write(
    db,
    async (s) => {
      await s.meta.put(device, 'device');
      await s.meta.put({ version: catalogue.version, items: catalogue.items, units: catalogue.units }, 'catalogue');
      if (Number.isInteger(answer.hub_time)) await s.meta.put(answer.hub_time - Date.now(), 'clock_offset_ms');
      await s.meta.put(0, 'cursor');
    },
    ['meta'],
  );
  await refreshInitials(db).catch(() => null); // search by initials once online; names work now
  return device;
}

/** The client for one round, with the clock correction learnt in the last one. */
export async function hubClient(db, device) {
  return new protocol.HubClient({
    url: device.hub_url,
    deviceId: device.device_id,
    privateKey: device.keys.privateKey,
    hubVerifyKeyText: device.hub.signing_key,
    clockOffsetMs: (await getMeta(db, 'clock_offset_ms')) || 0,
    fetch: (...args) => fetch(...args),
    now: () => Date.now(),
  });
}

/** Fetch the pinyin initials of the catalogue's items (for search) when the catalogue is
 * newer than the initials kept. Not signed: it only helps find an item, and a wrong answer
 * can at worst hide one from a search by initials. */
export async function refreshInitials(db) {
  const catalogue = await getMeta(db, 'catalogue');
  const kept = await getMeta(db, 'initials');
  if (!catalogue || (kept && kept.version >= catalogue.version)) return kept;
  const response = await fetch(new URL('initials.json', location.href.split('#')[0]), { cache: 'no-store' });
  if (!response.ok || !response.headers.get('Daiban-Runner')) return kept;
  const body = await response.json();
  if (!body || typeof body.initials !== 'object' || !Number.isInteger(body.version)) return kept;
  await putMeta(db, 'initials', { version: body.version, initials: body.initials });
  return body;
}
