// Feature detection, so the app can say plainly that a browser is too old rather than fail
// half-way through an enrolment.
async function works(algorithm, usages) {
  try {
    await crypto.subtle.generateKey(algorithm, false, usages);
    return true;
  } catch {
    return false;
  }
}

export async function cryptoSupport() {
  const subtle = Boolean(globalThis.crypto?.subtle);
  return {
    ed25519: subtle && (await works({ name: 'Ed25519' }, ['sign', 'verify'])),
    x25519: subtle && (await works({ name: 'X25519' }, ['deriveBits'])),
    compression: typeof globalThis.CompressionStream === 'function',
  };
}
