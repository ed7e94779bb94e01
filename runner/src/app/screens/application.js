// One application: what the phone and the hub know of it, its timeline from the pulled
// changes, what the hub said about it, and the next thing the runner can record: the
// supplement the hub asked for (with new photos), the hand-over of the result, the rating.

import { getMeta, isQuotaError } from '../db.js';
import { details, errorDetail, errorSummary, field, formValues, h } from '../dom.js';
import { eventWords, t, when } from '../i18n.js';
import { findItem, materialNames } from '../catalogue.js';
import { CaptureError, RATING_LEVELS, alreadyRecorded, collectorProblems, handOver, rate, supplement } from '../capture.js';
import { attentionItems, getApplication, reasonWords, timeline } from '../local.js';
import { DraftChanged, discardDraft, loadDraft, newDraft, saveDraft, supplementItem } from '../drafts.js';
import { reasonList } from './lists.js';
import { refusalText } from '../words.js';
import { photoInput, photoStrip, photosSettled, release } from './photostrip.js';

function facts(app, units) {
  const pairs = [
    ['app.item', `${app.item_name} (${app.item})`],
    ['app.applicant', `${app.applicant.name} · ${app.applicant.id_number} · ${app.applicant.phone}`],
    app.unit ? ['app.unit', units[app.unit] || app.unit] : null,
    ['app.sync', h('span', { 'data-testid': 'sync-state', 'data-state': app.sync_state }, t(`sync_state.${app.sync_state}`))],
    ['app.hub', h('span', { 'data-testid': 'hub-status', 'data-state': app.hub_status || '' }, app.hub_status ? t(`hub.${app.hub_status}`) : '-')],
    app.refusal !== undefined && app.refusal !== null
      ? ['app.refusal', h('span', { 'data-testid': 'refusal' }, refusalText(app.refusal))]
      : null,
    app.due_date ? ['app.due', `${app.due_date}${app.due_provisional ? ` (${t('app.provisional')})` : ''}`] : null,
    ['app.result', app.delivery === 'mail' ? t('receipt.mailed_to', { address: app.address_masked }) : t('form.delivery.pickup')],
    app.tracking ? ['app.tracking', h('span', { 'data-testid': 'tracking' }, app.tracking)] : null,
    ['app.staff', `${app.staff} · ${when(app.captured_at)}`],
  ].filter(Boolean);
  return h('dl', { class: 'facts' }, pairs.map(([key, value]) => [h('dt', {}, t(key)), h('dd', {}, value)]));
}

function timelineList(lines, names, units) {
  const detail = (line) =>
    [
      line.unit ? units[line.unit] || line.unit : '',
      line.due_date ? t('receipt.due', { date: line.due_date }) : '',
      (line.materials || []).map((c) => names[c] || c).join('、'),
      (line.reasons || []).map((r) => reasonWords(r).text).join('；'),
      line.source === 'hub' && line.event === 'rejected' ? refusalText(line.detail) : line.detail || '',
    ]
      .filter(Boolean)
      .join(' · ');
  return h(
    'ol',
    { class: 'timeline', 'data-testid': 'timeline' },
    lines.map((line) =>
      h(
        'li',
        { class: `src-${line.source}`, 'data-event': line.event },
        h('time', {}, when(line.at)),
        h('span', { class: 'src' }, t(`source.${line.source}`)),
        eventWords(line.event),
        detail(line) ? h('span', { class: 'detail' }, detail(line)) : null,
      ),
    ),
  );
}

function failed(error) {
  if (error instanceof CaptureError) return { [error.field || 'form']: error.words() };
  if (error instanceof DraftChanged) return { form: t(error.code) };
  if (isQuotaError(error)) return { form: t('storage.full') };
  return { form: t('storage.failed'), _detail: errorDetail(error) };
}

// The supplement being gathered on screen, kept between redraws; in IndexedDB it is a draft
// (drafts.js): its photos sealed as they are taken, its ticks and note encrypted, so a
// killed tab or a restarted phone loses none of what the citizen handed over.
let open = null;

async function supplementDraft(ctx, app) {
  // Read from the store at each drawing: another tab may have sent, discarded or added to it
  // (everything on screen is stored as it is entered, so nothing is lost by reading again).
  const item = supplementItem(app.id);
  if (open && open.item === item && open.pending?.size) return open; // photos still being sealed into it
  release(open);
  open = (await loadDraft(ctx.db, item)) || newDraft(item);
  return open;
}

/** The supplement's photo rows: each material the hub asked for, and any other the draft
 * holds photos for (taken for an earlier request): none of them is dropped unseen. */
function supplementRows(ctx, draft, requested, names, values, editable) {
  const held = [...new Set(draft.photos.map((p) => p.material))].filter((code) => !requested.includes(code));
  return [...requested, ...held].map((code) => {
    const asked = requested.includes(code);
    const count = h('span', { class: 'hint', 'data-testid': `photo-count-${code}` });
    const strip = h('div');
    const redraw = () => {
      const n = draft.photos.filter((p) => p.material === code).length;
      count.textContent = n ? ` ${t('form.photo.count', { count: n })}` : '';
      strip.replaceChildren(photoStrip(ctx, draft, code, redraw));
    };
    redraw();
    const { input, status } = photoInput(ctx, draft, code, redraw);
    return h(
      'div',
      { class: 'material', 'data-material': code },
      h('p', { class: 'mname' }, h('strong', {}, names[code] || code), editable && !asked ? h('span', { class: 'tag' }, t('supplement.not_asked')) : null),
      editable ? h('label', { class: 'button file-button', for: `file-${code}` }, t('form.photo.take'), count, input) : count,
      strip,
      status,
      editable && asked
        ? h('label', { class: 'choice' }, h('input', { type: 'checkbox', name: `paper-${code}`, value: '1', checked: Boolean(values[`paper-${code}`]) }), t('supplement.paper'))
        : null,
    );
  });
}

/** Throwing the supplement's photos away, asked twice (new.js does the same for a draft). */
function discardSupplement(ctx, app, draft) {
  const question = h('p');
  const box = h(
    'div',
    { class: 'card confirm', hidden: true, 'data-testid': 'discard-supplement-box' },
    question,
    h(
      'div',
      { class: 'actions' },
      h(
        'button',
        {
          type: 'button',
          class: 'danger',
          'data-testid': 'discard-supplement-confirm',
          onclick: async (event) => {
            event.target.disabled = true;
            try {
              await photosSettled(draft);
              await discardDraft(ctx.db, draft.id, new Set(draft.photos.map((p) => p.sha256)));
            } catch (error) {
              ctx.flash('error', error instanceof DraftChanged ? t(error.code) : t('storage.failed'));
              ctx.show(await application(ctx, app.id));
              return;
            }
            release(open);
            open = null;
            ctx.flash('ok', t('supplement.discarded'));
            ctx.show(await application(ctx, app.id));
          },
        },
        t('supplement.discard.yes'),
      ),
      h('button', { type: 'button', onclick: () => (box.hidden = true) }, t('supplement.discard.no')),
    ),
  );
  return h(
    'div',
    { class: 'discard' },
    h(
      'button',
      {
        type: 'button',
        class: 'link',
        'data-testid': 'discard-supplement',
        onclick: () => {
          question.textContent = t('supplement.discard.really', { count: draft.photos.length }); // as many as now
          box.hidden = false;
        },
      },
      t('supplement.discard'),
    ),
    box,
  );
}

/** A supplement gathered for a request the hub no longer makes (the department went on, or
 * the application was closed): its photos stay on the phone until the runner throws them
 * away, and a later request shows them again. */
async function leftoverSupplement(ctx, app, names) {
  const draft = await supplementDraft(ctx, app);
  if (!draft.stored || (!draft.photos.length && !draft.values.note)) return null;
  return h(
    'section',
    { class: 'card', 'data-testid': 'supplement-leftover' },
    h('h2', {}, t('supplement.leftover.title')),
    h('p', {}, t('supplement.leftover.body', { count: draft.photos.length, status: app.hub_status ? t(`hub.${app.hub_status}`) : '-' })),
    supplementRows(ctx, draft, [], names, draft.values, false),
    draft.values.note ? h('p', { class: 'hint' }, `${t('form.note')}：${draft.values.note}`) : null,
    discardSupplement(ctx, app, draft),
  );
}

async function supplementForm(ctx, app, requested, names, errors, given) {
  const draft = await supplementDraft(ctx, app);
  const values = Object.keys(given).length ? given : draft.values;
  const rows = supplementRows(ctx, draft, requested, names, values, true);
  const note = h('textarea', { rows: '2', maxlength: '2000' }, values.note || '');
  const submit = h('button', { class: 'primary big', type: 'submit', 'data-testid': 'send-supplement' }, t('supplement.submit'));
  const form = h(
    'form',
    { class: 'card', novalidate: true, 'data-testid': 'supplement-form', id: 'f-materials' },
    h('h2', {}, t('supplement.title')),
    errors.materials ? h('p', { class: 'error', role: 'alert' }, errors.materials) : null,
    rows,
    field({ name: 'note', label: t('form.note'), errors, input: note }),
    errors.form ? h('p', { class: 'error', role: 'alert' }, errors.form) : null,
    details(errors._detail),
    submit,
  );
  // The ticks and the note are kept as they change, one write after the other.
  let saving = Promise.resolve();
  const keep = () => {
    if (draft.saving) return; // it is becoming the record: a write now would bring it back
    draft.values = formValues(form);
    form.dataset.draft = 'saving';
    // Not once the supplement is recorded (by this tab or another): it would come back as a
    // supplement of its own.
    const recorded = async () => alreadyRecorded(await timeline(ctx.db, app.id), 'amended (supplement)', app);
    saving = saving
      .then(async () => (draft.saving || (await recorded()) ? null : saveDraft(ctx.db, draft)))
      .then(
        () => (form.dataset.draft = 'saved'),
        (error) => {
          console.warn('the supplement could not be kept', error);
          form.dataset.draft = 'failed';
        },
      );
  };
  form.addEventListener('change', keep);
  form.addEventListener('input', keep);
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    if (draft.saving) return;
    draft.saving = true; // from the tap on: no photo, no keystroke brings the draft back
    submit.disabled = true;
    const again = async (problems, got) => {
      draft.saving = false;
      ctx.show(await application(ctx, app.id, 'supplement', problems, got));
    };
    const { failed: notKept } = await photosSettled(draft);
    const got = formValues(form);
    if (notKept) return again({ form: t('form.photo.not_kept') }, got);
    const chosen = {};
    for (const photo of draft.photos) (chosen[photo.material] = chosen[photo.material] || []).push(photo);
    const paper = requested.filter((c) => !chosen[c] && got[`paper-${c}`]);
    // At least one material the hub asked for: photos kept from an earlier request go along,
    // but they alone do not answer this one.
    if (!requested.some((c) => chosen[c] || paper.includes(c))) return again({ materials: t('supplement.empty') }, got);
    try {
      await saving;
      const known = new Set(draft.photos.map((p) => p.sha256));
      await supplement(ctx, app, { draftId: draft.id, photos: chosen, paper, note: got.note, known });
    } catch (error) {
      return again(failed(error), got);
    }
    draft.saving = false;
    release(open);
    open = null;
    ctx.flash('ok', t('queued', { id: app.receipt }));
    ctx.workQueued();
    ctx.route();
  });
  return [form, discardSupplement(ctx, app, draft)];
}

function pickupForm(ctx, app, errors, values) {
  const collector = values.collector || '';
  const radio = (value, label) =>
    h('label', { class: 'choice' }, h('input', { type: 'radio', name: 'collector', value, checked: collector === value }), label);
  const form = h(
    'form',
    { class: 'card', novalidate: true, 'data-testid': 'pickup-form' },
    h('h2', {}, t('pickup.title')),
    h(
      'fieldset',
      { id: 'f-collector', class: errors.collector ? 'has-error' : false },
      h('legend', {}, t('pickup.who')),
      radio('applicant', t('pickup.applicant')),
      radio('proxy', t('pickup.proxy')),
      errors.collector ? h('p', { class: 'error' }, errors.collector) : null,
    ),
    field({ name: 'proxy_name', label: t('pickup.proxy_name.label'), errors, input: h('input', { type: 'text', value: values.proxy_name || '', autocomplete: 'off' }) }),
    field({ name: 'proxy_id_number', label: t('pickup.proxy_id.label'), errors, input: h('input', { type: 'text', value: values.proxy_id_number || '', autocomplete: 'off' }) }),
    h(
      'div',
      { class: errors.id_checked ? 'field has-error' : 'field', id: 'f-id_checked' },
      h('label', { class: 'choice' }, h('input', { type: 'checkbox', name: 'id_checked', value: '1', checked: Boolean(values.id_checked) }), t('pickup.id_checked')),
      errors.id_checked ? h('p', { class: 'error' }, errors.id_checked) : null,
    ),
    errors.form ? h('p', { class: 'error', role: 'alert' }, errors.form) : null,
    details(errors._detail),
    h('button', { class: 'primary big', type: 'submit', 'data-testid': 'confirm-pickup' }, t('pickup.submit')),
  );
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const got = formValues(form);
    const problems = {};
    if (got.collector !== 'applicant' && got.collector !== 'proxy') problems.collector = t('pickup.choose');
    if (!got.id_checked) problems.id_checked = t('pickup.id_checked.missing');
    Object.assign(problems, collectorProblems(got.collector, got.proxy_name || '', got.proxy_id_number || ''));
    if (Object.keys(problems).length) {
      ctx.show(await application(ctx, app.id, 'pickup', problems, got));
      return;
    }
    try {
      await handOver(ctx, app, { collector: got.collector, proxyName: got.proxy_name, proxyIdNumber: got.proxy_id_number });
    } catch (error) {
      ctx.show(await application(ctx, app.id, 'pickup', failed(error), got));
      return;
    }
    ctx.flash('ok', t('queued', { id: app.receipt }));
    ctx.workQueued();
    ctx.route();
  });
  return form;
}

function ratingForm(ctx, app, errors, values) {
  const form = h(
    'form',
    { class: 'card', novalidate: true, 'data-testid': 'rating-form' },
    h('h2', {}, t('rating.title')),
    h(
      'fieldset',
      { id: 'f-level', class: errors.level ? 'has-error' : false },
      h('legend', {}, t('rating.question')),
      RATING_LEVELS.map((level) =>
        h('label', { class: 'choice' }, h('input', { type: 'radio', name: 'level', value: level, checked: values.level === level }), t(`rating.${level}`)),
      ),
      errors.level ? h('p', { class: 'error' }, errors.level) : null,
    ),
    field({ name: 'comment', label: t('rating.comment'), errors, input: h('textarea', { rows: '2', maxlength: '2000' }, values.comment || '') }),
    errors.form ? h('p', { class: 'error', role: 'alert' }, errors.form) : null,
    details(errors._detail),
    h('button', { class: 'primary big', type: 'submit', 'data-testid': 'record-rating' }, t('rating.submit')),
  );
  form.addEventListener('submit', async (event) => {
    event.preventDefault();
    const got = formValues(form);
    if (!got.level) {
      ctx.show(await application(ctx, app.id, 'rate', { level: t('rating.choose') }, got));
      return;
    }
    try {
      await rate(ctx, app, { level: got.level, comment: got.comment });
    } catch (error) {
      ctx.show(await application(ctx, app.id, 'rate', failed(error), got));
      return;
    }
    ctx.flash('ok', t('queued', { id: app.receipt }));
    ctx.workQueued();
    ctx.route();
  });
  return form;
}

export async function application(ctx, id, _form = '', errors = {}, values = {}) {
  const app = await getApplication(ctx.db, id);
  if (!app) return [h('h1', {}, t('notfound.title')), h('p', {}, t('notfound.body'))];
  const catalogue = await getMeta(ctx.db, 'catalogue');
  const item = findItem(catalogue, app.item);
  const names = materialNames(item);
  const units = (catalogue && catalogue.units) || {};
  const mine = (await attentionItems(ctx.db)).filter((a) => a.app && a.app.id === app.id && a.kind !== 'supplement_kept');
  let requested = [...new Set(mine.filter((a) => a.kind === 'supplement').flatMap((a) => a.materials))];
  if (app.hub_status === 'supplement_requested' && !requested.length && item) requested = item.materials.map((m) => m.code);
  const lines = await timeline(ctx.db, app.id);
  const refused = new Set(mine.filter((a) => ['rejected', 'conflict', 'held'].includes(a.kind)).map((a) => a.record_id));
  const done = (event) => alreadyRecorded(lines, event, app, refused);
  let action = null;
  if (app.hub_status === 'supplement_requested' && done('amended (supplement)')) {
    action = h('p', { class: 'notice', 'data-testid': 'supplement-sent' }, t('supplement.sent'));
  } else if (app.hub_status === 'supplement_requested') action = await supplementForm(ctx, app, requested, names, errors, values);
  else if (app.hub_status === 'ready_for_pickup' && !done('picked up')) action = pickupForm(ctx, app, errors, values);
  else if (['delivered', 'closed'].includes(app.hub_status) && !done('rated')) action = ratingForm(ctx, app, errors, values);
  const leftover = app.hub_status === 'supplement_requested' && !done('amended (supplement)') ? null : await leftoverSupplement(ctx, app, names);
  return [
    h('h1', {}, t('app.title', { receipt: app.receipt })),
    errorSummary(t('form.errors'), errors),
    h('section', { class: 'card' }, facts(app, units), h('a', { href: `#/receipt/${app.id}` }, t('app.receipt'))),
    mine.length
      ? h(
          'section',
          { class: 'card kind-supplement', 'data-testid': 'hub-says' },
          h('h2', {}, t('app.reasons')),
          mine.map((a) =>
            h(
              'div',
              { 'data-kind': a.kind },
              h('p', {}, h('strong', {}, t(`attention.${a.kind}`))),
              reasonList(a.reasons),
              a.materials.length ? h('p', {}, t('attention.materials.list', { materials: a.materials.map((c) => names[c] || c).join('、') })) : null,
            ),
          ),
        )
      : null,
    action,
    leftover,
    h('h2', {}, t('app.timeline')),
    timelineList(lines, names, units),
  ];
}
