// A new application: choose the item (search by name, code or pinyin initials), then the
// catalogue-driven form with the item's materials checklist, photos from the camera, and
// pickup or mail. The laptop's form and checks (agent/web/templates/new_form.html).
//
// What is typed and the photos taken are kept as a draft (drafts.js) as they are entered,
// encrypted or sealed, never in clear: a killed tab, a reload or another item's form loses
// nothing, and the form comes back as it was. A refused form comes back with everything
// still filled in, photos included. The draft goes once the application is saved, or when
// the runner discards it (asked twice).

import { getMeta, isQuotaError } from '../db.js';
import { details, errorDetail, errorSummary, field, formValues, h } from '../dom.js';
import { t, when } from '../i18n.js';
import { findItem, itemsHere, matches } from '../catalogue.js';
import { CaptureError, captureNew, checkNew } from '../capture.js';
import { DraftChanged, discardDraft, listDrafts, loadDraft, newDraft, saveDraft } from '../drafts.js';
import { photoInput, photoStrip, photosSettled, release } from './photostrip.js';
import { maskName } from '../../protocol/index.js';

const ID_TYPES = ['resident_id', 'passport', 'hk_macau_permit', 'taiwan_permit', 'foreign_permanent_id'];
// The draft on screen, kept in memory between redraws of its form (a refused save, the
// language switch); what is in IndexedDB is the same, encrypted.
let open = null; // {id, item, created_at, values, photos: [{sha256, material, size, media_type, preview}], stored}

async function draftFor(ctx, code) {
  if (open && open.item === code) return open;
  release(open);
  open = (await loadDraft(ctx.db, code)) || newDraft(code);
  return open;
}

export function forgetDraft() {
  release(open);
  open = null;
}

/** What keeps the draft written: one write at a time, the newest values always last. */
function keeper(ctx, draft, formEl) {
  let running = null;
  let again = false;
  const run = async () => {
    formEl.dataset.draft = 'saving';
    try {
      do {
        again = false;
        await saveDraft(ctx.db, draft);
      } while (again);
      formEl.dataset.draft = 'saved';
    } catch (error) {
      console.warn('the draft could not be kept', error);
      formEl.dataset.draft = 'failed';
      if (error && error.code === 'form.already_saved') savedElsewhere(ctx, draft);
    } finally {
      running = null;
    }
  };
  // `force`: the save's own last write; any other once the save began would bring the draft
  // back after it became the application.
  return (force = false) => {
    if (draft.saving && !force) return running;
    if (running) {
      again = true;
      return running;
    }
    running = run();
    return running;
  };
}

/** The draft was saved as an application in another tab: its receipt, not a second copy. */
function savedElsewhere(ctx, draft) {
  if (open === draft) forgetDraft();
  ctx.flash('ok', t('form.already_saved'));
  ctx.go(`#/receipt/${draft.id}`);
}

function byMaterial(photos) {
  const out = {};
  for (const photo of photos) (out[photo.material] = out[photo.material] || []).push(photo);
  return out;
}

/** The notice that stops new applications on a phone the hub revoked. */
function stopped() {
  return [
    h('h1', {}, t('pick.title')),
    h('p', { class: 'notice bad', 'data-testid': 'capture-blocked' }, t('revoked.no_capture')),
    h('p', {}, h('a', { class: 'button primary', href: '#/reenrol' }, t('reenrol.title'))),
  ];
}

function draftList(ctx, drafts, catalogue) {
  if (!drafts.length) return null;
  return h(
    'section',
    { class: 'card', 'data-testid': 'drafts' },
    h('h2', {}, t('drafts.title')),
    h(
      'ul',
      { class: 'items' },
      drafts.map((d) => {
        const item = findItem(catalogue, d.item);
        const who = d.values.name ? maskName(String(d.values.name).trim() || '-') : t('drafts.no_name');
        return h(
          'li',
          { 'data-draft': d.id },
          h(
            'a',
            { class: 'item', href: `#/new/${encodeURIComponent(d.item)}` },
            h('strong', {}, item ? item.name : d.item),
            h('small', {}, `${who} · ${t('drafts.photos', { count: d.photos })} · ${when(d.updated_at)}`),
          ),
        );
      }),
    ),
  );
}

export async function pick(ctx) {
  if (ctx.revoked) return stopped();
  const catalogue = await getMeta(ctx.db, 'catalogue');
  const drafts = await listDrafts(ctx.db);
  const initials = (await getMeta(ctx.db, 'initials'))?.initials || {};
  const items = itemsHere(catalogue, ctx.device.outlet.kind);
  const list = h('ul', { class: 'items', id: 'items' });
  const empty = h('p', { class: 'empty', id: 'items-empty', hidden: true }, t('pick.none'));
  const search = h('input', { type: 'search', autocomplete: 'off', autocapitalize: 'none', spellcheck: 'false' });
  const draw = () => {
    const shown = items.filter((item) => matches(item, search.value, initials));
    list.replaceChildren(
      ...shown.map((item) =>
        h(
          'li',
          { 'data-code': item.code },
          h(
            'a',
            { class: 'item', href: `#/new/${encodeURIComponent(item.code)}` },
            h('strong', {}, item.name),
            h('small', {}, `${item.code} · ${t('pick.days', { days: item.promised_days })}${item.mailable ? '' : ` · ${t('pick.pickup_only')}`}`),
          ),
        ),
      ),
    );
    empty.hidden = shown.length > 0;
  };
  search.addEventListener('input', draw);
  draw();
  if (!catalogue) return [h('h1', {}, t('pick.title')), h('p', { class: 'empty' }, t('pick.no_catalogue'))];
  return [h('h1', {}, t('pick.title')), draftList(ctx, drafts, catalogue), field({ name: 'q', label: t('pick.search'), input: search }), list, empty];
}

function radio(name, value, label, checked, extra = {}) {
  return h('label', { class: 'choice' }, h('input', { type: 'radio', name, value, checked, ...extra }), label);
}

function materialRow(ctx, spec, state, errors) {
  const key = `material-${spec.code}`;
  const choice = state.values[`m-${spec.code}`] || '';
  const error = errors[key];
  const strip = h('div');
  const count = h('span', { class: 'hint', 'data-testid': `photo-count-${spec.code}` });
  const redraw = () => {
    const n = state.photos.filter((p) => p.material === spec.code).length;
    strip.replaceChildren(photoStrip(ctx, state, spec.code, redraw));
    count.textContent = n ? ` ${t('form.photo.count', { count: n })}` : '';
  };
  const { input, status } = photoInput(ctx, state, spec.code, (taken) => {
    if (taken) {
      const scan = input.form && input.form.querySelector(`input[name="m-${spec.code}"][value="scan"]`);
      if (scan && !scan.checked) {
        scan.checked = true; // a photo taken means "photo" for this material
        scan.dispatchEvent(new Event('change', { bubbles: true }));
      }
    }
    redraw();
  });
  redraw();
  return h(
    'div',
    {
      class: error ? 'material has-error' : 'material',
      id: `f-${key}`,
      tabindex: '-1',
      role: 'group',
      'aria-labelledby': `mlabel-${spec.code}`,
      'aria-invalid': error ? 'true' : false,
      'data-material': spec.code,
    },
    h(
      'p',
      { class: 'mname', id: `mlabel-${spec.code}` },
      h('strong', {}, spec.name),
      spec.required ? h('span', { class: 'tag req' }, t('form.required')) : h('span', { class: 'tag' }, t('form.optional')),
      spec.may_promise ? h('span', { class: 'tag promise' }, t('form.may_promise')) : null,
    ),
    h(
      'div',
      { class: 'choices' },
      radio(`m-${spec.code}`, 'scan', t('form.m.scan'), choice === 'scan'),
      radio(`m-${spec.code}`, 'paper', t('form.m.paper'), choice === 'paper'),
      spec.may_promise ? radio(`m-${spec.code}`, 'promise', t('form.m.promise'), choice === 'promise') : null,
      radio(`m-${spec.code}`, '', t('form.m.none'), !choice),
    ),
    h(
      'label',
      { class: 'button file-button', for: `file-${spec.code}` },
      t('form.photo.take'),
      count,
      input,
    ),
    strip,
    status,
    error ? h('p', { class: 'error', id: `err-${key}` }, error) : null,
  );
}

export async function form(ctx, code, errors = {}, detail = '') {
  if (ctx.revoked) return stopped();
  const catalogue = await getMeta(ctx.db, 'catalogue');
  const item = findItem(catalogue, code);
  if (!item || !itemsHere(catalogue, ctx.device.outlet.kind).includes(item)) {
    // An item gone from the catalogue (or not for this outlet): a draft kept for it can
    // still be discarded here.
    const kept = await loadDraft(ctx.db, code);
    return [
      h('h1', {}, t('notfound.title')),
      h('p', {}, h('a', { href: '#/new' }, t('form.other_item'))),
      kept ? discardBox(ctx, kept) : null,
    ];
  }
  const state = await draftFor(ctx, item.code);
  const v = state.values;
  const text = (name, attrs = {}) => h('input', { type: 'text', value: v[name] || '', autocomplete: 'off', ...attrs });
  const idType = h(
    'select',
    {},
    ID_TYPES.map((k) => h('option', { value: k, selected: (v.id_type || 'resident_id') === k }, t(`id_type.${k}`))),
  );
  const delivery = v.delivery || '';
  const mailBox = h(
    'div',
    { class: 'mail-fields', hidden: delivery !== 'mail' },
    field({ name: 'mail_to', label: t('form.mail_to'), hint: t('form.mail_to.hint'), errors, input: text('mail_to') }),
    field({ name: 'recipient', label: t('form.recipient'), errors, input: text('recipient') }),
    field({
      name: 'recipient_phone',
      label: t('form.recipient_phone'),
      errors,
      input: text('recipient_phone', { type: 'tel', inputmode: 'numeric' }),
    }),
    field({ name: 'postcode', label: t('form.postcode'), errors, input: text('postcode', { inputmode: 'numeric', maxlength: '6' }) }),
  );
  const submit = h('button', { class: 'primary big', type: 'submit', 'data-testid': 'save' }, t('form.submit'));
  const materials = h(
    'fieldset',
    { id: 'f-materials', class: errors.materials ? 'has-error' : false },
    h('legend', {}, t('form.materials')),
    errors.materials ? h('p', { class: 'error' }, errors.materials) : null,
    item.materials.map((spec) => materialRow(ctx, spec, state, errors)),
  );
  const deliveryBox = h(
    'fieldset',
    { id: 'f-delivery', class: errors.delivery ? 'has-error' : false, 'aria-invalid': errors.delivery ? 'true' : false },
    h('legend', {}, t('form.delivery'), ' ', h('span', { class: 'req' }, '*')),
    errors.delivery ? h('p', { class: 'error', id: 'err-delivery' }, errors.delivery) : null,
    radio('delivery', 'pickup', t('form.delivery.pickup'), delivery === 'pickup'),
    radio(
      'delivery',
      'mail',
      item.mailable ? t('form.delivery.mail') : `${t('form.delivery.mail')} — ${t('form.delivery.not_mailable')}`,
      delivery === 'mail',
      { disabled: !item.mailable },
    ),
    mailBox,
  );
  const formEl = h(
    'form',
    { class: 'capture', novalidate: true, 'data-testid': 'capture-form' },
    h(
      'fieldset',
      {},
      h('legend', {}, t('form.applicant')),
      field({ name: 'name', label: `${t('form.name')} *`, errors, input: text('name') }),
      field({ name: 'id_type', label: t('form.id_type'), errors, input: idType }),
      field({ name: 'id_number', label: `${t('form.id_number')} *`, errors, input: text('id_number', { autocapitalize: 'characters' }) }),
      field({ name: 'phone', label: `${t('form.phone')} *`, errors, input: text('phone', { type: 'tel', inputmode: 'numeric' }) }),
      field({
        name: 'region',
        label: t('form.region'),
        hint: t('form.region.hint', { region: ctx.device.outlet.region }),
        errors,
        input: text('region', { inputmode: 'numeric', maxlength: '6' }),
      }),
    ),
    materials,
    orphanPhotos(ctx, item, state),
    deliveryBox,
    field({ name: 'note', label: t('form.note'), errors, input: h('textarea', { rows: '2', maxlength: '2000' }, v.note || '') }),
    errors.form ? h('p', { class: 'error', role: 'alert' }, errors.form) : null,
    details(detail),
    errors.item ? h('p', { class: 'error', role: 'alert' }, errors.item) : null,
    submit,
  );
  formEl.dataset.draft = state.stored ? 'saved' : 'new';
  // What is typed is kept as it is typed: in memory, so a redraw (sync now, the language
  // switch) loses nothing, and in the draft, encrypted, so a killed tab loses nothing either.
  const store = keeper(ctx, state, formEl);
  const keep = () => {
    state.values = formValues(formEl);
    store();
  };
  formEl.addEventListener('input', keep);
  formEl.addEventListener('change', (event) => {
    keep();
    if (event.target.name === 'delivery') mailBox.hidden = event.target.value !== 'mail';
  });
  formEl.addEventListener('submit', async (event) => {
    event.preventDefault();
    if (state.saving) return;
    state.saving = true; // from the tap on: no photo, no keystroke brings the draft back
    submit.disabled = true;
    const { failed: notKept } = await photosSettled(state); // a photo still being sealed is part of what is saved
    state.values = formValues(formEl);
    const checked = checkNew(state.values, byMaterial(state.photos), item, ctx.device);
    if (notKept) checked.errors.form = t('form.photo.not_kept');
    if (Object.keys(checked.errors).length) {
      await store(true);
      state.saving = false;
      ctx.show(await form(ctx, code, checked.errors));
      return;
    }
    submit.textContent = t('form.saving');
    let made;
    try {
      await store(true); // the draft is current before it becomes the application
      const known = new Set(state.photos.map((p) => p.sha256));
      made = await captureNew(ctx, item, state.values, checked, { draftId: state.id, known });
    } catch (error) {
      state.saving = false;
      let problems;
      let technical = '';
      if (error instanceof CaptureError) {
        const where = error.field === 'materials' || error.field === 'promised' ? `material-${error.params.material}` : error.field;
        problems = { [where || 'form']: error.words() };
      } else if (isQuotaError(error)) problems = { form: t('storage.full') };
      else if (error instanceof DraftChanged && error.code === 'form.already_saved') {
        savedElsewhere(ctx, state);
        return;
      } else if (error instanceof DraftChanged) {
        forgetDraft(); // drawn again from what the store really holds
        problems = { form: t(error.code) };
      } else {
        problems = { form: t('storage.failed') };
        technical = errorDetail(error);
      }
      ctx.show(await form(ctx, code, problems, technical));
      return;
    }
    forgetDraft();
    ctx.flash('ok', t('form.saved'));
    ctx.workQueued();
    ctx.go(`#/receipt/${made.id}`);
  });
  return [
    h('h1', {}, item.name, ' ', h('small', {}, item.code)),
    h(
      'p',
      { class: 'hint' },
      t('form.promised_days', { days: item.promised_days }),
      item.note ? ` ${item.note} ` : ' ',
      h('a', { href: '#/new' }, t('form.other_item')),
    ),
    errorSummary(t('form.errors'), errors),
    formEl,
    discardBox(ctx, state),
  ];
}

/** Photos of materials the item no longer lists (the catalogue changed under the draft):
 * shown, each removable, and the save refuses until the runner decides (capture.js). */
function orphanPhotos(ctx, item, state) {
  const listed = new Set(item.materials.map((m) => m.code));
  const codes = [...new Set(state.photos.map((p) => p.material))].filter((code) => !listed.has(code));
  if (!codes.length) return null;
  const box = h('fieldset', { class: 'has-error', 'data-testid': 'orphan-photos' }, h('legend', {}, t('form.photo.orphan.title')));
  const draw = () =>
    box.replaceChildren(
      h('legend', {}, t('form.photo.orphan.title')),
      ...codes.map((code) => h('div', { class: 'material', 'data-material': code }, h('p', { class: 'mname' }, h('strong', {}, code)), photoStrip(ctx, state, code, draw))),
    );
  draw();
  return box;
}

/** Discarding the draft, asked twice: a tap by mistake must not throw away a visit's work. */
function discardBox(ctx, state) {
  const confirm = h(
    'div',
    { class: 'card confirm', hidden: true, 'data-testid': 'discard-confirm-box' },
    h('p', {}, t('drafts.discard.really')),
    h(
      'div',
      { class: 'actions' },
      h(
        'button',
        {
          type: 'button',
          class: 'danger',
          'data-testid': 'discard-confirm',
          onclick: async (event) => {
            event.target.disabled = true;
            try {
              await photosSettled(state);
              await discardDraft(ctx.db, state.id, new Set(state.photos.map((p) => p.sha256)));
            } catch (error) {
              forgetDraft(); // drawn again from what the store holds
              ctx.flash('error', error instanceof DraftChanged ? t(error.code) : t('storage.failed'));
              ctx.route();
              return;
            }
            forgetDraft();
            ctx.flash('ok', t('drafts.discarded'));
            ctx.go('#/new');
          },
        },
        t('drafts.discard.yes'),
      ),
      h('button', { type: 'button', onclick: () => (confirm.hidden = true) }, t('drafts.discard.no')),
    ),
  );
  return h(
    'div',
    { class: 'discard' },
    h('button', { type: 'button', class: 'link', 'data-testid': 'discard', onclick: () => (confirm.hidden = false) }, t('drafts.discard')),
    confirm,
  );
}
