// Page-side helper for bench/bench_runner.py: queues applications on an enrolled, signed-in
// runner phone with the app's own capture code, as its form does it (runner/src/app/
// screens/new.js): a draft, each photo sealed to the hub and kept with the draft as it is
// taken (drafts.js), then the form's checks and the one-transaction save (capture.js) --
// without typing each form.
//
// bench_runner.py bundles this file with runner/'s esbuild into an IIFE and evaluates it in
// the app's page (same origin, so the same IndexedDB). It defines one global:
//
//   await window.__daibanBench.enqueue({count, photoBytes, item})
//     -> {made, perAppMs: [...]}: `count` applications with two fresh photos each (random,
//        JPEG-like incompressible bytes of `photoBytes`), for the materials ID-CARD and PHOTO.
//
// It follows the app's internal API of the day: when that changes, the bundle or the call
// fails and bench_runner.py fills the forms through the screen instead.

import { getMeta, openDb } from '../runner/src/app/db.js';
import { findItem } from '../runner/src/app/catalogue.js';
import { captureNew, checkNew } from '../runner/src/app/capture.js';
import { addDraftPhoto, newDraft, saveDraft } from '../runner/src/app/drafts.js';

const PEOPLE = [
  ['张三', '11010519491231002X', '13812345678'],
  ['李四', '510107199003078796', '13912345678'],
];

/** `size` random bytes behind a JPEG start-of-image marker: a photo that does not compress. */
function photo(size) {
  const bytes = new Uint8Array(size);
  for (let at = 0; at < size; at += 65536) crypto.getRandomValues(bytes.subarray(at, Math.min(size, at + 65536)));
  bytes.set([0xff, 0xd8, 0xff, 0xe0].slice(0, size));
  return { bytes, mediaType: 'image/jpeg' };
}

async function enqueue({ count, photoBytes, item: code = 'SS-CARD-APPLY' }) {
  const db = await openDb();
  try {
    const device = await getMeta(db, 'device');
    const runner = await getMeta(db, 'runner');
    if (!device || !runner) throw new Error('the phone is not enrolled and set up');
    const item = findItem(await getMeta(db, 'catalogue'), code);
    if (!item) throw new Error(`no item ${code} in the phone's catalogue`);
    const ctx = { db, device, runner };
    const perAppMs = [];
    for (let n = 0; n < count; n++) {
      const [name, idNumber, phone] = PEOPLE[n % PEOPLE.length];
      const started = performance.now();
      const draft = newDraft(item.code);
      draft.values = {
        name,
        id_type: 'resident_id',
        id_number: idNumber,
        phone,
        region: '',
        'm-ID-CARD': 'scan',
        'm-PHOTO': 'scan',
        delivery: n % 2 ? 'mail' : 'pickup',
        mail_to: n % 2 ? `四川省成都市金堂县赵镇十里大道一段${n}号` : '',
        note: '',
      };
      await saveDraft(db, draft);
      const photos = {};
      for (const material of ['ID-CARD', 'PHOTO']) {
        const kept = await addDraftPhoto(db, device, draft, material, photo(photoBytes));
        if (kept.preview) URL.revokeObjectURL(kept.preview);
        (photos[material] = photos[material] || []).push(kept);
      }
      const checked = checkNew(draft.values, photos, item, device);
      if (Object.keys(checked.errors).length) throw new Error(`refused: ${JSON.stringify(checked.errors)}`);
      await captureNew(ctx, item, draft.values, checked, { draftId: draft.id });
      perAppMs.push(performance.now() - started);
    }
    return { made: perAppMs.length, perAppMs };
  } finally {
    db.close();
  }
}

window.__daibanBench = { enqueue };
