// Plain words for why the hub could not be reached (the runner needs to know whether to
// walk to better signal, sign in to a Wi-Fi, or call the hub), from the protocol's errors.

import * as protocol from '../protocol/index.js';
import { t } from './i18n.js';

/** Why a request did not get the hub's answer, in the runner's language. The protocol's
 * HubUnavailable carries only a message, so its kind is read from the words it uses. */
export function refusalWords(error) {
  return t(...refusalKey(error));
}

/** [message key, params] for refusalWords, to be worded later in another language. */
export function refusalKey(error) {
  const text = String((error && error.message) || error || '');
  if (error instanceof protocol.HubUnavailable) {
    if (/signed|signature|portal|proxy/i.test(text)) return ['sync.reason.portal', {}];
    const status = /HTTP (\d{3})/.exec(text);
    if (status && Number(status[1]) >= 500) return ['sync.reason.hub_failed', { status: status[1] }];
    return ['sync.reason.network', {}];
  }
  if (error instanceof TypeError) return ['sync.reason.network', {}]; // fetch's "Failed to fetch"
  return ['sync.reason.other', { text }];
}
