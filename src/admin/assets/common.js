// meshd admin UI: what every page shares. Reads the page's configuration (the JSON the server
// puts in <script id="meshd-config">), marks the current page in the top bar, keeps the uptime
// ticking, and offers small DOM and fetch helpers. Text from the server always
// goes into the DOM through textContent, never as HTML.
"use strict";

var meshd = (function () {
  var loadedAt = performance.now();

  function readConfig() {
    var script = document.getElementById("meshd-config");
    try {
      return JSON.parse(script.textContent);
    } catch (e) {
      return {version: "?", routers: [], uptimeMs: 0};
    }
  }

  var config = readConfig();

  // Creates an element with an optional class and text.
  function el(tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) { e.className = cls; }
    if (text !== undefined && text !== null) { e.textContent = text; }
    return e;
  }

  // "3d 4h", "1h 2m", "2m 3s", "12s".
  function duration(ms) {
    var s = Math.max(0, Math.floor(ms / 1000));
    var d = Math.floor(s / 86400), h = Math.floor(s % 86400 / 3600);
    var m = Math.floor(s % 3600 / 60), sec = s % 60;
    if (d > 0) { return d + "d " + h + "h"; }
    if (h > 0) { return h + "h " + m + "m"; }
    if (m > 0) { return m + "m " + sec + "s"; }
    return sec + "s";
  }

  function tickUptime() {
    var span = document.querySelector('[data-metric="process/uptime"]');
    if (!span) { return; }
    var ms = config.uptimeMs + (performance.now() - loadedAt);
    span.textContent = duration(ms);
    span.setAttribute("data-value", String(Math.round(ms)));
  }

  function initTopbar() {
    var here = window.location.pathname === "/services" ? "/" : window.location.pathname;
    document.querySelectorAll("nav a").forEach(function (a) {
      if (a.getAttribute("href") === here) { a.setAttribute("aria-current", "page"); }
    });
    tickUptime();
    window.setInterval(tickUptime, 1000);
  }

  // Fetches `url` as JSON, failing after `timeoutMs`.
  function fetchJson(url, timeoutMs) {
    var controller = new AbortController();
    var timer = window.setTimeout(function () { controller.abort(); }, timeoutMs || 5000);
    return fetch(url, {signal: controller.signal, cache: "no-store"}).then(function (rsp) {
      if (!rsp.ok) { throw new Error(url + ": HTTP " + rsp.status); }
      return rsp.json();
    }).finally(function () { window.clearTimeout(timer); });
  }

  // Shows `text` in the page's status line, as an error when `isError`.
  function status(text, isError) {
    var s = document.getElementById("status");
    if (!s) { return; }
    s.textContent = text;
    s.className = isError ? "status error" : "status";
  }

  initTopbar();

  return {config: config, el: el, duration: duration, fetchJson: fetchJson, status: status};
})();
