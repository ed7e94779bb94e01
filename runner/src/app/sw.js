// The runner app's service worker: keeps the app shell so the app opens with no network.
//
// The hub writes the bundle's build id into this file when it serves it (hub/web/runner.py
// replaces the marks below), so any change to any file of the bundle changes these bytes: the
// browser then installs this worker anew, which caches the new shell under a new name and
// drops the old one once it takes over.
//
// Only the shell is cached. The API (/api/...) is never cached nor answered from a cache: a
// stale acknowledgement or feed page must never look like the hub's answer (the app checks
// the hub's signature on every answer anyway).

const BUILD = '__DAIBAN_BUILD__';
// Every file of the bundle but this one, as the hub lists them when it serves this file
// (hub/web/runner.py writes a JSON array in place of the mark): app.js and each chunk it
// imports on demand (the QR reader, the QR drawer), so all of them are here before the
// network goes. The page itself is './' (it is not served as index.html). The mark is a
// bare name, so what replaces it is a plain array literal.
// eslint-disable-next-line no-undef
const FILES = __DAIBAN_FILES__;
const PREFIX = 'daiban-runner-';
const CACHE = `${PREFIX}${BUILD}`;
const SCOPE = new URL('./', self.location).pathname; // "/runner/"
const SHELL = ['./', ...FILES];

self.addEventListener('install', (event) => {
  event.waitUntil(
    (async () => {
      const cache = await caches.open(CACHE);
      // `reload`: straight from the hub, never an HTTP cache's older copy of a file.
      await cache.addAll(SHELL.map((path) => new Request(new URL(path, self.location), { cache: 'reload' })));
      await self.skipWaiting();
    })(),
  );
});

self.addEventListener('activate', (event) => {
  event.waitUntil(
    (async () => {
      for (const name of await caches.keys()) {
        if (name.startsWith(PREFIX) && name !== CACHE) await caches.delete(name);
      }
      await self.clients.claim();
    })(),
  );
});

function isShell(url) {
  return url.origin === self.location.origin && url.pathname.startsWith(SCOPE);
}

self.addEventListener('fetch', (event) => {
  const request = event.request;
  if (request.method !== 'GET') return;
  const url = new URL(request.url);
  if (!isShell(url) || url.pathname.startsWith('/api/')) return; // the network's, as is
  if (request.mode === 'navigate') {
    // Every page of the app is the one document (screens are #/ routes): the cached shell,
    // at once, online or not. A new version arrives through this worker's update.
    event.respondWith(
      caches.open(CACHE).then(async (cache) => (await cache.match('./')) || fetch(request)),
    );
    return;
  }
  event.respondWith(
    caches.open(CACHE).then(async (cache) => (await cache.match(request, { ignoreSearch: true })) || fetch(request)),
  );
});

self.addEventListener('message', (event) => {
  if (event.data === 'build') event.source?.postMessage({ build: BUILD });
});
