// retar's service worker: keeps the page's files so that it opens and
// converts without a network. `make site` writes the list of files and a
// version (a hash of them) in place of the two markers below; a new version
// is a new cache, used once every tab of the old one is closed.
'use strict';
const VERSION = 'dev';
const FILES = ['./'];
const CACHE = `retar-${VERSION}`;

self.addEventListener('install', (ev) => {
  // {cache: 'reload'}: the files as the server has them now, not an older
  // copy from the HTTP cache.
  ev.waitUntil(caches.open(CACHE).then((c) => c.addAll(FILES.map((f) => new Request(f, { cache: 'reload' })))));
});

self.addEventListener('activate', (ev) => {
  ev.waitUntil((async () => {
    for (const k of await caches.keys()) if (k.startsWith('retar-') && k !== CACHE) await caches.delete(k);
    await self.clients.claim(); // the first visit's page works offline too
  })());
});

// The page's own files come from the cache; anything else goes to the
// network as usual. ?hasher=go and such select code, not files.
self.addEventListener('fetch', (ev) => {
  const req = ev.request;
  if (req.method !== 'GET' || new URL(req.url).origin !== self.location.origin) return;
  ev.respondWith((async () => {
    const hit = await caches.match(req, { cacheName: CACHE, ignoreSearch: true });
    if (!hit) return fetch(req);
    // A cached response keeps its own URL, which a Worker takes for its
    // location: worker.js?hasher=go must still see its query.
    if (hit.url === req.url) return hit;
    return new Response(hit.body, { status: hit.status, statusText: hit.statusText, headers: hit.headers });
  })());
});
