// meshd admin UI: the dashboard (Linkerd 1's `/`). Polls /admin/metrics.json?tree=1 every
// second and shows, per router: a summary of its servers, a chart of requests/s and success
// rate over the last five minutes, and tables of its servers, services and clients.
//
// Every number shown sits in an element whose `data-metric` is `<scope>/<field>` and whose
// `data-value` is the raw value ("" when there is none), so that tests read them from the DOM:
// scopes are `rt/<router>/summary`, `rt/<router>/server/<ip>/<port>`,
// `rt/<router>/service/<name>` and `rt/<router>/client/<id>` (the metric scopes); fields are
// listed in docs/admin.md. Totals and "success rate" count since the scope was created; rates
// come from the counters' deltas between polls.
"use strict";

(function () {
  var POLL_MS = 1000;
  var RATE_WINDOW_MS = 5000;       // requests/s, retries/s: over the last 5 s
  var SUCCESS_WINDOW_MS = 60000;   // "success (1 min)"
  var CHART_SPAN_MS = 300000;      // the chart shows 5 min
  var MAX_HISTORY = 360;           // samples kept: 5 min of polls and some slack
  var MAX_ROWS = 100;              // per table; the rest is counted in its footer
  var el = meshd.el;

  // ---- formatting ------------------------------------------------------------------------

  function count(v) { return String(Math.round(v)); }
  function perSec(v) { return v >= 1000 ? String(Math.round(v)) : v.toFixed(1); }
  function percent(v) { return (100 * v).toFixed(2) + "%"; }
  function millis(v) { return Math.round(v) + " ms"; }
  function gauge(v) { return Number.isInteger(v) ? String(v) : v.toFixed(1); }
  function successClass(v) { return v === null ? "" : v >= 0.99 ? "good" : v >= 0.95 ? "warn" : "bad"; }

  var COMMON = [
    {field: "requests", label: "Requests", fmt: count},
    {field: "requests_per_sec", label: "Req/s", fmt: perSec},
    {field: "success_rate", label: "Success rate", fmt: percent, success: true,
     title: "successes / (successes + failures) since the scope was created"},
    {field: "success_rate_1m", label: "Success (1 min)", fmt: percent, success: true,
     title: "over the last minute this page has watched"},
  ];
  var LATENCY = [
    {field: "p50", label: "p50", fmt: millis, title: "request_latency_ms, 50th percentile"},
    {field: "p95", label: "p95", fmt: millis, title: "request_latency_ms, 95th percentile"},
    {field: "p99", label: "p99", fmt: millis, title: "request_latency_ms, 99th percentile"},
  ];
  var SERVER_COLUMNS = COMMON.concat([
    {field: "connections", label: "Connections", fmt: gauge},
    {field: "pending", label: "Pending", fmt: gauge},
  ], LATENCY);
  var SERVICE_COLUMNS = COMMON.concat([
    {field: "retries_per_sec", label: "Retries/s", fmt: perSec},
    {field: "retry_budget", label: "Retry budget", fmt: gauge,
     title: "retries the budget allows now"},
    {field: "pending", label: "Pending", fmt: gauge},
  ], LATENCY);
  var CLIENT_COLUMNS = COMMON.concat([
    {field: "lb_size", label: "LB size", fmt: gauge, title: "endpoints in the load balancer"},
    {field: "lb_available", label: "LB available", fmt: gauge, title: "endpoints open now"},
    {field: "requeues_per_sec", label: "Requeues/s", fmt: perSec},
    {field: "connections", label: "Connections", fmt: gauge},
    {field: "pending", label: "Pending", fmt: gauge},
  ], LATENCY);
  var SUMMARY_FIELDS = [
    {field: "requests_per_sec", label: "Requests/s", fmt: perSec},
    {field: "success_rate", label: "Success rate", fmt: percent, success: true},
    {field: "success_rate_1m", label: "Success (1 min)", fmt: percent, success: true},
    {field: "requests", label: "Requests", fmt: count},
    {field: "failures", label: "Failures", fmt: count},
    {field: "retries_per_sec", label: "Retries/s", fmt: perSec},
    {field: "p50", label: "Latency p50", fmt: millis},
    {field: "p95", label: "Latency p95", fmt: millis},
    {field: "p99", label: "Latency p99", fmt: millis},
    {field: "connections", label: "Connections", fmt: gauge},
    {field: "pending", label: "Pending", fmt: gauge},
  ];

  function setValue(node, spec, value) {
    var v = value === undefined ? null : value;
    node.textContent = v === null ? "—" : spec.fmt(v);
    node.setAttribute("data-value", v === null ? "" : String(v));
    if (spec.success) {
      node.classList.remove("good", "warn", "bad");
      var cls = successClass(v);
      if (cls) { node.classList.add(cls); }
    }
  }

  // ---- reading the metrics tree ----------------------------------------------------------

  // The metrics below `node` by their path relative to it: {"requests": 3,
  // "loadbalancer/size": 1, "request_latency_ms.p50": 4, ...}, whether the registry nested the
  // elements of a name or kept them in one element.
  function flatten(node, prefix, out, depth) {
    Object.keys(node).forEach(function (k) {
      var v = node[k];
      if (typeof v === "number") {
        if (k === "counter" || k === "gauge") {
          out[prefix] = v;
        } else if (k.indexOf("stat.") === 0) {
          out[prefix + "." + k.slice(5)] = v;
        }
      } else if (v && typeof v === "object" && depth < 16) {
        flatten(v, prefix ? prefix + "/" + k : k, out, depth + 1);
      }
    });
    return out;
  }

  function num(flat, key) { return typeof flat[key] === "number" ? flat[key] : null; }

  function statsOf(node) {
    var f = flatten(node || {}, "", {}, 0);
    return {
      requests: num(f, "requests"), success: num(f, "success"), failures: num(f, "failures"),
      retries: num(f, "retries/total"), requeues: num(f, "retries/requeues"),
      retryBudget: num(f, "retries/budget"), lbSize: num(f, "loadbalancer/size"),
      lbAvailable: num(f, "loadbalancer/available"), connections: num(f, "connections"),
      pending: num(f, "pending"), p50: num(f, "request_latency_ms.p50"),
      p95: num(f, "request_latency_ms.p95"), p99: num(f, "request_latency_ms.p99"),
    };
  }

  function sum(list, key) {
    var total = null;
    list.forEach(function (s) { if (s[key] !== null) { total = (total || 0) + s[key]; } });
    return total;
  }

  function max(list, key) {
    var m = null;
    list.forEach(function (s) { if (s[key] !== null && (m === null || s[key] > m)) { m = s[key]; } });
    return m;
  }

  function scopes(kindNode, prefix, display) {
    return Object.keys(kindNode || {}).sort().map(function (id) {
      return {key: prefix + id, name: display(id), stats: statsOf(kindNode[id])};
    });
  }

  function serverName(id) {
    var slash = id.lastIndexOf("/");
    if (slash < 0) { return id; }
    var ip = id.slice(0, slash);
    return (ip.indexOf(":") >= 0 ? "[" + ip + "]" : ip) + ":" + id.slice(slash + 1);
  }

  function pathName(id) { return id.charAt(0) === "/" ? id : "/" + id; }

  // One router's scopes; the summary adds up its servers (latency: the highest of them).
  function routerModel(tree, label) {
    var node = ((tree || {}).rt || {})[label] || {};
    var base = "rt/" + label + "/";
    var servers = scopes(node.server, base + "server/", serverName);
    var services = scopes(node.service, base + "service/", pathName);
    var clients = scopes(node.client, base + "client/", pathName);
    var ss = servers.map(function (s) { return s.stats; });
    var retries = sum(services.map(function (s) { return s.stats; }), "retries");
    var requeues = sum(clients.map(function (s) { return s.stats; }), "requeues");
    var summary = {
      requests: sum(ss, "requests"), success: sum(ss, "success"), failures: sum(ss, "failures"),
      retries: retries === null && requeues === null ? null : (retries || 0) + (requeues || 0),
      connections: sum(ss, "connections"), pending: sum(ss, "pending"),
      p50: max(ss, "p50"), p95: max(ss, "p95"), p99: max(ss, "p99"),
    };
    return {summaryKey: base + "summary", summary: summary, servers: servers,
            services: services, clients: clients};
  }

  // ---- rates from the counters' history --------------------------------------------------

  var history = [];  // [{t, counters: {"<scope>|<counter>": value}}], oldest first

  function record(t, models) {
    var counters = {};
    function put(key, stats) {
      ["requests", "success", "failures", "retries", "requeues"].forEach(function (c) {
        if (stats[c] !== null && stats[c] !== undefined) { counters[key + "|" + c] = stats[c]; }
      });
    }
    models.forEach(function (m) {
      put(m.summaryKey, m.summary);
      m.servers.concat(m.services, m.clients).forEach(function (s) { put(s.key, s.stats); });
    });
    history.push({t: t, counters: counters});
    while (history.length > MAX_HISTORY || (history.length > 1 && t - history[0].t > CHART_SPAN_MS + 5000)) {
      history.shift();
    }
  }

  // How much counter `key` grew over about the last `windowMs`: {d, dt}, or null without two
  // samples or when it went down (the scope was removed and created again).
  function delta(key, windowMs) {
    var newest = history[history.length - 1];
    if (!newest || newest.counters[key] === undefined) { return null; }
    var base = null;
    for (var i = history.length - 2; i >= 0; i--) {
      if (newest.t - history[i].t > windowMs + POLL_MS / 4) { break; }
      if (history[i].counters[key] !== undefined) { base = history[i]; }
    }
    if (!base) { return null; }
    var d = newest.counters[key] - base.counters[key];
    return d < 0 ? null : {d: d, dt: newest.t - base.t};
  }

  function rate(key, windowMs) {
    var d = delta(key, windowMs);
    return d && d.dt > 0 ? d.d * 1000 / d.dt : null;
  }

  function ratio(success, failures) {
    if (success === null || failures === null || success + failures === 0) { return null; }
    return success / (success + failures);
  }

  function windowRatio(key, windowMs) {
    var s = delta(key + "|success", windowMs), f = delta(key + "|failures", windowMs);
    return s && f ? ratio(s.d, f.d) : null;
  }

  // The fields a table row or summary shows for scope `key` with `stats`.
  function fields(key, stats) {
    return {
      requests: stats.requests, failures: stats.failures,
      requests_per_sec: rate(key + "|requests", RATE_WINDOW_MS),
      success_rate: ratio(stats.success, stats.failures),
      success_rate_1m: windowRatio(key, SUCCESS_WINDOW_MS),
      retries_per_sec: rate(key + "|retries", RATE_WINDOW_MS),
      requeues_per_sec: rate(key + "|requeues", RATE_WINDOW_MS),
      retry_budget: stats.retryBudget, lb_size: stats.lbSize, lb_available: stats.lbAvailable,
      connections: stats.connections, pending: stats.pending,
      p50: stats.p50, p95: stats.p95, p99: stats.p99,
    };
  }

  // ---- views -----------------------------------------------------------------------------

  function TableView(title, nameLabel, columns, emptyText) {
    this.columns = columns;
    this.emptyText = emptyText;
    this.rows = {};
    this.element = el("div", "table-wrap");
    var table = el("table");
    table.appendChild(el("caption", null, title));
    var head = el("tr");
    var th = el("th", null, nameLabel);
    th.scope = "col";
    head.appendChild(th);
    columns.forEach(function (c) {
      var h = el("th", "num", c.label);
      h.scope = "col";
      if (c.title) { h.title = c.title; }
      head.appendChild(h);
    });
    table.appendChild(el("thead")).appendChild(head);
    this.tbody = table.appendChild(el("tbody"));
    this.tfoot = table.appendChild(el("tfoot"));
    this.element.appendChild(table);
  }

  TableView.prototype.row = function (item) {
    var row = this.rows[item.key];
    if (row) { return row; }
    var tr = el("tr");
    tr.setAttribute("data-scope", item.key);
    var name = el("td", "name", item.name);
    name.setAttribute("data-metric", item.key + "/name");
    tr.appendChild(name);
    var cells = {};
    this.columns.forEach(function (c) {
      var td = el("td", "num");
      td.setAttribute("data-metric", item.key + "/" + c.field);
      cells[c.field] = td;
      tr.appendChild(td);
    });
    row = {tr: tr, cells: cells};
    this.rows[item.key] = row;
    return row;
  };

  // Shows `items` ([{key, name, values}], sorted), at most MAX_ROWS of them.
  TableView.prototype.update = function (items) {
    var self = this;
    var shown = items.slice(0, MAX_ROWS);
    var keep = {};
    shown.forEach(function (item) {
      var row = self.row(item);
      keep[item.key] = true;
      self.columns.forEach(function (c) { setValue(row.cells[c.field], c, item.values[c.field]); });
      self.tbody.appendChild(row.tr);  // moves existing rows into sorted order
    });
    Object.keys(this.rows).forEach(function (key) {
      if (!keep[key]) {
        self.tbody.removeChild(self.rows[key].tr);
        delete self.rows[key];
      }
    });
    var empty = this.tbody.querySelector("tr.empty-row");
    if (shown.length === 0 && !empty) {
      var tr = el("tr", "empty-row");
      var td = el("td", "empty", this.emptyText);
      td.colSpan = this.columns.length + 1;
      tr.appendChild(td);
      this.tbody.appendChild(tr);
    } else if (shown.length > 0 && empty) {
      this.tbody.removeChild(empty);
    }
    this.tfoot.textContent = "";
    if (items.length > shown.length) {
      var more = el("td", null, (items.length - shown.length) + " more not shown");
      more.colSpan = this.columns.length + 1;
      this.tfoot.appendChild(el("tr")).appendChild(more);
    }
  };

  function RouterView(label) {
    var id = "router-" + label.replace(/[^A-Za-z0-9_-]/g, "_");
    this.label = label;
    this.key = "rt/" + label + "/summary";
    this.points = [];
    this.section = el("section", "router");
    this.section.setAttribute("data-router", label);
    this.section.setAttribute("aria-labelledby", id);
    var h2 = el("h2", null, "Router ");
    h2.id = id;
    h2.appendChild(el("span", "label", label));
    this.section.appendChild(h2);

    var dl = el("dl", "summary");
    this.summary = {};
    var self = this;
    SUMMARY_FIELDS.forEach(function (f) {
      var div = el("div");
      div.appendChild(el("dt", null, f.label));
      var dd = el("dd");
      dd.setAttribute("data-metric", self.key + "/" + f.field);
      setValue(dd, f, null);
      div.appendChild(dd);
      dl.appendChild(div);
      self.summary[f.field] = dd;
    });
    this.section.appendChild(dl);

    var figure = el("figure", "chart");
    this.canvas = el("canvas");
    this.canvas.setAttribute("role", "img");
    this.canvas.setAttribute("aria-label", "Requests per second and success rate of router " +
                             label + " over the last 5 minutes: no data yet");
    figure.appendChild(this.canvas);
    var caption = el("figcaption", "legend");
    var rateKey = caption.appendChild(el("span"));
    rateKey.appendChild(el("span", "swatch rate"));
    rateKey.appendChild(document.createTextNode("requests/s (left axis)"));
    var successKey = caption.appendChild(el("span"));
    successKey.appendChild(el("span", "swatch success"));
    successKey.appendChild(document.createTextNode("success rate (right axis)"));
    figure.appendChild(caption);
    this.section.appendChild(figure);
    this.chart = new TimeChart(this.canvas, CHART_SPAN_MS);

    this.servers = this.table("Servers", "Server", SERVER_COLUMNS, "no server metrics yet");
    this.services = this.table("Services", "Service", SERVICE_COLUMNS, "no requests routed yet");
    this.clients = this.table("Clients", "Client", CLIENT_COLUMNS, "no requests sent yet");
  }

  RouterView.prototype.table = function (title, nameLabel, columns, emptyText) {
    this.section.appendChild(el("h3", null, title));
    var view = new TableView(this.label + " " + title.toLowerCase(), nameLabel, columns, emptyText);
    this.section.appendChild(view.element);
    return view;
  };

  RouterView.prototype.update = function (model, now) {
    var self = this;
    var values = fields(this.key, model.summary);
    SUMMARY_FIELDS.forEach(function (f) { setValue(self.summary[f.field], f, values[f.field]); });
    function items(list) {
      return list.map(function (s) { return {key: s.key, name: s.name, values: fields(s.key, s.stats)}; });
    }
    this.servers.update(items(model.servers));
    this.services.update(items(model.services));
    this.clients.update(items(model.clients));
    this.addPoint(now);
    this.drawChart(now);
  };

  // The chart's point for the last poll interval.
  RouterView.prototype.addPoint = function (now) {
    var requests = delta(this.key + "|requests", POLL_MS * 1.75);
    if (!requests || requests.dt <= 0) { return; }
    var s = delta(this.key + "|success", POLL_MS * 1.75);
    var f = delta(this.key + "|failures", POLL_MS * 1.75);
    this.points.push({t: now, rate: requests.d * 1000 / requests.dt,
                      success: s && f ? ratio(s.d, f.d) : null});
    while (this.points.length > 0 && now - this.points[0].t > CHART_SPAN_MS) {
      this.points.shift();
    }
  };

  RouterView.prototype.drawChart = function (now) {
    this.chart.draw(this.points, now);
    var last = this.points[this.points.length - 1];
    if (last) {
      this.canvas.setAttribute("aria-label", "Router " + this.label + " over the last 5 minutes; " +
          "now " + perSec(last.rate) + " requests/s, success rate " +
          (last.success === null ? "n/a" : percent(last.success)));
    }
  };

  // ---- page ------------------------------------------------------------------------------

  var only = new URLSearchParams(window.location.search).get("router");
  var labels = meshd.config.routers.filter(function (r) { return !only || r === only; });
  var views = [];

  function initFilter() {
    var select = document.getElementById("router-filter");
    meshd.config.routers.forEach(function (r) {
      var option = el("option", null, r);
      option.value = r;
      if (r === only) { option.defaultSelected = true; }
      select.appendChild(option);
    });
    select.addEventListener("change", function () {
      var url = new URL(window.location.href);
      if (select.value) {
        url.searchParams.set("router", select.value);
      } else {
        url.searchParams.delete("router");
      }
      window.location.href = url.toString();
    });
  }

  function initRouters() {
    var container = document.getElementById("routers");
    if (only && labels.length === 0) {
      container.appendChild(el("p", "notice", "There is no router named \"" + only + "\"."));
    } else if (labels.length === 0) {
      container.appendChild(el("p", "notice", "No routers are configured."));
    }
    labels.forEach(function (label) {
      var view = new RouterView(label);
      container.appendChild(view.section);
      views.push(view);
    });
    window.addEventListener("resize", function () {
      var now = performance.now();
      views.forEach(function (v) { v.drawChart(now); });
    });
  }

  var failing = null;  // whether the last poll failed (null before the first)

  function update(tree) {
    var now = performance.now();
    var models = views.map(function (v) { return routerModel(tree, v.label); });
    record(now, models);
    views.forEach(function (v, i) { v.update(models[i], now); });
    var updated = document.getElementById("updated");
    if (updated) { updated.textContent = "updated " + new Date().toLocaleTimeString(); }
    if (failing !== false) { meshd.status("live: updated every second"); }
    failing = false;
  }

  function poll() {
    meshd.fetchJson("/admin/metrics.json?tree=1", 5000).then(update).catch(function (e) {
      meshd.status("cannot read /admin/metrics.json: " + e.message, true);
      failing = true;
    }).finally(function () {
      window.setTimeout(poll, POLL_MS);
    });
  }

  initFilter();
  initRouters();
  poll();
})();
