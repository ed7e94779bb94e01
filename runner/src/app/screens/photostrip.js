// The photos taken for one material of a draft (a new application's or a supplement's):
// the camera button that seals and keeps each one with the draft, their previews, each with
// a button that removes it from the draft.

import { isQuotaError } from '../db.js';
import { details, errorDetail, h } from '../dom.js';
import { addDraftPhoto, removeDraftPhoto } from '../drafts.js';
import { t } from '../i18n.js';
import { readPhoto } from '../photos.js';

/** Let go of the previews of a draft no longer on screen. */
export function release(draft) {
  for (const photo of draft?.photos || []) if (photo.preview) URL.revokeObjectURL(photo.preview);
}

/** Wait for the photos still being sealed into the draft: a save must see every photo taken
 * before the runner tapped it. `{failed}`: whether one of those could not be kept (the
 * runner must see that before anything is saved without it). */
export async function photosSettled(draft) {
  // No camera from here on: a picture taken while the save runs would have nowhere to go.
  for (const input of document.querySelectorAll('input[type=file]')) input.disabled = true;
  let failed = false;
  while (draft.pending?.size) {
    const outcomes = await Promise.all([...draft.pending]);
    if (outcomes.some((failures) => failures > 0)) failed = true;
  }
  return { failed };
}

/** The camera button for material `code`: each photo taken is sealed to the hub and kept with
 * the draft at once (the picture survives the tab); `onTaken(count)` after each choice. No
 * photo is taken into a draft that is being saved: it would come back as a draft of its own. */
export function photoInput(ctx, draft, code, onTaken) {
  const input = h('input', { type: 'file', id: `file-${code}`, accept: 'image/*', capture: 'environment', multiple: true });
  const status = h('div', { class: 'error', hidden: true, role: 'alert' });
  const say = (words, error = null) => {
    status.replaceChildren(...[h('p', {}, words), error ? details(errorDetail(error)) : null].filter(Boolean));
    status.hidden = false;
  };
  input.addEventListener('change', () => {
    status.hidden = true;
    const files = [...input.files];
    input.value = '';
    if (draft.saving) {
      say(t('form.photo.wait'));
      return;
    }
    const work = (async () => {
      let taken = 0;
      let failures = 0;
      for (const file of files) {
        try {
          const photo = await readPhoto(file);
          URL.revokeObjectURL(photo.preview); // the kept (encrypted) preview is shown instead
          draft.photos.push(await addDraftPhoto(ctx.db, ctx.device, draft, code, photo));
          taken += 1;
        } catch (err) {
          failures += 1;
          const key = err.code === 'form.photo.too_large' || err.code === 'form.photo.after_save' ? err.code : null;
          say(key ? t(key) : isQuotaError(err) ? t('storage.full.photo') : t('form.photo.unreadable'), err);
        }
      }
      onTaken(taken);
      return failures;
    })();
    draft.pending = draft.pending || new Set();
    draft.pending.add(work);
    work.finally(() => draft.pending.delete(work));
  });
  return { input, status };
}

export function photoStrip(ctx, state, code, redraw) {
  const list = state.photos.filter((p) => p.material === code);
  return h(
    'div',
    { class: 'photos', 'data-testid': `photos-${code}` },
    list.map((photo, n) =>
      h(
        'figure',
        {},
        photo.preview
          ? h('img', { src: photo.preview, alt: t('form.photo', { name: code }) + ` ${n + 1}` })
          : h('span', { class: 'nopreview' }, `${n + 1}`),
        h(
          'button',
          {
            type: 'button',
            'aria-label': t('form.photo.remove'),
            onclick: async () => {
              await removeDraftPhoto(ctx.db, photo.sha256);
              if (photo.preview) URL.revokeObjectURL(photo.preview);
              const at = state.photos.indexOf(photo);
              if (at >= 0) state.photos.splice(at, 1);
              redraw();
            },
          },
          '×',
        ),
      ),
    ),
  );
}
