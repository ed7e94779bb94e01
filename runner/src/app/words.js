// Plain words for why the hub could not be reached (the runner needs to know whether to
// walk to better signal, sign in to a Wi-Fi, or call the hub), from the protocol's errors.

import * as protocol from '../protocol/index.js';
import rules from '../protocol/rules.js';
import { lang, t } from './i18n.js';

/** Why a request did not get the hub's answer, in the runner's language, from the protocol's
 * HubUnavailable and its `kind`. */
export function refusalWords(error) {
  return t(...refusalKey(error));
}

/** [message key, params] for refusalWords, to be worded later in another language. */
export function refusalKey(error) {
  const text = String((error && error.message) || error || '');
  if (error instanceof protocol.HubUnavailable) {
    if (error.kind === 'unsigned') return ['sync.reason.portal', {}];
    if (error.kind === 'unreadable') return ['sync.reason.unreadable', {}];
    const status = /HTTP (\d{3})/.exec(text);
    if (error.kind === 'hub_failed' || (status && Number(status[1]) >= 500)) {
      return ['sync.reason.hub_failed', { status: status ? status[1] : '5xx' }];
    }
    if (/no answer within/.test(text)) return ['sync.reason.timeout', {}];
    if (/signed|signature|portal|proxy/i.test(text)) return ['sync.reason.portal', {}];
    return ['sync.reason.network', {}];
  }
  if (error instanceof TypeError) return ['sync.reason.network', {}]; // fetch's "Failed to fetch"
  return ['sync.reason.other', {}]; // the error itself goes behind 详情 (dom.js errorDetail)
}

// A department's refusal (不予受理 / 不予办理): the hub sends its reason's Chinese words, then
// '：' and the officer's note, as the note of the status change to rejected (sync/refusals.py,
// exported in rules.json), so the runner can tell the citizen why.
const REFUSALS = rules.refusals;

/** The reason code and the officer's own note read back from a refusal's note (as
 * sync/refusals.py parse_refusal_note, checked against tests/vectors/refusals.json):
 * code null and the whole note when it names no reason this app knows. */
export function parseRefusalNote(note) {
  const text = String(note || '');
  const sep = REFUSALS.separator;
  for (const reason of REFUSALS.reasons) {
    if (text === reason.zh) return { code: reason.code, note: '' };
    if (text.startsWith(reason.zh + sep)) return { code: reason.code, note: text.slice(reason.zh.length + sep.length) };
  }
  return { code: null, note: text };
}

/** What the runner tells the citizen about a refusal, in the runner's language: the reason's
 * words and the officer's note (the laptop's agent/refusals.py refusal_words). */
export function refusalText(note) {
  const { code, note: own } = parseRefusalNote(note);
  if (code === null) return own || t('refusal.none');
  const reason = REFUSALS.reasons.find((r) => r.code === code);
  const zh = lang() === 'zh';
  const words = zh ? reason.zh : reason.en;
  return own ? `${words}${zh ? REFUSALS.separator : ': '}${own}` : words;
}
