// meshd admin UI: the recent requests page (Linkerd's `/requests`). Polls the JSON API of the
// io.l5d.recentRequests telemeter every two seconds and lists the sampled requests, newest
// first; each row's trace cell opens the request's annotations. Rows carry `data-trace-id` and
// `data-span-id`, cells `data-field` (and `data-value` for numbers), so tests read them.
"use strict";

(function () {
  var POLL_MS = 2000;
  var MAX_ROWS = 1000;
  var el = meshd.el;
  var tbody = document.querySelector("#requests tbody");
  var paused = false;
  var lastText = null;
  var requests = [];

  function pad(n, width) { return String(n).padStart(width, "0"); }

  function timeOf(ms) {
    var d = new Date(ms);
    return pad(d.getHours(), 2) + ":" + pad(d.getMinutes(), 2) + ":" + pad(d.getSeconds(), 2) +
           "." + pad(d.getMilliseconds(), 3);
  }

  function cell(tr, field, text, cls, value) {
    var td = el("td", cls || null, text === null || text === undefined || text === "" ? "—" : text);
    td.setAttribute("data-field", field);
    if (value !== undefined) { td.setAttribute("data-value", value === null ? "" : String(value)); }
    tr.appendChild(td);
    return td;
  }

  function keyOf(r) { return r.traceId + "/" + r.spanId; }

  function annotations(r) {
    var list = r.annotations || [];
    var details = el("details");
    details.setAttribute("data-key", keyOf(r));
    var summary = el("summary", "mono", r.traceId || "—");
    summary.title = list.length + " annotations";
    details.appendChild(summary);
    var dl = el("dl");
    list.forEach(function (a) {
      dl.appendChild(el("dt", null, a.key));
      dl.appendChild(el("dd", null, a.value));
    });
    if (list.length === 0) { dl.appendChild(el("dd", null, "no annotations")); }
    details.appendChild(dl);
    return details;
  }

  function row(r) {
    var tr = el("tr");
    tr.setAttribute("data-trace-id", r.traceId || "");
    tr.setAttribute("data-span-id", r.spanId || "");
    var time = cell(tr, "timestamp", timeOf(r.timestamp), "num", r.timestamp);
    time.title = new Date(r.timestamp).toISOString();
    cell(tr, "router", r.router);
    cell(tr, "request", [r.method, r.host, r.uri].filter(Boolean).join(" "), "name");
    cell(tr, "service", r.service, "name");
    cell(tr, "client", r.client, "name");
    var status = r.status === null || r.status === undefined ? null : r.status;
    cell(tr, "status", status === null ? null : String(status),
         "num" + (status !== null && status >= 500 ? " bad" : ""), status);
    var duration = typeof r.durationMs === "number" ? r.durationMs : null;
    cell(tr, "duration_ms", duration === null ? null : duration.toFixed(duration < 10 ? 2 : 1) + " ms",
         "num", duration);
    var result = r.success === true ? "success" : r.success === false ? "failure" : null;
    cell(tr, "success", result, r.success === true ? "good" : r.success === false ? "bad" : null,
         r.success === null || r.success === undefined ? null : r.success);
    cell(tr, "remote", r.remote, "mono");
    var trace = cell(tr, "trace", null);
    trace.textContent = "";
    trace.appendChild(annotations(r));
    return tr;
  }

  function matches(r, filter) {
    if (!filter) { return true; }
    var text = [r.router, r.method, r.host, r.uri, r.service, r.client, r.status, r.remote,
                r.traceId].join(" ").toLowerCase();
    return text.indexOf(filter) >= 0;
  }

  function render() {
    var open = {};
    tbody.querySelectorAll("details[open]").forEach(function (d) {
      open[d.getAttribute("data-key")] = true;
    });
    var filter = document.getElementById("filter").value.trim().toLowerCase();
    var shown = requests.filter(function (r) { return matches(r, filter); }).slice(0, MAX_ROWS);
    tbody.textContent = "";
    shown.forEach(function (r) {
      var tr = row(r);
      if (open[keyOf(r)]) { tr.querySelector("details").open = true; }
      tbody.appendChild(tr);
    });
    if (shown.length === 0) {
      var td = el("td", "empty", requests.length ? "no request matches the filter"
                                                 : "no requests sampled yet");
      td.colSpan = 10;
      tbody.appendChild(el("tr", "empty-row")).appendChild(td);
    }
  }

  function poll() {
    if (paused) {
      window.setTimeout(poll, POLL_MS);
      return;
    }
    meshd.fetchJson(meshd.config.requestsJson, 5000).then(function (list) {
      if (!Array.isArray(list)) { throw new Error("not a JSON array"); }
      var text = JSON.stringify(list);
      if (text !== lastText) {
        lastText = text;
        requests = list;
        render();
      }
      meshd.status(list.length + " requests");
      document.getElementById("updated").textContent =
          "updated " + new Date().toLocaleTimeString();
    }).catch(function (e) {
      meshd.status("cannot read " + meshd.config.requestsJson + ": " + e.message, true);
    }).finally(function () {
      window.setTimeout(poll, POLL_MS);
    });
  }

  document.getElementById("pause").addEventListener("click", function (ev) {
    paused = !paused;
    ev.target.setAttribute("aria-pressed", String(paused));
    ev.target.textContent = paused ? "Resume" : "Pause";
  });
  document.getElementById("filter").addEventListener("input", render);
  if (meshd.config.requestsJson) {
    poll();
  } else {
    meshd.status("recent requests are not recorded: configure io.l5d.recentRequests", true);
  }
})();
