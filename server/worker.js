// wasmchat's service worker (go-app fills in the version and the files).
//
// It keeps the page's shell and its content-hashed files in a cache per
// version, so the page starts, and shows the history kept in the browser,
// with no network. Questions asked offline wait in the page until the
// WebSocket is back. The API and the WebSocket are never cached: they are
// the user's data, and live.
const scope = new URL(self.registration.scope);
// A cache per site and version: several sites can share an origin
// (you.github.io/a/ and you.github.io/b/), and one's update must not
// delete the other's files.
const cachePrefix = "wasmchat-" + scope.pathname + "-";
const cacheName = cachePrefix + "{{.Version}}";
// go-app names the page's root without its slash under a sub-path
// ("/repo"), which a static host redirects: cache the scope itself.
const resourcesToCache = {{.ResourcesToCache}}
  .filter((r) => r + "/" !== scope.pathname)
  .concat(scope.pathname === "/" ? [] : [scope.pathname]);

self.addEventListener("install", (event) => {
  event.waitUntil(
    caches
      .open(cacheName)
      .then((cache) => cache.addAll(resourcesToCache))
      // A new version takes over at once; the page offers to reload.
      .then(() => self.skipWaiting())
  );
});

// Activating deletes this site's other versions, and at the root the
// "app-" caches of go-app's own worker, which served the page before.
self.addEventListener("activate", (event) => {
  event.waitUntil(
    caches
      .keys()
      .then((keys) =>
        Promise.all(
          keys
            .filter((k) => k !== cacheName && (k.startsWith(cachePrefix) || (scope.pathname === "/" && k.startsWith("app-"))))
            .map((k) => caches.delete(k))
        )
      )
      .then(() => self.clients.claim())
  );
});

self.addEventListener("fetch", (event) => {
  const req = event.request;
  const url = new URL(req.url);
  if (req.method !== "GET" || url.origin !== scope.origin || !url.pathname.startsWith(scope.pathname)) {
    return; // another server (the API of a static site's server), or a write
  }
  const rest = url.pathname.slice(scope.pathname.length);
  if (rest.startsWith("api/") || rest.startsWith("ws/") || rest === "healthz") {
    return;
  }
  if (req.mode === "navigate") {
    // Every page of the app is the same shell (the route is read in Go).
    event.respondWith(
      caches.match(scope.pathname, { cacheName }).then((res) => res || fetch(req))
    );
    return;
  }
  event.respondWith(caches.match(req, { cacheName }).then((res) => res || fetch(req)));
});
