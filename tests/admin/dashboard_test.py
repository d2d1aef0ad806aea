#!/usr/bin/env python3
"""meshd's admin UI in a real browser: the dashboard (`/`), `/requests`, `/logging` and `/help`.

Starts the meshd binary given as argv[1] (with MESHD_LIVE_HISTOGRAMS=1) in front of an
in-process HTTP backend, sends known traffic through its router (30 requests to a service
answering 200, 10 to one answering 500), then loads each page in headless Chromium
(`--dump-dom`) and checks the numbers the page shows, read from the elements' `data-metric`
and `data-value` attributes (docs/admin.md). A screenshot of the dashboard is written to
argv[2] (a directory; default: the current directory) and its path printed.

Standard library only. Every wait is bounded; every process it starts is stopped at the end.

    python3 tests/admin/dashboard_test.py build/meshd [screenshot-dir]
"""
import html.parser
import json
import os
import shutil
import signal
import struct
import subprocess
import sys
import tempfile
import threading
import time
import unittest
import urllib.error
import urllib.parse
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

MESHD = None  # argv[1]
SCREENSHOT_DIR = None  # argv[2]
CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser")

OK_REQUESTS = 30
FAILED_REQUESTS = 10


def wait_for(what, check, timeout=15.0, interval=0.05):
    """Polls `check` until it returns a truthy value, for at most `timeout` seconds."""
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout}s waiting for {what}")
        time.sleep(interval)


class Backend(BaseHTTPRequestHandler):
    """GET /status/<code> answers that status with a short body."""

    protocol_version = "HTTP/1.1"

    def do_GET(self):
        code = 404
        if self.path.startswith("/status/"):
            code = int(self.path[len("/status/"):])
        body = f"status {code}\n".encode()
        self.send_response(code)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


# What the stub admin server serves as /requests.json: every kind of value a field can take.
CANNED_REQUESTS = [
    {"timestamp": 1700000002000, "traceId": "00000000000000aa", "spanId": "00000000000000ab",
     "router": "outgoing", "method": "POST", "uri": "/a?q=<script>alert(1)</script>",
     "host": "web", "service": "/svc/web", "client": "/#/io.l5d.fs/web", "status": 503,
     "durationMs": 12.345, "success": False, "remote": "127.0.0.1:50000",
     "annotations": [{"key": "http.rsp.status", "value": 503},
                     {"key": "io.buoyant.router.Failure", "value": "Service"},
                     {"key": "l5d.retryable", "value": False}]},
    {"timestamp": 1700000001000, "traceId": "00000000000000ba", "spanId": "00000000000000bb",
     "router": "outgoing", "method": "GET", "uri": "/slow", "host": "web",
     "service": "/svc/web", "client": None, "status": None, "durationMs": 5000.0,
     "success": None, "remote": "127.0.0.1:50001", "annotations": []},
    {"timestamp": 1700000000000, "traceId": "00000000000000ca", "spanId": "00000000000000cb",
     "router": "incoming", "method": "GET", "uri": "/", "host": "web", "service": "/svc/web",
     "client": "/#/io.l5d.fs/web", "status": 200, "durationMs": 1.5, "success": True,
     "remote": "127.0.0.1:50002", "annotations": [{"key": "http.rsp.status", "value": 200}]},
]


class StubAdmin(BaseHTTPRequestHandler):
    """Serves CANNED_REQUESTS at /requests.json and passes every other GET to meshd's admin
    server (`self.server.upstream`), so that /requests renders known data."""

    protocol_version = "HTTP/1.1"

    def do_GET(self):
        if self.path == "/requests.json":
            status, body, ctype = 200, json.dumps(CANNED_REQUESTS), "application/json"
        else:
            status, body, headers = http("GET", self.server.upstream + self.path)
            ctype = headers.get("Content-Type", "text/plain")
        data = body.encode()
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args):
        pass


def http(method, url, headers=None, data=None, timeout=10):
    """(status, body text, headers) of one request; HTTP errors are answers too."""
    req = urllib.request.Request(url, method=method, headers=headers or {}, data=data)
    try:
        with urllib.request.urlopen(req, timeout=timeout) as rsp:
            return rsp.status, rsp.read().decode(), rsp.headers
    except urllib.error.HTTPError as e:
        return e.code, e.read().decode(), e.headers


class Dom(html.parser.HTMLParser):
    """The elements of a dumped DOM: `elements` in document order as (tag, attrs, text), text
    being the character data right after the start tag; `rows` groups each <tr>'s cells."""

    def __init__(self, text):
        super().__init__(convert_charrefs=True)
        self.elements = []
        self.rows = []  # (tr attrs, [cell element index])
        self._current = None
        self.feed(text)

    def handle_starttag(self, tag, attrs):
        self.elements.append((tag, dict(attrs), ""))
        self._current = len(self.elements) - 1
        if tag == "tr":
            self.rows.append((dict(attrs), []))
        elif tag in ("td", "th") and self.rows:
            self.rows[-1][1].append(self._current)

    def handle_endtag(self, tag):
        self._current = None

    def handle_data(self, data):
        if self._current is not None:
            tag, attrs, text = self.elements[self._current]
            self.elements[self._current] = (tag, attrs, text + data)

    def metrics(self):
        """{data-metric: (text, data-value)}."""
        return {a["data-metric"]: (text.strip(), a.get("data-value"))
                for _, a, text in self.elements if "data-metric" in a}

    def with_attr(self, name, value=None):
        return [(t, a, text) for t, a, text in self.elements
                if name in a and (value is None or a[name] == value)]

    def row_cells(self, **match):
        """For each <tr> whose attributes include `match` (underscores as dashes): its cells'
        {data-field: (text, data-value)}."""
        want = {k.replace("_", "-"): v for k, v in match.items()}
        out = []
        for attrs, cells in self.rows:
            if all(k in attrs and (v is None or attrs[k] == v) for k, v in want.items()):
                fields = {}
                for i in cells:
                    _, a, text = self.elements[i]
                    if "data-field" in a:
                        fields[a["data-field"]] = (text.strip(), a.get("data-value"))
                out.append((attrs, fields))
        return out


def run_chromium(url, *extra, budget_ms=6000, timeout=90):
    """Loads `url` in headless Chromium, lets the page run for `budget_ms` of virtual time and
    returns its stdout (the DOM with --dump-dom). Fails on a script error or a resource that
    could not be loaded (from the browser's console log). Kills the whole browser process
    group."""
    profile = tempfile.mkdtemp(prefix="meshd-chromium-")
    args = [CHROMIUM, "--headless=new", "--no-sandbox", "--disable-gpu", "--no-first-run",
            "--no-default-browser-check", "--disable-extensions", "--disable-sync",
            "--disable-background-networking", "--disable-component-update",
            "--disable-dev-shm-usage", f"--user-data-dir={profile}", "--enable-logging=stderr",
            "--v=0",
            "--window-size=1280,2200", f"--virtual-time-budget={budget_ms}", *extra, url]
    proc = subprocess.Popen(args, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                            start_new_session=True)
    try:
        out, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        out, err = b"", b"timed out"
    finally:
        try:
            os.killpg(proc.pid, signal.SIGKILL)  # renderers and helpers too
        except ProcessLookupError:
            pass
        proc.wait()
        shutil.rmtree(profile, ignore_errors=True)
    log = err.decode(errors="replace")
    if proc.returncode not in (0, -signal.SIGKILL) or (not out and "--dump-dom" in extra):
        raise AssertionError(f"chromium failed ({proc.returncode}) on {url}:\n{log[-3000:]}")
    console_errors = [line for line in log.splitlines() if ":CONSOLE" in line and (
        ":ERROR:CONSOLE" in line or "Uncaught" in line or "Failed to load" in line)]
    if console_errors:
        raise AssertionError(f"errors in the console of {url}:\n" + "\n".join(console_errors))
    return out.decode(errors="replace")


def dump_dom(url, budget_ms=6000):
    return Dom(run_chromium(url, "--dump-dom", budget_ms=budget_ms))


class AdminUiTest(unittest.TestCase):
    stderr_log = "(meshd did not start)"

    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.TemporaryDirectory(prefix="meshd-admin-ui-")
        cls.dir = Path(cls.tmp.name)
        cls.meshd = None
        cls.backend = ThreadingHTTPServer(("127.0.0.1", 0), Backend)
        cls.backend.daemon_threads = True
        threading.Thread(target=cls.backend.serve_forever, daemon=True).start()
        try:
            cls.start_meshd()
            cls.send_traffic()
        except BaseException:
            cls.tearDownClass()
            raise

    @classmethod
    def start_meshd(cls):
        disco = cls.dir / "disco"
        disco.mkdir()
        for name in ("ok", "bad"):
            (disco / name).write_text(f"127.0.0.1 {cls.backend.server_address[1]}\n")
        config = cls.dir / "meshd.yaml"
        config.write_text(f"""
admin:
  ip: 127.0.0.1
  port: 0
namers:
- kind: io.l5d.fs
  rootDir: {disco}
routers:
- protocol: http
  label: outgoing
  dtab: |
    /svc => /#/io.l5d.fs;
  servers:
  - ip: 127.0.0.1
    port: 0
- protocol: http
  label: incoming
  dtab: |
    /svc => /#/io.l5d.fs;
  servers:
  - ip: 127.0.0.1
    port: 0
telemetry:
- kind: io.l5d.recentRequests
  sampleRate: 1.0
  capacity: 10
""")
        cls.stderr_path = cls.dir / "meshd.stderr"
        env = dict(os.environ, MESHD_LIVE_HISTOGRAMS="1")
        with open(cls.stderr_path, "wb") as err:
            cls.meshd = subprocess.Popen([MESHD, str(config)], stdin=subprocess.DEVNULL,
                                         stdout=subprocess.DEVNULL, stderr=err, env=env)

        def admin_port():
            if cls.meshd.poll() is not None:
                raise AssertionError(f"meshd exited ({cls.meshd.returncode}):\n{cls.stderr()}")
            for line in cls.stderr().splitlines():
                if "admin listening addr=" in line:
                    return int(line.rsplit(":", 1)[1])
            return None

        cls.admin = f"http://127.0.0.1:{wait_for('meshd admin listener', admin_port)}"
        wait_for("/admin/ready", lambda: http("GET", cls.admin + "/admin/ready")[0] == 200)
        _, body, _ = http("GET", cls.admin + "/admin/listeners.json")
        cls.ports = {}
        for listener in json.loads(body):
            cls.ports.setdefault(listener["router"], listener["port"])

    @classmethod
    def send_traffic(cls):
        proxy = f"http://127.0.0.1:{cls.ports['outgoing']}"
        for host, code, n in (("ok", 200, OK_REQUESTS), ("bad", 500, FAILED_REQUESTS)):
            for _ in range(n):
                status, _, _ = http("GET", f"{proxy}/status/{code}", headers={"Host": host})
                assert status == code, f"{host}: expected {code}, got {status}"
        total = OK_REQUESTS + FAILED_REQUESTS

        def counted():
            _, body, _ = http("GET", cls.admin + "/admin/metrics.json")
            metrics = json.loads(body)
            return sum(v for k, v in metrics.items()
                       if k.startswith("rt/outgoing/server/") and k.endswith("/requests")) == total

        wait_for("the server metrics to count every request", counted)

    @classmethod
    def stderr(cls):
        return cls.stderr_path.read_text(errors="replace")

    @classmethod
    def tearDownClass(cls):
        if cls.meshd is not None and cls.meshd.poll() is None:
            cls.meshd.send_signal(signal.SIGTERM)
            try:
                cls.meshd.wait(timeout=15)
            except subprocess.TimeoutExpired:
                cls.meshd.kill()
                cls.meshd.wait()
        cls.backend.shutdown()
        cls.backend.server_close()
        if cls.meshd is not None:
            cls.stderr_log = cls.stderr()
        cls.tmp.cleanup()

    def assertMetric(self, metrics, key, text):
        self.assertIn(key, metrics, f"no element with data-metric={key!r}")
        self.assertEqual(metrics[key][0], text, key)

    def assertNumeric(self, metrics, key):
        self.assertIn(key, metrics, f"no element with data-metric={key!r}")
        text, value = metrics[key]
        self.assertTrue(value not in (None, ""), f"{key} shows no value ({text!r})")
        float(value)
        self.assertNotEqual(text, "—", key)
        return float(value)

    def test_dashboard_shows_the_traffic(self):
        dom = dump_dom(self.admin + "/")
        m = dom.metrics()
        summary = "rt/outgoing/summary/"
        total = OK_REQUESTS + FAILED_REQUESTS
        self.assertMetric(m, summary + "requests", str(total))
        self.assertMetric(m, summary + "failures", str(FAILED_REQUESTS))
        self.assertMetric(m, summary + "success_rate", "75.00%")
        self.assertEqual(float(m[summary + "success_rate"][1]), 0.75)
        for p in ("p50", "p95", "p99"):
            self.assertGreaterEqual(self.assertNumeric(m, summary + p), 0)
        self.assertGreaterEqual(self.assertNumeric(m, summary + "requests_per_sec"), 0)
        self.assertGreaterEqual(self.assertNumeric(m, summary + "connections"), 0)
        self.assertEqual(self.assertNumeric(m, summary + "pending"), 0)

        port = self.ports["outgoing"]
        server = f"rt/outgoing/server/127.0.0.1/{port}/"
        self.assertMetric(m, server + "name", f"127.0.0.1:{port}")
        self.assertMetric(m, server + "requests", str(total))
        self.assertMetric(m, server + "success_rate", "75.00%")

        for svc, n, rate in (("ok", OK_REQUESTS, "100.00%"), ("bad", FAILED_REQUESTS, "0.00%")):
            service = f"rt/outgoing/service/svc/{svc}/"
            self.assertMetric(m, service + "name", f"/svc/{svc}")
            self.assertMetric(m, service + "requests", str(n))
            self.assertMetric(m, service + "success_rate", rate)
            self.assertNumeric(m, service + "p99")
            self.assertNumeric(m, service + "retries_per_sec")
            client = f"rt/outgoing/client/#/io.l5d.fs/{svc}/"
            self.assertMetric(m, client + "name", f"/#/io.l5d.fs/{svc}")
            self.assertMetric(m, client + "requests", str(n))
            self.assertMetric(m, client + "success_rate", rate)
            self.assertMetric(m, client + "lb_size", "1")
            # Failure accrual may have marked the failing endpoint dead on some worker.
            available = self.assertNumeric(m, client + "lb_available")
            self.assertTrue(available == 1 if svc == "ok" else 0 <= available <= 1, available)
            self.assertNumeric(m, client + "p50")

        # The idle router has its section, with nothing to rate.
        self.assertMetric(m, "rt/incoming/summary/requests", "0")
        self.assertMetric(m, "rt/incoming/summary/success_rate", "—")
        routers = [a["data-router"] for t, a, _ in dom.with_attr("data-router")
                   if t == "section"]
        self.assertEqual(routers, ["outgoing", "incoming"])

        version = subprocess.run([MESHD, "version"], capture_output=True, text=True,
                                 timeout=10).stdout.split()[-1]
        self.assertMetric(m, "process/version", version)
        self.assertGreater(self.assertNumeric(m, "process/uptime"), 0)

    def test_dashboard_router_filter(self):
        dom = dump_dom(self.admin + "/?router=incoming", budget_ms=3000)
        sections = [a["data-router"] for t, a, _ in dom.with_attr("data-router") if t == "section"]
        self.assertEqual(sections, ["incoming"])
        unknown = dump_dom(self.admin + "/?router=nope", budget_ms=2000)
        notices = [text for t, a, text in unknown.elements if a.get("class") == "notice"]
        self.assertIn('There is no router named "nope".', notices)

    def test_dashboard_screenshot(self):
        out_dir = Path(SCREENSHOT_DIR or os.getcwd())
        out_dir.mkdir(parents=True, exist_ok=True)
        png = out_dir / "dashboard.png"
        if png.exists():
            png.unlink()
        run_chromium(self.admin + "/", f"--screenshot={png}", budget_ms=6000)
        data = png.read_bytes()
        self.assertEqual(data[:8], b"\x89PNG\r\n\x1a\n")
        width, height = struct.unpack(">II", data[16:24])
        self.assertEqual(width, 1280)
        self.assertGreater(len(data), 20000, "the screenshot looks empty")
        print(f"\ndashboard screenshot: {png} ({width}x{height})", file=sys.stderr)

    def test_requests_page_lists_the_recent_requests(self):
        status, body, _ = http("GET", self.admin + "/requests.json")
        self.assertEqual(status, 200)
        recent = json.loads(body)
        self.assertEqual(len(recent), 10)  # capacity
        dom = dump_dom(self.admin + "/requests", budget_ms=3000)
        rows = dom.row_cells(data_trace_id=None)
        self.assertEqual(len(rows), len(recent))
        for (attrs, cells), r in zip(rows, recent):
            self.assertEqual(attrs["data-trace-id"], r["traceId"])
            self.assertEqual(cells["router"][0], "outgoing")
            self.assertEqual(cells["status"][1], str(r["status"]))
            self.assertEqual(cells["timestamp"][1], str(r["timestamp"]))
        # The last requests sent were the failing ones.
        self.assertEqual(rows[0][1]["status"][0], "500")
        self.assertEqual(rows[0][1]["success"][0], "failure")
        self.assertIn("/status/500", rows[0][1]["request"][0])

    def test_requests_page_renders_every_field(self):
        stub = ThreadingHTTPServer(("127.0.0.1", 0), StubAdmin)
        stub.daemon_threads = True
        stub.upstream = self.admin
        threading.Thread(target=stub.serve_forever, daemon=True).start()
        try:
            dom = dump_dom(f"http://127.0.0.1:{stub.server_address[1]}/requests", budget_ms=3000)
        finally:
            stub.shutdown()
            stub.server_close()
        rows = dom.row_cells(data_trace_id=None)
        self.assertEqual([a["data-trace-id"] for a, _ in rows],
                         [r["traceId"] for r in CANNED_REQUESTS])
        failed, unanswered, ok = (cells for _, cells in rows)
        self.assertEqual(failed["status"], ("503", "503"))
        self.assertEqual(failed["duration_ms"], ("12.3 ms", "12.345"))
        self.assertEqual(failed["success"], ("failure", "false"))
        self.assertEqual(failed["request"][0], "POST web /a?q=<script>alert(1)</script>")
        self.assertEqual(failed["timestamp"][1], "1700000002000")
        self.assertEqual(unanswered["status"], ("—", ""))
        self.assertEqual(unanswered["success"], ("—", ""))
        self.assertEqual(unanswered["client"][0], "—")
        self.assertEqual(unanswered["duration_ms"][0], "5000.0 ms")
        self.assertEqual(ok["router"][0], "incoming")
        self.assertEqual(ok["success"][0], "success")
        # Text from the API stays text: the only scripts are the page's own.
        scripts = [a.get("src", a.get("id")) for t, a, _ in dom.elements if t == "script"]
        self.assertEqual(scripts, ["meshd-config", "/files/common.js", "/files/requests.js"])
        terms = [text for t, _, text in dom.elements if t in ("dt", "dd")]
        self.assertIn("io.buoyant.router.Failure", terms)
        self.assertIn("Service", terms)
        self.assertIn("false", terms)

    def test_logging_page_follows_level_changes(self):
        dom = dump_dom(self.admin + "/logging", budget_ms=3000)
        levels = {a["data-logger"]: a["data-level"] for t, a, _ in dom.with_attr("data-logger")
                  if t == "tr"}
        self.assertEqual(levels.get("root"), "INFO")
        self.assertEqual(levels.get("router"), "INFO")

        form = urllib.parse.urlencode({"logger": "router", "level": "DEBUG"}).encode()
        status, body, _ = http("POST", self.admin + "/logging.json", data=form, headers={
            "Content-Type": "application/x-www-form-urlencoded"})
        self.assertEqual((status, json.loads(body)), (200, {"logger": "router", "level": "DEBUG"}))
        status, body, _ = http("POST", self.admin + "/logging.json?logger=nope&level=DEBUG")
        self.assertEqual(status, 400)
        self.assertIn('"nope"', body)

        dom = dump_dom(self.admin + "/logging", budget_ms=3000)
        levels = {a["data-logger"]: a["data-level"] for t, a, _ in dom.with_attr("data-logger")
                  if t == "tr"}
        self.assertEqual(levels.get("router"), "DEBUG")
        self.assertEqual(levels.get("root"), "INFO")
        selected = [text for t, a, text in dom.elements if t == "option" and "selected" in a]
        self.assertIn("DEBUG", selected)
        http("POST", self.admin + "/logging.json?logger=root&level=INFO")

    def test_help_links_every_admin_path(self):
        dom = dump_dom(self.admin + "/help", budget_ms=1000)
        links = {a["href"] for t, a, _ in dom.elements if t == "a" and "href" in a}
        for path in ("/", "/requests", "/requests.json", "/logging", "/logging.json",
                     "/delegator", "/admin/metrics.json", "/admin/ping", "/config.json"):
            self.assertIn(path, links)


def main():
    global MESHD, SCREENSHOT_DIR
    if len(sys.argv) < 2:
        print(__doc__, file=sys.stderr)
        return 2
    MESHD = os.path.abspath(sys.argv[1])
    SCREENSHOT_DIR = sys.argv[2] if len(sys.argv) > 2 else None
    if CHROMIUM is None:
        print("chromium is not installed (Debian package chromium)", file=sys.stderr)
        return 1
    result = unittest.main(argv=sys.argv[:1], exit=False, verbosity=2).result
    if not result.wasSuccessful():
        print("---- meshd stderr ----\n" + AdminUiTest.stderr_log, file=sys.stderr)
    return 0 if result.wasSuccessful() else 1


if __name__ == "__main__":
    sys.exit(main())
