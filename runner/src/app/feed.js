// Applying what the hub sent (downlink records, protocol section 4.2), as the laptop's
// agent/syncer.py `_apply_record`: inside the caller's transaction, which also moves the
// feed cursor, so a page is applied whole with its cursor or not at all.

import {
  addAttention,
  addTimeline,
  latestMailAt,
  noteVersion,
  resolveAttention,
  updateApplication,
} from './local.js';

async function statusChanged(s, record, now) {
  await noteVersion(s, record.application, record.version);
  const app = await s.applications.get(record.application);
  if (!app) return null; // captured on another device of this outlet
  if (app.hub_version !== null && app.hub_version !== undefined && app.hub_version > record.version) {
    return null; // an older change arriving late changes nothing
  }
  await updateApplication(s, app.id, {
    hub_status: record.status,
    hub_version: record.version,
    unit: record.unit ?? null,
    due_date: record.due_date ?? null,
    due_provisional: Boolean(record.due_provisional),
    sync_state: 'sent',
    updated_at: now,
    // The refusal's note (its reason's words first, sync/refusals.py), kept after the
    // application moves on to the written refusal and its hand-over.
    // The first one stays: a later record still saying rejected (a correction sent after
    // the refusal) carries another note, not the department's reason.
    ...(record.status === 'rejected' && (app.refusal === undefined || app.refusal === null)
      ? { refusal: record.note || '' }
      : {}),
  });
  // Kept apart (not joined into one text) so the screen words them in the runner's language.
  await addTimeline(s, {
    application: app.id,
    at: record.at,
    source: 'hub',
    event: record.status,
    detail: record.note || '',
    unit: record.unit ?? null,
    due_date: record.due_date ?? null,
  });
  if (record.status !== 'supplement_requested') {
    await resolveAttention(s, { application: app.id, kind: 'supplement', now });
  }
  if (record.status !== 'returned') {
    await resolveAttention(s, { application: app.id, kind: 'returned', now });
  }
  return app.id;
}

async function supplementRequested(s, record, now) {
  if (!(await s.applications.get(record.application))) return;
  await addAttention(s, {
    application: record.application,
    record_id: record.id,
    kind: 'supplement',
    reasons: [{ code: 'supplement', message: record.message, field: 'materials', materials: [...record.materials] }],
    now,
  });
  await addTimeline(s, {
    application: record.application,
    at: record.at,
    source: 'hub',
    event: 'supplement requested',
    detail: record.message,
    materials: [...record.materials],
  });
}

async function shipmentEvent(s, record, now) {
  if (!(await s.applications.get(record.application))) return;
  const latest = await latestMailAt(s, record.application);
  if (latest === null || record.at >= latest) {
    await updateApplication(s, record.application, {
      tracking: record.tracking,
      last_mail_event: record.event,
      updated_at: now,
    });
  }
  const where = `${record.carrier} ${record.tracking} ${record.location || ''} ${record.note || ''}`;
  await addTimeline(s, {
    application: record.application,
    at: record.at,
    source: 'hub',
    event: `mail ${record.event}`,
    detail: where.replace(/\s+/g, ' ').trim(),
  });
  if (record.event === 'returned') {
    await addAttention(s, {
      application: record.application,
      record_id: record.id,
      kind: 'returned',
      reasons: [{ code: 'mail.returned', message: `${record.carrier} ${record.tracking} ${record.note || ''}`.trim(), field: null }],
      now,
    });
  }
}

async function catalogueUpdated(s, record) {
  const current = await s.meta.get('catalogue');
  if (!current || current.version < record.version) {
    await s.meta.put({ version: record.version, items: record.items, units: record.units }, 'catalogue');
  }
}

async function recordRejected(s, record, now) {
  const known = (await s.attention.byIndex('record_id', record.record)).some((a) => a.resolved_at === null);
  const waiting = await s.outbox.oneByIndex('record_id', record.record);
  if (known || waiting) return; // already shown from the acknowledgement, or still to be sent
  await addAttention(s, {
    application: null,
    record_id: record.record,
    kind: 'rejected',
    reasons: record.reasons,
    now,
  });
  if (await s.applications.get(record.record)) {
    await updateApplication(s, record.record, { sync_state: 'rejected', updated_at: now });
  }
}

/** Apply feed records in order; the ids of the applications whose status they set. */
export async function applyRecords(s, records, now) {
  const updated = new Set();
  for (const record of records) {
    switch (record.kind) {
      case 'status.changed': {
        const id = await statusChanged(s, record, now);
        if (id) updated.add(id);
        break;
      }
      case 'supplement.requested':
        await supplementRequested(s, record, now);
        break;
      case 'shipment.event':
        await shipmentEvent(s, record, now);
        break;
      case 'catalogue.updated':
        await catalogueUpdated(s, record);
        break;
      case 'record.rejected':
        await recordRejected(s, record, now);
        break;
      default:
        break; // a kind this version does not know: the cursor moves past it, as on the laptop
    }
  }
  return updated;
}
