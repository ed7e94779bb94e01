// What the phone knows, as the laptop's agent/store/local.py: applications, their timeline,
// what needs the runner's attention, and the hub versions behind the state digest.
//
// Each function takes the stores of a transaction the caller opened (db.js `tx`), so that
// what belongs together (an application and its outbox entry, a page and its cursor) is
// written together.

import { read } from './db.js';
import { keptSupplements } from './drafts.js';
import { known, t } from './i18n.js';
import { refusalText } from './words.js';

// Reasons whose message is a person's own words (the officer's request, the carrier's note):
// shown as they are. Any other reason is a code the app words; the hub's own (English)
// message and the code go behind 详情.
const SAID_BY_PEOPLE = new Set(['supplement', 'mail.returned']);

/** One reason of the hub in the runner's words: `{text, detail}`. */
export function reasonWords(reason) {
  const code = String(reason.code || '');
  const message = String(reason.message || '');
  if (SAID_BY_PEOPLE.has(code)) return { text: message || t(`attention.${code === 'supplement' ? 'supplement' : 'returned'}`), detail: '' };
  const detail = [message, code ? `(${code}${reason.status ? `, HTTP ${reason.status}` : ''}${reason.field ? `, ${reason.field}` : ''})` : '']
    .filter(Boolean)
    .join(' ');
  if (code.startsWith('batch.')) {
    const key = `attention.held.${code.slice(6)}`;
    return { text: known(key) ? t(key) : t('attention.held.reason'), detail };
  }
  if (code && known(code)) return { text: t(code, {}, message), detail };
  const general = code.startsWith('invalid.') ? 'attention.reason.invalid' : 'attention.reason.other';
  return { text: t(general), detail };
}

export async function addTimeline(s, { application, at, source, event, detail = '', ...more }) {
  await s.timeline.add({ application, at, source, event, detail, ...more });
}

export async function timeline(db, appId) {
  const lines = await read(db, (s) => s.timeline.byIndex('application', appId), ['timeline']);
  return lines.sort((a, b) => a.at - b.at || a.n - b.n);
}

export async function updateApplication(s, id, changes) {
  const app = await s.applications.get(id);
  if (!app) return null;
  const updated = { ...app, ...changes };
  await s.applications.put(updated);
  return updated;
}

/** State 'sent' for applications still 'queued' (the hub has them). */
export async function setSent(s, ids, now) {
  for (const id of ids) {
    const app = await s.applications.get(id);
    if (app && app.sync_state === 'queued') await s.applications.put({ ...app, sync_state: 'sent', updated_at: now });
  }
}

export async function noteVersion(s, application, version) {
  const known = await s.versions.get(application);
  if (!known || known.version < version) await s.versions.put({ id: application, version });
}

export async function addAttention(s, { application, record_id, kind, reasons, body = null, now, ...more }) {
  await s.attention.add({ application, record_id, kind, reasons, body, ...more, created_at: now, resolved_at: null });
}

export async function resolveAttention(s, { application, kind, now }) {
  for (const item of await s.attention.byIndex('application', application)) {
    if (item.kind === kind && item.resolved_at === null) await s.attention.put({ ...item, resolved_at: now });
  }
}

export async function openAttention(s) {
  return (await s.attention.all()).filter((a) => a.resolved_at === null);
}

/** Forget what the hub said (before a full resync); the phone's own records stay. */
export async function clearHubView(s) {
  for (const app of await s.applications.all()) {
    await s.applications.put({
      ...app,
      hub_status: null,
      hub_version: null,
      refusal: null,
      unit: null,
      due_date: null,
      due_provisional: false,
      tracking: null,
      last_mail_event: null,
    });
  }
  for (const line of await s.timeline.all()) {
    if (line.source === 'hub') await s.timeline.delete(line.n);
  }
  await s.versions.clear();
}

/** When the latest mail event known for an application happened (they come in any order). */
export async function latestMailAt(s, appId) {
  const lines = await s.timeline.byIndex('application', appId);
  const mail = lines.filter((l) => l.event.startsWith('mail ')).map((l) => l.at);
  return mail.length ? Math.max(...mail) : null;
}

// --- reading for the screens ----------------------------------------------------------------

export function listApplications(db) {
  return read(db, async (s) => (await s.applications.all()).sort((a, b) => b.captured_at - a.captured_at), [
    'applications',
  ]);
}

export function getApplication(db, id) {
  return read(db, (s) => s.applications.get(id), ['applications']);
}

export function findByReceipt(db, receipt) {
  const key = String(receipt || '').trim().toUpperCase();
  return read(db, (s) => s.applications.oneByIndex('receipt', key), ['applications']);
}

/** What the runner must act on, as the laptop's attention list: refused records and asked
 * supplements (with the hub's reasons), applications the department rejected, returned mail;
 * and, the phone's own, supplement photos kept after the hub moved on. */
export async function attentionItems(db) {
  return read(
    db,
    async (s) => {
      const out = [];
      for (const row of await openAttention(s)) {
        const app = (row.application && (await s.applications.get(row.application))) ||
          (row.record_id && (await s.applications.get(row.record_id))) || null;
        out.push({
          kind: row.kind,
          at: row.created_at,
          app,
          record_id: row.record_id,
          n: row.n,
          reasons: (row.reasons || []).map(reasonWords),
          materials: (row.reasons || []).flatMap((r) => r.materials || []),
        });
      }
      const apps = await s.applications.all();
      for (const app of apps.filter((a) => a.hub_status === 'rejected')) {
        const lines = await s.timeline.byIndex('application', app.id);
        // The refusal's reason in the runner's language, or that none was given (words.js).
        const why = lines.filter((l) => l.source === 'hub' && l.event === 'rejected').map((l) => l.detail || '');
        const reasons = why.slice(-1).map((note) => ({ text: refusalText(note), detail: '' }));
        out.push({ kind: 'dept_rejected', at: app.updated_at, app, record_id: app.id, reasons, materials: [] });
      }
      const covered = new Set(out.filter((x) => x.app && x.kind === 'returned').map((x) => x.app.id));
      for (const app of apps.filter((a) => a.hub_status === 'returned' && !covered.has(a.id))) {
        out.push({ kind: 'returned', at: app.updated_at, app, record_id: app.id, reasons: [{ text: app.tracking || '', detail: '' }], materials: [] });
      }
      // Photos taken for a supplement the hub no longer waits for: kept until the runner
      // sends them with a later request or throws them away, and never out of sight.
      for (const kept of await keptSupplements(s)) {
        const reasons = [{ text: t('supplement.kept', { count: kept.photos }), detail: '' }];
        out.push({ kind: 'supplement_kept', at: kept.at, app: kept.app, record_id: kept.app.id, reasons, materials: [] });
      }
      return out;
    },
    ['applications', 'attention', 'timeline', 'drafts', 'draft_photos'],
  );
}

/** The status bar's counts: records waiting, photos waiting, items needing attention. */
export function backlog(db) {
  return read(
    db,
    async (s) => ({
      unsent: await s.outbox.count(),
      inflight: await s.inflight.count(),
      photos: await s.scans.countByIndex('uploaded', 0),
    }),
    ['outbox', 'inflight', 'scans'],
  );
}
