// Who is signed in on this phone, as the laptop's session: signed out after 30 minutes
// without a screen or 12 hours after signing in, and when the tab is closed (sessionStorage,
// so a reload keeps the runner signed in but a phone passed to someone else does not).

const KEY = 'daiban-runner-session';
const IDLE_MS = 30 * 60 * 1000;
const ABSOLUTE_MS = 12 * 3600 * 1000;

export function signInNow(runner, now = Date.now()) {
  sessionStorage.setItem(KEY, JSON.stringify({ code: runner.code, signed_in_at: now, seen_at: now }));
}

export function signOut() {
  sessionStorage.removeItem(KEY);
}

/** 'ok' (and the session is touched), 'ended' (it timed out) or 'none'. */
export function check(runner, now = Date.now()) {
  let session = null;
  try {
    session = JSON.parse(sessionStorage.getItem(KEY) || 'null');
  } catch (_) {
    session = null;
  }
  if (!session || !runner || session.code !== runner.code) return 'none';
  if (now - session.signed_in_at > ABSOLUTE_MS || now - session.seen_at > IDLE_MS) {
    signOut();
    return 'ended';
  }
  session.seen_at = now;
  sessionStorage.setItem(KEY, JSON.stringify(session));
  return 'ok';
}
