#!/usr/bin/env python3
"""A fake Zipkin collector for meshd's tracing tests (contract in README.md).

Two listeners on OS-chosen loopback ports:
  * Scribe: framed, strict TBinaryProtocol `scribe.Log(list<LogEntry>)` calls whose messages are
    Base64 zipkinCore.thrift `Span` structs (Finagle's Zipkin tracer, `io.l5d.zipkin`);
  * HTTP: `POST /api/v2/spans` with a Zipkin JSON v2 list (gzip'ed or not) (`io.zipkin.http`),
    plus the control endpoints `GET /spans`, `GET /errors`, `GET /requests`, `POST /reset` and
    `POST /fault`.
Everything received is decoded fully and validated; spans are kept in one normalised JSON shape
for both transports, anything malformed is rejected and recorded as an error.

Standard library only. Prints `{"scribe": <port>, "http": <port>}` on one stdout line once
listening; exits when stdin closes or on SIGTERM.
"""

import argparse
import base64
import binascii
import gzip
import http.server
import ipaddress
import itertools
import json
import re
import socket
import socketserver
import struct
import sys
import threading
import urllib.parse

# ---- shared state -----------------------------------------------------------------------------

LOCK = threading.Lock()
SPANS = []      # normalised spans, in arrival order
ERRORS = []     # one text per rejected message or span
REQUESTS = []   # one entry per Scribe call or POST /api/v2/spans
FAULTS = {"try_later": 0, "http_status": 0, "http_count": 0, "close_after": 0}
CONNECTIONS = itertools.count(1)  # connection numbers, for the request log
MAX_FRAME = 16 * 1024 * 1024
MAX_BODY = 16 * 1024 * 1024
VERBOSE = False


def log(text):
    if VERBOSE:
        print(text, file=sys.stderr, flush=True)


def take_fault(name):
    """Consumes one use of a counted fault; True if it was armed."""
    with LOCK:
        if FAULTS[name] > 0:
            FAULTS[name] -= 1
            return True
    return False


def record_error(transport, text):
    with LOCK:
        ERRORS.append(f"{transport}: {text}")
    log(f"error {transport}: {text}")


class Malformed(Exception):
    """A message that does not follow the protocol; the text says where."""


# ---- Thrift TBinaryProtocol -------------------------------------------------------------------

T_STOP, T_BOOL, T_BYTE, T_DOUBLE, T_I16, T_I32, T_I64 = 0, 2, 3, 4, 6, 8, 10
T_STRING, T_STRUCT, T_MAP, T_SET, T_LIST = 11, 12, 13, 14, 15
TYPE_NAMES = {T_BOOL: "bool", T_BYTE: "byte", T_DOUBLE: "double", T_I16: "i16", T_I32: "i32",
              T_I64: "i64", T_STRING: "string", T_STRUCT: "struct", T_MAP: "map", T_SET: "set",
              T_LIST: "list"}
VERSION_1 = 0x80010000
CALL, REPLY, EXCEPTION, ONEWAY = 1, 2, 3, 4
ANNOTATION_TYPES = ["BOOL", "BYTES", "I16", "I32", "I64", "DOUBLE", "STRING"]


class Reader:
    def __init__(self, data, what):
        self.data = data
        self.pos = 0
        self.what = what

    def take(self, n):
        if n < 0 or self.pos + n > len(self.data):
            raise Malformed(f"{self.what}: truncated at byte {self.pos} (wanted {n} more)")
        out = self.data[self.pos:self.pos + n]
        self.pos += n
        return out

    def byte(self):
        return self.take(1)[0]

    def i16(self):
        return struct.unpack(">h", self.take(2))[0]

    def i32(self):
        return struct.unpack(">i", self.take(4))[0]

    def i64(self):
        return struct.unpack(">q", self.take(8))[0]

    def double(self):
        return struct.unpack(">d", self.take(8))[0]

    def binary(self):
        n = self.i32()
        if n < 0:
            raise Malformed(f"{self.what}: negative length {n}")
        return self.take(n)

    def string(self):
        raw = self.binary()
        try:
            return raw.decode("utf-8")
        except UnicodeDecodeError as e:
            raise Malformed(f"{self.what}: string is not UTF-8: {e}") from None

    def bool(self):
        b = self.byte()
        if b not in (0, 1):
            raise Malformed(f"{self.what}: bool byte {b}")
        return b == 1

    def skip(self, ttype, depth=16):
        if depth == 0:
            raise Malformed(f"{self.what}: nested too deep")
        if ttype in (T_BOOL, T_BYTE):
            self.take(1)
        elif ttype == T_I16:
            self.take(2)
        elif ttype == T_I32:
            self.take(4)
        elif ttype in (T_I64, T_DOUBLE):
            self.take(8)
        elif ttype == T_STRING:
            self.binary()
        elif ttype == T_STRUCT:
            for ftype, _ in self.fields():
                self.skip(ftype, depth - 1)
        elif ttype == T_MAP:
            ktype, vtype, n = self.byte(), self.byte(), self.i32()
            for _ in range(n):
                self.skip(ktype, depth - 1)
                self.skip(vtype, depth - 1)
        elif ttype in (T_SET, T_LIST):
            etype, n = self.byte(), self.i32()
            for _ in range(n):
                self.skip(etype, depth - 1)
        else:
            raise Malformed(f"{self.what}: unknown type {ttype}")

    def fields(self):
        """Yields (type, id) for each field of a struct until its STOP."""
        while True:
            ftype = self.byte()
            if ftype == T_STOP:
                return
            yield ftype, self.i16()

    def list_of(self, expected):
        etype, n = self.byte(), self.i32()
        if etype != expected:
            raise Malformed(f"{self.what}: list of {TYPE_NAMES.get(etype, etype)}, "
                            f"expected {TYPE_NAMES[expected]}")
        if n < 0:
            raise Malformed(f"{self.what}: negative list size {n}")
        return n


def expect(ftype, wanted, where):
    if ftype != wanted:
        raise Malformed(f"{where} has type {TYPE_NAMES.get(ftype, ftype)}, "
                        f"expected {TYPE_NAMES[wanted]}")


def read_struct(r, schema, where):
    """Reads a struct whose known fields are {id: (name, type, reader)}; skips the others."""
    out = {}
    for ftype, fid in r.fields():
        if fid in schema:
            name, wanted, read = schema[fid]
            expect(ftype, wanted, f"{where}.{name}")
            if name in out:
                raise Malformed(f"{where}.{name} appears twice")
            out[name] = read(r)
        else:
            r.skip(ftype)
    return out


def read_endpoint(r):
    e = read_struct(r, {
        1: ("ipv4", T_I32, Reader.i32),
        2: ("port", T_I16, Reader.i16),
        3: ("service_name", T_STRING, Reader.string),
        4: ("ipv6", T_STRING, Reader.binary),
    }, "Endpoint")
    for required in ("ipv4", "port", "service_name"):
        if required not in e:
            raise Malformed(f"Endpoint.{required} missing")
    if "ipv6" in e and len(e["ipv6"]) != 16:
        raise Malformed(f"Endpoint.ipv6 has {len(e['ipv6'])} bytes")
    return e


def read_annotation(r):
    a = read_struct(r, {
        1: ("timestamp", T_I64, Reader.i64),
        2: ("value", T_STRING, Reader.string),
        3: ("host", T_STRUCT, read_endpoint),
    }, "Annotation")
    for required in ("timestamp", "value"):
        if required not in a:
            raise Malformed(f"Annotation.{required} missing")
    return a


def read_binary_annotation(r):
    b = read_struct(r, {
        1: ("key", T_STRING, Reader.string),
        2: ("value", T_STRING, Reader.binary),
        3: ("annotation_type", T_I32, Reader.i32),
        4: ("host", T_STRUCT, read_endpoint),
    }, "BinaryAnnotation")
    for required in ("key", "value", "annotation_type"):
        if required not in b:
            raise Malformed(f"BinaryAnnotation.{required} missing")
    if not 0 <= b["annotation_type"] < len(ANNOTATION_TYPES):
        raise Malformed(f"BinaryAnnotation {b['key']}: annotation_type {b['annotation_type']}")
    return b


def read_list(read_element):
    def read(r):
        return [read_element(r) for _ in range(r.list_of(T_STRUCT))]
    return read


def read_span(r):
    s = read_struct(r, {
        1: ("trace_id", T_I64, Reader.i64),
        3: ("name", T_STRING, Reader.string),
        4: ("id", T_I64, Reader.i64),
        5: ("parent_id", T_I64, Reader.i64),
        6: ("annotations", T_LIST, read_list(read_annotation)),
        8: ("binary_annotations", T_LIST, read_list(read_binary_annotation)),
        9: ("debug", T_BOOL, Reader.bool),
        10: ("timestamp", T_I64, Reader.i64),
        11: ("duration", T_I64, Reader.i64),
        12: ("trace_id_high", T_I64, Reader.i64),
    }, "Span")
    for required in ("trace_id", "name", "id"):
        if required not in s:
            raise Malformed(f"Span.{required} missing")
    if s["trace_id"] == 0 or s["id"] == 0:
        raise Malformed("Span.trace_id and Span.id must not be 0")
    if r.pos != len(r.data):
        raise Malformed(f"{len(r.data) - r.pos} bytes after the Span struct")
    return s


def hex64(v):
    return format(v & 0xFFFFFFFFFFFFFFFF, "016x")


def endpoint_json(e):
    out = {"serviceName": e["service_name"]}
    if e["ipv4"] != 0:
        out["ipv4"] = str(ipaddress.IPv4Address(e["ipv4"] & 0xFFFFFFFF))
    if "ipv6" in e:
        out["ipv6"] = str(ipaddress.IPv6Address(e["ipv6"]))
    port = e["port"] & 0xFFFF
    if port != 0:
        out["port"] = port
    return out


def tag_text(b):
    kind, value = ANNOTATION_TYPES[b["annotation_type"]], b["value"]
    sizes = {"BOOL": 1, "I16": 2, "I32": 4, "I64": 8, "DOUBLE": 8}
    if kind in sizes and len(value) != sizes[kind]:
        raise Malformed(f"BinaryAnnotation {b['key']}: {kind} of {len(value)} bytes")
    if kind == "BOOL":
        return "true" if value[0] else "false"
    if kind in ("I16", "I32", "I64"):
        return str(int.from_bytes(value, "big", signed=True))
    if kind == "DOUBLE":
        return repr(struct.unpack(">d", value)[0])
    if kind == "STRING":
        try:
            return value.decode("utf-8")
        except UnicodeDecodeError:
            raise Malformed(f"BinaryAnnotation {b['key']}: STRING is not UTF-8") from None
    return base64.b64encode(value).decode()


def normalise_thrift(s, category):
    annotations = s.get("annotations", [])
    binary = s.get("binary_annotations", [])
    values = {a["value"] for a in annotations}
    kind = "SERVER" if values & {"sr", "ss"} else "CLIENT" if values & {"cs", "cr"} else None
    local = None
    for a in annotations + [b for b in binary if b["key"] not in ("ca", "sa")]:
        if "host" in a:
            local = endpoint_json(a["host"])
            break
    remote = None
    tags, tag_types = {}, {}
    for b in binary:
        if b["key"] in ("ca", "sa"):
            if ANNOTATION_TYPES[b["annotation_type"]] != "BOOL" or "host" not in b:
                raise Malformed(f"BinaryAnnotation {b['key']}: not a BOOL with a host")
            remote = endpoint_json(b["host"])
            continue
        tags[b["key"]] = tag_text(b)
        tag_types[b["key"]] = ANNOTATION_TYPES[b["annotation_type"]]
    high = s.get("trace_id_high", 0)
    return {
        "transport": "scribe",
        "category": category,
        "traceId": (hex64(high) if high else "") + hex64(s["trace_id"]),
        "id": hex64(s["id"]),
        "parentId": hex64(s["parent_id"]) if "parent_id" in s else None,
        "name": s["name"],
        "kind": kind,
        "timestamp": s.get("timestamp"),
        "duration": s.get("duration"),
        "debug": s.get("debug", False),
        "shared": False,
        "localEndpoint": local,
        "remoteEndpoint": remote,
        "annotations": [{"timestamp": a["timestamp"], "value": a["value"]} for a in annotations],
        "tags": tags,
        "tagTypes": tag_types,
    }


def decode_log_entry(entry):
    """A LogEntry's message: Base64 (a trailing newline allowed) of a Thrift Span."""
    text = entry["message"].rstrip("\n")
    try:
        raw = base64.b64decode(text, validate=True)
    except (binascii.Error, ValueError) as e:
        raise Malformed(f"LogEntry.message is not Base64: {e}") from None
    return normalise_thrift(read_span(Reader(raw, "Span")), entry["category"])


def read_log_args(r):
    args = read_struct(r, {1: ("messages", T_LIST, read_list(lambda rr: read_struct(rr, {
        1: ("category", T_STRING, Reader.string),
        2: ("message", T_STRING, Reader.string),
    }, "LogEntry")))}, "Log_args")
    if "messages" not in args:
        raise Malformed("Log_args.messages missing")
    for entry in args["messages"]:
        if "category" not in entry or "message" not in entry:
            raise Malformed("LogEntry without category or message")
    return args["messages"]


def reply_frame(name, seqid, mtype, body):
    msg = struct.pack(">I", VERSION_1 | mtype) + struct.pack(">i", len(name)) + name.encode()
    msg += struct.pack(">i", seqid) + body
    return struct.pack(">I", len(msg)) + msg


def result_body(code):
    return bytes([T_I32]) + struct.pack(">h", 0) + struct.pack(">i", code) + bytes([T_STOP])


def exception_body(text, kind):
    data = text.encode()
    return (bytes([T_STRING]) + struct.pack(">h", 1) + struct.pack(">i", len(data)) + data +
            bytes([T_I32]) + struct.pack(">h", 2) + struct.pack(">i", kind) + bytes([T_STOP]))


class ScribeHandler(socketserver.BaseRequestHandler):
    def recv_exact(self, n):
        buf = b""
        while len(buf) < n:
            chunk = self.request.recv(n - len(buf))
            if not chunk:
                return None if not buf else buf
            buf += chunk
        return buf

    def handle(self):
        self.connection_number = next(CONNECTIONS)
        while True:
            head = self.recv_exact(4)
            if head is None:
                return
            if len(head) < 4:
                record_error("scribe", "connection closed inside a frame length")
                return
            size = struct.unpack(">I", head)[0]
            if size == 0 or size > MAX_FRAME:
                record_error("scribe", f"frame of {size} bytes")
                return
            frame = self.recv_exact(size)
            if frame is None or len(frame) < size:
                record_error("scribe", "connection closed inside a frame")
                return
            reply = self.call(frame)
            if reply is None:
                return
            self.request.sendall(reply)
            if take_fault("close_after"):
                return

    def call(self, frame):
        """Handles one framed message; returns the reply frame, or None to close."""
        r = Reader(frame, "message")
        try:
            version = r.i32() & 0xFFFFFFFF
            if version & 0xFFFF0000 != VERSION_1:
                raise Malformed(f"not a strict TBinaryProtocol message (0x{version:08x})")
            mtype = version & 0xFF
            name = r.string()
            seqid = r.i32()
        except Malformed as e:
            record_error("scribe", str(e))
            return None
        if mtype != CALL or name != "Log":
            record_error("scribe", f"unexpected message {name} type {mtype}")
            return reply_frame(name, seqid, EXCEPTION, exception_body(f"unknown {name}", 1))
        try:
            entries = read_log_args(r)
        except Malformed as e:
            record_error("scribe", f"Log seqid {seqid}: {e}")
            return reply_frame(name, seqid, EXCEPTION, exception_body(str(e), 7))
        try_later = take_fault("try_later")
        code = 1 if try_later else 0
        accepted = 0
        if not try_later:
            for entry in entries:
                try:
                    span = decode_log_entry(entry)
                except Malformed as e:
                    record_error("scribe", f"Log seqid {seqid}: {e}")
                    continue
                with LOCK:
                    SPANS.append(span)
                accepted += 1
        with LOCK:
            REQUESTS.append({"transport": "scribe", "connection": self.connection_number,
                             "seqid": seqid, "entries": len(entries),
                             "accepted": accepted, "result": "TRY_LATER" if try_later else "OK"})
        log(f"scribe Log seqid={seqid} entries={len(entries)} result={code}")
        return reply_frame(name, seqid, REPLY, result_body(code))


# ---- Zipkin JSON v2 ---------------------------------------------------------------------------

HEX16 = re.compile(r"^[0-9a-f]{16}$")
HEX16_OR_32 = re.compile(r"^(?:[0-9a-f]{16}|[0-9a-f]{32})$")
SPAN_FIELDS = {"traceId", "id", "parentId", "kind", "name", "timestamp", "duration",
               "localEndpoint", "remoteEndpoint", "annotations", "tags", "debug", "shared"}
KINDS = {"CLIENT", "SERVER", "PRODUCER", "CONSUMER"}


def reject_constant(name):
    raise Malformed(f"JSON constant {name} (NaN and infinities are not JSON)")


def is_int(v):
    return isinstance(v, int) and not isinstance(v, bool)


def check_endpoint(e, where):
    if not isinstance(e, dict):
        raise Malformed(f"{where} is not an object")
    unknown = set(e) - {"serviceName", "ipv4", "ipv6", "port"}
    if unknown:
        raise Malformed(f"{where}: unknown fields {sorted(unknown)}")
    if "serviceName" in e and not isinstance(e["serviceName"], str):
        raise Malformed(f"{where}.serviceName is not a string")
    try:
        if "ipv4" in e:
            ipaddress.IPv4Address(e["ipv4"])
        if "ipv6" in e:
            ipaddress.IPv6Address(e["ipv6"])
    except (ipaddress.AddressValueError, ValueError) as err:
        raise Malformed(f"{where}: {err}") from None
    if "port" in e and (not is_int(e["port"]) or not 0 <= e["port"] <= 65535):
        raise Malformed(f"{where}.port is not a port")
    return dict(e)


def check_span_v2(s, i):
    where = f"span[{i}]"
    if not isinstance(s, dict):
        raise Malformed(f"{where} is not an object")
    unknown = set(s) - SPAN_FIELDS
    if unknown:
        raise Malformed(f"{where}: unknown fields {sorted(unknown)}")
    if not isinstance(s.get("traceId"), str) or not HEX16_OR_32.match(s["traceId"]):
        raise Malformed(f"{where}.traceId {s.get('traceId')!r} is not 16 or 32 lower-hex digits")
    if not isinstance(s.get("id"), str) or not HEX16.match(s["id"]):
        raise Malformed(f"{where}.id {s.get('id')!r} is not 16 lower-hex digits")
    if "parentId" in s and (not isinstance(s["parentId"], str) or not HEX16.match(s["parentId"])):
        raise Malformed(f"{where}.parentId {s['parentId']!r} is not 16 lower-hex digits")
    if set(s["traceId"]) == {"0"} or set(s["id"]) == {"0"}:
        raise Malformed(f"{where}: all-zero id")
    if "kind" in s and s["kind"] not in KINDS:
        raise Malformed(f"{where}.kind {s['kind']!r}")
    if "name" in s and not isinstance(s["name"], str):
        raise Malformed(f"{where}.name is not a string")
    for key in ("timestamp", "duration"):
        if key in s and (not is_int(s[key]) or s[key] < 0):
            raise Malformed(f"{where}.{key} is not a non-negative integer")
    local = check_endpoint(s["localEndpoint"], f"{where}.localEndpoint") \
        if "localEndpoint" in s else None
    remote = check_endpoint(s["remoteEndpoint"], f"{where}.remoteEndpoint") \
        if "remoteEndpoint" in s else None
    annotations = s.get("annotations", [])
    if not isinstance(annotations, list):
        raise Malformed(f"{where}.annotations is not a list")
    for j, a in enumerate(annotations):
        if (not isinstance(a, dict) or set(a) != {"timestamp", "value"} or
                not is_int(a["timestamp"]) or not isinstance(a["value"], str)):
            raise Malformed(f"{where}.annotations[{j}] is not {{timestamp, value}}")
    tags = s.get("tags", {})
    if not isinstance(tags, dict) or not all(isinstance(v, str) for v in tags.values()):
        raise Malformed(f"{where}.tags is not an object of strings")
    for key in ("debug", "shared"):
        if key in s and not isinstance(s[key], bool):
            raise Malformed(f"{where}.{key} is not a boolean")
    return {
        "transport": "http",
        "category": None,
        "traceId": s["traceId"],
        "id": s["id"],
        "parentId": s.get("parentId"),
        "name": s.get("name"),
        "kind": s.get("kind"),
        "timestamp": s.get("timestamp"),
        "duration": s.get("duration"),
        "debug": s.get("debug", False),
        "shared": s.get("shared", False),
        "localEndpoint": local,
        "remoteEndpoint": remote,
        "annotations": [{"timestamp": a["timestamp"], "value": a["value"]} for a in annotations],
        "tags": dict(tags),
        "tagTypes": {k: "STRING" for k in tags},
    }


class HttpHandler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    timeout = 30  # idle keep-alive connections

    def setup(self):
        super().setup()
        self.connection_number = next(CONNECTIONS)

    def log_message(self, fmt, *args):  # noqa: N802 (stdlib name)
        log("http " + fmt % args)

    def reply(self, status, payload):
        body = json.dumps(payload).encode()
        self.send_response(status)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def read_body(self):
        length = self.headers.get("Content-Length")
        if length is None or not length.isdigit() or int(length) > MAX_BODY:
            raise Malformed(f"Content-Length {length!r}")
        return self.rfile.read(int(length))

    def do_GET(self):  # noqa: N802
        path = urllib.parse.urlsplit(self.path).path
        with LOCK:
            views = {"/spans": list(SPANS), "/errors": list(ERRORS), "/requests": list(REQUESTS)}
        if path in views:
            self.reply(200, views[path])
        else:
            self.reply(404, {"error": f"no {path}"})

    def do_POST(self):  # noqa: N802
        url = urllib.parse.urlsplit(self.path)
        try:
            body = self.read_body()
        except Malformed as e:
            record_error("http", str(e))
            self.reply(400, {"error": str(e)})
            self.close_connection = True
            return
        if url.path == "/api/v2/spans":
            self.post_spans(body)
        elif url.path == "/reset":
            with LOCK:
                SPANS.clear()
                ERRORS.clear()
                REQUESTS.clear()
                FAULTS.update({k: 0 for k in FAULTS})
            self.reply(200, {"ok": True})
        elif url.path == "/fault":
            query = urllib.parse.parse_qs(url.query)
            try:
                update = {k: int(v[0]) for k, v in query.items() if k in FAULTS}
            except ValueError:
                self.reply(400, {"error": "fault values are integers"})
                return
            if not update or len(update) != len(query):
                self.reply(400, {"error": f"faults are {sorted(FAULTS)}"})
                return
            with LOCK:
                FAULTS.update(update)
            self.reply(200, {"ok": True})
        else:
            self.reply(404, {"error": f"no {url.path}"})

    def post_spans(self, body):
        entry = {"transport": "http", "connection": self.connection_number, "method": "POST",
                 "path": self.path,
                 "host": self.headers.get("Host"),
                 "contentType": self.headers.get("Content-Type"),
                 "contentEncoding": self.headers.get("Content-Encoding"),
                 "userAgent": self.headers.get("User-Agent"), "spans": 0}
        status, payload = self.accept_spans(body, entry)
        entry["status"] = status
        with LOCK:
            REQUESTS.append(entry)
        if status == 202:
            self.send_response(202)
            self.send_header("Content-Length", "0")
            self.end_headers()
        else:
            self.reply(status, payload)
        if take_fault("close_after"):
            self.close_connection = True  # without saying so: the client finds out on reuse

    def accept_spans(self, body, entry):
        if take_fault("http_count"):
            with LOCK:
                return FAULTS["http_status"] or 503, {"error": "fault injected"}
        try:
            content_type = (entry["contentType"] or "").split(";")[0].strip().lower()
            if content_type != "application/json":
                raise Malformed(f"Content-Type {entry['contentType']!r}")
            encoding = (entry["contentEncoding"] or "identity").lower()
            if encoding == "gzip":
                try:
                    body = gzip.decompress(body)
                except (OSError, EOFError) as e:
                    raise Malformed(f"gzip: {e}") from None
            elif encoding != "identity":
                raise Malformed(f"Content-Encoding {encoding!r}")
            try:
                spans = json.loads(body.decode("utf-8"), parse_constant=reject_constant)
            except (UnicodeDecodeError, json.JSONDecodeError) as e:
                raise Malformed(f"not JSON: {e}") from None
            if not isinstance(spans, list):
                raise Malformed("the body is not a JSON list")
            normalised = [check_span_v2(s, i) for i, s in enumerate(spans)]
        except Malformed as e:
            record_error("http", str(e))
            return 400, {"error": str(e)}
        with LOCK:
            SPANS.extend(normalised)
        entry["spans"] = len(normalised)
        return 202, None


# ---- main -------------------------------------------------------------------------------------

class ThreadingTCPServer(socketserver.ThreadingTCPServer):
    daemon_threads = True
    allow_reuse_address = True


class ThreadingHTTPServer(http.server.ThreadingHTTPServer):
    daemon_threads = True


def main():
    global VERBOSE
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--host", default="127.0.0.1", help="loopback address to listen on")
    parser.add_argument("--verbose", action="store_true", help="log to stderr")
    args = parser.parse_args()
    VERBOSE = args.verbose
    family = socket.AF_INET6 if ":" in args.host else socket.AF_INET
    ThreadingTCPServer.address_family = family
    ThreadingHTTPServer.address_family = family
    scribe = ThreadingTCPServer((args.host, 0), ScribeHandler)
    web = ThreadingHTTPServer((args.host, 0), HttpHandler)
    for server in (scribe, web):
        threading.Thread(target=server.serve_forever, daemon=True).start()
    print(json.dumps({"scribe": scribe.server_address[1], "http": web.server_address[1]}),
          flush=True)
    # Serve until stdin closes (the test harness holds the write end).
    while sys.stdin.buffer.read(4096):
        pass
    scribe.shutdown()
    web.shutdown()


if __name__ == "__main__":
    main()
