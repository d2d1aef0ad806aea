#!/usr/bin/env python3
"""A fake kube-apiserver for meshd's tests (Python 3.11 standard library only).

It speaks the Kubernetes API's REST + list/watch protocol the way a modern kube-apiserver does,
so meshd's API client, informers, io.l5d.k8s namer and ingress identifier are exercised over
real HTTP/1.1, real chunked watch streams and scripted faults. The contract (command line,
API subset, control plane, fault keys) is in tests/k8s/README.md; this docstring explains how
the pieces fit together.

Architecture
------------
* ``Store`` holds every object, one global integer revision (``rv``; starts at 1000, +1 per
  write), the change history used to resume watches, and the set of open watchers. Every write
  happens under ``Store.lock``: the revision is bumped, the change is appended to the history
  and offered to every watcher's queue in the same critical section, so a watch registered
  under the lock sees exactly the changes after its starting point, with no gap or duplicate.
* Each HTTP connection is served by its own thread (``ThreadingHTTPServer``). A watch is served
  by its connection thread: it sends the initial events (synthetic ADDEDs or a history replay),
  then blocks on its queue, waking at least every ``LIVENESS_POLL_S`` to send bookmarks, honour
  its deadline and notice a client that went away (so no thread outlives its client).
* Control-plane requests (``/_fake/...``) never touch auth, faults, outage or the request log.
* ``RvCodec`` turns integer revisions into the strings clients see; with ``--opaque-rv`` they
  are neither numeric nor ordered (``rv-`` + base32 of a scrambled integer), which catches
  clients that compare resourceVersions (the Kubernetes docs allow only equality checks).

Faithfulness notes (cited behaviour lives in /work/shared/k8s/api.md §1.2-1.5, §2.3-2.6, §6)
* List items carry no kind/apiVersion; single GETs and watch-event objects do.
* A watch that asks for a revision older than the compacted history gets HTTP 200, then one
  ``ERROR`` event (``410 Expired``) and a clean end, as the watch cache does.
* DELETED events carry the object's last state stamped with the *deletion* revision.
* Selector watches are evaluated against the old and the new state of every change: an object
  leaving the selector is sent as DELETED (old content, the change's revision), one entering it
  as ADDED.
* BOOKMARK events are sent only with ``allowWatchBookmarks=true``: the watched kind with only
  ``metadata.resourceVersion``; one every ``--bookmark-interval`` seconds and one 2 s before the
  watch deadline (as the apiserver's cacher does).
"""

from __future__ import annotations

import argparse
import base64
import bisect
import copy
import dataclasses
import datetime
import http.server
import json
import os
import queue
import random
import re
import select
import signal
import socket
import ssl
import string
import struct
import sys
import threading
import time
import urllib.parse
import uuid
from typing import Any, Iterable

START_RV = 1000              # revision of an empty store; the first write gets 1001
LIVENESS_POLL_S = 0.25       # how often an idle watch checks its client is still there
IDLE_TIMEOUT_S = 300         # socket timeout: idle keep-alive connections, blocked writes
STALL_MAX_S = 3600           # a "stall" fault never lasts longer than this
BOOKMARK_BEFORE_DEADLINE_S = 2.0
HISTORY_LIMIT = 100_000      # older changes are compacted away automatically (like etcd)
WATCH_QUEUE_LIMIT = 100_000  # a watcher this far behind is closed (the cacher does the same)
MAX_BODY = 16 << 20
MALFORMED_EVENT = b'{"type":"MODIFIED","object":{\n'
NON_JSON_BODY = (b"<html><head><title>502 Bad Gateway</title></head>"
                 b"<body><h1>Bad Gateway</h1></body></html>\n")

VERSION_INFO = {
    "major": "1", "minor": "33", "gitVersion": "v1.33.0",
    "gitCommit": "60a317eadfcb839692a68eab88b2096f4d708f4f", "gitTreeState": "clean",
    "buildDate": "2025-04-23T13:07:07Z", "goVersion": "go1.24.2", "compiler": "gc",
    "platform": "linux/amd64",
}
# kube-apiserver >= 1.33 adds this header to every v1 Endpoints response (KEP-4974).
ENDPOINTS_WARNING = '299 - "v1 Endpoints is deprecated in v1.33+; use discovery.k8s.io/v1 EndpointSlice"'

# Go's strconv.ParseBool, which the apiserver uses for boolean query parameters.
GO_TRUE = {"1", "t", "T", "TRUE", "true", "True"}
GO_FALSE = {"0", "f", "F", "FALSE", "false", "False"}


# ----------------------------------------------------------------------------------------------
# Resources served

@dataclasses.dataclass(frozen=True)
class Resource:
    group: str
    version: str
    plural: str
    kind: str
    namespaced: bool = True
    short_names: tuple[str, ...] = ()

    @property
    def group_version(self) -> str:
        return f"{self.group}/{self.version}" if self.group else self.version

    @property
    def qualified(self) -> str:
        """The name used in error messages: "endpoints", "endpointslices.discovery.k8s.io"."""
        return f"{self.plural}.{self.group}" if self.group else self.plural

    @property
    def prefix(self) -> str:
        return f"/apis/{self.group}/{self.version}" if self.group else f"/api/{self.version}"

    def collection_path(self, namespace: str | None) -> str:
        if namespace is None:
            return f"{self.prefix}/{self.plural}"
        return f"{self.prefix}/namespaces/{namespace}/{self.plural}"

    def discovery_entry(self) -> dict:
        entry = {"name": self.plural,
                 "singularName": "endpoints" if self.plural == "endpoints" else self.kind.lower(),
                 "namespaced": self.namespaced, "kind": self.kind,
                 "verbs": ["create", "delete", "deletecollection", "get", "list", "patch",
                           "update", "watch"]}
        if self.short_names:
            entry["shortNames"] = list(self.short_names)
        return entry


RESOURCES: tuple[Resource, ...] = (
    Resource("", "v1", "configmaps", "ConfigMap", True, ("cm",)),
    Resource("", "v1", "endpoints", "Endpoints", True, ("ep",)),
    Resource("", "v1", "namespaces", "Namespace", False, ("ns",)),
    Resource("", "v1", "pods", "Pod", True, ("po",)),
    Resource("", "v1", "serviceaccounts", "ServiceAccount", True, ("sa",)),
    Resource("", "v1", "services", "Service", True, ("svc",)),
    Resource("apps", "v1", "daemonsets", "DaemonSet", True, ("ds",)),
    Resource("apps", "v1", "deployments", "Deployment", True, ("deploy",)),
    Resource("discovery.k8s.io", "v1", "endpointslices", "EndpointSlice"),
    Resource("extensions", "v1beta1", "ingresses", "Ingress", True, ("ing",)),
    Resource("networking.k8s.io", "v1", "ingressclasses", "IngressClass", False),
    Resource("networking.k8s.io", "v1", "ingresses", "Ingress", True, ("ing",)),
    Resource("rbac.authorization.k8s.io", "v1", "clusterrolebindings", "ClusterRoleBinding", False),
    Resource("rbac.authorization.k8s.io", "v1", "clusterroles", "ClusterRole", False),
    Resource("rbac.authorization.k8s.io", "v1", "rolebindings", "RoleBinding"),
    Resource("rbac.authorization.k8s.io", "v1", "roles", "Role"),
)
BY_PATH = {(r.group, r.version, r.plural): r for r in RESOURCES}
BY_KIND = {(r.group_version, r.kind): r for r in RESOURCES}


# ----------------------------------------------------------------------------------------------
# Errors: every API error is a metav1.Status, field order as the Go struct serialises it.

def status_body(code: int, reason: str, message: str, details: dict | None = None) -> dict:
    body = {"kind": "Status", "apiVersion": "v1", "metadata": {}, "status": "Failure",
            "message": message, "reason": reason}
    if details is not None:
        body["details"] = details
    body["code"] = code
    return body


class ApiError(Exception):
    def __init__(self, code: int, reason: str, message: str, details: dict | None = None,
                 headers: Iterable[tuple[str, str]] = ()):
        super().__init__(message)
        self.code, self.reason, self.message, self.details = code, reason, message, details
        self.headers = list(headers)

    def body(self) -> dict:
        return status_body(self.code, self.reason, self.message, self.details)


def object_details(res: Resource, name: str) -> dict:
    details = {"name": name}
    if res.group:
        details["group"] = res.group
    details["kind"] = res.plural
    return details


def not_found(res: Resource, name: str) -> ApiError:
    return ApiError(404, "NotFound", f'{res.qualified} "{name}" not found', object_details(res, name))


def no_such_path() -> ApiError:
    return ApiError(404, "NotFound", "the server could not find the requested resource", {})


def bad_request(message: str) -> ApiError:
    return ApiError(400, "BadRequest", message)


def invalid(res: Resource, name: str, message: str) -> ApiError:
    return ApiError(422, "Invalid", f'{res.kind} "{name}" is invalid: {message}',
                    object_details(res, name) | {"kind": res.kind})


class TooOld(Exception):
    """A resume point older than the compacted history."""

    def __init__(self, requested: int, oldest: int):
        super().__init__(requested, oldest)
        self.requested, self.oldest = requested, oldest


# ----------------------------------------------------------------------------------------------
# resourceVersion encoding

class RvCodec:
    """Integer revision <-> the string clients see.

    Opaque mode maps n to "rv-" + base32(n * K mod 2^64): not numeric, and the string order is
    unrelated to the revision order. K is odd, hence invertible, so strings decode back.
    """
    _MASK = (1 << 64) - 1
    _MUL = 0x9E3779B97F4A7C15
    _INV = pow(_MUL, -1, 1 << 64)

    def __init__(self, opaque: bool):
        self.opaque = opaque

    def encode(self, n: int) -> str:
        if not self.opaque:
            return str(n)
        scrambled = (n * self._MUL) & self._MASK
        return "rv-" + base64.b32encode(scrambled.to_bytes(8, "big")).decode().rstrip("=").lower()

    def decode(self, text: str) -> int:
        """Raises ValueError for anything this server never handed out."""
        if not self.opaque:
            if not text.isdigit():
                raise ValueError(text)
            return int(text)
        if not text.startswith("rv-") or len(text) != 16:
            raise ValueError(text)
        raw = base64.b32decode(text[3:].upper() + "===")
        n = (int.from_bytes(raw, "big") * self._INV) & self._MASK
        if self.encode(n) != text:
            raise ValueError(text)
        return n


# ----------------------------------------------------------------------------------------------
# Selectors

_LABEL_KEY = r"[A-Za-z0-9][-A-Za-z0-9_./]*"
_LABEL_VALUE = r"[-A-Za-z0-9_.]*"
_SET_RE = re.compile(rf"^({_LABEL_KEY})\s+(in|notin)\s+\(([^)]*)\)$")
_CMP_RE = re.compile(rf"^({_LABEL_KEY})\s*(!=|==|=)\s*({_LABEL_VALUE})$")
_EXISTS_RE = re.compile(rf"^(!?)\s*({_LABEL_KEY})$")


def _split_top_level(text: str) -> list[str]:
    """Split on commas that are not inside "(...)": "a in (x,y),b" -> ["a in (x,y)", "b"]."""
    terms, depth, cur = [], 0, []
    for ch in text:
        if ch == "(":
            depth += 1
        elif ch == ")":
            depth -= 1
        if ch == "," and depth == 0:
            terms.append("".join(cur))
            cur = []
        else:
            cur.append(ch)
    terms.append("".join(cur))
    return [t.strip() for t in terms if t.strip()]


class LabelSelector:
    """k=v, k==v, k!=v, k, !k, k in (a,b), k notin (a,b); comma = AND.

    As in Kubernetes, "!=" and "notin" also match objects that do not have the label.
    """

    def __init__(self, text: str):
        self.text = text
        self.reqs: list[tuple[str, str, frozenset[str]]] = []
        for term in _split_top_level(text):
            if m := _SET_RE.match(term):
                values = frozenset(v.strip() for v in m.group(3).split(",") if v.strip())
                self.reqs.append((m.group(1), m.group(2), values))
            elif m := _CMP_RE.match(term):
                op = "!=" if m.group(2) == "!=" else "="
                self.reqs.append((m.group(1), op, frozenset([m.group(3)])))
            elif m := _EXISTS_RE.match(term):
                self.reqs.append((m.group(2), "!" if m.group(1) else "exists", frozenset()))
            else:
                raise bad_request(f"unable to parse requirement: invalid label selector: {term!r}")

    def matches(self, labels: dict) -> bool:
        for key, op, values in self.reqs:
            present = key in labels
            if op == "exists" and not present:
                return False
            if op == "!" and present:
                return False
            if op in ("=", "in") and (not present or labels[key] not in values):
                return False
            if op in ("!=", "notin") and present and labels[key] in values:
                return False
        return True


class FieldSelector:
    """metadata.name / metadata.namespace with =, ==, !=; comma = AND (the fields every
    resource supports; anything else is rejected like the apiserver does)."""
    FIELDS = ("metadata.name", "metadata.namespace")

    def __init__(self, text: str):
        self.reqs: list[tuple[str, bool, str]] = []
        for term in _split_top_level(text):
            m = re.match(r"^([A-Za-z.]+)\s*(!=|==|=)\s*(.*)$", term)
            if not m:
                raise bad_request(f"invalid field selector: {term!r}")
            if m.group(1) not in self.FIELDS:
                raise bad_request(f'field label not supported: {m.group(1)}')
            self.reqs.append((m.group(1), m.group(2) != "!=", m.group(3).strip()))

    def add_name(self, name: str) -> None:
        self.reqs.append(("metadata.name", True, name))

    def matches(self, obj: dict) -> bool:
        meta = obj.get("metadata", {})
        for fld, equal, value in self.reqs:
            actual = meta.get(fld.split(".", 1)[1], "") or ""
            if (actual == value) != equal:
                return False
        return True


# ----------------------------------------------------------------------------------------------
# Store, history and watchers

@dataclasses.dataclass(frozen=True)
class Change:
    rv: int
    type: str            # ADDED | MODIFIED | DELETED
    resource: Resource
    obj: dict            # new state; for DELETED the last state stamped with the deletion rv
    old: dict | None     # previous state (None for ADDED)


CLOSE = "close"   # queue sentinel: end the watch cleanly (terminating chunk)
DROP = "drop"     # queue sentinel: drop the connection (no terminating chunk)


def _labels(obj: dict) -> dict:
    return obj.get("metadata", {}).get("labels") or {}


def _key(obj: dict) -> tuple[str, str]:
    meta = obj["metadata"]
    return meta.get("namespace", "") or "", meta["name"]


class Watcher:
    """One open watch: what it selects, and a queue of change batches (or sentinels)."""

    def __init__(self, res: Resource, namespace: str | None, labels: LabelSelector,
                 fields: FieldSelector, path: str, codec: RvCodec):
        self.resource, self.namespace = res, namespace
        self.labels, self.fields, self.path, self.codec = labels, fields, path, codec
        self.min_rv = 0           # changes at or below this revision are not for this watch
        self.queue: queue.SimpleQueue = queue.SimpleQueue()
        self.overflowed = False

    def matches(self, obj: dict) -> bool:
        if self.namespace is not None and obj["metadata"].get("namespace") != self.namespace:
            return False
        return self.labels.matches(_labels(obj)) and self.fields.matches(obj)

    def translate(self, ch: Change) -> dict | None:
        """The event this watch sees for a change, evaluating selectors on old and new state."""
        if ch.resource is not self.resource or ch.rv <= self.min_rv:
            return None
        if ch.type == "DELETED":
            return {"type": "DELETED", "object": ch.obj} if self.matches(ch.obj) else None
        now_in = self.matches(ch.obj)
        was_in = ch.old is not None and self.matches(ch.old)
        if now_in:
            return {"type": "MODIFIED" if was_in else "ADDED", "object": ch.obj}
        if was_in:
            # Leaving the selector: "a delete event with the previous object content, but with
            # the event's resource version" (cacher/cache_watcher.go).
            gone = copy.deepcopy(ch.old)
            gone["metadata"]["resourceVersion"] = self.codec.encode(ch.rv)
            return {"type": "DELETED", "object": gone}
        return None


_META_ORDER = ("name", "generateName", "namespace", "uid", "resourceVersion", "generation",
               "creationTimestamp", "deletionTimestamp", "labels", "annotations",
               "ownerReferences", "finalizers")


def _canonical(res: Resource, obj: dict) -> dict:
    """kind, apiVersion, metadata first, metadata keys in ObjectMeta order (as Go writes them)."""
    meta = obj.get("metadata", {})
    ordered_meta = {k: meta[k] for k in _META_ORDER if k in meta}
    ordered_meta.update({k: v for k, v in meta.items() if k not in ordered_meta})
    out = {"kind": res.kind, "apiVersion": res.group_version, "metadata": ordered_meta}
    out.update({k: v for k, v in obj.items() if k not in out})
    return out


def _now() -> str:
    return datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


class Store:
    def __init__(self, codec: RvCodec):
        self.codec = codec
        self.lock = threading.RLock()
        self.changed = threading.Condition(self.lock)
        self.rv = START_RV
        self.compacted_rv = START_RV      # a resume from rv >= this is possible
        self.objects: dict[Resource, dict[tuple[str, str], dict]] = {r: {} for r in RESOURCES}
        self.history: list[Change] = []
        self.watchers: set[Watcher] = set()

    # -- reads --------------------------------------------------------------------------------

    def get(self, res: Resource, namespace: str, name: str) -> dict | None:
        with self.lock:
            return self.objects[res].get((namespace, name))

    def snapshot(self, res: Resource, at_rv: int | None = None) -> tuple[int, list[dict]]:
        """All objects of a resource in etcd key order, now or as they were at revision at_rv
        (rebuilt by undoing the history after it). Raises TooOld below the compacted history."""
        with self.lock:
            state = dict(self.objects[res])
            if at_rv is None or at_rv >= self.rv:
                return self.rv, [state[k] for k in sorted(state)]
            if at_rv < self.compacted_rv:
                raise TooOld(at_rv, self.compacted_rv)
            start = bisect.bisect_right(self.history, at_rv, key=lambda c: c.rv)
            for ch in reversed(self.history[start:]):
                if ch.resource is not res:
                    continue
                key = _key(ch.obj)
                if ch.old is None:
                    state.pop(key, None)
                else:
                    state[key] = ch.old
            return at_rv, [state[k] for k in sorted(state)]

    def wait_for_rv(self, rv: int, timeout: float) -> bool:
        with self.changed:
            return self.changed.wait_for(lambda: self.rv >= rv, timeout)

    def all_objects(self) -> list[dict]:
        with self.lock:
            return [o for res in RESOURCES for _, o in sorted(self.objects[res].items())]

    # -- writes (each public write is one batch for the watchers) ------------------------------

    def upsert(self, items: list[tuple[Resource, dict]]) -> list[dict]:
        """Control-plane write: create or replace unconditionally (always an event)."""
        with self.lock:
            changes = [self._put(res, obj, self.objects[res].get(_key(obj))) for res, obj in items]
            self._publish(changes)
            return [c.obj for c in changes]

    def create(self, res: Resource, obj: dict, dry_run: bool) -> dict:
        with self.lock:
            key = _key(obj)
            if key in self.objects[res]:
                raise ApiError(409, "AlreadyExists", f'{res.qualified} "{key[1]}" already exists',
                               object_details(res, key[1]))
            if dry_run:
                return self._stamped(res, obj, None, rv=None)
            change = self._put(res, obj, None)
            self._publish([change])
            return change.obj

    def update(self, res: Resource, obj: dict, dry_run: bool) -> dict:
        """PUT semantics: 404 if absent, 409 on a stale resourceVersion precondition, and a
        no-op (same revision, no event) when nothing but server-set fields differ."""
        with self.lock:
            key = _key(obj)
            old = self.objects[res].get(key)
            if old is None:
                raise not_found(res, key[1])
            sent_rv = obj["metadata"].get("resourceVersion")
            if sent_rv and sent_rv != old["metadata"]["resourceVersion"]:
                raise ApiError(409, "Conflict",
                               f'Operation cannot be fulfilled on {res.qualified} "{key[1]}": the object '
                               "has been modified; please apply your changes to the latest version "
                               "and try again", object_details(res, key[1]))
            candidate = self._stamped(res, obj, old, rv=None)
            candidate["metadata"]["resourceVersion"] = old["metadata"]["resourceVersion"]
            if candidate == old or dry_run:
                return candidate
            change = self._put(res, obj, old)
            self._publish([change])
            return change.obj

    def delete(self, res: Resource, namespace: str, name: str, dry_run: bool = False) -> dict:
        with self.lock:
            old = self.objects[res].get((namespace, name))
            if old is None:
                raise not_found(res, name)
            if dry_run:
                return old
            change = self._remove(res, old)
            self._publish([change])
            return change.obj

    def delete_many(self, res: Resource, victims: list[dict]) -> list[dict]:
        with self.lock:
            changes = [self._remove(res, o) for o in victims
                       if self.objects[res].get(_key(o)) is not None]
            self._publish(changes)
            return [c.obj for c in changes]

    def compact(self) -> int:
        """Forget the whole history: any resume from an older revision now gets 410."""
        with self.lock:
            self.history.clear()
            self.compacted_rv = self.rv
            return self.rv

    def _stamped(self, res: Resource, obj: dict, old: dict | None, rv: int | None) -> dict:
        """A stored copy of obj: canonical shape, server-set metadata (uid and
        creationTimestamp are immutable: kept from the old object on updates)."""
        new = _canonical(res, copy.deepcopy(obj))
        meta = new["metadata"]
        if res.namespaced:
            meta.setdefault("namespace", "default")
        else:
            meta.pop("namespace", None)
        if old is not None:
            meta["uid"] = old["metadata"]["uid"]
            meta["creationTimestamp"] = old["metadata"]["creationTimestamp"]
        else:
            meta.setdefault("uid", str(uuid.uuid4()))
            meta.setdefault("creationTimestamp", _now())
        if rv is not None:
            meta["resourceVersion"] = self.codec.encode(rv)
        else:
            meta.pop("resourceVersion", None)
        return _canonical(res, new)

    def _put(self, res: Resource, obj: dict, old: dict | None) -> Change:
        self.rv += 1
        new = self._stamped(res, obj, old, self.rv)
        self.objects[res][_key(new)] = new
        return Change(self.rv, "ADDED" if old is None else "MODIFIED", res, new, old)

    def _remove(self, res: Resource, old: dict) -> Change:
        self.rv += 1
        del self.objects[res][_key(old)]
        last = copy.deepcopy(old)
        last["metadata"]["resourceVersion"] = self.codec.encode(self.rv)
        return Change(self.rv, "DELETED", res, last, old)

    def _publish(self, changes: list[Change]) -> None:
        if not changes:
            return
        self.history.extend(changes)
        if len(self.history) > HISTORY_LIMIT:
            drop = len(self.history) - HISTORY_LIMIT // 2
            self.compacted_rv = self.history[drop - 1].rv
            del self.history[:drop]
        for w in list(self.watchers):
            mine = [c for c in changes if c.resource is w.resource]
            if not mine or w.overflowed:
                continue
            if w.queue.qsize() > WATCH_QUEUE_LIMIT:
                w.overflowed = True       # a consumer this slow is closed, as the cacher does
                w.queue.put(CLOSE)
            else:
                w.queue.put(mine)
        self.changed.notify_all()

    # -- watches ------------------------------------------------------------------------------

    def open_watch(self, w: Watcher, since: int | str | None) -> tuple[list[dict], int]:
        """Register w; return its initial events and the current revision.

        since None: synthetic ADDED for every matching object (the current state). since n:
        the history after n (TooOld if compacted away); changes at or below n are never sent,
        also when n lies in the future. since "now": no initial events.
        """
        with self.lock:
            if since == "now":
                since = self.rv
            if since is not None and since < self.compacted_rv:
                raise TooOld(since, self.compacted_rv)
            if since is None:
                objs = [self.objects[w.resource][k] for k in sorted(self.objects[w.resource])]
                events = [{"type": "ADDED", "object": o} for o in objs if w.matches(o)]
            else:
                w.min_rv = since
                start = bisect.bisect_right(self.history, since, key=lambda c: c.rv)
                events = [e for e in map(w.translate, self.history[start:]) if e]
            self.watchers.add(w)
            return events, self.rv

    def close_watch(self, w: Watcher) -> None:
        with self.lock:
            self.watchers.discard(w)

    def bookmark_rv(self, w: Watcher) -> int | None:
        """The revision a bookmark may announce: None while w still has undelivered changes
        (a bookmark must never claim a revision whose events the client has not seen)."""
        with self.lock:
            if not w.queue.empty():
                return None
            return max(self.rv, w.min_rv)

    def signal_watchers(self, sentinel: str) -> int:
        with self.lock:
            for w in self.watchers:
                w.queue.put(sentinel)
            return len(self.watchers)

    def watch_counts(self) -> dict[str, int]:
        with self.lock:
            counts: dict[str, int] = {}
            for w in self.watchers:
                counts[w.path] = counts.get(w.path, 0) + 1
            return counts


# ----------------------------------------------------------------------------------------------
# Faults and the request log

FAULT_KEYS = {"status", "drop_after_events", "drop_mid_event", "stall", "malformed_json",
              "non_json", "error_event", "gone_event", "split_events", "coalesce", "delay_ms",
              "rst", "message", "retry_after"}


class FaultTable:
    def __init__(self):
        self.lock = threading.Lock()
        self.faults: list[dict] = []
        self.next_id = 1

    def add(self, spec: dict) -> dict:
        if not isinstance(spec, dict) or not isinstance(spec.get("path"), str):
            raise bad_request('a fault needs "path": REGEX')
        unknown = set(spec) - FAULT_KEYS - {"path", "count"}
        if unknown:
            raise bad_request(f"unknown fault keys: {sorted(unknown)}")
        try:
            pattern = re.compile(spec["path"])
        except re.error as e:
            raise bad_request(f"bad path regex: {e}") from None
        count = int(spec.get("count", 1))
        if count == 0 or count < -1:
            raise bad_request("count must be >= 1 or -1")
        if "split_events" in spec and int(spec["split_events"]) < 1:
            raise bad_request("split_events must be >= 1")
        with self.lock:
            fault = {"id": self.next_id, "pattern": pattern, "remaining": count,
                     "spec": {k: v for k, v in spec.items() if k in FAULT_KEYS}}
            self.next_id += 1
            self.faults.append(fault)
            return self._public(fault)

    def take(self, target: str) -> dict:
        """The fault spec for this request (first queued fault whose regex matches), consumed."""
        with self.lock:
            for fault in self.faults:
                if fault["pattern"].search(target):
                    if fault["remaining"] > 0:
                        fault["remaining"] -= 1
                        if fault["remaining"] == 0:
                            self.faults.remove(fault)
                    return fault["spec"]
            return {}

    def clear(self) -> None:
        with self.lock:
            self.faults.clear()

    def list(self) -> list[dict]:
        with self.lock:
            return [self._public(f) for f in self.faults]

    @staticmethod
    def _public(fault: dict) -> dict:
        return {"id": fault["id"], "path": fault["pattern"].pattern,
                "count": fault["remaining"], **fault["spec"]}


class RequestLog:
    def __init__(self):
        self.lock = threading.Lock()
        self.entries: list[dict] = []
        self.t0 = time.monotonic()

    def add(self, method: str, path: str, query: str, authorization: bool) -> dict:
        params = {k: v[0] for k, v in urllib.parse.parse_qs(query, keep_blank_values=True).items()}
        entry = {"method": method, "path": path, "query": query, "params": params,
                 "authorization": authorization, "status": None,
                 "time": round(time.monotonic() - self.t0, 6)}
        with self.lock:
            self.entries.append(entry)
        return entry

    def snapshot(self) -> list[dict]:
        with self.lock:
            return [dict(e) for e in self.entries]

    def clear(self) -> None:
        with self.lock:
            self.entries.clear()


# ----------------------------------------------------------------------------------------------
# HTTP plumbing

class ConnectionEnded(Exception):
    """The connection is finished: the client went away, or we dropped it on purpose."""


def json_bytes(obj: Any) -> bytes:
    return json.dumps(obj, separators=(",", ":"), ensure_ascii=False).encode()


def split_bytes(data: bytes, parts: int) -> list[bytes]:
    parts = max(1, min(parts, len(data)))
    size, extra = divmod(len(data), parts)
    out, pos = [], 0
    for i in range(parts):
        n = size + (1 if i < extra else 0)
        out.append(data[pos:pos + n])
        pos += n
    return out


def go_bool(params: dict, name: str) -> bool:
    value = params.get(name)
    if value is None or value == "":
        return False
    if value in GO_TRUE:
        return True
    if value in GO_FALSE:
        return False
    raise bad_request(f'invalid value for {name}: "{value}": strconv.ParseBool: invalid syntax')


@dataclasses.dataclass
class ApiRequest:
    """A parsed request on a resource path."""
    resource: Resource
    namespace: str | None      # None: cluster-scoped or all namespaces
    name: str | None
    legacy_watch: bool         # the deprecated /watch/ path prefix
    params: dict[str, str]


class EventStream:
    """Writes watch events as HTTP chunks, applying the streaming faults.

    Cut faults: after `drop_after_events` events (default 0) the stream is cut: dropped
    (default), cut inside the next event (`drop_mid_event`), ended by a truncated event
    (`malformed_json`) or left silent (`stall`).

    `on_finish` runs before the client can see the stream end (terminating chunk or cut), so
    a client that has seen the end never finds its watch still counted.
    """

    def __init__(self, handler: "Handler", fault: dict, on_finish=lambda: None):
        self.h = handler
        self.on_finish = on_finish
        self.split = int(fault.get("split_events") or 1)
        self.coalesce = bool(fault.get("coalesce"))
        self.rst = bool(fault.get("rst"))
        if fault.get("drop_mid_event"):
            self.action = "mid_event"
        elif fault.get("malformed_json"):
            self.action = "malformed"
        elif fault.get("stall"):
            self.action = "stall"
        elif "drop_after_events" in fault or self.rst:
            self.action = "drop"
        else:
            self.action = None
        self.cut_at = int(fault.get("drop_after_events") or 0)
        self.sent = 0

    def start(self) -> None:
        self._maybe_cut()

    def send(self, events: list[dict]) -> None:
        pending: list[bytes] = []
        for ev in events:
            data = json_bytes(ev) + b"\n"
            if self.action == "mid_event" and self.sent == self.cut_at:
                self._flush(pending)
                self.h.write_chunk(data[:len(data) // 2])
                self.drop()
            pending.append(data)
            self.sent += 1
            if not self.coalesce:
                self._flush(pending)
                pending = []
            if self.action not in (None, "mid_event") and self.sent == self.cut_at:
                self._flush(pending)
                self._maybe_cut()
        self._flush(pending)

    def end(self) -> None:
        self.on_finish()
        self.h.write_raw(b"0\r\n\r\n")

    def drop(self) -> None:
        self.on_finish()
        self.h.drop_connection(self.rst)

    def _flush(self, pending: list[bytes]) -> None:
        if pending:
            for piece in split_bytes(b"".join(pending), self.split):
                self.h.write_chunk(piece)
            pending.clear()

    def _maybe_cut(self) -> None:
        if self.action in (None, "mid_event") or self.sent != self.cut_at:
            return
        if self.action == "malformed":
            self.on_finish()
            self.h.write_chunk(MALFORMED_EVENT)
        elif self.action == "stall":
            self.h.stall()
        self.drop()


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    timeout = IDLE_TIMEOUT_S
    server: "FakeApiServer"
    log_entry: dict | None = None
    body = b""

    # -- BaseHTTPRequestHandler hooks ----------------------------------------------------------

    def do_GET(self):
        self._dispatch()

    do_POST = do_PUT = do_PATCH = do_DELETE = do_GET

    def send_response(self, code, message=None):
        # Like kube-apiserver: a Date header, no Server header.
        self.log_request(code)
        self.send_response_only(code, message)
        self.send_header("Date", self.date_time_string())

    def log_message(self, format, *args):
        if self.server.verbose:
            sys.stderr.write("fake-apiserver: %s %s\n" % (self.address_string(), format % args))

    # -- low-level writing ---------------------------------------------------------------------

    def write_raw(self, data: bytes) -> None:
        try:
            self.wfile.write(data)
            self.wfile.flush()
        except (OSError, ValueError) as e:
            raise ConnectionEnded() from e

    def write_chunk(self, data: bytes) -> None:
        if data:
            self.write_raw(b"%x\r\n%s\r\n" % (len(data), data))

    def drop_connection(self, rst: bool = False) -> None:
        """Close abruptly: no terminating chunk, no TLS close_notify; RST with rst=True."""
        self.close_connection = True
        try:
            if rst:
                self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER,
                                           struct.pack("ii", 1, 0))
                self.connection.close()
            else:
                self.connection.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        raise ConnectionEnded()

    def client_alive(self) -> bool:
        """True unless the peer has closed the connection (checked without blocking)."""
        sock = self.connection
        try:
            readable, _, _ = select.select([sock], [], [], 0)
            if not readable:
                return True
            if isinstance(sock, ssl.SSLSocket):
                sock.settimeout(0)
                try:
                    data = sock.recv(1)
                except ssl.SSLWantReadError:
                    return True
                finally:
                    sock.settimeout(self.timeout)
                if data:                 # a pipelined request: it cannot be served any more
                    self.close_connection = True
                return bool(data)
            return bool(sock.recv(1, socket.MSG_PEEK))
        except (OSError, ValueError):
            return False

    def stall(self) -> None:
        """Stay silent until the client goes away (or an outage/shutdown drops us)."""
        end = time.monotonic() + STALL_MAX_S
        while time.monotonic() < end and not (self.server.outage or self.server.closing):
            if not self.client_alive():
                raise ConnectionEnded()
            time.sleep(LIVENESS_POLL_S)
        self.drop_connection()

    def write_head(self, code: int, headers: list[tuple[str, str]]) -> None:
        if self.log_entry is not None:
            self.log_entry["status"] = code
        try:
            self.send_response(code)
            for k, v in headers:
                self.send_header(k, v)
            self.end_headers()
        except (OSError, ValueError) as e:
            raise ConnectionEnded() from e

    def api_headers(self, res: Resource | None, content_type: str = "application/json"):
        headers = [("Audit-Id", str(uuid.uuid4())), ("Cache-Control", "no-cache, private"),
                   ("Content-Type", content_type)]
        if res is not None and res.group == "" and res.plural == "endpoints":
            headers.append(("Warning", ENDPOINTS_WARNING))
        return headers

    def reply(self, code: int, body: Any, res: Resource | None = None, fault: dict | None = None,
              extra_headers: Iterable[tuple[str, str]] = (), content_type="application/json"):
        """Send a complete (non-watch) response, applying the body-level faults."""
        fault = fault or {}
        data = body if isinstance(body, bytes) else json_bytes(body)
        headers = self.api_headers(res, content_type) + list(extra_headers)
        if fault.get("malformed_json"):
            self.write_head(200, self.api_headers(res) + [
                ("Content-Length", str(len(MALFORMED_EVENT))), ("Connection", "close")])
            self.write_raw(MALFORMED_EVENT)
            self.drop_connection(bool(fault.get("rst")))
        if fault.get("non_json"):
            self.write_head(200, self.api_headers(res, "text/html")
                            + [("Content-Length", str(len(NON_JSON_BODY)))])
            self.write_raw(NON_JSON_BODY)
            return
        if fault.get("drop_mid_event") or fault.get("stall"):
            self.write_head(code, headers + [("Content-Length", str(len(data)))])
            if fault.get("stall"):
                self.stall()
            self.write_raw(data[:len(data) // 2])
            self.drop_connection(bool(fault.get("rst")))
        if "drop_after_events" in fault or fault.get("rst"):
            if self.log_entry is not None:
                self.log_entry["status"] = 0
            self.drop_connection(bool(fault.get("rst")))
        if int(fault.get("split_events") or 1) > 1:
            self.write_head(code, headers + [("Transfer-Encoding", "chunked")])
            for piece in split_bytes(data, int(fault["split_events"])):
                self.write_chunk(piece)
            self.write_raw(b"0\r\n\r\n")
            return
        self.write_head(code, headers + [("Content-Length", str(len(data)))])
        self.write_raw(data)

    def reply_error(self, err: ApiError, res: Resource | None = None, fault: dict | None = None):
        self.reply(err.code, err.body(), res, fault, err.headers)

    def read_body(self) -> bytes:
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            body = b""
            for _ in range(1 << 16):
                size = int(self.rfile.readline().split(b";")[0].strip() or b"0", 16)
                if size == 0:
                    while self.rfile.readline().strip():    # trailers
                        pass
                    return body
                body += self.rfile.read(size)
                self.rfile.readline()
                if len(body) > MAX_BODY:
                    break
            raise ApiError(413, "RequestEntityTooLarge", "request entity too large")
        length = int(self.headers.get("Content-Length") or 0)
        if length > MAX_BODY:
            raise ApiError(413, "RequestEntityTooLarge", "request entity too large")
        return self.rfile.read(length) if length else b""

    def read_json(self) -> Any:
        try:
            return json.loads(self.body or b"null")
        except ValueError as e:
            raise bad_request(f"invalid JSON body: {e}") from None

    # -- dispatch ------------------------------------------------------------------------------

    def _dispatch(self):
        self.log_entry = None
        self.body = b""
        url = urllib.parse.urlsplit(self.path)
        try:
            # Always consume the body first, so the connection stays usable for keep-alive
            # whatever the answer (kubectl sends DeleteOptions bodies with DELETE, say).
            self.body = self.read_body()
            if url.path == "/_fake" or url.path.startswith("/_fake/"):
                Control(self).handle(self.command, url.path, url.query)
            else:
                self._api(url)
        except ConnectionEnded:
            self.close_connection = True
        except ApiError as e:       # errors before anything was written
            try:
                self.reply_error(e)
            except ConnectionEnded:
                self.close_connection = True

    def _api(self, url: urllib.parse.SplitResult) -> None:
        server = self.server
        auth_header = self.headers.get("Authorization")
        self.log_entry = server.requests.add(self.command, url.path, url.query, bool(auth_header))
        if server.outage:
            self.log_entry["status"] = 0
            self.drop_connection()
        if not server.authorized(auth_header):
            self.reply_error(ApiError(401, "Unauthorized", "Unauthorized"))
            return
        fault = server.faults.take(self.path)
        if fault.get("delay_ms"):
            time.sleep(min(float(fault["delay_ms"]), 600_000) / 1000)
        req = None
        try:
            req = self._parse_api_path(url.path, url.query)
            if isinstance(req, ApiRequest):
                if (err := self._fault_error(fault, req)) is not None:
                    self.reply_error(err, req.resource)
                    return
                Api(self, req, fault).serve()
            else:
                if (err := self._fault_error(fault, None)) is not None:
                    self.reply_error(err)
                    return
                code, body, ctype = req
                self.reply(code, body, None, fault, content_type=ctype)
        except ApiError as e:
            self.reply_error(e, req.resource if isinstance(req, ApiRequest) else None)

    def _fault_error(self, fault: dict, req: ApiRequest | None) -> ApiError | None:
        """The error a `status` fault (or error_event/gone_event on a non-watch) produces."""
        code = fault.get("status")
        is_watch = req is not None and (req.legacy_watch or go_bool(req.params, "watch"))
        if code is None and not is_watch and not fault.get("non_json"):
            if fault.get("gone_event"):
                code = 410
            elif fault.get("error_event"):
                code = int(fault["error_event"].get("code", 500))
        if code is None:
            return None
        return fault_status(int(code), self.command, req, fault, self.server.store)

    def _parse_api_path(self, path: str, query: str):
        """An ApiRequest for resource paths, else (code, body, content type) for discovery."""
        params = {k: v[0] for k, v in urllib.parse.parse_qs(query, keep_blank_values=True).items()}
        parts = [urllib.parse.unquote(p) for p in path.split("/") if p]
        server = self.server
        if self.command != "GET" and (not parts or parts[0] not in ("api", "apis")):
            raise ApiError(405, "MethodNotAllowed", f"the server does not allow this method on the requested resource", {})
        if path in ("/healthz", "/livez", "/readyz") or (parts and parts[0] in ("healthz", "livez", "readyz")):
            return 200, b"ok", "text/plain; charset=utf-8"
        if parts == ["version"]:
            return 200, VERSION_INFO, "application/json"
        if parts == ["api"]:
            host = self.headers.get("Host") or f"127.0.0.1:{server.port}"
            return 200, {"kind": "APIVersions", "versions": ["v1"],
                         "serverAddressByClientCIDRs": [{"clientCIDR": "0.0.0.0/0",
                                                          "serverAddress": host}]}, "application/json"
        if parts == ["apis"]:
            return 200, server.group_list(), "application/json"
        if len(parts) == 2 and parts[0] == "apis":
            group = server.group_entry(parts[1])
            if group is None:
                raise no_such_path()
            return 200, {"kind": "APIGroup", "apiVersion": "v1", **group}, "application/json"
        if len(parts) >= 2 and parts[0] == "api":
            group, version, rest = "", parts[1], parts[2:]
        elif len(parts) >= 3 and parts[0] == "apis":
            group, version, rest = parts[1], parts[2], parts[3:]
        else:
            raise no_such_path()
        if not server.serves(group, version):
            raise no_such_path()
        if not rest:
            return 200, server.resource_list(group, version), "application/json"
        legacy = rest[0] == "watch"
        if legacy:
            rest = rest[1:]
        namespace = None
        if len(rest) >= 3 and rest[0] == "namespaces":
            namespace, rest = rest[1], rest[2:]
        res = BY_PATH.get((group, version, rest[0])) if rest else None
        if res is None or len(rest) > 2:
            raise no_such_path()
        name = rest[1] if len(rest) == 2 else None
        if namespace is not None and not res.namespaced:
            raise no_such_path()
        if name is not None and res.namespaced and namespace is None:
            raise no_such_path()
        if legacy and self.command != "GET":
            raise ApiError(405, "MethodNotAllowed", "the server does not allow this method on the requested resource", {})
        return ApiRequest(res, namespace, name, legacy, params)


def fault_status(code: int, method: str, req: ApiRequest | None, fault: dict, store: Store) -> ApiError:
    """A Status like the real server's for an injected HTTP error."""
    headers = []
    retry = int(fault.get("retry_after", 1))
    details: dict | None = None
    if code == 401:
        reason, message = "Unauthorized", "Unauthorized"
    elif code == 403:
        reason, message = "Forbidden", forbidden_message(method, req)
        if req is not None:
            details = {"group": req.resource.group, "kind": req.resource.plural} if req.resource.group \
                else {"kind": req.resource.plural}
            if req.name:
                details = {"name": req.name, **details}
    elif code == 404:
        if req is not None and req.name:
            return not_found(req.resource, req.name)
        reason, message, details = "NotFound", "the server could not find the requested resource", {}
    elif code == 410:
        requested = (req.params.get("resourceVersion") if req else None) or store.codec.encode(store.rv)
        reason = "Expired"
        message = f"too old resource version: {requested} ({store.codec.encode(store.compacted_rv)})"
    elif code == 429:
        reason, message = "TooManyRequests", "Too many requests, please try again later."
        details = {"retryAfterSeconds": retry}
        headers.append(("Retry-After", str(retry)))
    elif code == 503:
        reason, message = "ServiceUnavailable", "the server is currently unable to handle the request"
        headers.append(("Retry-After", str(retry)))
    elif code == 504:
        reason, message = "Timeout", "the server was unable to return a response in the time allotted"
    elif code == 500:
        reason, message = "InternalError", "Internal error occurred: injected fault"
        details = {"causes": [{"message": "injected fault"}]}
    else:
        reason, message = "", f"injected HTTP {code}"
    return ApiError(code, reason, fault.get("message", message), details, headers)


def forbidden_message(method: str, req: ApiRequest | None) -> str:
    user = 'User "system:serviceaccount:default:meshd"'
    if req is None:
        return f'forbidden: {user} cannot get path "/"'
    res = req.resource
    if method == "GET":
        verb = "watch" if (req.legacy_watch or req.params.get("watch") in GO_TRUE) \
            else "get" if req.name else "list"
    else:
        verb = {"POST": "create", "PUT": "update", "PATCH": "patch",
                "DELETE": "delete" if req.name else "deletecollection"}.get(method, method.lower())
    target = f'{res.qualified} "{req.name}"' if req.name else res.qualified
    where = f'in the namespace "{req.namespace}"' if req.namespace else "at the cluster scope"
    return (f'{target} is forbidden: {user} cannot {verb} resource "{res.plural}" '
            f'in API group "{res.group}" {where}')


# ----------------------------------------------------------------------------------------------
# The Kubernetes API proper: get, list, watch, create, update, patch, delete

class Api:
    def __init__(self, handler: Handler, req: ApiRequest, fault: dict):
        self.h, self.req, self.fault = handler, req, fault
        self.store = handler.server.store
        self.codec = self.store.codec
        self.res = req.resource

    def serve(self) -> None:
        method, req = self.h.command, self.req
        if method == "GET":
            if req.legacy_watch or (req.name is None and go_bool(req.params, "watch")):
                self.watch()
            elif req.name is not None:
                self.get()
            else:
                self.list()
        elif method == "POST" and req.name is None:
            self.create()
        elif method == "PUT" and req.name is not None:
            self.update()
        elif method == "PATCH" and req.name is not None:
            self.patch()
        elif method == "DELETE":
            self.delete() if req.name is not None else self.delete_collection()
        else:
            raise ApiError(405, "MethodNotAllowed",
                           "the server does not allow this method on the requested resource", {})

    # -- helpers ------------------------------------------------------------------------------

    def selectors(self) -> tuple[LabelSelector, FieldSelector]:
        return (LabelSelector(self.req.params.get("labelSelector", "")),
                FieldSelector(self.req.params.get("fieldSelector", "")))

    def decode_rv(self, text: str) -> int:
        try:
            return self.codec.decode(text)
        except (ValueError, TypeError):
            raise bad_request(f'invalid resource version "{text}"') from None

    def namespace_of_request(self) -> str:
        return self.req.namespace or ""

    def send(self, code: int, body: dict) -> None:
        self.h.reply(code, body, self.res, self.fault)

    def dry_run(self) -> bool:
        value = self.req.params.get("dryRun")
        if value in (None, ""):
            return False
        if value != "All":
            raise bad_request(f'unsupported dry run value "{value}": only "All" is supported')
        return True

    def list_body(self, rv: int, items: list[dict], extra_meta: dict | None = None) -> dict:
        meta = {"resourceVersion": self.codec.encode(rv)}
        meta.update(extra_meta or {})
        stripped = [{k: v for k, v in o.items() if k not in ("kind", "apiVersion")} for o in items]
        return {"kind": f"{self.res.kind}List", "apiVersion": self.res.group_version,
                "metadata": meta, "items": stripped}

    def body_object(self) -> dict:
        obj = self.h.read_json()
        res = self.res
        if not isinstance(obj, dict):
            raise bad_request("the body of the request was in an unknown format")
        if obj.get("apiVersion", res.group_version) != res.group_version:
            raise bad_request(f"the API version in the data ({obj.get('apiVersion')}) does not match "
                              f"the expected API version ({res.group_version})")
        if obj.get("kind", res.kind) != res.kind:
            raise bad_request(f"the kind in the data ({obj.get('kind')}) does not match the "
                              f"expected kind ({res.kind})")
        meta = obj.setdefault("metadata", {})
        if not isinstance(meta, dict):
            raise bad_request("metadata must be an object")
        if res.namespaced:
            if meta.get("namespace") and meta["namespace"] != self.req.namespace:
                raise bad_request("the namespace of the provided object does not match the "
                                  "namespace sent on the request")
            meta["namespace"] = self.req.namespace
        if self.req.name is not None and meta.get("name", self.req.name) != self.req.name:
            raise bad_request(f"the name of the object ({meta.get('name')}) does not match the "
                              f"name on the URL ({self.req.name})")
        if self.req.name is not None:
            meta["name"] = self.req.name
        return obj

    # -- reads --------------------------------------------------------------------------------

    def get(self) -> None:
        # labelSelector is ignored on a single-object GET (GetOptions carries only
        # resourceVersion), as the real server does.
        obj = self.store.get(self.res, self.namespace_of_request(), self.req.name)
        if obj is None:
            raise not_found(self.res, self.req.name)
        self.send(200, obj)

    def list(self) -> None:
        labels, fields = self.selectors()
        params = self.req.params
        rv_text, match = params.get("resourceVersion", ""), params.get("resourceVersionMatch", "")
        limit = int(params["limit"]) if params.get("limit", "").isdigit() else 0
        if match and not rv_text:
            raise bad_request("resourceVersionMatch: Forbidden: resourceVersionMatch is forbidden "
                              "unless resourceVersion is provided")
        if match and match not in ("Exact", "NotOlderThan"):
            raise bad_request(f'resourceVersionMatch: Unsupported value: "{match}"')
        if match == "Exact" and rv_text == "0":
            raise bad_request('resourceVersionMatch: Forbidden: resourceVersionMatch "exact" is '
                              'forbidden for resourceVersion "0"')
        start_after = None
        at_rv = None
        if params.get("continue"):
            at_rv, start_after = self.decode_continue(params["continue"])
        elif rv_text not in ("", "0"):
            wanted = self.decode_rv(rv_text)
            # "Exact" explicitly, or the legacy meaning of resourceVersion + limit.
            if match == "Exact" or (limit and not match):
                at_rv = wanted
            # A revision from the future: the apiserver waits up to 3 s for it, then gives up.
            if not self.store.wait_for_rv(wanted, 3.0):
                raise ApiError(504, "Timeout", f"Timeout: Too large resource version: {rv_text}, "
                               f"current: {self.codec.encode(self.store.rv)}",
                               {"causes": [{"reason": "ResourceVersionTooLarge",
                                            "message": "Too large resource version"}],
                                "retryAfterSeconds": 1}, [("Retry-After", "1")])
        try:
            rv, objs = self.store.snapshot(self.res, at_rv)
        except TooOld as e:
            if params.get("continue"):
                raise ApiError(410, "Expired", "The provided continue parameter is too old to "
                               "display a consistent list result. You can start a new list "
                               "without the continue parameter.") from None
            raise ApiError(410, "Expired", f"too old resource version: {rv_text} "
                           f"({self.codec.encode(e.oldest)})") from None
        ns = self.req.namespace
        objs = [o for o in objs if (ns is None or o["metadata"].get("namespace") == ns)
                and labels.matches(_labels(o)) and fields.matches(o)]
        if start_after is not None:
            objs = [o for o in objs if _key(o) > start_after]
        extra = {}
        if limit and len(objs) > limit:
            last = _key(objs[limit - 1])
            token = {"v": "meta.k8s.io/v1", "rv": rv, "start": list(last)}
            extra["continue"] = base64.urlsafe_b64encode(json_bytes(token)).decode()
            if not labels.reqs and not fields.reqs:
                extra["remainingItemCount"] = len(objs) - limit
            objs = objs[:limit]
        self.send(200, self.list_body(rv, objs, extra))

    def decode_continue(self, token: str) -> tuple[int, tuple[str, str]]:
        try:
            data = json.loads(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))
            return int(data["rv"]), tuple(data["start"])
        except (ValueError, KeyError, TypeError):
            raise bad_request(f'continue key is not valid: "{token}"') from None

    # -- watch --------------------------------------------------------------------------------

    def watch(self) -> None:
        req, h, params = self.req, self.h, self.req.params
        labels, fields = self.selectors()
        if req.name is not None:
            # /watch/namespaces/<ns>/<res>/<name> == a watch with fieldSelector=metadata.name=<name>
            fields.add_name(req.name)
        rv_text = params.get("resourceVersion", "")
        send_initial = params.get("sendInitialEvents")
        match = params.get("resourceVersionMatch", "")
        bookmarks = go_bool(params, "allowWatchBookmarks")
        if send_initial not in (None, ""):
            send_initial = go_bool(params, "sendInitialEvents")
            if match != "NotOlderThan":
                raise bad_request("resourceVersionMatch: Forbidden: sendInitialEvents requires "
                                  "setting resourceVersionMatch to NotOlderThan")
            if send_initial and not bookmarks:
                raise bad_request("allowWatchBookmarks: Forbidden: sendInitialEvents requires "
                                  "setting allowWatchBookmarks to true")
        elif match:
            raise bad_request("resourceVersionMatch: Forbidden: resourceVersionMatch is forbidden "
                              "for watch unless sendInitialEvents is provided")
        since: int | str | None
        if send_initial is True:
            since = None          # streaming list: the current state, then a marked bookmark
        elif rv_text not in ("", "0"):
            since = self.decode_rv(rv_text)       # "Start at Exact": history after rv
        elif send_initial is False:
            since = "now"         # no initial state, only changes from now on
        else:
            since = None          # "Get State and Start at Most Recent": synthetic ADDEDs
        timeout = self.watch_timeout()

        path = self.res.collection_path(req.namespace)
        watcher = Watcher(self.res, req.namespace, labels, fields, path, self.codec)
        too_old = None
        initial: list[dict] = []
        rv_now = 0
        try:
            initial, rv_now = self.store.open_watch(watcher, since)
        except TooOld as e:
            too_old = e
        try:
            self.stream(watcher, initial, too_old, timeout, bookmarks,
                        initial_end_rv=rv_now if send_initial is True and not too_old else None)
        finally:
            self.store.close_watch(watcher)

    def watch_timeout(self) -> float:
        text = self.req.params.get("timeoutSeconds", "")
        if text:
            try:
                seconds = int(text)
            except ValueError:
                raise bad_request(f'invalid timeoutSeconds "{text}"') from None
            if seconds > 0:
                return float(seconds)
        # get.go: timeout = minRequestTimeout * (rand.Float64() + 1.0)
        return self.h.server.min_request_timeout * (random.random() + 1.0)

    def stream(self, watcher: Watcher, initial: list[dict], too_old: TooOld | None,
               timeout: float, bookmarks: bool, initial_end_rv: int | None) -> None:
        h, fault = self.h, self.fault
        if fault.get("non_json"):
            self.store.close_watch(watcher)
            h.reply(200, NON_JSON_BODY, self.res, content_type="text/html")
            return
        h.write_head(200, h.api_headers(self.res) + [("Transfer-Encoding", "chunked")])
        out = EventStream(h, fault, on_finish=lambda: self.store.close_watch(watcher))
        if too_old is not None:
            # A resume point that was compacted away: 200, one ERROR event, clean end.
            out.send([self.error_event(410, "Expired", f"too old resource version: "
                                       f"{self.codec.encode(too_old.requested)} "
                                       f"({self.codec.encode(too_old.oldest)})")])
            out.end()
            return
        if fault.get("error_event"):
            spec = fault["error_event"]
            out.send([self.error_event(int(spec.get("code", 500)), spec.get("reason", "InternalError"),
                                       spec.get("message", "injected error event"))])
            out.end()
            return
        if fault.get("gone_event"):
            requested = self.req.params.get("resourceVersion") or self.codec.encode(self.store.rv)
            out.send([self.error_event(410, "Expired", f"too old resource version: {requested} "
                                       f"({self.codec.encode(self.store.compacted_rv)})")])
            out.end()
            return
        out.start()
        out.send(initial)
        if initial_end_rv is not None:
            out.send([self.bookmark_event(initial_end_rv, initial_events_end=True)])
        self.pump(watcher, out, timeout, bookmarks)

    def pump(self, watcher: Watcher, out: EventStream, timeout: float, bookmarks: bool) -> None:
        """Live part of a watch: changes, bookmarks, deadline, client liveness."""
        interval = max(self.h.server.bookmark_interval, 0.01)
        start = time.monotonic()
        deadline = start + timeout
        pre_deadline = deadline - BOOKMARK_BEFORE_DEADLINE_S
        pre_sent = pre_deadline <= start
        next_bookmark = self.next_bookmark(start, interval, pre_deadline, pre_sent) if bookmarks else None
        while True:
            now = time.monotonic()
            if now >= deadline:
                out.end()
                return
            if next_bookmark is not None and now >= next_bookmark:
                rv = self.store.bookmark_rv(watcher)
                if rv is not None:
                    out.send([self.bookmark_event(rv)])
                    pre_sent = pre_sent or now >= pre_deadline
                    next_bookmark = self.next_bookmark(now, interval, pre_deadline, pre_sent)
            wake = min(deadline, next_bookmark or deadline, now + LIVENESS_POLL_S)
            try:
                item = watcher.queue.get(timeout=max(wake - now, 0.001))
            except queue.Empty:
                if not self.h.client_alive():
                    raise ConnectionEnded()
                continue
            items = [item]
            if out.coalesce:
                while True:
                    try:
                        items.append(watcher.queue.get_nowait())
                    except queue.Empty:
                        break
            events: list[dict] = []
            for it in items:
                if it == CLOSE:
                    out.send(events)
                    out.end()
                    return
                if it == DROP:
                    out.send(events)
                    out.on_finish()
                    self.h.drop_connection()
                events.extend(e for e in map(watcher.translate, it) if e)
            out.send(events)

    @staticmethod
    def next_bookmark(now: float, interval: float, pre_deadline: float, pre_sent: bool) -> float:
        nxt = now + interval
        if not pre_sent and now < pre_deadline < nxt:
            return pre_deadline
        return nxt

    def bookmark_event(self, rv: int, initial_events_end: bool = False) -> dict:
        meta: dict = {"resourceVersion": self.codec.encode(rv)}
        if initial_events_end:
            meta["annotations"] = {"k8s.io/initial-events-end": "true"}
        return {"type": "BOOKMARK", "object": {"kind": self.res.kind,
                                               "apiVersion": self.res.group_version,
                                               "metadata": meta}}

    @staticmethod
    def error_event(code: int, reason: str, message: str) -> dict:
        return {"type": "ERROR", "object": status_body(code, reason, message)}

    # -- writes -------------------------------------------------------------------------------

    def create(self) -> None:
        obj = self.body_object()
        meta = obj["metadata"]
        if not meta.get("name"):
            if meta.get("generateName"):
                meta["name"] = meta["generateName"] + "".join(
                    random.choices(string.ascii_lowercase + string.digits, k=5))
            else:
                raise invalid(self.res, "", "metadata.name: Required value: name or generateName "
                              "is required")
        self.send(201, self.store.create(self.res, obj, self.dry_run()))

    def update(self) -> None:
        obj = self.body_object()
        self.send(200, self.store.update(self.res, obj, self.dry_run()))

    def patch(self) -> None:
        ctype = (self.h.headers.get("Content-Type") or "").split(";")[0].strip()
        if ctype not in ("application/merge-patch+json", "application/strategic-merge-patch+json"):
            raise ApiError(415, "UnsupportedMediaType",
                           f'the body of the request was in an unknown format - accepted media '
                           f'types include: application/merge-patch+json, '
                           f'application/strategic-merge-patch+json')
        patch = self.h.read_json()
        current = self.store.get(self.res, self.namespace_of_request(), self.req.name)
        if current is None:
            raise not_found(self.res, self.req.name)
        # Strategic merge patch is approximated by a JSON merge patch (lists are replaced).
        merged = merge_patch(copy.deepcopy(current), patch)
        merged.setdefault("metadata", {})["resourceVersion"] = ""
        merged["metadata"]["name"] = self.req.name
        self.send(200, self.store.update(self.res, merged, self.dry_run()))

    def delete(self) -> None:
        self.send(200, self.store.delete(self.res, self.namespace_of_request(), self.req.name,
                                         self.dry_run()))

    def delete_collection(self) -> None:
        labels, fields = self.selectors()
        ns = self.req.namespace
        _, objs = self.store.snapshot(self.res)
        victims = [o for o in objs if (ns is None or o["metadata"].get("namespace") == ns)
                   and labels.matches(_labels(o)) and fields.matches(o)]
        deleted = victims if self.dry_run() else self.store.delete_many(self.res, victims)
        self.send(200, self.list_body(self.store.rv, deleted))


def merge_patch(target: Any, patch: Any) -> Any:
    """RFC 7386 JSON merge patch."""
    if not isinstance(patch, dict):
        return patch
    if not isinstance(target, dict):
        target = {}
    for k, v in patch.items():
        if v is None:
            target.pop(k, None)
        else:
            target[k] = merge_patch(target.get(k), v)
    return target


# ----------------------------------------------------------------------------------------------
# Control plane: /_fake/...

class Control:
    def __init__(self, handler: Handler):
        self.h = handler
        self.server = handler.server

    def send(self, code: int, body: Any) -> None:
        data = json_bytes(body)
        self.h.write_head(code, [("Content-Type", "application/json"),
                                 ("Content-Length", str(len(data)))])
        self.h.write_raw(data)

    def handle(self, method: str, path: str, query: str) -> None:
        server, store = self.server, self.server.store
        route = path[len("/_fake"):].rstrip("/")
        if route == "/objects" and method == "PUT":
            self.send(200, {"objects": store.upsert(self.parse_objects(self.h.read_json()))})
        elif route == "/objects" and method == "GET":
            self.send(200, {"resourceVersion": store.codec.encode(store.rv),
                            "objects": store.all_objects()})
        elif route.startswith("/objects/") and method == "DELETE":
            self.send(200, self.delete_object(route[len("/objects/"):]))
        elif route == "/compact" and method == "POST":
            self.send(200, {"compactedResourceVersion": store.codec.encode(store.compact())})
        elif route == "/close-watches" and method == "POST":
            self.send(200, {"closed": store.signal_watchers(CLOSE)})
        elif route == "/faults" and method == "POST":
            self.send(200, server.faults.add(self.h.read_json()))
        elif route == "/faults" and method == "GET":
            self.send(200, server.faults.list())
        elif route == "/faults" and method == "DELETE":
            server.faults.clear()
            self.send(200, {})
        elif route == "/outage" and method == "POST":
            self.send(200, {"on": server.set_outage(bool((self.h.read_json() or {}).get("on")))})
        elif route == "/requests" and method == "GET":
            self.send(200, server.requests.snapshot())
        elif route == "/requests" and method == "DELETE":
            server.requests.clear()
            self.send(200, {})
        elif route == "/tokens" and method == "POST":
            body = self.h.read_json() or {}
            valid = body.get("valid")
            server.tokens = None if valid is None else set(map(str, valid))
            self.send(200, {"valid": None if valid is None else len(server.tokens)})
        elif route == "/watches" and method == "GET":
            self.send(200, store.watch_counts())
        elif route == "/stats" and method == "GET":
            self.send(200, {"resourceVersion": store.codec.encode(store.rv),
                            "compactedResourceVersion": store.codec.encode(store.compacted_rv),
                            "watches": sum(store.watch_counts().values()),
                            "threads": threading.active_count(),
                            "outage": server.outage})
        else:
            raise ApiError(404, "NotFound", f"no control endpoint {method} {path}", {})

    def parse_objects(self, body: Any) -> list[tuple[Resource, dict]]:
        return [(res, obj) for res, obj in map(resolve_object, objects_of(body))]

    def delete_object(self, spec: str) -> dict:
        parts = spec.split("/")
        if len(parts) != 4:
            raise bad_request("expected /_fake/objects/<apiVersion with / as ~>/<resource>/<ns or _>/<name>")
        gv, plural, ns, name = (urllib.parse.unquote(p) for p in parts)
        group, _, version = gv.replace("~", "/").rpartition("/")
        res = BY_PATH.get((group, version, plural))
        if res is None:
            raise bad_request(f"unknown resource {gv}/{plural}")
        return self.server.store.delete(res, "" if ns == "_" or not res.namespaced else ns, name)


def objects_of(body: Any) -> list[dict]:
    """Objects from `{"objects": [...]}`, a JSON list, a single object or a v1 List."""
    if isinstance(body, list):
        return body
    if isinstance(body, dict) and isinstance(body.get("objects"), list):
        return body["objects"]
    if isinstance(body, dict) and body.get("kind", "").endswith("List") and "items" in body:
        return body["items"]
    if isinstance(body, dict):
        return [body]
    raise bad_request("expected an object, a list of objects or {\"objects\": [...]}")


def resolve_object(obj: Any) -> tuple[Resource, dict]:
    if not isinstance(obj, dict):
        raise bad_request("every object must be a JSON object")
    res = BY_KIND.get((obj.get("apiVersion"), obj.get("kind")))
    if res is None:
        raise bad_request(f"unknown apiVersion/kind {obj.get('apiVersion')}/{obj.get('kind')}")
    meta = obj.get("metadata")
    if not isinstance(meta, dict) or not meta.get("name"):
        raise bad_request(f"{res.kind}: metadata.name is required")
    obj = copy.deepcopy(obj)
    if res.namespaced:
        obj["metadata"].setdefault("namespace", "default")
    else:
        obj["metadata"].pop("namespace", None)
    return res, obj


# ----------------------------------------------------------------------------------------------
# Server

class FakeApiServer(http.server.ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    request_queue_size = 128

    def __init__(self, address: tuple[str, int], args: argparse.Namespace):
        if ":" in address[0]:
            self.address_family = socket.AF_INET6
        super().__init__(address, Handler)
        self.port = self.server_address[1]
        self.store = Store(RvCodec(args.opaque_rv))
        self.faults = FaultTable()
        self.requests = RequestLog()
        self.tokens: set[str] | None = set(args.token) if args.token else None
        self.bookmark_interval = args.bookmark_interval
        self.min_request_timeout = args.min_request_timeout
        self.verbose = args.verbose
        self.absent = set(args.absent_group or ())
        self.outage = False
        self.closing = False
        self.tls: ssl.SSLContext | None = None
        if args.tls_cert:
            self.tls = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
            self.tls.load_cert_chain(args.tls_cert, args.tls_key)
            self.tls.set_alpn_protocols(["http/1.1"])

    # -- auth, outage -------------------------------------------------------------------------

    def authorized(self, header: str | None) -> bool:
        tokens = self.tokens
        if tokens is None:
            return True
        scheme, _, token = (header or "").partition(" ")
        return scheme.lower() == "bearer" and token.strip() in tokens

    def set_outage(self, on: bool) -> bool:
        self.outage = on
        if on:
            self.store.signal_watchers(DROP)
        return on

    # -- discovery ----------------------------------------------------------------------------

    def serves(self, group: str, version: str) -> bool:
        gv = f"{group}/{version}" if group else version
        if gv in self.absent or (group and group in self.absent):
            return False
        return any(r.group == group and r.version == version for r in RESOURCES)

    def group_entry(self, group: str) -> dict | None:
        versions = sorted({r.version for r in RESOURCES if r.group == group and self.serves(group, r.version)})
        if not group or not versions:
            return None
        entries = [{"groupVersion": f"{group}/{v}", "version": v} for v in versions]
        return {"name": group, "versions": entries, "preferredVersion": entries[0]}

    def group_list(self) -> dict:
        groups = [self.group_entry(g) for g in sorted({r.group for r in RESOURCES if r.group})]
        return {"kind": "APIGroupList", "apiVersion": "v1", "groups": [g for g in groups if g]}

    def resource_list(self, group: str, version: str) -> dict:
        gv = f"{group}/{version}" if group else version
        return {"kind": "APIResourceList", "apiVersion": "v1", "groupVersion": gv,
                "resources": [r.discovery_entry() for r in RESOURCES
                              if r.group == group and r.version == version]}

    # -- connection handling ------------------------------------------------------------------

    def finish_request(self, request, client_address):
        """TLS handshakes happen here, in the connection's own thread, so a silent client can
        never block the accept loop."""
        if self.tls is None:
            return super().finish_request(request, client_address)
        request.settimeout(10)
        try:
            conn = self.tls.wrap_socket(request, server_side=True)
        except (OSError, ValueError):
            return                          # failed handshake (e.g. a client rejecting our CA)
        try:
            conn.settimeout(None)
            super().finish_request(conn, client_address)
        finally:
            try:
                conn.close()
            except OSError:
                pass

    def handle_error(self, request, client_address):
        exc = sys.exc_info()[1]
        if isinstance(exc, (ConnectionError, ConnectionEnded, TimeoutError, ssl.SSLError, OSError)):
            return
        super().handle_error(request, client_address)

    def stop(self) -> None:
        self.closing = True
        self.store.signal_watchers(DROP)
        self.shutdown()


def load_state(store: Store, paths: list[str]) -> None:
    for path in paths:
        with open(path, encoding="utf-8") as f:
            body = json.load(f)
        try:
            store.upsert([resolve_object(o) for o in objects_of(body)])
        except ApiError as e:
            raise SystemExit(f"fake-apiserver: {path}: {e.message}") from None


def parse_listen(text: str) -> tuple[str, int]:
    host, _, port = text.rpartition(":")
    if not host or not port.isdigit():
        raise argparse.ArgumentTypeError(f"expected HOST:PORT, got {text!r}")
    return host.strip("[]"), int(port)


def parse_args(argv: list[str]) -> argparse.Namespace:
    p = argparse.ArgumentParser(description="Fake kube-apiserver for meshd's tests "
                                            "(see tests/k8s/README.md).")
    p.add_argument("--listen", type=parse_listen, default=("127.0.0.1", 0), metavar="HOST:PORT")
    p.add_argument("--tls-cert")
    p.add_argument("--tls-key")
    p.add_argument("--token", action="append", default=[], help="accepted bearer token (repeatable)")
    p.add_argument("--state", action="append", default=[], help="JSON objects loaded at start")
    p.add_argument("--opaque-rv", action="store_true", help="non-numeric resourceVersions")
    p.add_argument("--bookmark-interval", type=float, default=60.0, metavar="SECONDS")
    p.add_argument("--min-request-timeout", type=float, default=1800.0, metavar="SECONDS")
    p.add_argument("--absent-group", action="append", default=[], metavar="GROUP/VERSION")
    p.add_argument("--verbose", action="store_true", help="log requests to stderr")
    args = p.parse_args(argv)
    if bool(args.tls_cert) != bool(args.tls_key):
        p.error("--tls-cert and --tls-key go together")
    return args


def main(argv: list[str]) -> int:
    args = parse_args(argv)
    server = FakeApiServer(args.listen, args)
    load_state(server.store, args.state)
    stop = threading.Event()

    def watch_stdin():
        # A test harness that dies closes our stdin: exit instead of lingering as an orphan.
        try:
            while os.read(sys.stdin.fileno(), 4096):
                pass
        except OSError:
            pass
        stop.set()

    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.1},
                     name="accept", daemon=True).start()
    threading.Thread(target=watch_stdin, name="stdin", daemon=True).start()
    print(f"READY {server.port}", flush=True)
    while not stop.wait(0.5):
        pass
    server.stop()
    server.server_close()
    sys.stdout.flush()
    os._exit(0)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
