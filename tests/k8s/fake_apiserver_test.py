#!/usr/bin/env python3
"""Self-test of tests/k8s/fake_apiserver.py (stdlib unittest).

Starts the fake as a subprocess (port chosen by the OS, stdin a pipe) and talks to it over raw
sockets so chunk boundaries, clean ends (terminating chunk) and drops (EOF without it) are
visible. Every wait is bounded. Run: python3 tests/k8s/fake_apiserver_test.py [-v]
"""

from __future__ import annotations

import http.client
import json
import os
import select
import shutil
import socket
import ssl
import subprocess
import sys
import tempfile
import time
import unittest
import urllib.parse
from pathlib import Path

HERE = Path(__file__).resolve().parent
FAKE = HERE / "fake_apiserver.py"
DEMO = HERE / "fixtures" / "demo.json"
MALFORMED = b'{"type":"MODIFIED","object":{\n'
TIMEOUT = 5.0


class Dropped(Exception):
    """EOF before the terminating chunk."""


class Fake:
    """The fake apiserver as a subprocess."""

    def __init__(self, *args: str, ca: str | None = None):
        # stderr is inherited: the fake is quiet unless something goes wrong.
        self.proc = subprocess.Popen([sys.executable, str(FAKE), *args], stdin=subprocess.PIPE,
                                     stdout=subprocess.PIPE)
        ready, _, _ = select.select([self.proc.stdout], [], [], 10)
        line = self.proc.stdout.readline().decode() if ready else ""
        if not line.startswith("READY "):
            self.proc.kill()
            self.proc.wait(5)
            raise RuntimeError(f"fake did not start: {line!r}")
        self.port = int(line.split()[1])
        self.ssl = ssl.create_default_context(cafile=ca) if ca else None

    def close(self) -> None:
        self.proc.stdin.close()
        if self.proc.poll() is None:
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
        self.proc.stdout.close()

    def connection(self) -> http.client.HTTPConnection:
        if self.ssl:
            return http.client.HTTPSConnection("127.0.0.1", self.port, timeout=TIMEOUT, context=self.ssl)
        return http.client.HTTPConnection("127.0.0.1", self.port, timeout=TIMEOUT)

    def request(self, method: str, path: str, body=None, headers=None):
        conn = self.connection()
        try:
            data = json.dumps(body).encode() if body is not None and not isinstance(body, bytes) else body
            conn.request(method, path, body=data, headers=headers or {})
            resp = conn.getresponse()
            return resp.status, resp.headers, resp.read()
        finally:
            conn.close()

    def get_json(self, path: str, headers=None):
        status, hdrs, body = self.request("GET", path, headers=headers)
        return status, json.loads(body)

    def control(self, method: str, path: str, body=None):
        status, _, data = self.request(method, "/_fake/" + path, body)
        assert status == 200, (status, data)
        return json.loads(data)

    def put(self, *objs: dict) -> list[dict]:
        return self.control("PUT", "objects", {"objects": list(objs)})["objects"]

    def watch(self, path: str, headers=None) -> "Watch":
        return Watch(self, path, headers or {})


class Watch:
    """A raw HTTP/1.1 watch request that exposes chunks and events."""

    def __init__(self, fake: Fake, path: str, headers: dict):
        sock = socket.create_connection(("127.0.0.1", fake.port), timeout=TIMEOUT)
        if fake.ssl:
            sock = fake.ssl.wrap_socket(sock, server_hostname="127.0.0.1")
        self.sock = sock
        self.buf = b""
        self.events_buf = b""
        extra = "".join(f"{k}: {v}\r\n" for k, v in headers.items())
        sock.sendall(f"GET {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n{extra}\r\n".encode())
        head = self._read_until(b"\r\n\r\n", time.monotonic() + TIMEOUT).decode()
        lines = head.split("\r\n")
        self.status = int(lines[0].split()[1])
        self.headers = {k.lower(): v.strip() for k, _, v in (l.partition(":") for l in lines[1:] if l)}

    def close(self) -> None:
        self.sock.close()

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        self.close()

    def _fill(self, deadline: float) -> None:
        remaining = deadline - time.monotonic()
        if remaining <= 0:
            raise TimeoutError("no data")
        self.sock.settimeout(remaining)
        try:
            data = self.sock.recv(65536)
        except socket.timeout:
            raise TimeoutError("no data") from None
        except (ConnectionResetError, ssl.SSLError):
            data = b""
        if not data:
            raise Dropped()
        self.buf += data

    def _read_until(self, sep: bytes, deadline: float) -> bytes:
        while sep not in self.buf:
            self._fill(deadline)
        out, _, self.buf = self.buf.partition(sep)
        return out

    def _read_exact(self, n: int, deadline: float) -> bytes:
        while len(self.buf) < n:
            self._fill(deadline)
        out, self.buf = self.buf[:n], self.buf[n:]
        return out

    def body(self, timeout: float = TIMEOUT) -> bytes:
        """The whole body of a non-chunked response."""
        return self._read_exact(int(self.headers["content-length"]), time.monotonic() + timeout)

    def chunk(self, timeout: float = TIMEOUT) -> bytes | None:
        """The next chunk's data; None for the terminating chunk (clean end)."""
        deadline = time.monotonic() + timeout
        size = int(self._read_until(b"\r\n", deadline), 16)
        if size == 0:
            self._read_until(b"\r\n", deadline)
            return None
        data = self._read_exact(size + 2, deadline)
        assert data.endswith(b"\r\n")
        return data[:-2]

    def event(self, timeout: float = TIMEOUT) -> dict | None:
        """The next event (across chunk boundaries); None at a clean end."""
        deadline = time.monotonic() + timeout
        while b"\n" not in self.events_buf:
            data = self.chunk(max(deadline - time.monotonic(), 0.001))
            if data is None:
                assert not self.events_buf.strip(), self.events_buf
                return None
            self.events_buf += data
        line, _, self.events_buf = self.events_buf.partition(b"\n")
        return json.loads(line)

    def events(self, n: int, timeout: float = TIMEOUT) -> list[dict]:
        return [self.event(timeout) for _ in range(n)]

    def assert_quiet(self, seconds: float) -> None:
        try:
            ev = self.event(seconds)
        except TimeoutError:
            return
        raise AssertionError(f"unexpected event {ev}")

    def assert_dropped(self, timeout: float = TIMEOUT) -> None:
        deadline = time.monotonic() + timeout
        try:
            while True:
                self._fill(deadline)
        except Dropped:
            return


def endpoints(ns: str, name: str, labels: dict | None = None, ip: str = "10.0.0.1") -> dict:
    meta = {"name": name, "namespace": ns}
    if labels is not None:
        meta["labels"] = labels
    return {"apiVersion": "v1", "kind": "Endpoints", "metadata": meta,
            "subsets": [{"addresses": [{"ip": ip}], "ports": [{"name": "http", "port": 8080}]}]}


def qs(**params) -> str:
    return urllib.parse.urlencode(params)


def rv_of(obj: dict) -> str:
    return obj["metadata"]["resourceVersion"]


class FakeTestCase(unittest.TestCase):
    ARGS: tuple[str, ...] = ("--state", str(DEMO), "--bookmark-interval", "0.3")
    fake: Fake

    @classmethod
    def setUpClass(cls):
        cls.fake = Fake(*cls.ARGS)

    @classmethod
    def tearDownClass(cls):
        cls.fake.close()

    def setUp(self):
        self.fake.control("DELETE", "faults")
        self.fake.control("POST", "outage", {"on": False})


class ApiTest(FakeTestCase):
    def test_get_object_and_404_status(self):
        status, ep = self.fake.get_json("/api/v1/namespaces/default/endpoints/hello")
        self.assertEqual(status, 200)
        self.assertEqual((ep["kind"], ep["apiVersion"]), ("Endpoints", "v1"))
        self.assertEqual(ep["subsets"][0]["ports"], [{"name": "http", "port": 7777, "protocol": "TCP"}])
        status, headers, body = self.fake.request("GET", "/api/v1/namespaces/default/endpoints/x")
        self.assertEqual(status, 404)
        self.assertEqual(headers["Content-Type"], "application/json")
        self.assertEqual(body, b'{"kind":"Status","apiVersion":"v1","metadata":{},"status":"Failure",'
                               b'"message":"endpoints \\"x\\" not found","reason":"NotFound",'
                               b'"details":{"name":"x","kind":"endpoints"},"code":404}')
        status, st = self.fake.get_json("/apis/discovery.k8s.io/v1/namespaces/default/endpointslices/x")
        self.assertEqual(st["message"], 'endpointslices.discovery.k8s.io "x" not found')
        self.assertEqual(st["details"], {"name": "x", "group": "discovery.k8s.io", "kind": "endpointslices"})

    def test_list_items_and_watch_from_list_rv(self):
        status, lst = self.fake.get_json("/apis/discovery.k8s.io/v1/namespaces/default/endpointslices")
        self.assertEqual(lst["kind"], "EndpointSliceList")
        self.assertEqual([i["metadata"]["name"] for i in lst["items"]],
                         ["hello-x7k2p", "l5d-h2d8v", "world-v1-m4r9s"])
        self.assertTrue(all("kind" not in i and "apiVersion" not in i for i in lst["items"]))
        status, lst = self.fake.get_json("/api/v1/namespaces/t-list/endpoints")
        self.assertEqual(lst["items"], [])
        list_rv = rv_of(lst)
        with self.fake.watch(f"/api/v1/namespaces/t-list/endpoints?watch=true&{qs(resourceVersion=list_rv)}") as w:
            self.assertEqual(w.status, 200)
            self.assertEqual(w.headers["transfer-encoding"], "chunked")
            self.assertEqual(w.headers["content-type"], "application/json")
            stored = self.fake.put(endpoints("t-list", "a"))[0]
            ev = w.event()
            self.assertEqual(ev["type"], "ADDED")
            self.assertEqual(ev["object"]["kind"], "Endpoints")
            self.assertEqual(rv_of(ev["object"]), rv_of(stored))
            self.assertGreater(int(rv_of(stored)), int(list_rv))
            stored2 = self.fake.put(endpoints("t-list", "a", ip="10.0.0.2"))[0]
            ev = w.event()
            self.assertEqual((ev["type"], rv_of(ev["object"])), ("MODIFIED", rv_of(stored2)))
            self.assertEqual(ev["object"]["metadata"]["uid"], stored["metadata"]["uid"])

    def test_synthetic_added_then_live(self):
        self.fake.put(endpoints("t-synth", "b"), endpoints("t-synth", "a"))
        with self.fake.watch("/api/v1/namespaces/t-synth/endpoints?watch=1") as w:
            evs = w.events(2)
            self.assertEqual([(e["type"], e["object"]["metadata"]["name"]) for e in evs],
                             [("ADDED", "a"), ("ADDED", "b")])
            self.fake.put(endpoints("t-synth", "b", ip="10.0.0.9"))
            self.assertEqual(w.event()["type"], "MODIFIED")

    def test_bookmarks_only_when_allowed(self):
        _, lst = self.fake.get_json("/apis/networking.k8s.io/v1/namespaces/t-bm/ingresses")
        path = "/apis/networking.k8s.io/v1/namespaces/t-bm/ingresses?watch=true&resourceVersion=" + rv_of(lst)
        with self.fake.watch(path + "&allowWatchBookmarks=true") as w:
            ev = w.event(2)
            self.assertEqual(ev, {"type": "BOOKMARK", "object": {
                "kind": "Ingress", "apiVersion": "networking.k8s.io/v1",
                "metadata": {"resourceVersion": rv_of(lst)}}})
        with self.fake.watch(path) as w:
            w.assert_quiet(0.8)

    def test_410_event_after_compact(self):
        _, lst = self.fake.get_json("/api/v1/namespaces/t-410/endpoints")
        old_rv = rv_of(lst)
        self.fake.put(endpoints("t-410", "a"))
        compacted = self.fake.control("POST", "compact")["compactedResourceVersion"]
        with self.fake.watch(f"/api/v1/namespaces/t-410/endpoints?watch=true&resourceVersion={old_rv}") as w:
            self.assertEqual(w.status, 200)
            self.assertEqual(w.event(), {"type": "ERROR", "object": {
                "kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
                "message": f"too old resource version: {old_rv} ({compacted})",
                "reason": "Expired", "code": 410}})
            self.assertIsNone(w.event())          # clean end
        status, st = self.fake.get_json(f"/api/v1/namespaces/t-410/endpoints?resourceVersion={old_rv}"
                                        "&resourceVersionMatch=Exact")
        self.assertEqual((status, st["reason"]), (410, "Expired"))
        # Resuming from the compaction point itself still works.
        with self.fake.watch(f"/api/v1/namespaces/t-410/endpoints?watch=1&resourceVersion={compacted}") as w:
            w.assert_quiet(0.3)

    def test_legacy_watch_path(self):
        with self.fake.watch("/api/v1/watch/namespaces/t-legacy/endpoints/a") as w:
            self.assertEqual(w.status, 200)
            self.fake.put(endpoints("t-legacy", "b"))
            stored = self.fake.put(endpoints("t-legacy", "a"))[0]
            ev = w.event()
            self.assertEqual((ev["type"], ev["object"]["metadata"]["name"], rv_of(ev["object"])),
                             ("ADDED", "a", rv_of(stored)))
        # Without resourceVersion, the current object arrives as a synthetic ADDED.
        with self.fake.watch("/api/v1/watch/namespaces/t-legacy/endpoints/a") as w:
            self.assertEqual(w.event()["object"]["metadata"]["name"], "a")
            w.assert_quiet(0.3)

    def test_selector_enter_and_leave(self):
        sel = qs(labelSelector="app=x,tier!=db")
        with self.fake.watch(f"/api/v1/namespaces/t-sel/endpoints?watch=true&{sel}") as w:
            self.fake.put(endpoints("t-sel", "a", {"app": "y"}))
            entered = self.fake.put(endpoints("t-sel", "a", {"app": "x"}))[0]
            left = self.fake.put(endpoints("t-sel", "a", {"app": "x", "tier": "db"}))[0]
            ev = w.event()
            self.assertEqual((ev["type"], rv_of(ev["object"])), ("ADDED", rv_of(entered)))
            ev = w.event()
            self.assertEqual(ev["type"], "DELETED")
            self.assertEqual(ev["object"]["metadata"]["labels"], {"app": "x"})   # previous content
            self.assertEqual(rv_of(ev["object"]), rv_of(left))                   # the change's rv
        status, lst = self.fake.get_json(f"/api/v1/namespaces/t-sel/endpoints?{qs(labelSelector='app in (x,z)')}")
        self.assertEqual(len(lst["items"]), 1)
        status, lst = self.fake.get_json(f"/api/v1/namespaces/t-sel/endpoints?{qs(labelSelector='!tier')}")
        self.assertEqual(lst["items"], [])
        status, _ = self.fake.get_json(f"/api/v1/endpoints?{qs(fieldSelector='spec.x=1')}")
        self.assertEqual(status, 400)

    def test_deleted_event_carries_deletion_rv(self):
        stored = self.fake.put(endpoints("t-del", "a"))[0]
        deleted = self.fake.control("DELETE", "objects/v1/endpoints/t-del/a")
        self.assertGreater(int(rv_of(deleted)), int(rv_of(stored)))
        _, lst = self.fake.get_json("/api/v1/namespaces/t-del/endpoints")
        self.assertEqual((lst["items"], rv_of(lst)), ([], rv_of(deleted)))
        with self.fake.watch(f"/api/v1/namespaces/t-del/endpoints?watch=1&resourceVersion={rv_of(stored)}") as w:
            ev = w.event()
            self.assertEqual((ev["type"], rv_of(ev["object"])), ("DELETED", rv_of(deleted)))
            self.assertEqual(ev["object"]["subsets"], stored["subsets"])
        status, _, _ = self.fake.request("DELETE", "/_fake/objects/v1/endpoints/t-del/a")
        self.assertEqual(status, 404)

    def test_fault_drop_after_events(self):
        self.fake.put(*(endpoints("t-drop", n) for n in "abc"))
        self.fake.control("POST", "faults", {"path": r"t-drop/endpoints\?watch", "drop_after_events": 2})
        with self.fake.watch("/api/v1/namespaces/t-drop/endpoints?watch=true") as w:
            self.assertEqual(len(w.events(2)), 2)
            self.assertRaises(Dropped, w.event)
        with self.fake.watch("/api/v1/namespaces/t-drop/endpoints?watch=true") as w:   # consumed
            self.assertEqual(len(w.events(3)), 3)

    def test_fault_malformed_json(self):
        self.fake.control("POST", "faults", {"path": "t-malformed", "malformed_json": True})
        with self.fake.watch("/api/v1/namespaces/t-malformed/endpoints?watch=true") as w:
            self.assertEqual(w.chunk(), MALFORMED)
            self.assertRaises(Dropped, w.chunk)

    def test_fault_status_with_retry_after(self):
        self.fake.control("POST", "faults", {"path": "^/api/v1/namespaces/t-503/", "status": 503, "count": 2})
        for _ in range(2):
            status, headers, body = self.fake.request("GET", "/api/v1/namespaces/t-503/endpoints")
            self.assertEqual((status, headers["Retry-After"]), (503, "1"))
            st = json.loads(body)
            self.assertEqual((st["kind"], st["reason"], st["code"]), ("Status", "ServiceUnavailable", 503))
        status, _, _ = self.fake.request("GET", "/api/v1/namespaces/t-503/endpoints")
        self.assertEqual(status, 200)
        self.fake.control("POST", "faults", {"path": "t-429", "status": 429})
        status, st = self.fake.get_json("/api/v1/namespaces/t-429/endpoints?watch=1")
        self.assertEqual((status, st["reason"], st["details"]), (429, "TooManyRequests", {"retryAfterSeconds": 1}))

    def test_fault_split_and_coalesce(self):
        self.fake.put(*(endpoints("t-split", n) for n in "abc"))
        self.fake.control("POST", "faults", {"path": "t-split", "split_events": 3})
        with self.fake.watch("/api/v1/namespaces/t-split/endpoints?watch=true") as w:
            pieces = [w.chunk() for _ in range(3)]
            self.assertTrue(all(p and not p.endswith(b"\n") for p in pieces[:2]))
            self.assertEqual(json.loads(b"".join(pieces))["object"]["metadata"]["name"], "a")
        self.fake.control("POST", "faults", {"path": "t-split", "coalesce": True})
        with self.fake.watch("/api/v1/namespaces/t-split/endpoints?watch=true") as w:
            self.assertEqual(w.chunk().count(b"\n"), 3)

    def test_fault_error_event_and_non_watch_drop(self):
        self.fake.control("POST", "faults", {"path": "t-err", "error_event": {"code": 500, "reason": "InternalError"}})
        with self.fake.watch("/api/v1/namespaces/t-err/endpoints?watch=true") as w:
            ev = w.event()
            self.assertEqual((ev["type"], ev["object"]["code"], ev["object"]["reason"]), ("ERROR", 500, "InternalError"))
            self.assertIsNone(w.event())
        self.fake.control("POST", "faults", {"path": "t-err", "drop_mid_event": True})
        with self.fake.watch("/api/v1/namespaces/default/endpoints/hello?t-err") as w:
            self.assertEqual(w.status, 200)
            self.assertRaises(Dropped, w.body)

    def test_outage(self):
        w = self.fake.watch("/api/v1/namespaces/t-outage/endpoints?watch=true")
        with w:
            self.fake.control("POST", "outage", {"on": True})
            w.assert_dropped()
        self.assertRaises((http.client.RemoteDisconnected, ConnectionError),
                          self.fake.request, "GET", "/api/v1/namespaces/t-outage/endpoints")
        self.assertEqual(self.fake.control("GET", "requests")[-1]["status"], 0)
        self.fake.control("POST", "outage", {"on": False})
        self.assertEqual(self.fake.request("GET", "/api/v1/namespaces/t-outage/endpoints")[0], 200)

    def test_timeout_close_watches_and_no_leak(self):
        start = time.monotonic()
        with self.fake.watch("/api/v1/namespaces/t-end/endpoints?watch=true&timeoutSeconds=1") as w:
            self.assertIsNone(w.event(3))
            # The watch is gone before its end reaches the client.
            self.assertNotIn("/api/v1/namespaces/t-end/endpoints", self.fake.control("GET", "watches"))
        self.assertLess(time.monotonic() - start, 2.5)
        with self.fake.watch("/api/v1/namespaces/t-end/endpoints?watch=true") as w:
            # Only this path: a watch an earlier test closed from its side may still be listed
            # until the fake's next liveness poll.
            self.assertEqual(self.fake.control("GET", "watches").get("/api/v1/namespaces/t-end/endpoints"), 1)
            self.fake.control("POST", "close-watches")
            self.assertIsNone(w.event())
        # Clients vanishing mid-watch: every watch and its thread goes away.
        baseline = self.fake.control("GET", "stats")["threads"]
        watches = [self.fake.watch("/apis/discovery.k8s.io/v1/endpointslices?watch=true") for _ in range(5)]
        for w in watches:
            self.assertEqual(w.event()["type"], "ADDED")
            w.close()
        deadline = time.monotonic() + 3
        while time.monotonic() < deadline:
            stats = self.fake.control("GET", "stats")
            if stats["watches"] == 0 and stats["threads"] <= baseline:
                break
            time.sleep(0.1)
        self.assertEqual(stats["watches"], 0)
        self.assertLessEqual(stats["threads"], baseline)

    def test_request_log(self):
        self.fake.control("DELETE", "requests")
        self.fake.request("GET", "/api/v1/namespaces/t-log/endpoints?labelSelector=a%3Db",
                          headers={"Authorization": "Bearer x"})
        self.fake.control("GET", "watches")          # control requests are not logged
        log = self.fake.control("GET", "requests")
        self.assertEqual(len(log), 1)
        entry = log[0]
        self.assertEqual({k: entry[k] for k in ("method", "path", "query", "authorization", "status")},
                         {"method": "GET", "path": "/api/v1/namespaces/t-log/endpoints",
                          "query": "labelSelector=a%3Db", "authorization": True, "status": 200})
        self.assertEqual(entry["params"], {"labelSelector": "a=b"})

    def test_discovery(self):
        _, api = self.fake.get_json("/api")
        self.assertEqual((api["kind"], api["versions"]), ("APIVersions", ["v1"]))
        _, apis = self.fake.get_json("/apis")
        self.assertIn("discovery.k8s.io", [g["name"] for g in apis["groups"]])
        _, v1 = self.fake.get_json("/api/v1")
        self.assertIn("endpoints", [r["name"] for r in v1["resources"]])
        _, version = self.fake.get_json("/version")
        self.assertEqual(version["major"], "1")
        status, st = self.fake.get_json("/openapi/v2")
        self.assertEqual((status, st["message"]), (404, "the server could not find the requested resource"))

    def test_api_writes(self):
        path = "/api/v1/namespaces/t-write/configmaps"
        cm = {"apiVersion": "v1", "kind": "ConfigMap", "metadata": {"name": "c"}, "data": {"k": "v"}}
        status, _, body = self.fake.request("POST", path + "?dryRun=All", cm)
        self.assertEqual(status, 201)
        self.assertEqual(self.fake.request("GET", path + "/c")[0], 404)
        status, _, body = self.fake.request("POST", path, cm)
        created = json.loads(body)
        self.assertEqual((status, created["metadata"]["namespace"]), (201, "t-write"))
        self.assertEqual(json.loads(self.fake.request("POST", path, cm)[2])["reason"], "AlreadyExists")
        stale = dict(cm, metadata={"name": "c", "resourceVersion": "1"})
        self.assertEqual(self.fake.request("PUT", path + "/c", stale)[0], 409)
        status, _, body = self.fake.request("PATCH", path + "/c", {"data": {"k": "w"}},
                                            {"Content-Type": "application/merge-patch+json"})
        self.assertEqual((status, json.loads(body)["data"]), (200, {"k": "w"}))
        self.assertEqual(self.fake.request("DELETE", path + "/c", {"kind": "DeleteOptions"})[0], 200)
        self.assertEqual(self.fake.request("GET", path + "/c")[0], 404)

    def test_kubectl_client_dry_run(self):
        kubectl = shutil.which("kubectl")
        if not kubectl:
            print("\nskipping kubectl dry-run: kubectl is not on PATH", file=sys.stderr)
            self.skipTest("kubectl is not on PATH")
        with tempfile.TemporaryDirectory() as tmp:
            manifest = Path(tmp) / "m.yaml"
            manifest.write_text(KUBECTL_MANIFEST)
            env = dict(os.environ, KUBECONFIG=str(Path(tmp) / "none"), HOME=tmp)
            run = subprocess.run([kubectl, "--server", f"http://127.0.0.1:{self.fake.port}",
                                  "--cache-dir", str(Path(tmp) / "cache"), "apply", "--dry-run=client",
                                  "--validate=false", "-f", str(manifest)],
                                 capture_output=True, text=True, timeout=60, env=env)
        self.assertEqual(run.returncode, 0, run.stderr)
        lines = run.stdout.split("\n")
        for expected in ("configmap/l5d-config created (dry run)", "daemonset.apps/l5d created (dry run)",
                         "serviceaccount/l5d created (dry run)",
                         "clusterrole.rbac.authorization.k8s.io/l5d created (dry run)",
                         "clusterrolebinding.rbac.authorization.k8s.io/l5d created (dry run)",
                         "ingress.networking.k8s.io/web created (dry run)",
                         # Services l5d and hello exist in demo.json: kubectl GETs them first.
                         "service/l5d configured (dry run)", "service/hello configured (dry run)"):
            self.assertIn(expected, lines)


KUBECTL_MANIFEST = """\
apiVersion: v1
kind: ServiceAccount
metadata: {name: l5d, namespace: default}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: l5d}
rules:
- apiGroups: ["", "discovery.k8s.io"]
  resources: [endpoints, services, endpointslices]
  verbs: [get, list, watch]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {name: l5d}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: l5d}
subjects: [{kind: ServiceAccount, name: l5d, namespace: default}]
---
apiVersion: v1
kind: ConfigMap
metadata: {name: l5d-config, namespace: default}
data: {config.yaml: "admin: {port: 9990}"}
---
apiVersion: apps/v1
kind: DaemonSet
metadata: {name: l5d, namespace: default}
spec:
  selector: {matchLabels: {app: l5d}}
  template:
    metadata: {labels: {app: l5d}}
    spec:
      serviceAccountName: l5d
      containers: [{name: l5d, image: "meshd:test", ports: [{name: outgoing, containerPort: 4140, hostPort: 4140}]}]
---
apiVersion: v1
kind: Service
metadata: {name: l5d, namespace: default}
spec:
  selector: {app: l5d}
  ports: [{name: outgoing, port: 4140}]
---
apiVersion: v1
kind: Service
metadata: {name: hello, namespace: default}
spec:
  clusterIP: None
  selector: {app: hello}
  ports: [{name: http, port: 7777, targetPort: 7777}]
---
apiVersion: networking.k8s.io/v1
kind: Ingress
metadata: {name: web, namespace: default}
spec:
  defaultBackend: {service: {name: hello, port: {name: http}}}
"""


class OpaqueRvTest(FakeTestCase):
    ARGS = ("--state", str(DEMO), "--opaque-rv")

    def test_opaque_everywhere(self):
        _, lst = self.fake.get_json("/api/v1/namespaces/default/endpoints")
        rvs = [rv_of(lst)] + [rv_of(i) for i in lst["items"]]
        self.assertTrue(all(not rv.isdigit() for rv in rvs), rvs)
        with self.fake.watch(f"/api/v1/namespaces/t-opaque/endpoints?watch=1&allowWatchBookmarks=true"
                             f"&resourceVersion={rv_of(lst)}") as w:
            stored = self.fake.put(endpoints("t-opaque", "a"))[0]
            ev = w.event()
            self.assertEqual((ev["type"], rv_of(ev["object"])), ("ADDED", rv_of(stored)))
            self.assertFalse(rv_of(stored).isdigit())
        status, st = self.fake.get_json("/api/v1/endpoints?watch=1&resourceVersion=1001")
        self.assertEqual((status, st["reason"]), (400, "BadRequest"))
        compacted = self.fake.control("POST", "compact")["compactedResourceVersion"]
        with self.fake.watch(f"/api/v1/endpoints?watch=1&resourceVersion={rv_of(lst)}") as w:
            ev = w.event()
            self.assertEqual(ev["object"]["message"], f"too old resource version: {rv_of(lst)} ({compacted})")


class TlsTokenTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls):
        cls.tmp = tempfile.TemporaryDirectory()
        d = cls.tmp.name
        subprocess.run(["sh", str(HERE / "gen_certs.sh"), d], check=True, timeout=30)
        cls.fake = Fake("--tls-cert", f"{d}/server.crt", "--tls-key", f"{d}/server.key",
                        "--token", "s3cret", "--state", str(DEMO), ca=f"{d}/ca.crt")

    @classmethod
    def tearDownClass(cls):
        cls.fake.close()
        cls.tmp.cleanup()

    def test_token_required(self):
        status, headers, body = self.fake.request("GET", "/api/v1/namespaces/default/endpoints/hello")
        self.assertEqual((status, headers["Content-Type"]), (401, "application/json"))
        self.assertEqual(json.loads(body), {"kind": "Status", "apiVersion": "v1", "metadata": {},
                                            "status": "Failure", "message": "Unauthorized",
                                            "reason": "Unauthorized", "code": 401})
        auth = {"Authorization": "Bearer s3cret"}
        self.assertEqual(self.fake.request("GET", "/api/v1/namespaces/default/endpoints/hello", headers=auth)[0], 200)
        with self.fake.watch("/api/v1/watch/namespaces/default/endpoints/hello", auth) as w:
            self.assertEqual(w.event()["type"], "ADDED")
        # Rotation: the old token stops working, the new one works; control needs no token.
        self.fake.control("POST", "tokens", {"valid": ["n3w"]})
        self.assertEqual(self.fake.request("GET", "/api", headers=auth)[0], 401)
        self.assertEqual(self.fake.request("GET", "/api", headers={"Authorization": "Bearer n3w"})[0], 200)
        self.fake.control("POST", "tokens", {"valid": ["s3cret"]})

    def test_other_ca_is_rejected(self):
        ctx = ssl.create_default_context(cafile=f"{self.tmp.name}/other-ca.crt")
        conn = http.client.HTTPSConnection("127.0.0.1", self.fake.port, timeout=TIMEOUT, context=ctx)
        with self.assertRaises(ssl.SSLCertVerificationError):
            conn.request("GET", "/version")
        conn.close()
        ctx = ssl.create_default_context(cafile=f"{self.tmp.name}/ca.crt")
        with socket.create_connection(("127.0.0.1", self.fake.port), timeout=TIMEOUT) as raw:
            with ctx.wrap_socket(raw, server_hostname="kubernetes.default.svc"):
                pass                                   # SAN DNS:kubernetes.default.svc


class LifecycleTest(unittest.TestCase):
    def test_absent_group_and_stdin_close(self):
        fake = Fake("--absent-group", "discovery.k8s.io/v1")
        try:
            _, apis = fake.get_json("/apis")
            self.assertNotIn("discovery.k8s.io", [g["name"] for g in apis["groups"]])
            self.assertEqual(fake.request("GET", "/apis/discovery.k8s.io/v1")[0], 404)
            self.assertEqual(fake.request("GET", "/apis/discovery.k8s.io/v1/endpointslices")[0], 404)
            w = fake.watch("/api/v1/endpoints?watch=1")
            fake.proc.stdin.close()                # the harness died: the fake exits
            self.assertEqual(fake.proc.wait(5), 0)
            w.assert_dropped()
            w.close()
        finally:
            fake.close()

    def test_sigterm(self):
        fake = Fake()
        try:
            fake.proc.terminate()
            self.assertEqual(fake.proc.wait(5), 0)
        finally:
            fake.close()


if __name__ == "__main__":
    unittest.main(verbosity=2)
