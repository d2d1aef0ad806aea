#!/usr/bin/env python3
"""A scripted HTTP/1.1 test backend for meshd's integration tests (standard library only).

Listens on 127.0.0.1:<port 0>, prints "port <n>" on stdout once listening, and serves:
  /echo              200, JSON: method, path, version, headers, body_bytes (reads any body)
  /status/<code>     that status, empty body
  /bytes/<n>         n bytes of 'x' with Content-Length, written in 64 KiB blocks
  /chunked/<n>       n chunks of 'chunk<i>\n', chunked, with trailer x-trailer: done
  /slow/<ms>         waits ms, then 200 "slow"
  /close             HTTP/1.0 style close-delimited body "closed body"
  /malformed         an invalid response line
  /early             103 Early Hints (Link header), then 200 "final"
  /hits              number of requests served so far
  /hits/<METHOD>     number of requests with that method served so far
  /flaky/<pct>       500 for pct % of requests (at random), else 200 "ok"
  /reset             closes the connection with a TCP reset, no response
  /hang              never answers (until the peer closes)
  /mode/<m>          sets the mode of every other route: ok (normal), fail (500 "failing"),
                     reset, hang, slow:<ms> (delay, then normal); answers 200 with the mode
  /call/<host>?proxy=<port>
                     an app calling the next hop: GET http://<host>/echo through the HTTP proxy
                     127.0.0.1:<port>, forwarding the request's l5d-ctx-* headers; answers with
                     the next hop's status and body, and its x-backend as x-next-backend
With --name NAME every response carries `x-backend: NAME`; --host IP listens on that loopback
address instead of 127.0.0.1 (a "pod" of a simulated node).
It counts requests and exits when stdin closes.
"""
import http.client
import json
import random
import socket
import struct
import sys
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

HITS = 0
METHOD_HITS = {}
MODE = "ok"
LOCK = threading.Lock()
NAME = sys.argv[sys.argv.index("--name") + 1] if "--name" in sys.argv else "backend"
HOST = sys.argv[sys.argv.index("--host") + 1] if "--host" in sys.argv else "127.0.0.1"


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def read_body(self):
        n = 0
        if self.headers.get("Transfer-Encoding", "").lower() == "chunked":
            while True:
                size = int(self.rfile.readline().split(b";")[0].strip(), 16)
                if size == 0:
                    while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                        pass
                    break
                left = size
                while left:
                    got = len(self.rfile.read(min(left, 1 << 20)))
                    if not got:
                        raise ConnectionError("short chunk")
                    left -= got
                    n += got
                self.rfile.readline()
        else:
            left = int(self.headers.get("Content-Length", "0") or 0)
            while left:
                got = len(self.rfile.read(min(left, 1 << 20)))
                if not got:
                    raise ConnectionError("short body")
                left -= got
                n += got
        return n

    def send(self, status, body=b"", ctype="text/plain", extra=()):
        self.send_response(status)
        self.send_header("Content-Type", ctype)
        self.send_header("x-backend", NAME)
        for k, v in extra:
            self.send_header(k, v)
        if status not in (204, 304) and self.command != "HEAD":
            self.send_header("Content-Length", str(len(body)))
        elif self.command == "HEAD":
            self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if status not in (204, 304) and self.command != "HEAD":
            self.wfile.write(body)

    def reset(self):
        self.close_connection = True
        self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        self.connection.close()

    def hang(self):
        self.close_connection = True
        self.connection.settimeout(120)
        try:
            while self.connection.recv(65536):
                pass
        except OSError:
            pass

    def handle_any(self):
        global HITS, MODE
        with LOCK:
            HITS += 1
            METHOD_HITS[self.command] = METHOD_HITS.get(self.command, 0) + 1
        body_bytes = self.read_body()
        parts = self.path.split("?")[0].strip("/").split("/")
        route = parts[0]
        if route == "mode":
            MODE = parts[1]
            self.send(200, MODE.encode())
            return
        if route != "hits":
            mode = MODE
            if mode == "fail":
                self.send(500, b"failing")
                return
            if mode == "reset":
                self.reset()
                return
            if mode == "hang":
                self.hang()
                return
            if mode.startswith("slow:"):
                time.sleep(int(mode[5:]) / 1000.0)
        if route == "echo" or route == "":
            info = {"method": self.command, "path": self.path, "version": self.request_version,
                    "headers": [[k, v] for k, v in self.headers.items()],
                    "body_bytes": body_bytes}
            self.send(200, json.dumps(info).encode(), "application/json")
        elif route == "status":
            self.send(int(parts[1]))
        elif route == "bytes":
            n = int(parts[1])
            self.send_response(200)
            self.send_header("Content-Length", str(n))
            self.end_headers()
            if self.command != "HEAD":
                block = b"x" * 65536
                while n > 0:
                    self.wfile.write(block[:min(n, len(block))])
                    n -= min(n, len(block))
        elif route == "chunked":
            self.send_response(200)
            self.send_header("Transfer-Encoding", "chunked")
            self.send_header("Trailer", "x-trailer")
            self.end_headers()
            for i in range(int(parts[1])):
                data = ("chunk%d\n" % i).encode()
                self.wfile.write(b"%x\r\n%s\r\n" % (len(data), data))
            self.wfile.write(b"0\r\nx-trailer: done\r\n\r\n")
        elif route == "slow":
            time.sleep(int(parts[1]) / 1000.0)
            self.send(200, b"slow")
        elif route == "close":
            self.close_connection = True
            self.wfile.write(b"HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\n\r\nclosed body")
        elif route == "malformed":
            self.close_connection = True
            self.wfile.write(b"HTTP/1.1 2x0 Nope\r\n\r\n")
        elif route == "early":
            self.wfile.write(b"HTTP/1.1 103 Early Hints\r\nLink: </a.css>; rel=preload\r\n\r\n")
            self.send(200, b"final")
        elif route == "call":
            self.call_next(parts[1])
        elif route == "hits":
            n = METHOD_HITS.get(parts[1], 0) if len(parts) > 1 else HITS
            self.send(200, str(n).encode())
        elif route == "flaky":
            if random.random() * 100 < int(parts[1]):
                self.send(500, b"flaky failure")
            else:
                self.send(200, b"ok")
        elif route == "reset":
            self.reset()
        elif route == "hang":
            self.hang()
        else:
            self.send(404, b"no such route")

    def call_next(self, host):
        query = self.path.split("?", 1)[1] if "?" in self.path else ""
        proxy = int(dict(p.split("=", 1) for p in query.split("&") if "=" in p)["proxy"])
        conn = http.client.HTTPConnection("127.0.0.1", proxy, timeout=10)
        headers = {k: v for k, v in self.headers.items() if k.lower().startswith("l5d-ctx-")}
        headers["Host"] = host
        conn.request("GET", "http://%s/echo" % host, headers=headers)
        rsp = conn.getresponse()
        body = rsp.read()
        conn.close()
        self.send(rsp.status, body, "application/json",
                  [("x-next-backend", rsp.getheader("x-backend", ""))])

    do_GET = do_POST = do_PUT = do_DELETE = do_HEAD = do_PATCH = do_OPTIONS = handle_any


class Server(ThreadingHTTPServer):
    request_queue_size = 1024  # the default of 5 drops connects under load tests


def main():
    server = Server((HOST, 0), Handler)
    server.daemon_threads = True
    server.socket.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    print("port %d" % server.server_address[1], flush=True)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    sys.stdin.read()  # exit when the test closes our stdin (or dies)


if __name__ == "__main__":
    main()
