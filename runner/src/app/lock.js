// One sync round at a time across every tab of the app (Web Locks), so two tabs never build
// batches from the same outbox, and no round signs with a key while the phone enrols again.

export const LOCK = 'daiban-runner-sync';

/** `work()` under the lock, waiting for a round that holds it. */
export function withSyncLock(work) {
  if (!navigator.locks) return work();
  return navigator.locks.request(LOCK, () => work());
}

/** `work()` under the lock if it is free now; 'busy' if a round holds it. */
export function ifSyncFree(work) {
  if (!navigator.locks) return work();
  return navigator.locks.request(LOCK, { ifAvailable: true }, (lock) => (lock ? work() : 'busy'));
}
