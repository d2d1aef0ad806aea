// meshd admin UI: the logging page (Linkerd's `/logging`). Lists /logging.json with a level
// selector per logger; a change is posted to /logging.json as a form and the list re-read.
// Rows carry `data-logger` and `data-level`; the selected option has the `selected` attribute.
"use strict";

(function () {
  var LEVELS = ["TRACE", "DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL", "OFF"];
  var el = meshd.el;
  var tbody = document.querySelector("#loggers tbody");

  function selector(logger, level) {
    var select = el("select");
    select.setAttribute("data-logger", logger);
    select.setAttribute("aria-label", "Level of logger " + logger);
    LEVELS.forEach(function (l) {
      var option = el("option", null, l);
      option.value = l;
      option.defaultSelected = l === level;
      select.appendChild(option);
    });
    select.addEventListener("change", function () { change(logger, select.value); });
    return select;
  }

  function render(loggers) {
    tbody.textContent = "";
    loggers.forEach(function (l) {
      var tr = el("tr");
      tr.setAttribute("data-logger", l.logger);
      tr.setAttribute("data-level", l.level);
      var name = el("td", "name", l.logger);
      if (l.logger === "root") {
        name.appendChild(el("span", "muted", " (sets every logger)"));
      }
      tr.appendChild(name);
      tr.appendChild(el("td")).appendChild(selector(l.logger, l.level));
      tbody.appendChild(tr);
    });
  }

  function load(message) {
    return meshd.fetchJson("/logging.json", 5000).then(function (loggers) {
      render(loggers);
      meshd.status(message || loggers.length + " loggers");
    }).catch(function (e) {
      meshd.status("cannot read /logging.json: " + e.message, true);
    });
  }

  function change(logger, level) {
    var body = new URLSearchParams({logger: logger, level: level});
    fetch("/logging.json", {method: "POST", body: body}).then(function (rsp) {
      return rsp.text().then(function (text) {
        if (!rsp.ok) { throw new Error(text.trim() || "HTTP " + rsp.status); }
        return load("logger " + logger + " set to " + level);
      });
    }).catch(function (e) {
      meshd.status("cannot set " + logger + " to " + level + ": " + e.message, true);
      load();
    });
  }

  load();
})();
