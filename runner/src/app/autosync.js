// When rounds run: at start, when the browser says the network is back (`online`), every
// few minutes while the app is open, soon after new work is saved, and when the runner
// presses "sync now". Never decided by navigator.onLine, which stays true behind offline
// emulation, a dead Wi-Fi or a captive portal: a round is simply tried, and fails cheaply.
//
// One round at a time across every tab of the app (Web Locks, lock.js), so two tabs never
// build batches from the same outbox.

import * as protocol from '../protocol/index.js';
import { isQuotaError, putMeta, write } from './db.js';
import { errorDetail } from './dom.js';
import { hubClient, refreshInitials } from './device.js';
import { t } from './i18n.js';
import { FeedWentBack, syncOnce } from './syncer.js';
import { refusalKey } from './words.js';
import { ifSyncFree } from './lock.js';

const EVERY_MS = 3 * 60 * 1000;
const SOON_MS = 2000;

// Hub refusal codes the runner has words for (sync.refused.<code>); any other is said in
// general words, its code and the hub's own (English) message behind 详情.
const WORDED = new Set(['bad_signature', 'stale_signature', 'replayed_signature', 'wrong_device', 'too_large', 'malformed', 'unsupported_version', 'batch_conflict', 'invalid']);

/** What the operator typed as the reason of a revocation, out of the hub's message
 * ("device dev-2222 was revoked: 手机丢失"). */
export function revocationReason(error) {
  const text = String((error && error.message) || '');
  const at = text.indexOf('was revoked:');
  return at >= 0 ? text.slice(at + 'was revoked:'.length).trim() : '';
}

/** The outcome of a round: {kind: 'ok'|'busy'|'error', outcome, key, params, detail}, kept as
 * a message key and its values so it is worded in whatever language the runner reads now;
 * `detail` is the technical line shown only behind 详情 (never translated). */
export function describe(result, error) {
  if (!error) {
    const count = result.refused + (result.photos_refused || 0);
    const params = { pushed: result.pushed, pulled: result.pulled, uploaded: result.uploaded, count };
    return { kind: 'ok', outcome: 'ok', key: count ? 'sync.done_attention' : 'sync.done', params, detail: '' };
  }
  const detail = errorDetail(error);
  if (error instanceof protocol.HubRefused) {
    if (error.code === 'device_revoked') {
      const reason = revocationReason(error);
      return { kind: 'error', outcome: 'revoked', key: reason ? 'sync.revoked' : 'sync.revoked.no_reason', params: { reason }, detail };
    }
    const key = WORDED.has(error.code) ? `sync.refused.${error.code}` : 'sync.refused';
    return { kind: 'error', outcome: 'refused', key, params: {}, detail };
  }
  if (error instanceof protocol.HubUnavailable || error instanceof TypeError) {
    const [cause, why] = refusalKey(error);
    return { kind: 'busy', outcome: 'offline', key: 'sync.offline', params: { ...why, cause }, detail };
  }
  if (error instanceof FeedWentBack) return { kind: 'error', outcome: 'error', key: 'sync.feed_back', params: {}, detail };
  if (isQuotaError(error)) return { kind: 'error', outcome: 'error', key: 'sync.storage_full', params: {}, detail };
  return { kind: 'error', outcome: 'error', key: 'sync.failed', params: {}, detail };
}

/** A described outcome in the runner's language now. */
export function outcomeWords(described) {
  if (!described) return '';
  if (described.key === 'sync.offline' && described.params.cause) {
    return t('sync.offline', { reason: t(described.params.cause, described.params) });
  }
  return t(described.key, described.params);
}

export class AutoSync {
  constructor(ctx, onChange) {
    this.ctx = ctx;
    this.onChange = onChange;
    this.timer = null;
    this.soonTimer = null;
  }

  start() {
    window.addEventListener('online', () => this.run('online'));
    document.addEventListener('visibilitychange', () => {
      if (document.visibilityState === 'visible') this.run('visible');
    });
    this.timer = setInterval(() => this.run('timer'), EVERY_MS);
    setTimeout(() => this.run('start'), 500);
  }

  /** Sync shortly (new work saved): the runner's receipt shows at once, the round follows. */
  soon() {
    clearTimeout(this.soonTimer);
    this.soonTimer = setTimeout(() => this.run('new work'), SOON_MS);
  }

  /** One round now; its outcome in words, or a 'busy' outcome when one is running.
   *
   * Whatever happens in it (a full disk, a bug), the round ends: `running` is put back in a
   * `finally`, or one throw would stop every later round in this tab until a reload. */
  async run(why) {
    const { ctx } = this;
    if (!ctx.device) return null;
    if (ctx.round.running) return { kind: 'busy', outcome: 'busy', key: 'sync.busy', params: {} };
    ctx.round = { ...ctx.round, running: true };
    let described = null;
    try {
      this.changed();
      const outcome = await ifSyncFree(() => this.round(why));
      described = outcome === 'busy' ? { kind: 'busy', outcome: 'busy', key: 'sync.busy', params: {} } : outcome;
    } catch (error) {
      console.warn('sync round failed', error);
      described = describe(null, error);
    } finally {
      ctx.round = { running: false, outcome: described?.outcome ?? 'error', described, at: Date.now() };
    }
    await putMeta(ctx.db, 'last_outcome', described.outcome).catch(() => null);
    this.changed();
    return described;
  }

  /** The status bar redrawn; a failure to draw it is no failure of the round. */
  changed() {
    Promise.resolve()
      .then(() => this.onChange())
      .catch((error) => console.warn('status bar', error));
  }

  async round(why) {
    const { ctx } = this;
    const client = await hubClient(ctx.db, ctx.device);
    let result = null;
    let failure = null;
    try {
      result = await syncOnce(ctx.db, client, ctx.device);
    } catch (error) {
      failure = error;
      result = error && error.result ? error.result : null; // what the round did all the same
    }
    const described = describe(result, failure);
    try {
      // Best-effort: a full disk must not turn the round's words into a throw.
      await write(ctx.db, async (s) => {
        if (Number.isInteger(client.clockOffsetMs)) await s.meta.put(client.clockOffsetMs, 'clock_offset_ms');
        await s.meta.put({ at: Date.now(), why, ...described, result }, 'last_round');
        if (!failure) await s.meta.put(Date.now(), 'last_sync_at');
        if (described.outcome === 'revoked') await s.meta.put({ at: Date.now(), described }, 'revoked');
      }, ['meta']);
    } catch (error) {
      console.warn('the round could not be noted', error);
    }
    // The phone stays stopped (no new applications, the notice on every screen) until it is
    // enrolled again (screens/device.js), even if the note above could not be written.
    if (described.outcome === 'revoked') ctx.revoked = { at: Date.now(), described };
    if (!failure) await refreshInitials(ctx.db).catch(() => null);
    return described;
  }
}
