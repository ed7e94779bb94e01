// A new application: choose the item (search by name, code or pinyin initials), then the
// catalogue-driven form with the item's materials checklist, photos from the camera, and
// pickup or mail. The laptop's form and checks (agent/web/templates/new_form.html).
//
// What is typed and the photos taken stay in memory only until they are sealed: a refused
// form comes back with everything still filled in, photos included.

import { getMeta, isQuotaError } from '../db.js';
import { errorSummary, field, formValues, h } from '../dom.js';
import { t } from '../i18n.js';
import { findItem, itemsHere, matches } from '../catalogue.js';
import { CaptureError, captureNew, checkNew } from '../capture.js';
import { readPhoto } from '../photos.js';

const ID_TYPES = ['resident_id', 'passport', 'hk_macau_permit', 'taiwan_permit', 'foreign_permanent_id'];
let draft = null; // {item, values, photos: {code: [{bytes, mediaType, preview}]}}

function draftFor(code) {
  if (!draft || draft.item !== code) {
    for (const list of Object.values(draft?.photos || {})) for (const p of list) URL.revokeObjectURL(p.preview);
    draft = { item: code, values: {}, photos: {} };
  }
  return draft;
}

export function forgetDraft() {
  draftFor(null);
}

export async function pick(ctx) {
  const catalogue = await getMeta(ctx.db, 'catalogue');
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
  return [h('h1', {}, t('pick.title')), field({ name: 'q', label: t('pick.search'), input: search }), list, empty];
}

function radio(name, value, label, checked, extra = {}) {
  return h('label', { class: 'choice' }, h('input', { type: 'radio', name, value, checked, ...extra }), label);
}

function photoStrip(state, code, redraw) {
  const list = state.photos[code] || [];
  return h(
    'div',
    { class: 'photos', 'data-testid': `photos-${code}` },
    list.map((photo, n) =>
      h(
        'figure',
        {},
        h('img', { src: photo.preview, alt: t('form.photo', { name: code }) + ` ${n + 1}` }),
        h(
          'button',
          {
            type: 'button',
            'aria-label': t('form.photo.remove'),
            onclick: () => {
              URL.revokeObjectURL(photo.preview);
              list.splice(n, 1);
              redraw();
            },
          },
          '×',
        ),
      ),
    ),
  );
}

function materialRow(spec, state, errors) {
  const key = `material-${spec.code}`;
  const choice = state.values[`m-${spec.code}`] || '';
  const error = errors[key];
  const strip = h('div');
  const count = h('span', { class: 'hint', 'data-testid': `photo-count-${spec.code}` });
  const redraw = () => {
    const n = (state.photos[spec.code] || []).length;
    strip.replaceChildren(photoStrip(state, spec.code, redraw));
    count.textContent = n ? ` ${t('form.photo.count', { count: n })}` : '';
  };
  const input = h('input', {
    type: 'file',
    id: `file-${spec.code}`,
    accept: 'image/*',
    capture: 'environment',
    multiple: true,
  });
  const status = h('p', { class: 'error', hidden: true, role: 'alert' });
  input.addEventListener('change', async () => {
    status.hidden = true;
    for (const file of [...input.files]) {
      try {
        const photo = await readPhoto(file);
        (state.photos[spec.code] = state.photos[spec.code] || []).push(photo);
      } catch (err) {
        status.textContent = err.code ? t(err.code) : t('form.photo.unreadable', { reason: err.message });
        status.hidden = false;
      }
    }
    input.value = '';
    if ((state.photos[spec.code] || []).length) {
      const scan = input.form && input.form.querySelector(`input[name="m-${spec.code}"][value="scan"]`);
      if (scan) scan.checked = true; // a photo taken means "photo" for this material
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

export async function form(ctx, code, errors = {}) {
  const catalogue = await getMeta(ctx.db, 'catalogue');
  const item = findItem(catalogue, code);
  if (!item || !itemsHere(catalogue, ctx.device.outlet.kind).includes(item)) {
    return [h('h1', {}, t('notfound.title')), h('p', {}, h('a', { href: '#/new' }, t('form.other_item')))];
  }
  const state = draftFor(item.code);
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
    item.materials.map((spec) => materialRow(spec, state, errors)),
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
    deliveryBox,
    field({ name: 'note', label: t('form.note'), errors, input: h('textarea', { rows: '2', maxlength: '2000' }, v.note || '') }),
    errors.form ? h('p', { class: 'error', role: 'alert' }, errors.form) : null,
    errors.item ? h('p', { class: 'error', role: 'alert' }, errors.item) : null,
    submit,
  );
  // What is typed is kept as it is typed, so a redraw (sync now, the language switch) loses
  // nothing; it stays in memory only, never in storage, until it is sealed.
  const keep = () => {
    state.values = formValues(formEl);
  };
  formEl.addEventListener('input', keep);
  formEl.addEventListener('change', (event) => {
    keep();
    if (event.target.name === 'delivery') mailBox.hidden = event.target.value !== 'mail';
  });
  formEl.addEventListener('submit', async (event) => {
    event.preventDefault();
    state.values = formValues(formEl);
    const checked = checkNew(state.values, state.photos, item, ctx.device);
    if (Object.keys(checked.errors).length) {
      ctx.show(await form(ctx, code, checked.errors));
      return;
    }
    submit.disabled = true;
    submit.textContent = t('form.saving');
    let made;
    try {
      made = await captureNew(ctx, item, state.values, checked);
    } catch (error) {
      let problems;
      if (error instanceof CaptureError) {
        const where = error.field === 'materials' || error.field === 'promised' ? `material-${error.params.material}` : error.field;
        problems = { [where || 'form']: error.words() };
      } else if (isQuotaError(error)) problems = { form: t('storage.full') };
      else problems = { form: t('storage.failed', { reason: error.message }) };
      ctx.show(await form(ctx, code, problems));
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
  ];
}
