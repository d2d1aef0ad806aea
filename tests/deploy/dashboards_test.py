#!/usr/bin/env python3
"""Checks the Prometheus config and the Grafana dashboard under deploy/ against a real meshd.

    tests/deploy/dashboards_test.py [MESHD_BINARY] [unittest options]

MESHD_BINARY (or the environment variable of that name) is the meshd to scrape.

What is checked:
  1. deploy/prometheus/prometheus.yml: its jobs scrape /admin/metrics/prometheus; the Kubernetes
     job keeps exactly the admin port of the meshd DaemonSets of deploy/k8s/ (their pod label
     `app` and container port `admin`), and deploy/k8s/prometheus.yaml holds the same job.
  2. deploy/grafana/meshd-dashboard.json: every panel has the `$datasource` data source and
     PromQL targets, ids are unique, panels do not overlap, every template variable a query or
     title uses is defined (and every defined one is used), and the PromQL parses.
  3. A real meshd (io.l5d.prometheus, an io.l5d.fs namer, a Python backend, requests with 2xx to
     5xx answers, MESHD_LIVE_HISTOGRAMS=1 so histograms show before the first minute) is
     scraped: every metric the dashboard queries is in the scrape (a histogram by its quantile
     series), with every label the dashboard selects or groups by, and the quantiles it picks.
"""

from __future__ import annotations

import http.client
import json
import os
import re
import signal
import subprocess
import sys
import tempfile
import threading
import time
import unittest
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]
PROMETHEUS_CONFIG = ROOT / "deploy" / "prometheus" / "prometheus.yml"
PROMETHEUS_CONFIGMAP = ROOT / "deploy" / "k8s" / "prometheus.yaml"
DASHBOARD = ROOT / "deploy" / "grafana" / "meshd-dashboard.json"
K8S = ROOT / "deploy" / "k8s"
MESHD_BINARY = os.environ.get("MESHD_BINARY", "")

METRICS_PATH = "/admin/metrics/prometheus"
ADMIN_PORT = 9990
DATASOURCE = {"type": "prometheus", "uid": "${datasource}"}
# Labels Prometheus adds to every scraped series (job and target labels), not meshd's.
SCRAPE_LABELS = {"instance", "job", "app", "namespace", "pod", "node"}
# Grafana's built-in variables (https://grafana.com/docs/grafana/latest/dashboards/variables/).
GRAFANA_GLOBALS = {"__interval", "__interval_ms", "__rate_interval", "__rate_interval_ms",
                   "__range", "__range_s", "__range_ms", "__from", "__to", "__dashboard",
                   "__name", "__org", "__user", "timeFilter", "__timeFilter"}
# What the dashboard may query: meshd's router metrics (docs/metrics.md), with no prefix.
METRIC_NAME = r"^rt:(server|service|client):[A-Za-z0-9_:]+[A-Za-z0-9]$"
VARIABLE_USE = re.compile(r"\$\{(\w+)(?::[^}]*)?\}|\$(\w+)|\[\[(\w+)(?::[^\]]*)?\]\]")


# --- PromQL ----------------------------------------------------------------------------------

TOKEN = re.compile(r"""\s*(?:
    (?P<string>"(?:\\.|[^"\\])*")
  | (?P<range>\[[^\]]*\])
  | (?P<ident>[A-Za-z_:][A-Za-z0-9_:]*)
  | (?P<number>[0-9]+(?:\.[0-9]*)?(?:[eE][+-]?[0-9]+)?)
  | (?P<op>=~|!~|!=|==|<=|>=|[-+*/%^<>=,(){}])
)""", re.VERBOSE)
AGGREGATIONS = {"sum", "min", "max", "avg", "group", "stddev", "stdvar", "count",
                "count_values", "bottomk", "topk", "quantile"}
GROUPING = {"by", "without", "on", "ignoring", "group_left", "group_right"}
KEYWORDS = {"and", "or", "unless", "bool", "offset"}


def tokenize(expr: str) -> list[tuple[str, str]]:
    """(kind, text) of each token; raises ValueError on text that is not PromQL."""
    tokens, pos = [], 0
    expr = expr.rstrip()
    while pos < len(expr):
        match = TOKEN.match(expr, pos)
        if match is None or match.end() == pos:
            raise ValueError(f"cannot parse {expr!r} at {pos}: {expr[pos:pos + 20]!r}")
        kind = match.lastgroup
        tokens.append((kind, match.group(kind)))
        pos = match.end()
    depth = {"(": 0, "{": 0}
    for kind, text in tokens:
        if kind == "op" and text in "(){}":
            opening = {")": "(", "}": "{"}.get(text, text)
            depth[opening] += 1 if text in "({" else -1
            if depth[opening] < 0:
                raise ValueError(f"unbalanced {text!r} in {expr!r}")
    if any(depth.values()):
        raise ValueError(f"unbalanced brackets in {expr!r}")
    return tokens


class Selector:
    """One vector selector of an expression: the metric name and its label matchers."""

    def __init__(self, name: str):
        self.name = name
        self.matchers: list[tuple[str, str, str]] = []  # (label, op, value)


def parse_promql(expr: str) -> tuple[list[Selector], set[str]]:
    """The vector selectors of `expr` and the labels it groups by (`by`, `on`, …)."""
    tokens = tokenize(expr)
    selectors: list[Selector] = []
    grouping: set[str] = set()
    i = 0
    while i < len(tokens):
        kind, text = tokens[i]
        following = tokens[i + 1][1] if i + 1 < len(tokens) else ""
        if kind != "ident":
            i += 1
            continue
        if text in GROUPING:
            if following != "(":
                raise ValueError(f"{text} without labels in {expr!r}")
            i += 2
            while tokens[i][1] != ")":
                if tokens[i][0] == "ident":
                    grouping.add(tokens[i][1])
                i += 1
            i += 1
            continue
        if text in KEYWORDS or following == "(" or (
                text in AGGREGATIONS and following in ("by", "without")):
            i += 1
            continue
        selector = Selector(text)
        selectors.append(selector)
        i += 1
        if following == "{":
            i += 1
            while tokens[i][1] != "}":
                if tokens[i][1] == ",":
                    i += 1
                    continue
                (k_kind, label), (_, op), (v_kind, value) = tokens[i:i + 3]
                if k_kind != "ident" or op not in ("=", "!=", "=~", "!~") or v_kind != "string":
                    raise ValueError(f"bad label matcher in {expr!r}")
                selector.matchers.append((label, op, json.loads(value)))
                i += 3
    return selectors, grouping


LABEL_VALUES = re.compile(r"^label_values\((?:(?P<selector>.+),\s*)?(?P<label>\w+)\)$")


def parse_variable_query(query: str) -> tuple[list[Selector], str]:
    """`label_values(<selector>, <label>)` → (its selectors, the label)."""
    match = LABEL_VALUES.match(query.strip())
    if match is None or match.group("selector") is None:
        raise ValueError(f"not label_values(<metric selector>, <label>): {query!r}")
    selectors, grouping = parse_promql(match.group("selector"))
    if grouping or len(selectors) != 1:
        raise ValueError(f"label_values takes one selector: {query!r}")
    return selectors, match.group("label")


# --- the dashboard ---------------------------------------------------------------------------

def load_dashboard() -> dict:
    return json.loads(DASHBOARD.read_text())


def all_panels(dashboard: dict) -> list[dict]:
    """Every panel, rows and the panels of collapsed rows included."""
    out = []
    for panel in dashboard["panels"]:
        out.append(panel)
        out.extend(panel.get("panels", []))
    return out


def query_panels(dashboard: dict) -> list[dict]:
    return [p for p in all_panels(dashboard) if p["type"] != "row"]


def variable_query(variable: dict) -> str:
    query = variable.get("query", "")
    return query.get("query", "") if isinstance(query, dict) else query


def dashboard_queries(dashboard: dict) -> list[tuple[str, list[Selector], set[str]]]:
    """(where, selectors, labels the query needs on each of them) of every PromQL query."""
    queries = []
    for panel in query_panels(dashboard):
        for target in panel["targets"]:
            selectors, grouping = parse_promql(target["expr"])
            queries.append((f"panel {panel['id']} {panel['title']!r} {target['refId']}",
                            selectors, grouping))
    for variable in dashboard["templating"]["list"]:
        if variable["type"] == "query":
            selectors, label = parse_variable_query(variable_query(variable))
            queries.append((f"variable {variable['name']}", selectors, {label}))
    return queries


def strings_in(value) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [s for v in value.values() for s in strings_in(v)]
    if isinstance(value, list):
        return [s for v in value for s in strings_in(v)]
    return []


def variables_used(value) -> set[str]:
    return {next(g for g in m.groups() if g) for s in strings_in(value)
            for m in VARIABLE_USE.finditer(s)}


class Dashboard(unittest.TestCase):
    """The dashboard's structure (part 2)."""

    @classmethod
    def setUpClass(cls):
        cls.dashboard = load_dashboard()
        cls.variables = {v["name"]: v for v in cls.dashboard["templating"]["list"]}

    def test_is_a_dashboard_model(self):
        d = self.dashboard
        for key in ("title", "uid", "panels", "templating", "schemaVersion", "time"):
            self.assertIn(key, d)
        self.assertIsNone(d.get("id"), "an exported dashboard has no id (import assigns one)")
        self.assertGreaterEqual(d["schemaVersion"], 36)

    def test_panel_ids_are_unique(self):
        ids = [p["id"] for p in all_panels(self.dashboard)]
        self.assertTrue(all(isinstance(i, int) for i in ids))
        self.assertEqual(len(ids), len(set(ids)))

    def test_every_panel_has_the_datasource_variable_and_targets(self):
        panels = query_panels(self.dashboard)
        self.assertGreaterEqual(len(panels), 20)
        for panel in panels:
            with self.subTest(panel=panel["title"], id=panel["id"]):
                self.assertEqual(panel.get("datasource"), DATASOURCE)
                self.assertTrue(panel.get("targets"))
                ref_ids = [t["refId"] for t in panel["targets"]]
                self.assertEqual(len(ref_ids), len(set(ref_ids)))
                for target in panel["targets"]:
                    self.assertEqual(target.get("datasource"), DATASOURCE)
                    self.assertTrue(target.get("expr", "").strip())

    def test_panels_fit_the_grid_without_overlapping(self):
        boxes = []
        for panel in self.dashboard["panels"]:
            g = panel["gridPos"]
            with self.subTest(panel=panel.get("title"), id=panel["id"]):
                self.assertTrue(0 <= g["x"] and g["w"] > 0 and g["x"] + g["w"] <= 24 and g["h"] > 0)
                for other, o in boxes:
                    overlap = (g["x"] < o["x"] + o["w"] and o["x"] < g["x"] + g["w"]
                               and g["y"] < o["y"] + o["h"] and o["y"] < g["y"] + g["h"])
                    self.assertFalse(overlap, f"overlaps panel {other}")
            boxes.append((panel["id"], g))

    def test_the_datasource_variable_selects_prometheus(self):
        ds = self.variables.get("datasource")
        self.assertIsNotNone(ds)
        self.assertEqual((ds["type"], ds["query"]), ("datasource", "prometheus"))
        for name, variable in self.variables.items():
            if variable["type"] == "query":
                with self.subTest(variable=name):
                    self.assertEqual(variable["datasource"], DATASOURCE)

    def test_router_service_and_client_variables(self):
        for name, label in (("router", "rt"), ("service", "service"), ("client", "client")):
            with self.subTest(variable=name):
                variable = self.variables[name]
                selectors, queried = parse_variable_query(variable_query(variable))
                self.assertEqual(queried, label)
                # Multi-value variables go in =~ matchers; All must then match everything.
                self.assertTrue(variable["multi"] and variable["includeAll"])
                self.assertEqual(variable.get("allValue"), ".*")

    def test_every_variable_used_is_defined_and_every_defined_one_used(self):
        used = set()
        for panel in all_panels(self.dashboard):
            with self.subTest(panel=panel.get("title"), id=panel["id"]):
                names = variables_used(panel)
                self.assertLessEqual(names - GRAFANA_GLOBALS, set(self.variables))
                used |= names
                if "repeat" in panel:
                    repeated = self.variables[panel["repeat"]]
                    self.assertTrue(repeated["multi"] or repeated["includeAll"])
                    used.add(panel["repeat"])
        for name, variable in self.variables.items():
            names = variables_used(variable_query(variable)) | variables_used(
                variable.get("datasource", {}))
            with self.subTest(variable=name):
                self.assertLessEqual(names - GRAFANA_GLOBALS, set(self.variables) - {name})
            used |= names
        self.assertEqual(set(self.variables) - used, set(), "defined but never used")

    def test_queries_parse_and_select_meshd_metrics(self):
        queries = dashboard_queries(self.dashboard)
        for where, selectors, _ in queries:
            with self.subTest(query=where):
                self.assertTrue(selectors)
                for s in selectors:
                    self.assertRegex(s.name, METRIC_NAME)
                    # Multi-value variables are regexes: they need =~.
                    for label, op, value in s.matchers:
                        if "$" in value:
                            self.assertEqual(op, "=~", f"{s.name} {label}")

    def test_the_promql_parser_finds_selectors_and_groupings(self):
        selectors, grouping = parse_promql(
            'count(count by (instance) (a:b{rt=~"$r", q="0.5"})) / '
            'sum without (x) (rate(c_total[$__rate_interval])) or vector(0)')
        self.assertEqual([s.name for s in selectors], ["a:b", "c_total"])
        self.assertEqual(selectors[0].matchers, [("rt", "=~", "$r"), ("q", "=", "0.5")])
        self.assertEqual(grouping, {"instance", "x"})
        with self.assertRaises(ValueError):
            parse_promql("sum(rate(a[1m])")
        with self.assertRaises(ValueError):
            parse_promql("a{b=c}")


# --- the Prometheus config -------------------------------------------------------------------

def load_k8s_documents() -> list[dict]:
    docs = []
    for path in sorted(K8S.rglob("*.yaml")):
        docs.extend(d for d in yaml.safe_load_all(path.read_text()) if d is not None)
    return docs


def meshd_daemonsets() -> list[dict]:
    """The DaemonSets under deploy/k8s/ whose pods expose meshd's admin port."""
    out = []
    for doc in load_k8s_documents():
        if doc.get("kind") != "DaemonSet":
            continue
        ports = [p for c in doc["spec"]["template"]["spec"]["containers"]
                 for p in c.get("ports", [])]
        if any(p.get("name") == "admin" for p in ports):
            out.append(doc)
    return out


def keep_rules(job: dict) -> list[dict]:
    return [r for r in job.get("relabel_configs", []) if r.get("action") == "keep"]


def relabel_matches(rule: dict, labels: dict[str, str]) -> bool:
    """Whether a relabel rule's regex (anchored, as Prometheus anchors it) matches."""
    value = rule.get("separator", ";").join(labels.get(n, "") for n in rule["source_labels"])
    return re.fullmatch(rule.get("regex", "(.*)"), value) is not None


class PrometheusConfig(unittest.TestCase):
    """The scrape config (part 1)."""

    @classmethod
    def setUpClass(cls):
        cls.config = yaml.safe_load(PROMETHEUS_CONFIG.read_text())
        cls.jobs = {j["job_name"]: j for j in cls.config["scrape_configs"]}

    def test_jobs_are_unique_and_scrape_the_prometheus_path(self):
        names = [j["job_name"] for j in self.config["scrape_configs"]]
        self.assertEqual(len(names), len(set(names)))
        for name, job in self.jobs.items():
            with self.subTest(job=name):
                self.assertEqual(job.get("metrics_path"), METRICS_PATH)
                self.assertTrue(set(job) & {"static_configs", "kubernetes_sd_configs"})

    def test_the_local_job_scrapes_the_default_admin_port(self):
        targets = [t for c in self.jobs["meshd"]["static_configs"] for t in c["targets"]]
        self.assertEqual(targets, [f"127.0.0.1:{ADMIN_PORT}"])

    def test_the_kubernetes_job_keeps_the_admin_port_of_every_meshd_daemonset(self):
        job = self.jobs["l5d"]
        self.assertEqual([c["role"] for c in job["kubernetes_sd_configs"]], ["pod"])
        (keep,) = keep_rules(job)
        daemonsets = meshd_daemonsets()
        self.assertGreaterEqual(len(daemonsets), 2)
        for ds in daemonsets:
            app = ds["spec"]["template"]["metadata"]["labels"]["app"]
            ports = {p["name"]: p["containerPort"]
                     for c in ds["spec"]["template"]["spec"]["containers"]
                     for p in c.get("ports", []) if "name" in p}
            with self.subTest(daemonset=ds["metadata"]["name"]):
                self.assertEqual(ports["admin"], ADMIN_PORT)
                for port_name in ports:
                    labels = {"__meta_kubernetes_pod_label_app": app,
                              "__meta_kubernetes_pod_container_port_name": port_name}
                    self.assertEqual(relabel_matches(keep, labels), port_name == "admin",
                                     port_name)
        other_app = {"__meta_kubernetes_pod_label_app": "hello",
                     "__meta_kubernetes_pod_container_port_name": "admin"}
        self.assertFalse(relabel_matches(keep, other_app))

    def test_the_configmap_holds_the_same_kubernetes_job(self):
        (configmap,) = yaml.safe_load_all(PROMETHEUS_CONFIGMAP.read_text())
        self.assertEqual((configmap["apiVersion"], configmap["kind"]), ("v1", "ConfigMap"))
        config = yaml.safe_load(configmap["data"]["prometheus.yml"])
        self.assertEqual(config["global"], self.config["global"])
        self.assertEqual(config["scrape_configs"], [self.jobs["l5d"]])


# --- a real meshd ----------------------------------------------------------------------------

class Backend(BaseHTTPRequestHandler):
    """`/status/<code>` answers that status; anything else 200."""

    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def do_GET(self):
        match = re.fullmatch(r"/status/(\d{3})", self.path)
        status = int(match.group(1)) if match else 200
        body = b"backend\n"
        self.send_response(status)
        if 300 <= status < 400:
            self.send_header("Location", "/")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)


def http_get(port: int, path: str, host: str = "localhost") -> tuple[int, str]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        conn.request("GET", path, headers={"Host": host})
        rsp = conn.getresponse()
        return rsp.status, rsp.read().decode(errors="replace")
    finally:
        conn.close()


def parse_scrape(text: str) -> dict[str, list[dict[str, str]]]:
    """Series name → the label sets of its samples."""
    series: dict[str, list[dict[str, str]]] = {}
    for line in text.splitlines():
        if not line or line.startswith("#"):
            continue
        match = re.match(r"([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? \S+$", line)
        if match is None:
            raise ValueError(f"not a Prometheus sample line: {line!r}")
        labels = dict(re.findall(r'(\w+)="((?:\\.|[^"\\])*)"', match.group(2) or ""))
        series.setdefault(match.group(1), []).append(labels)
    return series


class LiveScrape(unittest.TestCase):
    """Every metric the dashboard uses is in a real meshd's scrape (part 3)."""

    @classmethod
    def setUpClass(cls):
        if not (MESHD_BINARY and os.access(MESHD_BINARY, os.X_OK)):
            raise AssertionError("pass the meshd binary as the first argument or in MESHD_BINARY")
        cls.tmp = tempfile.TemporaryDirectory()
        cls.addClassCleanup(cls.tmp.cleanup)
        cls.dir = Path(cls.tmp.name)
        cls.backend = ThreadingHTTPServer(("127.0.0.1", 0), Backend)
        cls.backend.daemon_threads = True
        threading.Thread(target=cls.backend.serve_forever, daemon=True).start()
        cls.addClassCleanup(cls.backend.server_close)
        cls.addClassCleanup(cls.backend.shutdown)
        disco = cls.dir / "disco"
        disco.mkdir()
        (disco / "hello").write_text(f"127.0.0.1 {cls.backend.server_address[1]}\n")
        cls.start_meshd(disco)

    @classmethod
    def start_meshd(cls, disco: Path):
        config = cls.dir / "meshd.yaml"
        config.write_text(
            "admin: {ip: 127.0.0.1, port: 0}\n"
            "telemetry:\n"
            "- kind: io.l5d.prometheus\n"
            "namers:\n"
            f"- kind: io.l5d.fs\n  rootDir: {disco}\n"
            "routers:\n"
            "- protocol: http\n"
            "  label: outgoing\n"
            "  dtab: /svc => /#/io.l5d.fs;\n"
            "  servers: [{ip: 127.0.0.1, port: 0}]\n")
        cls.log = cls.dir / "meshd.log"
        env = dict(os.environ, MESHD_LIVE_HISTOGRAMS="1")
        with open(cls.log, "w") as output:
            cls.meshd = subprocess.Popen([MESHD_BINARY, str(config)], env=env,
                                         stdin=subprocess.DEVNULL, stdout=output,
                                         stderr=subprocess.STDOUT)
        cls.addClassCleanup(cls.stop_meshd)
        deadline = time.monotonic() + 20
        admin = None
        while admin is None and time.monotonic() < deadline and cls.meshd.poll() is None:
            match = re.search(r"admin listening addr=127\.0\.0\.1:(\d+)", cls.log.read_text())
            admin = int(match.group(1)) if match else None
            if admin is None:
                time.sleep(0.05)
        if admin is None:
            raise AssertionError(f"meshd did not start (exit {cls.meshd.poll()}):\n"
                                 + cls.log.read_text())
        cls.admin = admin
        status, body = http_get(admin, "/admin/listeners.json")
        if status != 200:
            raise AssertionError(f"/admin/listeners.json: {status} {body}")
        cls.proxy = {e["router"]: e["port"] for e in json.loads(body)}["outgoing"]

    @classmethod
    def stop_meshd(cls):
        cls.meshd.send_signal(signal.SIGTERM)
        try:
            cls.meshd.wait(timeout=15)
        except subprocess.TimeoutExpired:
            cls.meshd.kill()
            cls.meshd.wait()

    def send_traffic(self):
        """Answers of every status class through the proxy, the first once the name binds."""
        deadline = time.monotonic() + 10
        status = None
        while status != 200 and time.monotonic() < deadline:
            status, _ = http_get(self.proxy, "/", host="hello")
            if status != 200:
                time.sleep(0.05)
        self.assertEqual(status, 200, "no 200 through meshd:\n" + self.log.read_text())
        for path, want in (("/", 200), ("/", 200), ("/status/302", 302), ("/status/404", 404),
                           ("/status/500", 500), ("/status/503", 503)):
            self.assertEqual(http_get(self.proxy, path, host="hello")[0], want, path)

    def missing_from(self, series: dict[str, list[dict[str, str]]], queries) -> list[str]:
        missing = []
        for where, selectors, needed_labels in queries:
            for s in selectors:
                samples = series.get(s.name, [])
                if not samples:
                    missing.append(f"{where}: no series {s.name}")
                    continue
                selected = {label for label, _, _ in s.matchers}
                for label in (selected | needed_labels) - SCRAPE_LABELS:
                    if not any(label in labels for labels in samples):
                        missing.append(f"{where}: {s.name} has no label {label}")
                for label, op, value in s.matchers:
                    if op == "=" and label not in SCRAPE_LABELS and not any(
                            labels.get(label) == value for labels in samples):
                        missing.append(f"{where}: no {s.name}{{{label}=\"{value}\"}}")
        return missing

    def test_every_dashboard_metric_is_scraped(self):
        queries = dashboard_queries(load_dashboard())
        self.send_traffic()

        # Stats are recorded as answers are returned: poll briefly for the last ones.
        deadline = time.monotonic() + 10
        while True:
            status, text = http_get(self.admin, METRICS_PATH)
            self.assertEqual(status, 200, text)
            missing = self.missing_from(parse_scrape(text), queries)
            if not missing or time.monotonic() > deadline:
                break
            time.sleep(0.1)

        self.assertEqual(missing, [], "scrape:\n" + text)

    def test_histograms_show_count_sum_and_quantiles(self):
        self.send_traffic()
        _, text = http_get(self.admin, METRICS_PATH)

        series = parse_scrape(text)
        for name in ("rt:server:request_latency_ms", "rt:service:request_latency_ms",
                     "rt:client:request_latency_ms"):
            with self.subTest(histogram=name):
                self.assertIn(name + "_count", series)
                self.assertIn(name + "_sum", series)
                self.assertEqual({labels["quantile"] for labels in series.get(name, [])},
                                 {"0", "0.5", "0.9", "0.95", "0.99", "0.999", "0.9999", "1"})


if __name__ == "__main__":
    if len(sys.argv) > 1 and not sys.argv[1].startswith("-"):
        MESHD_BINARY = sys.argv.pop(1)
    unittest.main()
