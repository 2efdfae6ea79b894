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
  const marked = html.replace("<head>", `<head><meta name="rounds-cached-at" content="${new Date().toISOString()}">`);
  return new Response(marked, { status: 200, headers: { "Content-Type": "text/html; charset=utf-8" } });
}

async function networkFirst(request) {
  const url = new URL(request.url);
  try {
    const response = await fetch(request);
    if (response.ok && cacheable(url, request) && !response.redirected
        && (response.headers.get("Content-Type") || "").includes("text/html")) {
      const cache = await caches.open(PAGES);
      cache.put(request, await stamp(response.clone()));
    }
    return response;
  } catch (error) {
    const cached = cacheable(url, request) ? await caches.match(request, { cacheName: PAGES }) : undefined;
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
  if (event.data === "clear-pages") event.waitUntil(caches.delete(PAGES));
});
