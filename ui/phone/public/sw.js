/* global self, caches */
/**
 * The phone app's service worker (scope /phone/). It keeps the app shell so the app opens without
 * a network: pages and index.html network-first (a new build shows as soon as the node is
 * reachable, the cached copy otherwise), /phone/assets/* cache-first (their names carry a content
 * hash, so a cached file never goes stale). Nothing outside /phone/ is ever cached: the node's API,
 * the mesh's WebSockets and other origins go straight to the network.
 */
const VERSION = 1;
const CACHE_PREFIX = 'atmosphere-phone-';
const CACHE = `${CACHE_PREFIX}v${VERSION}`;
const SCOPE = '/phone/';
const SHELL = [
  '/phone/',
  '/phone/manifest.webmanifest',
  '/phone/icons/icon-192.png',
  '/phone/icons/icon-512.png',
  '/phone/icons/apple-touch-icon.png',
];
/** Old builds' hashed assets are dropped, oldest first, past this many. */
const MAX_ASSETS = 60;

function inScope(url) {
  return url.origin === self.location.origin && url.pathname.startsWith(SCOPE);
}

async function put(request, response) {
  const url = new URL(request.url);
  if (!inScope(url) || !response.ok || response.type === 'opaque') return;
  const cache = await caches.open(CACHE);
  // one entry per path: `/phone/?from=qr` and `/phone/` are the same page
  await cache.put(url.origin + url.pathname, response);
  if (url.pathname.startsWith(`${SCOPE}assets/`)) {
    const assets = (await cache.keys()).filter((r) => new URL(r.url).pathname.startsWith(`${SCOPE}assets/`));
    for (const old of assets.slice(0, Math.max(0, assets.length - MAX_ASSETS))) await cache.delete(old);
  }
}

async function networkFirst(request, fallbacks) {
  try {
    const response = await fetch(request);
    if (response.ok) await put(request, response.clone());
    return response;
  } catch (err) {
    const cache = await caches.open(CACHE);
    for (const candidate of [request, ...fallbacks]) {
      const hit = await cache.match(candidate, { ignoreSearch: true });
      if (hit !== undefined) return hit;
    }
    throw err;
  }
}

async function cacheFirst(request) {
  const cache = await caches.open(CACHE);
  const hit = await cache.match(request, { ignoreSearch: true });
  if (hit !== undefined) return hit;
  const response = await fetch(request);
  if (response.ok) await put(request, response.clone());
  return response;
}

self.addEventListener('install', (event) => {
  event.waitUntil(
    (async () => {
      const cache = await caches.open(CACHE);
      // one missing file must not stop the worker from installing
      await Promise.allSettled(SHELL.map(async (path) => cache.add(new Request(path, { cache: 'reload' }))));
      await self.skipWaiting();
    })(),
  );
});

self.addEventListener('activate', (event) => {
  event.waitUntil(
    (async () => {
      for (const name of await caches.keys()) {
        if (name.startsWith(CACHE_PREFIX) && name !== CACHE) await caches.delete(name);
      }
      await self.clients.claim();
    })(),
  );
});

self.addEventListener('fetch', (event) => {
  const { request } = event;
  if (request.method !== 'GET') return;
  const url = new URL(request.url);
  if (!inScope(url) || url.pathname === `${SCOPE}sw.js`) return;
  if (request.mode === 'navigate' || url.pathname === SCOPE || url.pathname === `${SCOPE}index.html`) {
    event.respondWith(networkFirst(request, ['/phone/', '/phone/index.html']));
  } else if (url.pathname.startsWith(`${SCOPE}assets/`)) {
    event.respondWith(cacheFirst(request));
  } else {
    event.respondWith(networkFirst(request, []));
  }
});

self.addEventListener('notificationclick', (event) => {
  event.notification.close();
  event.waitUntil(
    (async () => {
      const windows = await self.clients.matchAll({ type: 'window', includeUncontrolled: true });
      const open = windows.find((client) => new URL(client.url).pathname.startsWith(SCOPE));
      if (open !== undefined) await open.focus();
      else await self.clients.openWindow(SCOPE);
    })(),
  );
});
