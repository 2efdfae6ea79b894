// Rounds service worker: precaches the shell and the offline page, and keeps a copy of each page
// the user opened (network first), shown with an "offline" banner when the network fails.
"use strict";

const VERSION = "rounds-v1";
const SHELL = "shell-" + VERSION;
const PAGES = "pages-" + VERSION;
const SHELL_URLS = [
  "/offline",
  "/static/css/app.css",
  "/static/js/app.js",
  "/static/vendor/htmx.min.js",
  "/static/vendor/sse.js",
  "/static/icons/icon-192.png",
  "/static/icons/icon-512.png",
  "/manifest.json",
];
// Kept fresh in the background (app.js asks every few minutes while a page is open): what a physician
// and the hospital operator need when the service is down, "my shifts" and "who is on call now".
const BACKGROUND_URLS = ["/rota/mine", "/oncall"];
const FRESH_FOR_MS = 5 * 60 * 1000;
// Pages never kept: sign-in flows, tokens in URLs, the mail outbox, the event stream, the API.
const NEVER_CACHE = [/^\/(login|logout|signup|forgot-password|reset-password|verify-email|invite|outbox|events|api)(\/|$)/];

self.addEventListener("install", (event) => {
  event.waitUntil(caches.open(SHELL).then((cache) => cache.addAll(SHELL_URLS)).then(() => self.skipWaiting()));
});

self.addEventListener("activate", (event) => {
  event.waitUntil(
    caches.keys()
      .then((keys) => Promise.all(keys.filter((k) => k !== SHELL && k !== PAGES).map((k) => caches.delete(k))))
      .then(() => self.clients.claim())
  );
});

function cacheable(url, request) {
  return url.origin === self.location.origin && request.method === "GET"
    && !NEVER_CACHE.some((re) => re.test(url.pathname));
}

// Marks a cached page so that, shown offline, it says when it was saved and disables writes.
async function stamp(response) {
  const html = await response.text();
  const at = new Date().toISOString();
  const marked = html.replace("<head>", `<head><meta name="rounds-cached-at" content="${at}">`);
  return new Response(marked, {
    status: 200, headers: { "Content-Type": "text/html; charset=utf-8", "X-Rounds-Cached-At": at },
  });
}

function isPage(response) {
  return response.ok && !response.redirected && (response.headers.get("Content-Type") || "").includes("text/html");
}

// A saved copy for an address never opened: "/oncall?q=peds" (the search box rewrites the address) is
// answered by the saved "/oncall", which filters itself; only for "now", never another time.
async function savedCopy(url, request) {
  const hit = await caches.match(request, { cacheName: PAGES });
  if (hit) return hit;
  if (url.pathname === "/oncall" && ["", "now"].includes(url.searchParams.get("when") || "")) {
    return caches.match("/oncall", { cacheName: PAGES });
  }
  return undefined;
}

// Re-fetches the background pages whose saved copy is older than FRESH_FOR_MS (all of them if forced).
let refreshing = null;
let generation = 0; // bumped by "clear-pages": a refresh under way then must not save a signed-out user's page
async function refreshBackground(force) {
  const started = generation;
  const cache = await caches.open(PAGES);
  const done = [];
  for (const path of BACKGROUND_URLS) {
    const saved = await cache.match(path);
    const savedAt = saved ? Date.parse(saved.headers.get("X-Rounds-Cached-At") || "") : NaN;
    if (!force && !isNaN(savedAt) && Date.now() - savedAt < FRESH_FOR_MS) {
      done.push(path);
      continue;
    }
    try {
      const response = await fetch(path, { credentials: "same-origin", cache: "no-store" });
      if (isPage(response) && started === generation) {
        await cache.put(path, await stamp(response));
        done.push(path);
      }
    } catch (error) {
      // Offline or the service is down: keep the copy there is.
    }
  }
  return done;
}

async function networkFirst(request) {
  const url = new URL(request.url);
  try {
    const response = await fetch(request);
    if (cacheable(url, request) && isPage(response)) {
      const cache = await caches.open(PAGES);
      cache.put(request, await stamp(response.clone()));
    }
    return response;
  } catch (error) {
    const cached = cacheable(url, request) ? await savedCopy(url, request) : undefined;
    return cached || (await caches.match("/offline", { cacheName: SHELL })) || Response.error();
  }
}

self.addEventListener("fetch", (event) => {
  const request = event.request;
  const url = new URL(request.url);
  if (url.origin !== self.location.origin || request.method !== "GET") return;
  if (request.mode === "navigate") {
    event.respondWith(networkFirst(request));
    return;
  }
  if (url.pathname.startsWith("/static/") || url.pathname === "/manifest.json") {
    event.respondWith(caches.match(request).then((hit) => hit || fetch(request)));
  }
});

// Sign-out (and a user switch) clears every saved page of the previous user.
self.addEventListener("message", (event) => {
  if (event.data === "clear-pages") {
    generation += 1;
    event.waitUntil(caches.delete(PAGES));
  }
  // {type: "refresh-schedule", force?: bool}: answered with {type: "schedule-refreshed", urls: [...]}.
  if (event.data && event.data.type === "refresh-schedule") {
    if (!refreshing) refreshing = refreshBackground(!!event.data.force).finally(() => { refreshing = null; });
    event.waitUntil(refreshing.then((urls) => {
      if (event.source) event.source.postMessage({ type: "schedule-refreshed", urls: urls, at: new Date().toISOString() });
    }));
  }
});

// -- Web push ----------------------------------------------------------------------------------------
// Shows what the server sent ({title, body, url, tag}: a shift and a day, never patient data); a tap
// focuses a Rounds window already on that page, or brings one to it, or opens a new one.
self.addEventListener("push", (event) => {
  let data = {};
  try {
    data = event.data ? event.data.json() : {};
  } catch (error) {
    data = { body: event.data ? event.data.text() : "" };
  }
  const url = typeof data.url === "string" && data.url.startsWith("/") && !data.url.startsWith("//") ? data.url : "/";
  const options = { body: data.body || "", icon: "/static/icons/icon-192.png", badge: "/static/icons/icon-192.png",
                    data: { url } };
  if (data.tag) { options.tag = data.tag; options.renotify = true; }
  event.waitUntil(self.registration.showNotification(data.title || "Rounds", options));
});

self.addEventListener("notificationclick", (event) => {
  event.notification.close();
  const target = new URL((event.notification.data && event.notification.data.url) || "/", self.location.origin).href;
  event.waitUntil((async () => {
    const windows = await self.clients.matchAll({ type: "window", includeUncontrolled: true });
    const same = windows.find((w) => w.url === target);
    if (same) return same.focus();
    const ours = windows.find((w) => new URL(w.url).origin === self.location.origin && "navigate" in w);
    if (ours) {
      await ours.focus();
      return ours.navigate(target);
    }
    return self.clients.openWindow(target);
  })());
});
