#include <string_view>

#include "meshd/admin/delegator.h"

namespace meshd::admin {
namespace {

// The dtab playground: one self-contained page (inline CSS and plain JavaScript, no external
// assets). It reads the routers and their dtabs from /config.json, posts the edited dtab and
// the path to /delegator.json and renders the tree as nested lists. Every text from the server
// goes into the DOM through textContent, never as HTML.
constexpr std::string_view kPage = R"html(<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>meshd delegator</title>
<style>
body { font-family: sans-serif; margin: 1.5em; color: #222; }
h1 { font-size: 1.4em; }
label { display: block; margin-top: 0.8em; font-weight: bold; }
textarea { width: 100%; max-width: 60em; height: 9em; font-family: monospace; }
input[type=text] { width: 100%; max-width: 60em; font-family: monospace; }
button { margin-top: 0.8em; }
#error { color: #b00; white-space: pre-wrap; font-family: monospace; margin-top: 1em; }
ul.tree, ul.tree ul { list-style: none; padding-left: 1.4em; border-left: 1px dotted #aaa; }
ul.tree li { margin: 0.3em 0; }
.kind { display: inline-block; min-width: 7em; font-size: 0.8em; font-weight: bold;
        text-transform: uppercase; color: #555; }
.path { font-family: monospace; font-weight: bold; }
.dentry, .detail { font-family: monospace; color: #666; margin-left: 1em; }
.weight { font-family: monospace; color: #06c; margin-right: 0.5em; }
.leaf > .kind { color: #080; }
.neg > .kind, .neg > .path { color: #999; }
.fail > .kind, .fail > .path, .exception > .kind, .exception > .path { color: #b00; }
.message { color: #b00; font-family: monospace; margin-left: 1em; }
.addrs { font-family: monospace; margin-left: 1em; }
</style>
</head>
<body>
<h1>Delegator</h1>
<form id="form">
<label for="router">Router</label>
<select id="router"><option value="">(namers only, no router)</option></select>
<label for="dtab">Dtab</label>
<textarea id="dtab" spellcheck="false"></textarea>
<label for="path">Path</label>
<input type="text" id="path" placeholder="/svc/hello" spellcheck="false">
<br><button type="submit">Delegate</button>
</form>
<div id="error"></div>
<ul class="tree" id="result"></ul>
<script>
"use strict";
var dtabs = {};

function el(tag, cls, text) {
  var e = document.createElement(tag);
  if (cls) { e.className = cls; }
  if (text !== undefined) { e.textContent = text; }
  return e;
}

function showAddr(addr) {
  if (!addr) { return "?"; }
  if (addr.type === "bound") {
    if (addr.addrs.length === 0) { return "bound: (no addresses)"; }
    return "bound: " + addr.addrs.map(function (a) {
      var meta = Object.keys(a.meta || {}).map(function (k) { return k + "=" + a.meta[k]; });
      return a.ip + ":" + a.port + (meta.length ? " {" + meta.join(", ") + "}" : "");
    }).join(", ");
  }
  if (addr.type === "failed") { return "failed: " + addr.cause; }
  return addr.type;
}

function boundDetails(li, bound) {
  li.appendChild(el("div", "detail", "id " + bound.id + "  residual " + bound.path));
  li.appendChild(el("div", "addrs", showAddr(bound.addr)));
}

function render(node, weight) {
  var li = el("li", node.type);
  if (weight !== undefined) { li.appendChild(el("span", "weight", weight + " *")); }
  li.appendChild(el("span", "kind", node.type));
  li.appendChild(el("span", "path", node.path));
  if (node.dentry) {
    li.appendChild(el("span", "dentry", node.dentry.prefix + " => " + node.dentry.dst));
  }
  var children = el("ul");
  if (node.type === "delegate") {
    children.appendChild(render(node.delegate));
  } else if (node.type === "alt") {
    node.alt.forEach(function (c) { children.appendChild(render(c)); });
  } else if (node.type === "union") {
    node.union.forEach(function (w) { children.appendChild(render(w.tree, w.weight)); });
  } else if (node.type === "leaf") {
    boundDetails(li, node.bound);
  } else if (node.type === "transformation") {
    li.appendChild(el("div", "detail", "transformer " + node.name));
    boundDetails(li, node.bound);
    children.appendChild(render(node.tree));
  } else if (node.type === "exception") {
    li.appendChild(el("div", "message", node.message));
  } else if (node.type === "neg") {
    li.appendChild(el("span", "detail", "(no such name)"));
  } else if (node.type === "fail") {
    li.appendChild(el("span", "detail", "(failure: stops fallback)"));
  }
  if (children.childNodes.length) { li.appendChild(children); }
  return li;
}

function delegate(ev) {
  if (ev) { ev.preventDefault(); }
  var error = document.getElementById("error");
  var result = document.getElementById("result");
  error.textContent = "";
  result.textContent = "";
  var req = {
    dtab: document.getElementById("dtab").value,
    path: document.getElementById("path").value
  };
  var ns = document.getElementById("router").value;
  if (ns) { req.namespace = ns; }
  fetch("/delegator.json", {
    method: "POST",
    headers: {"Content-Type": "application/json"},
    body: JSON.stringify(req)
  }).then(function (rsp) {
    return rsp.text().then(function (text) {
      if (!rsp.ok) { throw new Error(rsp.status + " " + text); }
      result.appendChild(render(JSON.parse(text)));
    });
  }).catch(function (e) { error.textContent = e.message; });
}

function selectRouter() {
  var label = document.getElementById("router").value;
  document.getElementById("dtab").value = label ? (dtabs[label] || "") : "";
}

function init() {
  var params = new URLSearchParams(window.location.search);
  document.getElementById("form").addEventListener("submit", delegate);
  document.getElementById("router").addEventListener("change", selectRouter);
  if (params.get("path")) { document.getElementById("path").value = params.get("path"); }
  fetch("/config.json").then(function (rsp) { return rsp.json(); }).then(function (config) {
    var select = document.getElementById("router");
    (config.routers || []).forEach(function (r, i) {
      var label = r.label || r.protocol;
      dtabs[label] = r.dtab || "";
      var option = el("option", null, label);
      option.value = label;
      select.appendChild(option);
      if (params.get("router") === label || (!params.get("router") && i === 0)) {
        select.value = label;
      }
    });
    selectRouter();
  }).catch(function (e) {
    document.getElementById("error").textContent = "cannot read /config.json: " + e.message;
  });
}

init();
</script>
</body>
</html>
)html";

asio::awaitable<http::Response> serve_page() {
  co_return http::Response::text(200, std::string(kPage), "text/html; charset=utf-8");
}

}  // namespace

AdminHandler delegator_page_handler() {
  return [](AdminRequest) { return serve_page(); };
}

}  // namespace meshd::admin
