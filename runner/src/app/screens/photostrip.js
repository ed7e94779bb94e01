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
 * before the runner tapped it. */
export async function photosSettled(draft) {
  while (draft.busy) {
    const busy = draft.busy;
    await busy;
    if (draft.busy === busy) draft.busy = null;
  }
}

/** The camera button for material `code`: each photo taken is sealed to the hub and kept with
 * the draft at once (the picture survives the tab); `onTaken(count)` after each choice. */
export function photoInput(ctx, draft, code, onTaken) {
  const input = h('input', { type: 'file', id: `file-${code}`, accept: 'image/*', capture: 'environment', multiple: true });
  const status = h('div', { class: 'error', hidden: true, role: 'alert' });
  input.addEventListener('change', () => {
    status.hidden = true;
    const files = [...input.files];
    input.value = '';
    const work = (async () => {
      let taken = 0;
      for (const file of files) {
        try {
          const photo = await readPhoto(file);
          URL.revokeObjectURL(photo.preview); // the kept (encrypted) preview is shown instead
          draft.photos.push(await addDraftPhoto(ctx.db, ctx.device, draft, code, photo));
          taken += 1;
        } catch (err) {
          const words = err.code === 'form.photo.too_large' ? t(err.code) : isQuotaError(err) ? t('storage.full.photo') : t('form.photo.unreadable');
          status.replaceChildren(h('p', {}, words), details(errorDetail(err)));
          status.hidden = false;
        }
      }
      onTaken(taken);
    })();
    const before = draft.busy;
    draft.busy = before ? Promise.all([before, work]) : work;
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
