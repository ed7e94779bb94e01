// The phone's store: one IndexedDB database, the laptop's SQLite tables as object stores.
//
//   meta          key -> value: device (ids, outlet, hub keys, the CryptoKey pair, kept as
//                 CryptoKey objects so the private key stays non-extractable), runner (name,
//                 code, PIN hash), settings, catalogue, initials, cursor, counters, last round
//   applications  by id: only masked copies of personal data in clear
//   outbox        records waiting to be sent, oldest first (auto-increment seq), written in
//                 the same transaction as the application they belong to
//   inflight      batches sent or about to be sent, by batch id, with their exact frame bytes
//   scans         sealed photo bytes by their SHA-256 (the content address), until the hub
//                 holds them
//   timeline      what happened to each application, here and at the hub
//   attention     refused records, supplements, returned mail: what the runner must act on
//   versions      (application, hub version) the hub told this outlet about: the state digest
//   drafts        a form being filled in, per item: its typed values encrypted with the
//                 phone's own AES-GCM key (drafts.js), never in clear
//   draft_photos  photos taken for a draft, sealed to the hub as soon as taken
//
// Every change that must be all-or-nothing is one transaction (`tx`). IndexedDB commits a
// transaction by itself once nothing is pending on it, so a transaction's function awaits
// only IndexedDB requests: sealing, hashing and encoding happen before it opens.

export const DB_NAME = 'daiban-runner';
// The schema's version. Each version's changes are one `case` of `upgrade` below, applied in
// turn from the version a phone has: a phone that skipped versions gets every step, and what
// it holds (unsent work above all) is kept. A new version adds a case; it never edits one.
export const VERSION = 2;
export const STORES = [
  'meta',
  'applications',
  'outbox',
  'inflight',
  'scans',
  'timeline',
  'attention',
  'versions',
  'drafts',
  'draft_photos',
];

/** Thrown when the store is not what this version of the app reads (see `openDb`). */
export class StoreProblem extends Error {
  constructor(code, message) {
    super(message);
    this.name = 'StoreProblem';
    this.code = code; // a message key: storage.newer, storage.blocked, storage.schema
  }
}

function upgrade(db, transaction, oldVersion) {
  switch (oldVersion) {
    case 0: {
      // version 1: the first runner app
      db.createObjectStore('meta');
      const apps = db.createObjectStore('applications', { keyPath: 'id' });
      apps.createIndex('captured_at', 'captured_at');
      apps.createIndex('receipt', 'receipt', { unique: true });
      const outbox = db.createObjectStore('outbox', { keyPath: 'seq', autoIncrement: true });
      outbox.createIndex('record_id', 'record_id', { unique: true });
      outbox.createIndex('application', 'application');
      db.createObjectStore('inflight', { keyPath: 'batch' });
      const scans = db.createObjectStore('scans', { keyPath: 'sha256' });
      scans.createIndex('uploaded', 'uploaded');
      const timeline = db.createObjectStore('timeline', { keyPath: 'n', autoIncrement: true });
      timeline.createIndex('application', 'application');
      const attention = db.createObjectStore('attention', { keyPath: 'n', autoIncrement: true });
      attention.createIndex('application', 'application');
      attention.createIndex('record_id', 'record_id');
      db.createObjectStore('versions', { keyPath: 'id' });
    }
    // falls through
    case 1: {
      // version 2: forms being filled in, kept across a killed tab (typed values encrypted
      // with the phone's draft key, photos sealed to the hub as they are taken)
      const drafts = db.createObjectStore('drafts', { keyPath: 'id' });
      drafts.createIndex('item', 'item');
      const photos = db.createObjectStore('draft_photos', { keyPath: 'sha256' });
      photos.createIndex('draft', 'draft');
    }
    // falls through
    default:
      break;
  }
  transaction.objectStore('meta').put(VERSION, 'schema_version');
}

/** A request as a promise (its result, or its error). */
export function done(request) {
  return new Promise((resolve, reject) => {
    request.onsuccess = () => resolve(request.result);
    request.onerror = () => reject(request.error);
  });
}

export function openDb(name = DB_NAME) {
  const request = indexedDB.open(name, VERSION);
  request.onupgradeneeded = (event) => upgrade(request.result, request.transaction, event.oldVersion);
  return new Promise((resolve, reject) => {
    request.onsuccess = async () => {
      const db = request.result;
      // Another tab opened a newer version of the app: let it upgrade, and reload this one.
      db.onversionchange = () => {
        db.close();
        location.reload();
      };
      try {
        const stored = await done(db.transaction(['meta']).objectStore('meta').get('schema_version'));
        if (stored !== VERSION) {
          db.close();
          reject(new StoreProblem('storage.schema', `the store says schema ${stored}, this app reads ${VERSION}`));
          return;
        }
      } catch (error) {
        db.close();
        reject(error);
        return;
      }
      resolve(db);
    };
    request.onerror = () => {
      const error = request.error;
      // The store was upgraded by a newer version of the app than this page: a reload
      // fetches that version (the data stays as it is).
      if (error && error.name === 'VersionError') reject(new StoreProblem('storage.newer', String(error.message)));
      else reject(error);
    };
    request.onblocked = () => reject(new StoreProblem('storage.blocked', 'the store is held by an older tab'));
  });
}

/** A store of a transaction, with promise-returning requests. */
class Store {
  constructor(store) {
    this.store = store;
  }
  get(key) {
    return done(this.store.get(key));
  }
  put(value, key) {
    return done(key === undefined ? this.store.put(value) : this.store.put(value, key));
  }
  add(value) {
    return done(this.store.add(value));
  }
  delete(key) {
    return done(this.store.delete(key));
  }
  clear() {
    return done(this.store.clear());
  }
  all(query, count) {
    return done(this.store.getAll(query, count));
  }
  keys(query) {
    return done(this.store.getAllKeys(query));
  }
  count(query) {
    return done(this.store.count(query));
  }
  byIndex(index, query) {
    return done(this.store.index(index).getAll(query));
  }
  keysByIndex(index, query) {
    return done(this.store.index(index).getAllKeys(query));
  }
  oneByIndex(index, key) {
    return done(this.store.index(index).get(key));
  }
  countByIndex(index, query) {
    return done(this.store.index(index).count(query));
  }
}

/**
 * Run `work(stores)` in one transaction over `names` (all stores when omitted); resolves with
 * what `work` returned once the transaction has committed, rejects (and nothing is kept) if
 * anything in it failed: a full disk (QuotaExceededError) aborts the whole transaction.
 */
export function tx(db, mode, work, names = STORES) {
  return new Promise((resolve, reject) => {
    let transaction;
    try {
      // 'strict': the commit is on disk before the promise resolves (Chromium's default is
      // 'relaxed'): a phone that dies right after "saved" must still have the application.
      transaction = db.transaction(names, mode, { durability: mode === 'readwrite' ? 'strict' : 'default' });
    } catch (error) {
      reject(error);
      return;
    }
    const stores = {};
    for (const name of names) stores[name] = new Store(transaction.objectStore(name));
    let result;
    let failed = null;
    transaction.oncomplete = () => (failed ? reject(failed) : resolve(result));
    transaction.onabort = () => reject(failed || transaction.error || new Error('transaction aborted'));
    transaction.onerror = (event) => {
      failed = failed || event.target.error;
    };
    Promise.resolve()
      .then(() => work(stores, transaction))
      .then(
        (value) => {
          result = value;
        },
        (error) => {
          failed = error;
          try {
            transaction.abort();
          } catch (_) {
            // already finished: the error is reported all the same
          }
        },
      );
  });
}

export const read = (db, work, names) => tx(db, 'readonly', work, names);
export const write = (db, work, names) => tx(db, 'readwrite', work, names);

// --- meta -----------------------------------------------------------------------------------

export function getMeta(db, key, fallback = null) {
  return read(db, async (s) => (await s.meta.get(key)) ?? fallback, ['meta']);
}

export function putMeta(db, key, value) {
  return write(db, (s) => s.meta.put(value, key), ['meta']);
}

/** The next value of a counter (receipt numbers, batch seq), inside the caller's transaction. */
export async function nextCounter(stores, key) {
  const value = ((await stores.meta.get(key)) || 0) + 1;
  await stores.meta.put(value, key);
  return value;
}

/** Whether an error is the browser saying the storage is full. */
export function isQuotaError(error) {
  const name = error && (error.name || (error.inner && error.inner.name));
  return name === 'QuotaExceededError' || /quota/i.test(String(error && error.message));
}
