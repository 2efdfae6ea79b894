// Rounds' own page behaviour: service worker, offline state, timezone detection, confirmations.
(function () {
  "use strict";

  if ("serviceWorker" in navigator) {
    window.addEventListener("load", function () {
      navigator.serviceWorker.register("/sw.js", { scope: "/" }).catch(function () {});
    });
  }

  // Offline: show the banner with the time the page was saved, and disable writes (never queue them).
  function showOffline(offline) {
    document.body.classList.toggle("is-offline", offline);
    var banner = document.querySelector(".offline-banner");
    if (banner) banner.hidden = !offline;
    document.querySelectorAll("[data-write], form[method='post'] button").forEach(function (el) {
      if (el.closest("form[action='/logout']")) return;
      if (offline) { el.setAttribute("disabled", ""); el.dataset.offlineDisabled = "1"; }
      else if (el.dataset.offlineDisabled) { el.removeAttribute("disabled"); delete el.dataset.offlineDisabled; }
    });
    document.querySelectorAll("[data-online-only]").forEach(function (el) {
      if (offline) el.setAttribute("disabled", ""); else el.removeAttribute("disabled");
    });
    document.dispatchEvent(new CustomEvent("rounds:offline", { detail: { offline: offline } }));
  }
  // HH:MM in the practice's timezone (the one every time on its pages is in), else this device's.
  function clockTime(at) {
    var options = { hour: "2-digit", minute: "2-digit", hourCycle: "h23" };
    var zone = document.body && document.body.dataset.timezone;
    try { if (zone) return at.toLocaleTimeString([], Object.assign({ timeZone: zone }, options)); } catch (e) { /* unknown zone */ }
    return at.toLocaleTimeString([], options);
  }
  function savedAt(when) {
    var meta = document.querySelector("meta[name='rounds-cached-at']");
    if (!meta && !when) return;
    var text = document.querySelector("[data-offline-text]");
    var at = when || new Date(meta.content);
    if (text && !isNaN(at)) {
      text.textContent = text.dataset.template
        ? text.dataset.template.replace("{time}", clockTime(at))
        : text.textContent;
    }
  }
  window.addEventListener("online", function () { showOffline(false); });
  window.addEventListener("offline", function () { showOffline(true); });
  document.addEventListener("DOMContentLoaded", function () {
    savedAt();
    if (document.querySelector("meta[name='rounds-cached-at']") || !navigator.onLine) showOffline(true);

    // Sign-up: pre-fill the timezone from this device and offer the full list.
    var tz = document.querySelector("[data-detect-timezone]");
    if (tz && !tz.value) {
      try { tz.value = Intl.DateTimeFormat().resolvedOptions().timeZone || ""; } catch (e) { /* keep empty */ }
    }
    var list = document.querySelector("[data-timezones]");
    if (list && Intl.supportedValuesOf) {
      Intl.supportedValuesOf("timeZone").forEach(function (name) {
        var option = document.createElement("option");
        option.value = name;
        list.appendChild(option);
      });
    }
    document.querySelectorAll("[data-select-on-focus]").forEach(function (input) {
      input.addEventListener("focus", function () { input.select(); });
    });
    document.querySelectorAll("[data-reload]").forEach(function (button) {
      button.addEventListener("click", function () { window.location.reload(); });
    });
  });

  // Signing out forgets the pages saved on this device. The response's Clear-Site-Data header does it
  // where supported; this covers browsers without it (the worker outlives this page's navigation).
  document.addEventListener("submit", function (event) {
    // Signing out or switching organization: the saved pages belong to the previous context.
    if (!event.target.matches("form[action='/logout'], form[action='/orgs/switch']")) return;
    if (navigator.serviceWorker && navigator.serviceWorker.controller) {
      navigator.serviceWorker.controller.postMessage("clear-pages");
    }
  });

  // -- Offline schedule -------------------------------------------------------------------------------
  // The service worker keeps "/rota/mine" and "/oncall" fresh: asked when a page loads online (it skips
  // copies younger than five minutes) and every ten minutes while a page stays open.
  var loadedAt = new Date();
  var isSavedCopy = function () { return !!document.querySelector("meta[name='rounds-cached-at']"); };
  function refreshSchedule() {
    if (!("serviceWorker" in navigator) || !navigator.onLine || isSavedCopy()) return;
    if (!document.body || !document.body.hasAttribute("data-live")) return; // signed in, in an organization
    navigator.serviceWorker.ready.then(function (registration) {
      if (registration.active) registration.active.postMessage({ type: "refresh-schedule" });
    });
  }
  if ("serviceWorker" in navigator) {
    window.addEventListener("load", refreshSchedule);
    window.setInterval(refreshSchedule, 10 * 60 * 1000);
    navigator.serviceWorker.addEventListener("message", function (event) {
      if (event.data && event.data.type === "schedule-refreshed") {
        document.dispatchEvent(new CustomEvent("rounds:schedule-refreshed", { detail: event.data }));
      }
    });
  }

  // A request that cannot reach the server means this page is now as of when it loaded: say so.
  document.addEventListener("htmx:sendError", function () {
    if (document.body.classList.contains("is-offline")) return;
    savedAt(loadedAt);
    showOffline(true);
  });
  document.addEventListener("htmx:afterRequest", function (event) {
    if (event.detail && event.detail.successful && !isSavedCopy() && document.body.classList.contains("is-offline")) {
      showOffline(false);
    }
  });

  // On call: filter the rows on this page by their text when the server cannot (offline, or a failed
  // request); the same rule as the server's: every word typed must appear in the row.
  function filterOnCall() {
    var input = document.querySelector("[data-oncall-search]");
    var results = document.querySelector("[data-oncall-results]");
    if (!input || !results) return;
    var words = input.value.toLowerCase().split(/\s+/).filter(Boolean);
    var rows = results.querySelectorAll("[data-oncall-row]");
    var shown = 0;
    rows.forEach(function (row) {
      var text = row.dataset.search || "";
      var match = words.every(function (word) { return text.indexOf(word) !== -1; });
      row.hidden = !match;
      if (match) shown += 1;
    });
    var none = results.querySelector("[data-oncall-nomatch]");
    if (none) {
      none.hidden = shown > 0 || rows.length === 0;
      none.textContent = (none.dataset.template || "").replace("{query}", input.value.trim());
    }
    var count = results.querySelector("[data-oncall-count]");
    if (count && count.dataset.template) {
      count.textContent = count.dataset.template.replace("{shown}", shown).replace("{total}", rows.length);
    }
  }
  // A saved copy read later: shifts that have ended since are marked (the copy knows when each one ends).
  function markEnded() {
    var now = Date.now();
    document.querySelectorAll("[data-oncall-row][data-ends-at]").forEach(function (row) {
      var ended = Date.parse(row.dataset.endsAt) <= now;
      row.classList.toggle("is-ended", ended);
      var badge = row.querySelector("[data-oncall-ended]");
      if (badge) badge.hidden = !ended;
    });
  }
  // "Today" and "Tomorrow" in a saved agenda are relative to the day it is read, in the practice's timezone.
  function relabelAgenda() {
    var list = document.querySelector("[data-agenda]");
    if (!list || !window.Intl) return;
    var fmt;
    try { fmt = new Intl.DateTimeFormat("en-CA", { timeZone: list.dataset.timezone }); } catch (e) { return; }
    var today = fmt.format(new Date());
    var tomorrow = fmt.format(new Date(Date.now() + 24 * 3600 * 1000));
    list.querySelectorAll("[data-day]").forEach(function (day) {
      var label = day.querySelector("[data-relative]");
      if (!label) return;
      label.textContent = day.dataset.day === today ? list.dataset.todayText
        : day.dataset.day === tomorrow ? list.dataset.tomorrowText : "";
    });
  }
  function offlineNow() { return document.body.classList.contains("is-offline"); }
  document.addEventListener("input", function (event) {
    if (event.target.matches("[data-oncall-search]") && offlineNow()) filterOnCall();
    // Typing a date and time chooses "Pick a time".
    if (event.target.matches("[data-when-at]")) {
      var choice = document.querySelector("[data-when-at-choice]");
      if (choice) choice.checked = true;
    }
  });
  document.addEventListener("search", function (event) {
    if (event.target.matches("[data-oncall-search]") && offlineNow()) filterOnCall();
  }, true);
  document.addEventListener("htmx:sendError", function (event) {
    if (event.target.closest && event.target.closest("#oncall-form")) filterOnCall();
  });
  document.addEventListener("htmx:beforeRequest", function (event) {
    // Offline, the rows on the page are all there is: do not ask the server, do not clear them.
    if (offlineNow() && event.target.closest && event.target.closest("#oncall-form")) {
      event.preventDefault();
      filterOnCall();
    }
  });
  document.addEventListener("DOMContentLoaded", function () {
    if (!isSavedCopy()) return;
    // "/oncall?q=peds" may be answered by the saved "/oncall": search what the address asks for.
    var input = document.querySelector("[data-oncall-search]");
    var asked = new URLSearchParams(window.location.search).get("q");
    if (input && asked !== null) input.value = asked;
    if (input) filterOnCall();
    markEnded();
    relabelAgenda();
  });

  // Buttons that need a second thought.
  document.addEventListener("click", function (event) {
    var button = event.target.closest("[data-confirm]");
    if (button && !window.confirm(button.dataset.confirm)) event.preventDefault();
  });

  // The offline page comes back by itself.
  if (document.querySelector("[data-reload]")) {
    window.addEventListener("online", function () { window.location.reload(); });
  }

  // The server says this session's privileges changed: reload to pick up the new ones.
  document.addEventListener("htmx:sseMessage", function (event) {
    if (event.detail && event.detail.type === "session") window.location.reload();
  });
})();

// -- Web push and calendar feeds ---------------------------------------------------------------------
// The notifications page: "Enable notifications on this device" subscribes through the service worker
// with the server's VAPID key and registers the subscription (POST /push/subscriptions); "Turn off"
// forgets it (DELETE) and unsubscribes. A subscription the browser already has is re-sent on each
// visit, so the server's list heals itself. Also the feeds page's "Copy" buttons.
(function () {
  "use strict";

  function jsonHeaders() {
    var headers = { "Content-Type": "application/json" };
    try {
      var hx = JSON.parse(document.body.getAttribute("hx-headers") || "{}");
      if (hx["x-csrftoken"]) headers["x-csrftoken"] = hx["x-csrftoken"];
    } catch (e) { /* no token: the server refuses, and the page says so */ }
    return headers;
  }

  function keyBytes(base64url) {
    var base64 = (base64url + "===".slice((base64url.length + 3) % 4)).replace(/-/g, "+").replace(/_/g, "/");
    var raw = window.atob(base64);
    var bytes = new Uint8Array(raw.length);
    for (var i = 0; i < raw.length; i++) bytes[i] = raw.charCodeAt(i);
    return bytes;
  }

  function sameKey(subscription, key) {
    var current = subscription.options && subscription.options.applicationServerKey;
    if (!current) return true;
    var a = new Uint8Array(current);
    if (a.length !== key.length) return false;
    for (var i = 0; i < a.length; i++) if (a[i] !== key[i]) return false;
    return true;
  }

  function register(subscription) {
    return fetch("/push/subscriptions", {
      method: "POST", credentials: "same-origin", headers: jsonHeaders(), body: JSON.stringify(subscription.toJSON()),
    }).then(function (response) { if (!response.ok) throw new Error("push " + response.status); });
  }

  function setUpPush(panel) {
    var status = panel.querySelector("[data-push-status]");
    var enable = panel.querySelector("[data-push-enable]");
    var disable = panel.querySelector("[data-push-disable]");
    var key = keyBytes(panel.dataset.vapidKey || "");
    function show(state) {
      var name = "text" + state.charAt(0).toUpperCase() + state.slice(1);
      status.textContent = panel.dataset[name] || "";
      enable.hidden = state !== "off" && state !== "error";
      disable.hidden = state !== "on";
      enable.disabled = disable.disabled = false;
    }
    var supported = "serviceWorker" in navigator && "PushManager" in window && "Notification" in window;
    if (!supported) {
      var ios = /iPhone|iPad|iPod/.test(navigator.userAgent) && !window.navigator.standalone;
      show(ios ? "ios" : "unsupported");
      return;
    }
    if (Notification.permission === "denied") { show("blocked"); return; }
    navigator.serviceWorker.ready
      .then(function (registration) { return registration.pushManager.getSubscription(); })
      .then(function (subscription) {
        if (!subscription) return show("off");
        if (!sameKey(subscription, key)) return subscription.unsubscribe().then(function () { show("off"); });
        return register(subscription).then(function () { show("on"); });
      })
      .catch(function () { show("off"); });

    enable.addEventListener("click", function () {
      enable.disabled = true;
      status.textContent = panel.dataset.textWorking || "";
      Notification.requestPermission()
        .then(function (permission) {
          if (permission !== "granted") { show(permission === "denied" ? "blocked" : "off"); return null; }
          return navigator.serviceWorker.ready.then(function (registration) {
            return registration.pushManager.subscribe({ userVisibleOnly: true, applicationServerKey: key });
          }).then(register).then(function () { window.location.assign("/push?done=device-on"); });
        })
        .catch(function () { show("error"); });
    });

    disable.addEventListener("click", function () {
      disable.disabled = true;
      status.textContent = panel.dataset.textWorking || "";
      navigator.serviceWorker.ready
        .then(function (registration) { return registration.pushManager.getSubscription(); })
        .then(function (subscription) {
          if (!subscription) return null;
          return fetch("/push/subscriptions", {
            method: "DELETE", credentials: "same-origin", headers: jsonHeaders(),
            body: JSON.stringify({ endpoint: subscription.endpoint }),
          }).then(function () { return subscription.unsubscribe(); });
        })
        .then(function () { window.location.assign("/push?done=device-off"); })
        .catch(function () { show("error"); });
    });
  }

  function copy(button) {
    var input = document.querySelector(button.dataset.copy);
    if (!input) return;
    var done = function () {
      var label = button.textContent;
      button.textContent = button.dataset.copiedText || label;
      window.setTimeout(function () { button.textContent = label; }, 2000);
    };
    if (navigator.clipboard && window.isSecureContext) {
      navigator.clipboard.writeText(input.value).then(done, function () { input.select(); });
    } else {
      input.select();
      try { if (document.execCommand("copy")) done(); } catch (e) { /* selected: the person copies it */ }
    }
  }

  document.addEventListener("DOMContentLoaded", function () {
    document.querySelectorAll("[data-push]").forEach(setUpPush);
  });
  document.addEventListener("click", function (event) {
    var button = event.target.closest("[data-copy]");
    if (button) copy(button);
  });
})();
