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
  }
  function savedAt() {
    var meta = document.querySelector("meta[name='rounds-cached-at']");
    if (!meta) return;
    var text = document.querySelector("[data-offline-text]");
    var at = new Date(meta.content);
    if (text && !isNaN(at)) {
      text.textContent = text.dataset.template
        ? text.dataset.template.replace("{time}", at.toLocaleTimeString([], { hour: "2-digit", minute: "2-digit" }))
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
