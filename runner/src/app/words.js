// Plain words for why the hub could not be reached (the runner needs to know whether to
// walk to better signal, sign in to a Wi-Fi, or call the hub), from the protocol's errors.

import * as protocol from '../protocol/index.js';
import { t } from './i18n.js';

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
