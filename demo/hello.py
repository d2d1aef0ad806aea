#!/usr/bin/env python3
"""The `hello` demo service: answers `Hello (<ip>) ` followed by the body of `GET http://world/`.

The call to world goes through the HTTP proxy named by $http_proxy (meshd's outgoing router,
http://127.0.0.1:4140 in `make run`), so the combined answer shows a request routed by meshd:
`Hello (127.0.0.1) world (127.0.0.1)!!`. If world cannot be reached, hello answers 502 with the
proxy's status and body, which carries meshd's error text.

<ip> is $POD_IP when set (Kubernetes), else the local address the request arrived on.
Standard library only; HTTP/1.1 with keep-alive and a Content-Length on every response.

    http_proxy=http://127.0.0.1:4140 python3 demo/hello.py [--ip 127.0.0.1] [--port 7777]
        [--target http://world/]
"""

import argparse
import os
import sys
import urllib.error
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

DEFAULT_PORT = 7777
DEFAULT_TARGET = "http://world/"
TIMEOUT_SECONDS = 10


def make_opener():
    """An opener that uses only the proxy from the environment (none: a direct connection)."""
    proxy = os.environ.get("http_proxy") or os.environ.get("HTTP_PROXY")
    return urllib.request.build_opener(urllib.request.ProxyHandler({"http": proxy} if proxy else {}))


class HelloHandler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "hello-demo"

    def version_string(self):
        return self.server_version
    target = DEFAULT_TARGET
    opener = None

    def do_GET(self):
        self._drain_body()
        ip = os.environ.get("POD_IP") or self.connection.getsockname()[0]
        try:
            with self.opener.open(self.target, timeout=TIMEOUT_SECONDS) as response:
                world = response.read().decode("utf-8", "replace")
        except urllib.error.HTTPError as err:
            detail = err.read().decode("utf-8", "replace")
            self._reply(502, f"hello: {self.target} answered {err.code} {err.reason}: {detail}\n")
            return
        except (urllib.error.URLError, OSError) as err:
            self._reply(502, f"hello: {self.target} failed: {err}\n")
            return
        self._reply(200, f"Hello ({ip}) {world}")

    def do_HEAD(self):
        self.do_GET()

    def do_POST(self):
        self._drain_body()
        self._reply(405, "method not allowed\n", extra={"Allow": "GET, HEAD"})

    do_PUT = do_DELETE = do_PATCH = do_POST

    def _drain_body(self):
        # A body left unread would be parsed as the next request on this keep-alive connection.
        length = int(self.headers.get("Content-Length") or 0)
        if length > 0:
            self.rfile.read(length)

    def _reply(self, status, text, extra=None):
        body = text.encode()
        self.send_response(status)
        self.send_header("Content-Type", "text/plain; charset=utf-8")
        self.send_header("Content-Length", str(len(body)))
        for name, value in (extra or {}).items():
            self.send_header(name, value)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def log_message(self, format, *args):  # noqa: A002 (the base class names it `format`)
        sys.stderr.write("hello: %s %s\n" % (self.address_string(), format % args))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("port_arg", nargs="?", type=int, metavar="PORT", help="same as --port")
    parser.add_argument("--port", type=int, default=None, help=f"listen port, 0 for any free one (default {DEFAULT_PORT})")
    parser.add_argument("--ip", default="127.0.0.1", help="listen address (default 127.0.0.1)")
    parser.add_argument("--target", default=DEFAULT_TARGET, help=f"URL to call (default {DEFAULT_TARGET})")
    parser.add_argument("--quiet", action="store_true", help="do not log requests")
    args = parser.parse_args()
    # 0 asks the OS for a free port; the log line below names it.
    port = next((p for p in (args.port, args.port_arg) if p is not None), DEFAULT_PORT)

    HelloHandler.target = args.target
    HelloHandler.opener = make_opener()
    if args.quiet:
        HelloHandler.log_message = lambda *_: None
    server = ThreadingHTTPServer((args.ip, port), HelloHandler)
    proxy = os.environ.get("http_proxy") or os.environ.get("HTTP_PROXY") or "none (direct)"
    sys.stderr.write(f"hello: listening on {args.ip}:{server.server_address[1]}, proxy {proxy}\n")
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        server.server_close()


if __name__ == "__main__":
    main()
