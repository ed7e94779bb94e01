import { cryptoSupport } from '../protocol/index.js';

// What the browser must offer before the app may hold a citizen's data.
//
// Browsers give service workers, WebCrypto and persistent storage only to secure origins:
// https, or this machine itself (localhost, 127.0.0.1). On a real network the hub is reached
// over TLS (docs/hub.md's reverse proxy); on plain http the app says so instead of running
// half-way and losing work.

export function secureEnough() {
  return window.isSecureContext === true;
}

/** Names of the features this browser lacks (empty when it can run the app). */
export async function missingFeatures() {
  const missing = [];
  if (!window.indexedDB) missing.push('IndexedDB');
  if (!window.crypto || !crypto.subtle) {
    missing.push('WebCrypto');
    return missing;
  }
  const has = await cryptoSupport();
  if (!has.ed25519) missing.push('Ed25519');
  if (!has.x25519) missing.push('X25519');
  if (!has.compression) missing.push('CompressionStream');
  return missing;
}
