// A new application being filled in, kept in IndexedDB as it is filled: a cheap Android phone
// kills the tab while its camera app is open, a reload or a new version of the app reloads
// it, the runner opens another item's form. None of that loses a keystroke or a photo.
//
// Nothing personal is kept in clear, here as anywhere in the store:
// * the typed values are encrypted (AES-GCM, a fresh IV each time, bound to the draft's id)
//   with the phone's draft key: a non-extractable CryptoKey made here and kept in IndexedDB
//   as such, so script on the page can use it and nobody can copy it out;
// * each photo is sealed to the hub as soon as it is taken (bound to the application id the
//   draft will have), exactly as the saved application's photos are, and kept in
//   `draft_photos`; only a small preview, encrypted like the values, lets the runner see it
//   again after a reload. On saving, the sealed photos move to `scans` in the application's
//   own transaction; discarding the draft deletes them.
//
// A draft is keyed by the id its application will have (a UUIDv7 made when the draft starts),
// one per service item: opening another item's form keeps this one for later.
//
// A supplement being gathered for an application the hub asked about is a draft too (item
// `supplement:<application id>`): its photos are sealed bound to that application, and the
// list of unfinished applications does not show it (the application's screen does).

import * as protocol from '../protocol/index.js';
import { getMeta, read, write } from './db.js';

const KEY = 'draft_key';
const PREVIEW_SIDE = 240;
const encoder = new TextEncoder();
const decoder = new TextDecoder();

/** The phone's draft key, made once (non-extractable). */
async function draftKey(db) {
  const kept = await getMeta(db, KEY);
  if (kept) return kept;
  const made = await crypto.subtle.generateKey({ name: 'AES-GCM', length: 256 }, false, ['encrypt', 'decrypt']);
  // Two tabs may make one at once: the first one written is the one both use.
  return write(
    db,
    async (s) => {
      const first = await s.meta.get(KEY);
      if (first) return first;
      await s.meta.put(made, KEY);
      return made;
    },
    ['meta'],
  );
}

async function encrypt(key, bytes, id) {
  const iv = crypto.getRandomValues(new Uint8Array(12));
  const data = new Uint8Array(await crypto.subtle.encrypt({ name: 'AES-GCM', iv, additionalData: encoder.encode(id) }, key, bytes));
  return { iv, data };
}

async function decrypt(key, box, id) {
  return new Uint8Array(await crypto.subtle.decrypt({ name: 'AES-GCM', iv: box.iv, additionalData: encoder.encode(id) }, key, box.data));
}

const SUPPLEMENT = 'supplement:';

/** The draft item of a supplement for application `appId`. */
export function supplementItem(appId) {
  return `${SUPPLEMENT}${appId}`;
}

/** The application a supplement draft's item is for, or null for a new application's. */
export function supplementOf(item) {
  return item.startsWith(SUPPLEMENT) ? item.slice(SUPPLEMENT.length) : null;
}

/** The id the draft's photos are sealed to: its application's (the draft's own id for a new
 * application, the application asked about for a supplement). */
function boundTo(draft) {
  return draft.item.startsWith(SUPPLEMENT) ? draft.item.slice(SUPPLEMENT.length) : draft.id;
}

/** A new draft for `item` (not stored until something is typed or photographed). */
export function newDraft(item, now = Date.now()) {
  return { id: protocol.uuid7(now), item, created_at: now, values: {}, photos: [], stored: false };
}

/** The draft kept for `item` (the newest, values decrypted, photos listed), or null. A draft
 * that no longer opens (the key is gone with cleared site data) is deleted. */
export async function loadDraft(db, item) {
  const rows = await read(db, (s) => s.drafts.byIndex('item', item), ['drafts']);
  if (!rows.length) return null;
  rows.sort((a, b) => b.updated_at - a.updated_at);
  const row = rows[0];
  const key = await draftKey(db);
  let values;
  try {
    values = JSON.parse(decoder.decode(await decrypt(key, row.values, row.id)));
  } catch (_) {
    await discardDraft(db, row.id);
    return null;
  }
  const photos = await read(db, (s) => s.draft_photos.byIndex('draft', row.id), ['draft_photos']);
  photos.sort((a, b) => a.created_at - b.created_at);
  const shown = [];
  for (const p of photos) {
    let preview = null;
    if (p.preview) {
      try {
        preview = URL.createObjectURL(new Blob([await decrypt(key, p.preview, row.id)], { type: 'image/jpeg' }));
      } catch (_) {
        preview = null;
      }
    }
    shown.push({ sha256: p.sha256, material: p.material, size: p.size, media_type: p.media_type, preview });
  }
  return { id: row.id, item: row.item, created_at: row.created_at, values, photos: shown, stored: true };
}

/** Every draft kept, newest first: `{id, item, updated_at, values, photos}` (values decrypted,
 * for the list of unfinished applications). */
export async function listDrafts(db) {
  const rows = (await read(db, (s) => s.drafts.all(), ['drafts'])).filter((row) => !row.item.startsWith(SUPPLEMENT));
  if (!rows.length) return [];
  const key = await draftKey(db);
  const out = [];
  for (const row of rows.sort((a, b) => b.updated_at - a.updated_at)) {
    let values = {};
    try {
      values = JSON.parse(decoder.decode(await decrypt(key, row.values, row.id)));
    } catch (_) {
      values = {};
    }
    const photos = await read(db, (s) => s.draft_photos.countByIndex('draft', row.id), ['draft_photos']);
    out.push({ id: row.id, item: row.item, updated_at: row.updated_at, values, photos });
  }
  return out;
}

/** Write the draft's values (encrypted). */
export async function saveDraft(db, draft, now = Date.now()) {
  const key = await draftKey(db);
  const box = await encrypt(key, encoder.encode(JSON.stringify(draft.values || {})), draft.id);
  await write(
    db,
    async (s) => {
      // Saved as an application meanwhile (in another tab): writing now would bring the
      // draft back under the application's own id, a draft that could never be saved.
      if (await s.applications.get(draft.id)) throw new DraftChanged('form.already_saved', 'the draft was saved as an application');
      await s.drafts.put({ id: draft.id, item: draft.item, created_at: draft.created_at, updated_at: now, values: box });
    },
    ['drafts', 'applications'],
  );
  draft.stored = true;
}

/** A small JPEG of the picture for the runner's eyes only (encrypted before it is stored). */
async function previewBytes(bytes, mediaType) {
  if (mediaType === 'application/pdf' || typeof createImageBitmap !== 'function') return null;
  try {
    const bitmap = await createImageBitmap(new Blob([bytes], { type: mediaType }));
    const scale = Math.min(1, PREVIEW_SIDE / Math.max(bitmap.width, bitmap.height));
    const canvas = document.createElement('canvas');
    canvas.width = Math.max(1, Math.round(bitmap.width * scale));
    canvas.height = Math.max(1, Math.round(bitmap.height * scale));
    canvas.getContext('2d').drawImage(bitmap, 0, 0, canvas.width, canvas.height);
    bitmap.close();
    const blob = await new Promise((resolve) => canvas.toBlob(resolve, 'image/jpeg', 0.7));
    return blob ? new Uint8Array(await blob.arrayBuffer()) : null;
  } catch (_) {
    return null;
  }
}

/**
 * Seal a photo just taken to the hub (bound to the draft's application id) and keep it with
 * the draft: the entry the form lists, `{sha256, material, size, media_type, preview}`. The
 * draft's values are written with it, so a draft with photos is always a stored draft.
 */
export async function addDraftPhoto(db, device, draft, material, photo, now = Date.now()) {
  const sealed = await protocol.sealBytes(device.hub.sealing_key, photo.bytes, boundTo(draft), 'scan');
  const sha256 = await protocol.digestHex(sealed);
  const key = await draftKey(db);
  const small = await previewBytes(photo.bytes, photo.mediaType);
  const preview = small ? await encrypt(key, small, draft.id) : null;
  const values = await encrypt(key, encoder.encode(JSON.stringify(draft.values || {})), draft.id);
  await write(
    db,
    async (s) => {
      // Saved as an application meanwhile (the runner tapped save while this photo was being
      // sealed): the photo must not bring the draft back under the application's id.
      if (await s.applications.get(draft.id)) throw new DraftChanged('form.photo.after_save', 'the draft was saved before this photo was kept');
      await s.drafts.put({ id: draft.id, item: draft.item, created_at: draft.created_at, updated_at: now, values });
      await s.draft_photos.put({
        sha256,
        draft: draft.id,
        material,
        size: sealed.length,
        media_type: photo.mediaType,
        bytes: sealed,
        preview,
        created_at: now,
      });
    },
    ['drafts', 'draft_photos', 'applications'],
  );
  draft.stored = true;
  return { sha256, material, size: sealed.length, media_type: photo.mediaType, preview: small ? URL.createObjectURL(new Blob([small], { type: 'image/jpeg' })) : null };
}

export async function removeDraftPhoto(db, sha256) {
  await write(db, (s) => s.draft_photos.delete(sha256), ['draft_photos']);
}

/** Delete a draft and its photos (the runner discarded it). `known`: the photos the screen
 * showed; one it did not show (taken in another tab) stops the discard, and the screen shows it. */
export async function discardDraft(db, id, known = null) {
  await write(
    db,
    async (s) => {
      const stored = await s.draft_photos.byIndex('draft', id);
      if (known && stored.some((photo) => !known.has(photo.sha256))) {
        throw new DraftChanged('form.photo.unseen', 'the draft holds a photo the screen did not show');
      }
      for (const photo of stored) await s.draft_photos.delete(photo.sha256);
      await s.drafts.delete(id);
    },
    ['drafts', 'draft_photos'],
  );
}

/** The supplements gathered and kept for applications the hub no longer asks about (the
 * attention list shows them): `[{application, photos, note}]` for drafts with something in. */
export async function keptSupplements(s) {
  const out = [];
  for (const row of await s.drafts.all()) {
    const appId = supplementOf(row.item);
    if (!appId) continue;
    const app = await s.applications.get(appId);
    if (!app || app.hub_status === 'supplement_requested') continue;
    const photos = await s.draft_photos.countByIndex('draft', row.id);
    if (photos) out.push({ app, photos, at: row.updated_at });
  }
  return out;
}

/** Inside the saving transaction (capture.js): the draft's sealed photos that the record
 * keeps move to `scans` (noting the application they belong to) and the draft goes.
 * `keep`: sha256 digests; `known`: every photo the form showed (kept or put aside by the
 * runner's own choice, such as a material switched to "seen on paper"). A stored photo the
 * form never showed (taken in another tab, or still being sealed) or one the form shows that
 * the store lost stops the save: the form comes back and shows what is really there. */
export async function settleDraft(s, id, keep, now, application, known = keep) {
  const stored = await s.draft_photos.byIndex('draft', id);
  const unseen = stored.filter((photo) => !keep.has(photo.sha256) && !known.has(photo.sha256));
  if (unseen.length) throw new DraftChanged('form.photo.unseen', `${unseen.length} photo(s) of the draft were not on the form`);
  const there = new Set(stored.map((photo) => photo.sha256));
  const lost = [...keep].filter((sha) => !there.has(sha));
  if (lost.length) throw new DraftChanged('form.photo.lost', `${lost.length} photo(s) of the draft are no longer stored`);
  for (const photo of stored) {
    if (keep.has(photo.sha256) && !(await s.scans.get(photo.sha256))) {
      await s.scans.put({
        sha256: photo.sha256,
        application,
        size: photo.size,
        media_type: photo.media_type,
        bytes: photo.bytes,
        uploaded: 0,
        created_at: now,
      });
    }
    await s.draft_photos.delete(photo.sha256);
  }
  await s.drafts.delete(id);
}

/** The stored draft and the form on screen no longer agree (another tab, a photo still being
 * sealed): nothing is saved, and the form is drawn again from the store. */
export class DraftChanged extends Error {
  constructor(code, message) {
    super(message);
    this.name = 'DraftChanged';
    this.code = code;
  }
}
