// Capture on the doorstep: new applications, supplements, hand-overs and ratings, with the
// laptop's checks (agent/capture.py, agent/web/forms.py) and its words.
//
// Everything is checked before anything is stored: the item against the catalogue and this
// outlet's kind, the materials against the item, the ID number and phones against the
// protocol's validators (the same rules as sync/validators.py). Personal data and photos are
// sealed to the hub's key before they touch storage; only masked copies are kept in clear.
// An application, its photos and its outbox entry commit in one transaction (and the draft
// it was filled in as goes in that same transaction).

import * as protocol from '../protocol/index.js';
import { nextCounter, write } from './db.js';
import { addTimeline, resolveAttention } from './local.js';
import { DraftChanged, settleDraft } from './drafts.js';
import { t } from './i18n.js';

const ID_TYPES = ['resident_id', 'passport', 'hk_macau_permit', 'taiwan_permit', 'foreign_permanent_id'];
export const RATING_LEVELS = ['very_satisfied', 'satisfied', 'basic', 'dissatisfied', 'very_dissatisfied'];

/** A refusal at the doorstep: `code` picks the words, `field` the input to fix. */
export class CaptureError extends Error {
  constructor(code, message, { field = null, params = {} } = {}) {
    super(message);
    this.code = code;
    this.field = field;
    this.params = params;
  }

  words() {
    return t(this.code, this.params, this.message);
  }
}

/** Run one of the protocol's validators with capture's codes (`field.reason`) and words. */
function validated(value, check, fieldName) {
  try {
    return check(value);
  } catch (error) {
    if (error instanceof protocol.InvalidValue) {
      throw new CaptureError(`${fieldName}.${error.reason}`, error.message, { field: fieldName });
    }
    throw error;
  }
}

/** The validator's refusal for `value` in words, or null when it passes. */
function problem(value, check, fieldName) {
  try {
    validated(value, check, fieldName);
    return null;
  } catch (error) {
    if (error instanceof CaptureError) return error.words();
    throw error;
  }
}

/** The materials rule (sync/catalogue.py material_problems, checked against
 * tests/vectors/materials.json): every problem at once, `{code, field, material, name}`, in
 * the rule's order (materials the item does not ask for, sorted; then in the catalogue's
 * order one required and missing, or one promised that may not be). */
export function materialProblems(item, provided, promised) {
  const specs = new Map(item.materials.map((m) => [m.code, m]));
  const problems = [...new Set([...provided, ...promised])]
    .filter((code) => !specs.has(code))
    .sort()
    .map((code) => ({ code: 'material.unknown', field: 'materials', material: code, name: '' }));
  for (const [code, spec] of specs) {
    if (spec.required && !provided.has(code) && !promised.has(code)) {
      problems.push({ code: 'material.missing', field: 'materials', material: code, name: spec.name });
    }
    if (promised.has(code) && !spec.may_promise) {
      problems.push({ code: 'material.not_promisable', field: 'promised', material: code, name: spec.name });
    }
  }
  return problems;
}

/** A problem of the rule as capture's refusal, with the laptop's words. */
export function materialRefusal(item, problem) {
  const params =
    problem.code === 'material.unknown' ? { name: item.name, material: problem.material } : { material_name: problem.name, material: problem.material };
  // As the laptop words it (agent/capture.py material_refusal): only a material the item
  // allows promising for later (容缺) gets the words that suggest it.
  const promisable =
    problem.code === 'material.missing' && item.materials.some((m) => m.code === problem.material && m.may_promise);
  const code = promisable ? 'material.missing.promisable' : problem.code;
  return new CaptureError(code, `${code}: ${problem.material}`, { field: problem.field, params });
}

/**
 * Everything a form can be told before anything is sealed, every field at once (the
 * laptop's forms.check_new): `{errors: {field: words}, photos, paper, promised}`.
 * `values` are the form's fields; `photos` maps a material code to its chosen photos.
 */
export function checkNew(values, photos, item, device) {
  const errors = {};
  const refuse = (name, words) => {
    if (!(name in errors)) errors[name] = words;
  };
  const chosen = { photos: {}, paper: [], promised: [] };
  if (!item.outlet_kinds.includes(device.outlet.kind)) {
    refuse('item', t('item.outlet_kind', { name: item.name }));
  }
  for (const spec of item.materials) {
    const choice = values[`m-${spec.code}`] || '';
    if (choice === 'scan') {
      if ((photos[spec.code] || []).length) chosen.photos[spec.code] = photos[spec.code];
      else refuse(`material-${spec.code}`, t('form.photo.needed'));
    } else if (choice === 'paper') chosen.paper.push(spec.code);
    else if (choice === 'promise') chosen.promised.push(spec.code);
    const taken = (photos[spec.code] || []).length;
    if (choice !== 'scan' && taken) {
      // Saved as it is, these photos would go with the draft: the runner chooses, not the app.
      refuse(`material-${spec.code}`, t('form.photo.unused', { count: taken }));
    }
  }
  if (!(values.name || '').trim()) refuse('name', t('name.empty'));
  const idType = values.id_type || 'resident_id';
  if (idType === 'resident_id') {
    const why = problem(values.id_number || '', protocol.residentId, 'id_number');
    if (why) refuse('id_number', why);
  } else {
    const number = (values.id_number || '').trim();
    if (number.length < 5 || number.length > 30) refuse('id_number', t('id_number.other_length'));
  }
  const phoneWhy = problem(values.phone || '', protocol.mobile, 'phone');
  if (phoneWhy) refuse('phone', phoneWhy);
  const region = (values.region || '').trim();
  if (region && !/^[0-9]{6}$/.test(region)) refuse('region', t('region.format'));
  const delivery = values.delivery;
  if (delivery !== 'pickup' && delivery !== 'mail') refuse('delivery', t('form.delivery.choose'));
  if (delivery === 'mail') {
    if (!item.mailable) refuse('delivery', t('delivery.not_mailable', { name: item.name }));
    if ((values.mail_to || '').trim().length < 6) refuse('mail_to', t('delivery.address'));
    if ((values.recipient_phone || '').trim()) {
      const why = problem(values.recipient_phone, protocol.mobile, 'phone');
      if (why) refuse('recipient_phone', why);
    }
    const postcode = (values.postcode || '').trim();
    if (postcode && !/^[0-9]{6}$/.test(postcode)) refuse('postcode', t('form.postcode.format'));
  }
  // Photos of a material the item no longer lists (the catalogue changed under the draft):
  // shown apart on the form, and never saved or dropped without the runner's word.
  const listed = new Set(item.materials.map((m) => m.code));
  const orphans = Object.entries(photos).filter(([code, list]) => !listed.has(code) && list.length);
  if (orphans.length) refuse('materials', t('form.photo.orphan', { count: orphans.reduce((n, [, list]) => n + list.length, 0) }));
  const provided = new Set([...Object.keys(chosen.photos), ...chosen.paper]);
  // Every material row in trouble is marked at once (the rule returns every problem).
  for (const problem of materialProblems(item, provided, new Set(chosen.promised))) {
    const where = problem.code === 'material.unknown' ? 'materials' : `material-${problem.material}`;
    refuse(where, materialRefusal(item, problem).words());
  }
  return { errors, ...chosen };
}

// --- records --------------------------------------------------------------------------------

// The protocol's record builders, by kind; each checks what the hub's strict decoding checks.
const BUILDERS = {
  'application.create': (f) =>
    protocol.applicationCreate({ ...f, capturedAt: f.captured_at }),
  'application.amend': (f) =>
    protocol.applicationAmend({ ...f, baseVersion: f.base_version, capturedAt: f.captured_at }),
  'pickup.confirm': (f) =>
    protocol.pickupConfirm({ ...f, idChecked: f.id_checked, collectorMasked: f.collector_masked, collectorSealed: f.collector_sealed }),
  'rating.create': (f) => protocol.ratingCreate(f),
};

/** A record checked as the hub will check it (strict, defaults filled), and its canonical
 * bytes: what the outbox keeps and the batch carries. */
function checkedRecord(kind, fields) {
  let record;
  try {
    record = BUILDERS[kind](fields);
  } catch (error) {
    if (error instanceof protocol.InvalidValue) {
      throw new CaptureError('record.invalid', `${error.message} - at \`${error.field}\``, { field: error.field });
    }
    throw error;
  }
  return { record, body: protocol.canonical(record) };
}

function newId(now) {
  return protocol.uuid7(now);
}

/** Check, seal and store a new application with its outbox entry: `{id, receipt}`.
 * `draftId`: the draft (drafts.js) it was filled in as: its id becomes the application's, and
 * its photos, sealed already when they were taken, are `chosen.photos` ({code: [{sha256,
 * size, media_type}]}); they move to `scans` and the draft goes, in the same transaction.
 * `known`: every photo the form showed (drafts.js settleDraft refuses to drop any other). */
export async function captureNew(ctx, item, values, chosen, { draftId, known = null, now = Date.now() }) {
  const { db, device, runner } = ctx;
  const name = values.name.trim();
  const idType = ID_TYPES.includes(values.id_type) ? values.id_type : 'resident_id';
  const idNumber =
    idType === 'resident_id' ? validated(values.id_number, protocol.residentId, 'id_number') : values.id_number.trim().toUpperCase();
  const phone = validated(values.phone, protocol.mobile, 'phone');
  const region = (values.region || '').trim() || device.outlet.region;
  if (!protocol.isUuid7(draftId)) throw new Error('a new application is saved from its draft');
  const recordId = draftId;
  const scans = {};
  const keep = new Set();
  for (const [code, list] of Object.entries(chosen.photos)) {
    scans[code] = list.map((p) => ({ sha256: p.sha256, size: p.size, media_type: p.media_type }));
    for (const p of list) keep.add(p.sha256);
  }
  const applicant = await protocol.sealApplicant(
    device.hub.sealing_key,
    { name, id_type: idType, id_number: idNumber, phone },
    recordId,
  );
  let delivery = { method: 'pickup' };
  if (values.delivery === 'mail') {
    const recipientPhone = (values.recipient_phone || '').trim()
      ? validated(values.recipient_phone, protocol.mobile, 'phone')
      : phone;
    delivery = await protocol.sealAddress(
      device.hub.sealing_key,
      {
        recipient: (values.recipient || '').trim() || name,
        phone: recipientPhone,
        address: values.mail_to.trim(),
        postcode: (values.postcode || '').trim(),
      },
      recordId,
    );
  }
  const provided = [...new Set([...Object.keys(scans), ...chosen.paper])].sort();
  const fields = (receipt) => ({
    id: recordId,
    receipt,
    outlet: device.outlet.code,
    staff: runner.code,
    item: item.code,
    region,
    captured_at: now,
    applicant,
    materials: provided.map((code) => ({ code, scans: scans[code] || [] })),
    promised: [...chosen.promised].sort(),
    delivery,
    note: (values.note || '').trim(),
  });
  // One transaction: the receipt number, the application, its sealed photos, its outbox
  // entry and its first timeline line, all or nothing (the laptop's rule). Only IndexedDB
  // work and the synchronous record check happen inside it: sealing was done above.
  let made = null;
  await write(db, async (s) => {
    if (await s.applications.get(recordId)) throw new DraftChanged('form.already_saved', 'the draft was saved already');
    const receipt = protocol.receiptNumber(device.tag, await nextCounter(s, 'receipt_seq'));
    const { record, body } = checkedRecord('application.create', fields(receipt));
    const row = {
      id: recordId,
      receipt,
      item: item.code,
      item_name: item.name,
      staff: runner.code,
      region,
      captured_at: now,
      applicant: record.applicant.masked,
      id_type: idType,
      delivery: delivery.method,
      address_masked: delivery.method === 'mail' ? delivery.masked : null,
      materials: provided,
      promised: record.promised,
      photos: keep.size,
      sync_state: 'queued',
      hub_status: null,
      hub_version: null,
      unit: null,
      due_date: null,
      due_provisional: false,
      tracking: null,
      last_mail_event: null,
      updated_at: now,
    };
    await settleDraft(s, recordId, keep, now, recordId, known || keep);
    await s.applications.add(row);
    await s.outbox.add({ record_id: recordId, kind: 'application.create', application: recordId, body, created_at: now });
    await addTimeline(s, {
      application: recordId,
      at: now,
      source: 'local',
      event: 'captured',
      detail: `${item.name} · ${row.applicant.name}`,
    });
    made = { id: recordId, receipt };
  });
  return made;
}

const SUPPLEMENT_SENT = 'amended (supplement)';

/** Whether `event` is recorded on the phone already for this application as it stands: a
 * supplement for the hub version that asked for it, a hand-over, a rating (screens/ use it
 * to show "recorded" instead of the form; queue() to refuse a second one). */
export function alreadyRecorded(lines, event, app, refused = new Set()) {
  // A supplement recorded before lines said their version counts if it came after the
  // hub's latest request.
  const asked = Math.max(-Infinity, ...lines.filter((l) => l.source === 'hub' && l.event === 'supplement requested').map((l) => l.at));
  const forThisRequest = (l) => (l.for_version === undefined ? l.at > asked : l.for_version === app.hub_version);
  return lines.some(
    (l) =>
      l.source === 'local' &&
      l.event === event &&
      !refused.has(l.record_id) && // one the hub refused does not stand in the way of another
      (event !== SUPPLEMENT_SENT || forThisRequest(l)),
  );
}

/** The record ids among `lines` the hub refused (an open attention item: rejected, a
 * conflict, a batch held): recorded, but not taken. */
export async function refusedRecords(s, lines) {
  const out = new Set();
  for (const line of lines) {
    if (!line.record_id) continue;
    const items = await s.attention.byIndex('record_id', line.record_id);
    if (items.some((a) => a.resolved_at === null && ['rejected', 'conflict', 'held'].includes(a.kind))) out.add(line.record_id);
  }
  return out;
}

/** Queue a record about an existing application, with its line in the timeline; `more`:
 * further IndexedDB work of the same transaction. `still(app)`: whether the application as
 * stored now (a round may have pulled a change since the screen was drawn) still takes the
 * record; if not, nothing is stored and the screen is drawn again with what the hub said. */
async function queue(db, record, body, appId, { event, detail, now, still, resolve = null, more = null, line = {} }) {
  await write(db, async (s) => {
    const current = await s.applications.get(appId);
    if (!current || !still(current)) {
      throw new CaptureError('application.changed', `the application changed at the hub since the screen was drawn`);
    }
    // Recorded already (from another tab, or a screen drawn before): never twice.
    const lines = await s.timeline.byIndex('application', appId);
    if (alreadyRecorded(lines, event, current, await refusedRecords(s, lines))) {
      throw new CaptureError('application.already_recorded', `${event} is recorded already`);
    }
    if (more) await more(s);
    await s.outbox.add({ record_id: record.id, kind: record.kind, application: appId, body, created_at: now });
    await addTimeline(s, { application: appId, at: now, source: 'local', event, detail, record_id: record.id, ...line });
    if (resolve) await resolveAttention(s, { application: appId, kind: resolve, now });
  });
  return { id: record.id, application: appId };
}

/** Hand in the materials the hub asked for: photos taken into the supplement's draft
 * (drafts.js, sealed to the hub as they were taken: `{code: [{sha256, size, media_type}]}`)
 * and/or materials seen on paper. The draft's photos move to `scans` and the draft goes in
 * the record's own transaction. */
export async function supplement(ctx, app, { draftId, photos, paper, note, known = null }, now = Date.now()) {
  if (app.hub_version === null || app.hub_version === undefined) {
    throw new CaptureError('application.not_known_to_hub', 'the hub has not confirmed it yet');
  }
  if (app.hub_status !== 'supplement_requested') {
    throw new CaptureError('supplement.not_requested', 'no supplement was requested');
  }
  const scans = {};
  const keep = new Set();
  for (const [code, list] of Object.entries(photos)) {
    if (!list.length) continue;
    scans[code] = list.map((p) => ({ sha256: p.sha256, size: p.size, media_type: p.media_type }));
    for (const p of list) keep.add(p.sha256);
  }
  const codes = [...new Set([...Object.keys(scans), ...paper])].sort();
  const { record, body } = checkedRecord('application.amend', {
    id: newId(now),
    application: app.id,
    base_version: app.hub_version,
    reason: 'supplement',
    staff: ctx.runner.code,
    captured_at: now,
    materials: codes.map((code) => ({ code, scans: scans[code] || [] })),
    note: (note || '').trim(),
  });
  return queue(ctx.db, record, body, app.id, {
    event: SUPPLEMENT_SENT,
    detail: codes.join(', '),
    line: { for_version: app.hub_version },
    now,
    resolve: 'supplement',
    still: (current) => current.hub_status === 'supplement_requested' && current.hub_version === app.hub_version,
    more: (s) => settleDraft(s, draftId, keep, now, app.id, known || keep),
  });
}

/** Problems with a proxy collector's details, by field (the laptop's collector_problems). */
export function collectorProblems(collector, proxyName, proxyIdNumber) {
  if (collector !== 'proxy') return {};
  const problems = {};
  if (!proxyName.trim()) problems.proxy_name = t('pickup.proxy_name');
  const why = problem(proxyIdNumber, protocol.residentId, 'proxy_id_number');
  if (why) problems.proxy_id_number = why;
  return problems;
}

/** The result handed over after the runner checked the collector's ID. */
export async function handOver(ctx, app, { collector, proxyName = '', proxyIdNumber = '' }, now = Date.now()) {
  if (app.hub_status !== 'ready_for_pickup') {
    throw new CaptureError('pickup.not_ready', 'the result is not ready for pickup', {
      params: { status: app.hub_status ? t(`hub.${app.hub_status}`) : '-' },
    });
  }
  const id = newId(now);
  let sealed = { collector_sealed: null, collector_masked: '' };
  if (collector === 'proxy') {
    const number = validated(proxyIdNumber, protocol.residentId, 'proxy_id_number');
    sealed = await protocol.sealCollector(ctx.device.hub.sealing_key, { name: proxyName.trim(), id_number: number }, id);
  }
  const { record, body } = checkedRecord('pickup.confirm', {
    id,
    application: app.id,
    staff: ctx.runner.code,
    at: now,
    collector,
    id_checked: true,
    ...sealed,
  });
  return queue(ctx.db, record, body, app.id, {
    event: 'picked up',
    detail: `${collector} ${sealed.collector_masked}`.trim(),
    now,
    still: (current) => current.hub_status === 'ready_for_pickup',
  });
}

/** The citizen's rating (好差评), once the result is in their hands. */
export async function rate(ctx, app, { level, comment }, now = Date.now()) {
  if (!RATING_LEVELS.includes(level)) throw new CaptureError('rating.level', `level must be one of ${RATING_LEVELS.join(', ')}`);
  if (!['delivered', 'closed'].includes(app.hub_status)) {
    throw new CaptureError('rating.too_early', 'rate once the result is delivered', {
      params: { status: app.hub_status ? t(`hub.${app.hub_status}`) : '-' },
    });
  }
  const { record, body } = checkedRecord('rating.create', {
    id: newId(now),
    application: app.id,
    staff: ctx.runner.code,
    at: now,
    level,
    comment: (comment || '').trim(),
  });
  return queue(ctx.db, record, body, app.id, {
    event: 'rated',
    detail: t(`rating.${level}`),
    now,
    still: (current) => ['delivered', 'closed'].includes(current.hub_status),
  });
}
