// When rounds run: at start, when the browser says the network is back (`online`), every
// few minutes while the app is open, soon after new work is saved, and when the runner
// presses "sync now". Never decided by navigator.onLine, which stays true behind offline
// emulation, a dead Wi-Fi or a captive portal: a round is simply tried, and fails cheaply.
//
// One round at a time across every tab of the app (Web Locks), so two tabs never build
// batches from the same outbox.

import * as protocol from '../protocol/index.js';
import { putMeta, write } from './db.js';
import { hubClient, refreshInitials } from './device.js';
import { t } from './i18n.js';
import { syncOnce } from './syncer.js';
import { refusalKey } from './words.js';

const EVERY_MS = 3 * 60 * 1000;
const SOON_MS = 2000;
const LOCK = 'daiban-runner-sync';

/** The outcome of a round: {kind: 'ok'|'busy'|'error', outcome, key, params}, kept as a
 * message key and its values so it is worded in whatever language the runner reads now. */
export function describe(result, error) {
  if (!error) {
    const params = { pushed: result.pushed, pulled: result.pulled, uploaded: result.uploaded, count: result.refused };
    return { kind: 'ok', outcome: 'ok', key: result.refused ? 'sync.done_attention' : 'sync.done', params };
  }
  if (error instanceof protocol.HubRefused) {
    if (error.code === 'device_revoked') {
      return { kind: 'error', outcome: 'revoked', key: 'sync.revoked', params: { reason: error.message } };
    }
    return { kind: 'error', outcome: 'refused', key: 'sync.refused', params: { reason: `${error.message} (${error.code})` } };
  }
  if (error instanceof protocol.HubUnavailable || error instanceof TypeError) {
    const [cause, why] = refusalKey(error);
    return { kind: 'busy', outcome: 'offline', key: 'sync.offline', params: { ...why, cause } };
  }
  return { kind: 'error', outcome: 'error', key: 'sync.refused', params: { reason: String(error && error.message) } };
}

/** A described outcome in the runner's language now. */
export function outcomeWords(described) {
  if (!described) return '';
  if (described.key === 'sync.offline' && described.params.cause) {
    return t('sync.offline', { reason: t(described.params.cause, described.params) });
  }
  return t(described.key, described.params);
}

async function lockedRound(work) {
  if (!navigator.locks) return work();
  return navigator.locks.request(LOCK, { ifAvailable: true }, (lock) => (lock ? work() : 'busy'));
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

  /** One round now; its outcome in words, or a 'busy' outcome when one is running. */
  async run(why) {
    const { ctx } = this;
    if (!ctx.device) return null;
    if (ctx.round.running) return { kind: 'busy', outcome: 'busy', key: 'sync.busy', params: {} };
    ctx.round = { ...ctx.round, running: true };
    this.onChange();
    let described;
    const outcome = await lockedRound(async () => {
      const client = await hubClient(ctx.db, ctx.device);
      let result = null;
      let failure = null;
      try {
        result = await syncOnce(ctx.db, client, ctx.device);
      } catch (error) {
        failure = error;
      }
      described = describe(result, failure);
      await write(ctx.db, async (s) => {
        if (Number.isInteger(client.clockOffsetMs)) await s.meta.put(client.clockOffsetMs, 'clock_offset_ms');
        await s.meta.put({ at: Date.now(), why, ...described, result }, 'last_round');
        if (!failure) await s.meta.put(Date.now(), 'last_sync_at');
      }, ['meta']);
      if (!failure) await refreshInitials(ctx.db).catch(() => null);
      return described;
    });
    if (outcome === 'busy') described = { kind: 'busy', outcome: 'busy', key: 'sync.busy', params: {} };
    ctx.round = { running: false, outcome: described.outcome, described, at: Date.now() };
    await putMeta(ctx.db, 'last_outcome', described.outcome);
    this.onChange();
    return described;
  }
}
