// The phone as an enrolled device: its key, its enrolment, and the client that signs its
// requests. The private key is made by WebCrypto as non-extractable and kept in IndexedDB as
// a CryptoKey object: script on the page can ask it to sign, never read it.

import * as protocol from '../protocol/index.js';
import { getMeta, putMeta, read, write } from './db.js';
import { clearHubView } from './local.js';
import { withSyncLock } from './lock.js';

export const APP_VERSION = 'runner-0.1.0';

/** The address the API is reached at: always the hub that served this app (same origin, so
 * the signed API needs no CORS). */
export function hubOrigin() {
  return location.origin;
}

function deviceFrom(answer, keys, publicText, more = {}) {
  return {
    device_id: answer.device_id,
    tag: answer.tag,
    outlet: answer.outlet,
    hub_url: hubOrigin(),
    hub: answer.hub,
    keys, // {privateKey, publicKey}: CryptoKey objects, stored as such
    public_key: publicText,
    protocol_version: answer.protocol_version,
    enrolled_at: Date.now(),
    ...more,
  };
}

async function keepAnswer(s, answer) {
  const catalogue = answer.catalogue;
  await s.meta.put({ version: catalogue.version, items: catalogue.items, units: catalogue.units }, 'catalogue');
  if (Number.isInteger(answer.hub_time)) await s.meta.put(answer.hub_time - Date.now(), 'clock_offset_ms');
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
  const device = deviceFrom(answer, keys, publicText);
  await write(
    db,
    async (s) => {
      await s.meta.put(device, 'device');
      await keepAnswer(s, answer);
      await s.meta.put(0, 'cursor');
    },
    ['meta'],
  );
  await refreshInitials(db).catch(() => null); // search by initials once online; names work now
  return device;
}

/** Unsent work of another outlet: the phone cannot move outlets until it is sent. */
export class OutletChange extends Error {
  constructor(count, outlet) {
    super(`${count} unsent record(s) belong to outlet ${outlet}`);
    this.name = 'OutletChange';
    this.code = 'enroll.outlet_change';
    this.params = { count, outlet };
  }
}

/**
 * Enrol this phone again (protocol section 4.3, as `daiban-agent enroll` on a home that has a
 * device): a new key pair, and the old key's signature over the new public key as
 * `previous`, so the hub takes the receipt numbers of the old device from the new one. The
 * old key still signs after a revocation (the revocation stands for it at the hub, not here).
 *
 * Everything unsent stays: the outbox, the sealed photos, the receipt and batch counters, the
 * attention list, and drafts. Batches in flight name the old device, which the hub refuses
 * from the new one: their frames go, their records are still in the outbox and go afresh (the
 * hub knows those it applied by their ids, and answers duplicate). `resetRunner`: forget the
 * runner's name and PIN too (a forgotten PIN: the one-time code is the credential now).
 *
 * Held under the sync lock, so no round signs with the old key meanwhile. The new device.
 */
export async function reenrolPhone(db, old, { code, label, resetRunner = false }) {
  const keys = await protocol.generateDeviceKey();
  const publicText = await protocol.publicKeyText(keys.publicKey);
  const previous = { device_id: old.device_id, signature: await protocol.signSuccession(old.keys.privateKey, publicText) };
  const ask = (proof) =>
    protocol.enroll(hubOrigin(), code.trim(), publicText, {
      label: label || old.label || 'runner phone',
      agentVersion: APP_VERSION,
      previous: proof || undefined,
    });
  return withSyncLock(async () => {
    const unsent = await read(db, async (s) => (await s.outbox.count()) + (await s.inflight.count()), ['outbox', 'inflight']);
    let answer;
    try {
      answer = await ask(previous);
    } catch (error) {
      // The code is of another outlet than the old device: refused, the code kept. With
      // nothing left to send under the old numbers the phone may move (agent/cli.py).
      if (!(error instanceof protocol.HubRefused) || error.code !== 'enroll.previous' || error.body?.reason !== 'outlet') throw error;
      if (unsent) throw new OutletChange(unsent, old.outlet.name || old.outlet.code);
      answer = await ask(null);
    }
    const moved = answer.outlet.code !== old.outlet.code;
    const formers = [...(old.formers || []), { device_id: old.device_id, tag: old.tag, until: Date.now() }];
    const device = deviceFrom(answer, keys, publicText, { successor_of: moved ? null : old.device_id, formers, label });
    await write(db, async (s) => {
      await s.meta.put(device, 'device');
      await keepAnswer(s, answer);
      await s.inflight.clear();
      if (moved) {
        await clearHubView(s);
        await s.meta.put(0, 'cursor');
      }
      for (const key of ['revoked', 'last_round', 'last_outcome']) await s.meta.delete(key);
      if (resetRunner) {
        await s.meta.delete('runner');
        await s.meta.delete('signin.throttle');
      }
    });
    await refreshInitials(db).catch(() => null);
    return device;
  });
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
