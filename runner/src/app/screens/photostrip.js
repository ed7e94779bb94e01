// The photos taken for one material of a draft (a new application's or a supplement's):
// their previews, each with a button that removes it from the draft.

import { h } from '../dom.js';
import { removeDraftPhoto } from '../drafts.js';
import { t } from '../i18n.js';

/** Let go of the previews of a draft no longer on screen. */
export function release(draft) {
  for (const photo of draft?.photos || []) if (photo.preview) URL.revokeObjectURL(photo.preview);
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
